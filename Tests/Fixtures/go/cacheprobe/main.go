// cacheprobe plants a file in Go's build cache ($GOCACHE) or looks for one planted there: what
// one session's code writes in its cache must never reach another session's builds.
//
//	cacheprobe plant NAME   writes $GOCACHE/mesh-probe-NAME, prints "planted"
//	cacheprobe look NAME    prints "found" or "absent"
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cacheprobe plant|look NAME")
		os.Exit(2)
	}
	cache := os.Getenv("GOCACHE")
	if cache == "" {
		cache = "/opt/gocache"
	}
	path := filepath.Join(cache, "mesh-probe-"+os.Args[2])
	switch os.Args[1] {
	case "plant":
		if err := os.WriteFile(path, []byte("planted\n"), 0o644); err != nil {
			fmt.Println("plant failed:", err)
			os.Exit(1)
		}
		fmt.Println("planted", path)
	case "look":
		if _, err := os.Stat(path); err == nil {
			fmt.Println("found", path)
		} else {
			fmt.Println("absent", path)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: cacheprobe plant|look NAME")
		os.Exit(2)
	}
}
