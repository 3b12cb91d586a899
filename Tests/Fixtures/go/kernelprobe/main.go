// kernelprobe calls the kernel interfaces a Mesh sandbox refuses (user namespaces, keyrings,
// userfaultfd, io_uring, eBPF, perf, mounting, clone3) with harmless arguments and prints each
// errno. It exits 0 if every call was refused the way the sandbox's seccomp filter refuses it
// (EPERM; ENOSYS for clone3), 1 otherwise. Outside a sandbox most of them answer differently
// (EINVAL, EFAULT, success): the check has teeth. Linux amd64 only.
package main

import (
	"fmt"
	"os"
	"syscall"
)

type probe struct {
	name string
	nr   uintptr
	args [3]uintptr
	want syscall.Errno
}

func main() {
	const minusThree = ^uintptr(2) // KEY_SPEC_SESSION_KEYRING (-3)
	probes := []probe{
		{"unshare(CLONE_NEWUSER)", syscall.SYS_UNSHARE, [3]uintptr{0x10000000}, syscall.EPERM},
		{"keyctl(GET_KEYRING_ID)", syscall.SYS_KEYCTL, [3]uintptr{0, minusThree, 0}, syscall.EPERM},
		{"userfaultfd(USER_MODE_ONLY)", 323, [3]uintptr{1}, syscall.EPERM},
		{"io_uring_setup", 425, [3]uintptr{1, 0}, syscall.EPERM},
		{"bpf", 321, [3]uintptr{0, 0, 0}, syscall.EPERM},
		{"perf_event_open", syscall.SYS_PERF_EVENT_OPEN, [3]uintptr{0, 0, 0}, syscall.EPERM},
		{"mount", syscall.SYS_MOUNT, [3]uintptr{0, 0, 0}, syscall.EPERM},
		{"clone3", 435, [3]uintptr{0, 0}, syscall.ENOSYS},
	}
	ok := true
	for _, p := range probes {
		r, _, errno := syscall.RawSyscall(p.nr, p.args[0], p.args[1], p.args[2])
		if errno == 0 {
			fmt.Printf("kernelprobe: %s: allowed (returned %d)\n", p.name, r)
			ok = false
			continue
		}
		verdict := "refused"
		if errno != p.want {
			verdict = fmt.Sprintf("NOT refused by the filter (want %v)", p.want)
			ok = false
		}
		fmt.Printf("kernelprobe: %s: %v: %s\n", p.name, errno, verdict)
	}
	if !ok {
		os.Exit(1)
	}
}
