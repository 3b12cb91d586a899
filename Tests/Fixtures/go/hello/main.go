// hello prints its arguments, one per line, and exits with code 3.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("hello from mesh")
	for i, a := range os.Args[1:] {
		fmt.Printf("arg %d: %s\n", i+1, a)
	}
	fmt.Fprintln(os.Stderr, "hello: exiting with 3")
	os.Exit(3)
}
