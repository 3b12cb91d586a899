// flood prints numbered lines without end; only a limit (output, wall clock) or a kill stops it.
package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

func main() {
	w := bufio.NewWriterSize(os.Stdout, 32<<10)
	pad := strings.Repeat("x", 100)
	for i := 0; ; i++ {
		w.WriteString("flood " + strconv.Itoa(i) + " " + pad + "\n")
	}
}
