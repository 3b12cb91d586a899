// spin loops forever on one CPU; only a limit (wall clock, CPU) or a kill ends it.
package main

import "fmt"

func main() {
	fmt.Println("spin: spinning")
	n := 0
	for {
		n++
	}
}
