// memhog allocates memory 16 MiB at a time and touches every page, until it is killed (e.g. by
// the container's memory limit). It prints the running total to stdout.
package main

import (
	"fmt"
	"os"
)

func main() {
	var keep [][]byte
	for mib := 16; ; mib += 16 {
		b := make([]byte, 16<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
		fmt.Fprintf(os.Stdout, "memhog: %d MiB\n", mib)
	}
}
