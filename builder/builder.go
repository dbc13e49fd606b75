// Package builder turns an actor version's source into an immutable,
// runnable build directory: it writes inline source files, unpacks
// tarballs and zips, clones git repositories, finds the start command the
// way the Apify platform and `apify run` do, installs npm dependencies
// through a content-addressed cache and prepares per-run working
// directories that share the build's files.
//
// Every path taken from a source (file names, archive entries, symlink
// targets, git subdirectories) is checked so that nothing is written or
// resolved outside the directory being built.
package builder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/actord/actord/runner"
)

// cleanRel checks a slash-separated name from a source (a source file, an
// archive entry) and returns it cleaned; "." is the directory itself.
// Absolute names and names with a ".." element are rejected.
func cleanRel(name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New("empty name")
	case strings.ContainsRune(name, 0):
		return "", fmt.Errorf("name %q contains a NUL byte", name)
	case path.IsAbs(name):
		return "", fmt.Errorf("name %q is absolute", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("name %q points outside the directory", name)
		}
	}
	return path.Clean(name), nil
}

// checkLinkTarget checks the target of a symlink at rel (both relative to
// the directory being built): it must be relative and, read as a path,
// stay inside the directory. Symlinks among the path's elements are
// checked afterwards by checkSymlinks.
func checkLinkTarget(rel, target string) error {
	switch {
	case target == "":
		return fmt.Errorf("symlink %q has an empty target", rel)
	case strings.ContainsRune(target, 0):
		return fmt.Errorf("symlink %q: target contains a NUL byte", rel)
	case path.IsAbs(target):
		return fmt.Errorf("symlink %q points to the absolute path %q", rel, target)
	}
	if p := path.Join(path.Dir(rel), target); p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("symlink %q points outside the directory (%q)", rel, target)
	}
	return nil
}

// maxLinks bounds symlink resolution (Linux's own limit is 40).
const maxLinks = 255

// escapes reports whether resolving name (relative to root) the way the
// kernel would, following every symlink on the way, ends outside root.
// Absolute symlinks and symlink loops count as escaping; elements that do
// not exist are taken as they are.
func escapes(root, name string) (bool, error) {
	var real []string // the resolved elements so far
	pending := strings.Split(filepath.ToSlash(name), "/")
	links := 0
	for len(pending) > 0 {
		elem := pending[0]
		pending = pending[1:]
		switch elem {
		case "", ".":
			continue
		case "..":
			if len(real) == 0 {
				return true, nil
			}
			real = real[:len(real)-1]
			continue
		}
		p := filepath.Join(append([]string{root}, append(real, elem)...)...)
		fi, err := os.Lstat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				real = append(real, elem)
				continue
			}
			return false, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			real = append(real, elem)
			continue
		}
		if links++; links > maxLinks {
			return true, nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return false, err
		}
		if filepath.IsAbs(target) {
			return true, nil
		}
		pending = append(strings.Split(filepath.ToSlash(target), "/"), pending...)
	}
	return false, nil
}

// checkSymlinks rejects any symlink below dir that resolves to a place
// outside dir.
func checkSymlinks(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out, err := escapes(dir, rel)
		if err != nil {
			return fmt.Errorf("check symlink %s: %w", filepath.ToSlash(rel), err)
		}
		if out {
			target, _ := os.Readlink(p)
			return fmt.Errorf("symlink %s points outside the directory (%q)", filepath.ToSlash(rel), target)
		}
		return nil
	})
}

// isScript says whether a file should be executable: it starts with "#!"
// or it has no extension and lives in a bin/ folder.
func isScript(name string, head []byte) bool {
	if len(head) >= 2 && head[0] == '#' && head[1] == '!' {
		return true
	}
	if path.Ext(path.Base(name)) != "" {
		return false
	}
	dirs := strings.Split(path.Dir(name), "/")
	for _, d := range dirs {
		if d == "bin" {
			return true
		}
	}
	return false
}

// fileMode is the mode a written file gets: 0755 for scripts and for
// files that were executable in their archive, 0644 otherwise.
func fileMode(exec bool) fs.FileMode {
	if exec {
		return 0o755
	}
	return 0o644
}

// maxLine is the longest line passed to a LineWriter; longer output is
// split.
const maxLine = 64 << 10

// lineSplitter is an io.Writer that passes a command's output on line by
// line. A carriage return not followed by a newline starts the line over,
// so progress meters (git's "Receiving objects: 42%\r") end up as their
// final state only. It remembers the first line that reads like an error
// and the last non-empty line, for error messages.
type lineSplitter struct {
	log   runner.LineWriter
	buf   []byte
	cr    bool
	first string // first error line
	last  string
}

func (s *lineSplitter) Write(p []byte) (int, error) {
	for _, b := range p {
		switch {
		case b == '\n':
			s.cr = false
			s.emit()
		case b == '\r':
			s.cr = true
		default:
			if s.cr {
				s.cr = false
				s.buf = s.buf[:0]
			}
			s.buf = append(s.buf, b)
			if len(s.buf) >= maxLine {
				s.emit()
			}
		}
	}
	return len(p), nil
}

// flush passes on an unterminated last line.
func (s *lineSplitter) flush() {
	if len(s.buf) > 0 {
		s.emit()
	}
}

func (s *lineSplitter) emit() {
	if line := strings.TrimSpace(string(s.buf)); line != "" {
		s.last = line
		if s.first == "" && isErrorLine(line) {
			s.first = line
		}
	}
	if s.log != nil {
		// A log that cannot be written must not fail the build.
		_ = s.log.WriteLine(s.buf)
	}
	s.buf = s.buf[:0]
}

// isErrorLine reports whether a line of output says what went wrong
// ("fatal: …", "npm error …"), not just that something did ("npm error
// code E404").
func isErrorLine(line string) bool {
	l := strings.ToLower(line)
	if !strings.Contains(l, "error") && !strings.HasPrefix(l, "fatal") {
		return false
	}
	for _, p := range []string{"npm error", "npm err!"} {
		if rest, ok := strings.CutPrefix(l, p); ok {
			rest = strings.TrimSpace(rest)
			return rest != "" && !strings.HasPrefix(rest, "code ") && !strings.HasPrefix(rest, "errno ")
		}
	}
	return true
}

// message is the output line an error message should quote.
func (s *lineSplitter) message() string {
	if s.first != "" {
		return s.first
	}
	return s.last
}

// logf writes one line of the builder's own to log (which may be nil).
func logf(log runner.LineWriter, format string, args ...any) {
	if log != nil {
		_ = log.WriteLine(fmt.Appendf(nil, format, args...))
	}
}

// killDelay is how long a cancelled command's output may still be drained
// after its process group was killed.
const killDelay = 5 * time.Second

// runLogged runs a command in its own process group with exactly env,
// sending its stdout and stderr to log line by line. Cancelling ctx kills
// the whole group. A failure's error ends with the command's last output
// line, which usually says what went wrong.
func runLogged(ctx context.Context, dir string, env []string, log runner.LineWriter, name string, args ...string) error {
	return runLoggedAs(ctx, dir, env, nil, log, name, args...)
}

// runLoggedAs is runLogged as the user cred (nil: the server's own).
func runLoggedAs(ctx context.Context, dir string, env []string, cred *syscall.Credential, log runner.LineWriter, name string, args ...string) error {
	if env == nil {
		env = []string{} // nil would mean the server's own environment
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	out := &lineSplitter{log: log}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = killDelay
	err := cmd.Run()
	out.flush()
	if cmd.Process != nil {
		// What the command left behind in its group ends with it.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case out.message() != "":
		return fmt.Errorf("%w: %s", err, out.message())
	}
	return err
}

// lookPath finds an executable the way a shell with env's PATH would.
func lookPath(env []string, name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathVar := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	for _, d := range filepath.SplitList(pathVar) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in PATH %q", name, pathVar)
}
