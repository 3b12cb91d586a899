package main

// The session's build cache has a limit (MESH_CACHE_LIMIT_MB, set by the server). Only the
// relay's builds write to it (the programs are confined, see confine.go), so the relay keeps it
// within the limit itself: while a build runs it stops one that grows the cache beyond twice the
// limit, and after every build it deletes the oldest entries Go added until what they hold is
// at most three quarters of the limit. The image's sealed warm cache (root-owned, read-only to
// the sandbox user) is neither counted nor touched.

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// cacheLimit is the limit in bytes, or 0 when there is none (no MESH_CACHE_LIMIT_MB, or no
// cache volume to protect).
func cacheLimit() int64 {
	mb, err := strconv.ParseInt(os.Getenv("MESH_CACHE_LIMIT_MB"), 10, 64)
	if err != nil || mb <= 0 || os.Getenv("GOCACHE") == "" {
		return 0
	}
	return mb << 20
}

type cacheEntry struct {
	path string
	size int64
	mod  time.Time
}

// cacheEntries lists what Go (or anything but the image) added to the cache: every file not
// owned by root, with its size on disk, and their total.
func cacheEntries(dir string) ([]cacheEntry, int64) {
	var entries []cacheEntry
	var total int64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok || st.Uid == 0 || d.Name() == "trim.txt" {
			return nil
		}
		size := st.Blocks * 512
		if size < info.Size() {
			size = info.Size()
		}
		entries = append(entries, cacheEntry{path, size, info.ModTime()})
		total += size
		return nil
	})
	return entries, total
}

// trimCache deletes the oldest added entries until they hold at most three quarters of limit;
// it returns the bytes they held before and after.
func trimCache(dir string, limit int64) (before, after int64) {
	entries, total := cacheEntries(dir)
	before = total
	if limit <= 0 || total <= limit {
		return before, total
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].mod.Before(entries[j].mod) })
	target := limit / 4 * 3
	for _, e := range entries {
		if total <= target {
			break
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
	return before, total
}

// watchCache calls overflow once if, while it runs, the added entries exceed twice limit;
// the returned function stops it.
func watchCache(dir string, limit int64, overflow func(int64)) (stop func()) {
	done := make(chan struct{})
	if limit <= 0 {
		return func() {}
	}
	go func() {
		ticker := time.NewTicker(500 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				if _, total := cacheEntries(dir); total > 2*limit {
					overflow(total)
					return
				}
			}
		}
	}()
	return func() { close(done) }
}
