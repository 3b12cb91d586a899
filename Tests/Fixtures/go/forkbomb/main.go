// forkbomb starts copies of itself that each sleep, until starting one more fails (e.g. at the
// container's pids limit), then prints how many it got and why it stopped, kills them and exits 0.
// A copy is the same executable started with the argument "child".
package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

const max = 100000

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		time.Sleep(10 * time.Minute)
		return
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Println("forkbomb: os.Executable:", err)
		os.Exit(1)
	}
	var children []*exec.Cmd
	var stopErr error
	for len(children) < max {
		c := exec.Command(self, "child")
		if err := c.Start(); err != nil {
			stopErr = err
			break
		}
		children = append(children, c)
	}
	fmt.Printf("forkbomb: started %d processes; stopped by: %v\n", len(children), stopErr)
	for _, c := range children {
		c.Process.Kill()
		c.Wait()
	}
}
