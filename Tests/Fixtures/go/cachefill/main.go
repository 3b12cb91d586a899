// cachefill builds with a 6 MiB package (blob) and prints what Go's build cache ($GOCACHE)
// holds besides the image's sealed warm cache (files not owned by root): the session's cache
// limit must hold it below the limit whatever the builds write.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"cachefill/blob"
)

func main() {
	cache := os.Getenv("GOCACHE")
	var added int64
	filepath.WalkDir(cache, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
				added += info.Size()
			}
		}
		return nil
	})
	fmt.Printf("blob %d bytes, cache added %d bytes\n", len(blob.Data)+int(blob.Data[len(blob.Data)-1])-1, added)
}
