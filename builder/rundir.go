package builder

import (
	"fmt"
	"os"
	"path/filepath"
)

// PrepareRunDir makes runDir (which must exist, and be empty) a working
// directory for one run of the build in buildDir: each top-level entry of
// buildDir gets a symlink of the same name in runDir, so the run sees the
// build's files and can create its own next to them without touching the
// immutable build directory. Node.js resolves modules from a file's real
// path, so node_modules works through these links too.
func PrepareRunDir(buildDir, runDir string) error {
	abs, err := filepath.Abs(buildDir)
	if err != nil {
		return fmt.Errorf("prepare run directory: %w", err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return fmt.Errorf("prepare run directory: %w", err)
	}
	if fi, err := os.Stat(runDir); err != nil {
		return fmt.Errorf("prepare run directory: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("prepare run directory: %s is not a directory", runDir)
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(abs, e.Name()), filepath.Join(runDir, e.Name())); err != nil {
			return fmt.Errorf("prepare run directory: %w", err)
		}
	}
	return nil
}
