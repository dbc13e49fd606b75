package main

import (
	"io/fs"
	"path/filepath"
	"syscall"
)

// diskUsage returns allocated bytes (st_blocks*512) and file count under dir.
func diskUsage(dir string) (bytes int64, files int) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		var st syscall.Stat_t
		if syscall.Lstat(p, &st) == nil {
			bytes += st.Blocks * 512
		}
		if !d.IsDir() {
			files++
		}
		return nil
	})
	return bytes, files
}
