// debugme is the Mesh debugger fixture: goroutines, a struct, a slice and a map, a function to
// step into, and output on stdout and stderr. Tests find their breakpoint lines by marker comments
// (BREAK followed by HERE in main, by HELPER in total; by TEST in debugme_test.go), never by number:
// each marker occurs exactly once.
package main

import (
	"fmt"
	"os"
	"sync"
)

// Point is a struct for the variables view.
type Point struct {
	X, Y  int
	Label string
}

// total sums the values; the debugger steps into it.
func total(values []int) int {
	sum := 0 // BREAK HELPER
	for _, v := range values {
		sum += v
	}
	return sum
}

func main() {
	p := Point{X: 3, Y: 4, Label: "origin+"}
	values := []int{1, 2, 3, 4, 5}
	counts := map[string]int{"alpha": 1, "beta": 2, "gamma": 3}

	var wg sync.WaitGroup
	results := make([]int, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = i * i
		}(i)
	}
	wg.Wait()

	fmt.Println("debugme: start") // stdout
	fmt.Fprintln(os.Stderr, "debugme: to stderr")
	sum := total(values) // BREAK HERE
	fmt.Printf("debugme: point=%+v sum=%d counts=%d results=%v\n", p, sum, len(counts), results)
}
