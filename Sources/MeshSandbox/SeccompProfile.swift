import Foundation

/// Which seccomp filter sandbox containers run under.
///
/// Docker's default profile is an allow-list of about 350 system calls, checked one after another
/// on every call the container makes. Delve makes thousands of `ptrace` and `wait4` calls per
/// step, and that filter alone made a `next` about 2.5 ms slower (docs/performance.md). Mesh's
/// profile turns it around: everything is allowed except the kernel interfaces an unprivileged
/// process could use to attack the kernel or leave the container. The calls that also need a
/// capability (mount, modules, clocks, reboot, …) are denied twice over: every capability is
/// dropped too.
public enum SeccompProfile: String, Sendable, Hashable, CaseIterable {
    /// Mesh's short deny-list (the default).
    case mesh
    /// Docker's built-in default profile.
    case docker

    /// The calls Mesh's profile refuses with `EPERM`.
    public static let denied: [String] = [
        // Namespaces: unprivileged user namespaces are the door to most container escapes.
        "unshare", "setns",
        // Kernel keyrings, eBPF, perf, userfaultfd and io_uring: the usual kernel attack surface.
        "add_key", "request_key", "keyctl", "bpf", "perf_event_open", "userfaultfd",
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        // Mounting, old and new API, and file handles that bypass path checks.
        "mount", "umount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsconfig",
        "fsmount", "fspick", "mount_setattr", "name_to_handle_at", "open_by_handle_at",
        // Modules, kexec, reboot, swap, accounting, quotas, clocks, raw I/O, the kernel log.
        "init_module", "finit_module", "delete_module", "create_module", "query_module",
        "get_kernel_syms", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct",
        "quotactl", "settimeofday", "clock_settime", "clock_adjtime", "stime", "iopl", "ioperm",
        "syslog", "vhangup",
        // Obsolete or introspective calls Docker's default refuses as well.
        "_sysctl", "sysfs", "ustat", "uselib", "nfsservctl", "lookup_dcookie", "kcmp", "fanotify_init",
        "vm86", "vm86old", "mbind", "set_mempolicy", "get_mempolicy", "move_pages",
    ]

    /// The profile as Docker's `SecurityOpt` value, or nil for Docker's default.
    public var securityOpt: String? {
        switch self {
        case .docker: return nil
        case .mesh: return "seccomp=" + Self.meshJSON
        }
    }

    private static let meshJSON: String = {
        let newUser = 0x1000_0000  // CLONE_NEWUSER
        let profile: [String: Any] = [
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [
                ["names": denied, "action": "SCMP_ACT_ERRNO", "errnoRet": 1],
                // clone into a new user namespace; clone3's flags are out of a filter's reach, so it
                // answers ENOSYS and libc falls back to clone.
                ["names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                 "args": [["index": 0, "value": newUser, "valueTwo": newUser, "op": "SCMP_CMP_MASKED_EQ"]]],
                ["names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38],
            ],
        ]
        let data = try! JSONSerialization.data(withJSONObject: profile, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }()
}
