package main

// The relay's builds: `relay run`'s `go build`, and a debug launch's (see launch.go). They run
// unconfined (they write the session's build cache), so nothing of the user's may steer them
// into running code: no go env file (a program of an earlier launch in this container could
// have written one under $HOME), only the flags the relay chooses or allows, and packages that
// cannot be read as flags.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
)

// goCommand runs `go <args...>` in dir with output to out, watching the cache (cache.go) and
// trimming it afterwards. It returns go's error, or one saying the cache overflowed.
func goCommand(dir string, args []string, out io.Writer) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "GOENV=off", "GOFLAGS=-buildvcs=false")
	// Its own process group: an overflow stops the compilers it started as well.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cache, limit := os.Getenv("GOCACHE"), cacheLimit()
	if err := cmd.Start(); err != nil {
		return err
	}
	overflowed := make(chan int64, 1)
	stop := watchCache(cache, limit, func(total int64) {
		overflowed <- total
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	err := cmd.Wait()
	stop()
	if limit > 0 {
		trimCache(cache, limit)
	}
	select {
	case total := <-overflowed:
		return fmt.Errorf("the build wrote %d MiB to the session's build cache, more than twice its limit of %d MiB: stopped",
			total>>20, limit>>20)
	default:
		return err
	}
}
