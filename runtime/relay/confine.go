package main

// Confinement: the program `relay run` starts, and dlv with every debuggee it starts, run in a
// Landlock domain (Linux 5.13+, unprivileged) in which they can write only beneath /tmp, /dev and
// /proc. The container's other writable place is the session's Go build-cache volume at
// $GOCACHE: only the relay's own builds — the Go toolchain, which runs no user code — write
// there, so the relay can keep it within its limit (see cache.go). Reading and executing stay
// unrestricted.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"
)

// Landlock's system calls (the same numbers on amd64 and arm64) and its file-system rights.
const (
	sysLandlockCreateRuleset = 444
	sysLandlockAddRule       = 445
	sysLandlockRestrictSelf  = 446

	landlockCreateRulesetVersion = 1
	landlockRulePathBeneath      = 1

	accessWriteFile  = 1 << 1
	accessRemoveDir  = 1 << 4
	accessRemoveFile = 1 << 5
	accessMakeChar   = 1 << 6
	accessMakeDir    = 1 << 7
	accessMakeReg    = 1 << 8
	accessMakeSock   = 1 << 9
	accessMakeFifo   = 1 << 10
	accessMakeBlock  = 1 << 11
	accessMakeSym    = 1 << 12
	accessRefer      = 1 << 13 // ABI 2
	accessTruncate   = 1 << 14 // ABI 3

	prSetNoNewPrivs = 38
	oPath           = 0x200000 // O_PATH (not in package syscall)
)

// confinedWritable are the only places a confined process may write (beneath them).
var confinedWritable = []string{"/tmp", "/dev", "/proc"}

// mustConfine is true when the server asked for confinement (it mounted a build-cache volume):
// then a kernel without Landlock is an error, not a reason to run unconfined.
func mustConfine() bool { return os.Getenv("MESH_CONFINE") == "1" }

// landlockABI is the kernel's Landlock ABI version, or an error when it has none.
func landlockABI() (int, error) {
	v, _, errno := syscall.Syscall(sysLandlockCreateRuleset, 0, 0, landlockCreateRulesetVersion)
	if errno != 0 {
		return 0, fmt.Errorf("Landlock is unavailable (%v): Linux 5.13 or later with Landlock enabled is needed", errno)
	}
	return int(v), nil
}

// writeRights is every right that creates, changes or removes a file, as far as abi knows them.
func writeRights(abi int) uint64 {
	rights := uint64(accessWriteFile | accessRemoveDir | accessRemoveFile | accessMakeChar | accessMakeDir |
		accessMakeReg | accessMakeSock | accessMakeFifo | accessMakeBlock | accessMakeSym)
	if abi >= 2 {
		rights |= accessRefer
	}
	if abi >= 3 {
		rights |= accessTruncate
	}
	return rights
}

// confineThread puts the calling OS thread (and whatever it forks from now on) into a Landlock
// domain where only beneath writable can anything be written. The caller must hold the thread
// (runtime.LockOSThread) and never release it: the restriction belongs to this thread alone.
func confineThread(writable []string) error {
	abi, err := landlockABI()
	if err != nil {
		return err
	}
	rights := writeRights(abi)
	attr := rights // struct landlock_ruleset_attr { __u64 handled_access_fs; } (the ABI 1 size)
	fd, _, errno := syscall.Syscall(sysLandlockCreateRuleset, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if errno != 0 {
		return fmt.Errorf("landlock_create_ruleset: %v", errno)
	}
	defer syscall.Close(int(fd))
	for _, path := range writable {
		dir, err := syscall.Open(path, oPath|syscall.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, syscall.ENOENT) {
				continue
			}
			return fmt.Errorf("open %s: %v", path, err)
		}
		// struct landlock_path_beneath_attr { __u64 allowed_access; __s32 parent_fd; } (packed)
		var beneath [12]byte
		*(*uint64)(unsafe.Pointer(&beneath[0])) = rights
		*(*int32)(unsafe.Pointer(&beneath[8])) = int32(dir)
		_, _, errno := syscall.Syscall6(sysLandlockAddRule, fd, landlockRulePathBeneath, uintptr(unsafe.Pointer(&beneath[0])), 0, 0, 0)
		syscall.Close(dir)
		if errno != 0 {
			return fmt.Errorf("landlock_add_rule %s: %v", path, errno)
		}
	}
	// Docker's no-new-privileges has set this already; Landlock requires it.
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); errno != 0 {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %v", errno)
	}
	if _, _, errno := syscall.Syscall(sysLandlockRestrictSelf, fd, 0, 0); errno != 0 {
		return fmt.Errorf("landlock_restrict_self: %v", errno)
	}
	return nil
}

// startConfined starts cmd confined when the server asked for it (MESH_CONFINE=1): it forks from
// a thread that confines itself first and then ends, so the relay keeps its own rights (it
// builds into the cache later) while the child, and everything it starts, has only the
// confined ones. Without MESH_CONFINE it is cmd.Start().
func startConfined(cmd *exec.Cmd) error {
	if !mustConfine() {
		return cmd.Start()
	}
	done := make(chan error, 1)
	go func() {
		// Never unlocked: Go ends a thread whose goroutine exits while locked to it, so no other
		// goroutine ever runs on the confined thread.
		runtime.LockOSThread()
		if err := confineThread(confinedWritable); err != nil {
			done <- fmt.Errorf("cannot confine %s: %v", cmd.Path, err)
			return
		}
		done <- cmd.Start()
	}()
	return <-done
}
