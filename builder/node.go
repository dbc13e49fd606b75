package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/actord/actord/runner"
)

// npmCacheFormat changes whenever what a cache entry holds changes, so old
// entries are not reused.
const npmCacheFormat = "actord-npm-1"

// staleInstall is the age after which an unfinished install's folder in
// the cache (a crashed build's) is removed.
const staleInstall = 24 * time.Hour

// InstallNode installs dir's npm dependencies through a cache keyed by
// content: the key is the sha256 of package.json and package-lock.json
// (or npm-shrinkwrap.json) when present, plus .npmrc, the content of
// "file:" dependencies inside dir, the Node.js version and the platform,
// all of which change what gets installed. The first build with a key runs
// `npm ci` (lockfile present) or `npm install` (none) with --no-audit
// --no-fund --omit=dev --install-links in cacheRoot/<key>.tmp-<random>,
// holding only those files, as an Apify Dockerfile's `COPY package*.json`
// step does, then renames it to cacheRoot/<key>; of concurrent builds with
// the same key the first rename wins and the others discard their copy.
// Then dir/node_modules becomes a symlink to cacheRoot/<key>/node_modules.
// When the source ships its own node_modules, or has no package.json,
// nothing is installed. cacheRoot is created with mode 0711 when missing
// (runs reach their entry, but cannot list the others). npm's
// output goes to log; env is npm's complete environment (PATH, HOME,
// npm_config_cache…). It reports whether the cache was hit.
func InstallNode(ctx context.Context, dir, cacheRoot string, env []string, log runner.LineWriter) (cached bool, err error) {
	return InstallNodeAs(ctx, dir, cacheRoot, env, nil, log)
}

// InstallNodeAs is InstallNode with npm (and the install scripts of every
// package it installs) running as the user cred, never as the server's
// own (root) user. npm gets a HOME and cache of its own under cacheRoot,
// owned by cred; the installed tree is given back to the server's user
// before it enters the cache, so no run can change it.
func InstallNodeAs(ctx context.Context, dir, cacheRoot string, env []string, cred *syscall.Credential, log runner.LineWriter) (cached bool, err error) {
	cached, err = installNode(ctx, dir, cacheRoot, env, cred, log)
	if err != nil {
		return false, fmt.Errorf("install npm dependencies: %w", err)
	}
	return cached, nil
}

// npmInput is what decides an install's result.
type npmInput struct {
	pkg      []byte
	lockName string // "" without lockfile
	lock     []byte
	npmrc    []byte   // nil without .npmrc
	fileDeps []string // "file:" dependencies inside dir, cleaned, sorted
}

func installNode(ctx context.Context, dir, cacheRoot string, env []string, cred *syscall.Credential, log runner.LineWriter) (bool, error) {
	if _, err := os.Lstat(filepath.Join(dir, "node_modules")); err == nil {
		logf(log, "node_modules is part of the source: not installing dependencies")
		return false, nil
	}
	in, err := readNpmInput(dir)
	if err != nil || in == nil {
		return false, err
	}
	nodeVersion, err := nodeVersion(ctx, env)
	if err != nil {
		return false, err
	}
	key, err := in.key(dir, nodeVersion)
	if err != nil {
		return false, err
	}
	if cacheRoot, err = filepath.Abs(cacheRoot); err != nil {
		return false, err
	}
	// Runs (another user) reach their entry by its path but cannot list
	// the cache.
	if err := os.MkdirAll(cacheRoot, 0o711); err != nil {
		return false, err
	}
	entry := filepath.Join(cacheRoot, key)
	modules := filepath.Join(entry, "node_modules")
	cached := false
	if fi, err := os.Stat(modules); err == nil && fi.IsDir() {
		cached = true
		logf(log, "Using cached dependencies %s", key[:12])
	} else {
		removeStaleInstalls(cacheRoot)
		if err := install(ctx, dir, cacheRoot, key, in, env, cred, log); err != nil {
			return false, err
		}
	}
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		return false, err
	}
	return cached, nil
}

// readNpmInput reads package.json and the files next to it that npm reads;
// nil without package.json.
func readNpmInput(dir string) (*npmInput, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	in := &npmInput{}
	if in.pkg, err = root.ReadFile("package.json"); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	// npm prefers the shrinkwrap when both exist.
	for _, name := range []string{"npm-shrinkwrap.json", "package-lock.json"} {
		data, err := root.ReadFile(name)
		if err == nil {
			in.lockName, in.lock = name, data
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if in.npmrc, err = root.ReadFile(".npmrc"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if in.fileDeps, err = localDeps(in.pkg); err != nil {
		return nil, err
	}
	return in, nil
}

// localDeps lists the dependencies of package.json given as paths inside
// the package ("file:./lib/x", "./vendor/y.tgz"). npm needs them next to
// package.json; paths outside the package are left to npm.
func localDeps(pkg []byte) ([]string, error) {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(pkg, &p); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	var deps []string
	for _, field := range []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"} {
		var m map[string]any
		if json.Unmarshal(p[field], &m) != nil {
			continue
		}
		for _, v := range m {
			spec, _ := v.(string)
			spec, isFile := strings.CutPrefix(spec, "file:")
			if !isFile && !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				continue
			}
			spec = strings.TrimPrefix(spec, "//") // file://./x
			if path.IsAbs(spec) {
				continue
			}
			rel := path.Clean(spec)
			if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || rel == "node_modules" || strings.HasPrefix(rel, "node_modules/") {
				continue
			}
			if !slices.Contains(deps, rel) {
				deps = append(deps, rel)
			}
		}
	}
	slices.Sort(deps)
	// A folder inside another one is copied with it.
	return slices.DeleteFunc(deps, func(rel string) bool {
		return slices.ContainsFunc(deps, func(other string) bool { return strings.HasPrefix(rel, other+"/") })
	}), nil
}

// key is the cache key: a sha256 over every input, each one named and
// length-prefixed.
func (in *npmInput) key(dir, nodeVersion string) (string, error) {
	h := sha256.New()
	field := func(name string, data []byte) {
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	field("format", []byte(npmCacheFormat))
	field("node", []byte(nodeVersion+" "+runtime.GOOS+"/"+runtime.GOARCH))
	field("package.json", in.pkg)
	if in.lockName != "" {
		field(in.lockName, in.lock)
	}
	if in.npmrc != nil {
		field(".npmrc", in.npmrc)
	}
	for _, rel := range in.fileDeps {
		field("file:"+rel, nil)
		if err := hashTree(h, dir, rel); errors.Is(err, fs.ErrNotExist) {
			field("missing", nil) // npm will say so
		} else if err != nil {
			return "", fmt.Errorf("local dependency %s: %w", rel, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashTree writes the names, kinds and contents of the files at rel below
// dir (a file or a folder, without node_modules) into h.
func hashTree(h hash.Hash, dir, rel string) error {
	return walkTree(dir, rel, func(p string, d fs.DirEntry) error {
		full := filepath.Join(dir, filepath.FromSlash(p))
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(full)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "link %q %q\n", p, target)
		case d.IsDir():
			fmt.Fprintf(h, "dir %q\n", p)
		case d.Type().IsRegular():
			f, err := os.Open(full)
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "file %q %o %d\n", p, fi.Mode().Perm(), fi.Size())
			if _, err := io.CopyN(h, f, fi.Size()); err != nil {
				return err
			}
		}
		return nil
	})
}

// walkTree calls fn for rel below dir and, when it is a folder, for
// everything in it except node_modules folders, parents first. Paths are
// slash-separated and relative to dir; symlinks are not followed. rel
// must not resolve outside dir.
func walkTree(dir, rel string, fn func(p string, d fs.DirEntry) error) error {
	if out, err := escapes(dir, rel); err != nil {
		return err
	} else if out {
		return fmt.Errorf("%s points outside the source", rel)
	}
	start := filepath.Join(dir, filepath.FromSlash(rel))
	return filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" && p != start {
			return filepath.SkipDir
		}
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(r), d)
	})
}

// copyTree copies rel below src to the same place below dst.
func copyTree(src, dst, rel string) error {
	return walkTree(src, rel, func(p string, d fs.DirEntry) error {
		from := filepath.Join(src, filepath.FromSlash(p))
		to := filepath.Join(dst, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(from)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type().IsRegular():
			return copyFile(from, to)
		}
		return nil
	})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode(fi.Mode()&0o111 != 0))
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// nodeVersion asks the node that env's PATH finds for its version.
func nodeVersion(ctx context.Context, env []string) (string, error) {
	node, err := lookPath(env, "node")
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, node, "--version")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("node --version: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// install runs npm for key in a fresh folder of the cache and renames it
// into place.
func install(ctx context.Context, dir, cacheRoot, key string, in *npmInput, env []string, cred *syscall.Credential, log runner.LineWriter) error {
	tmp, err := os.MkdirTemp(cacheRoot, key+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // nothing left once renamed
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), in.pkg, 0o644); err != nil {
		return err
	}
	if in.lockName != "" {
		if err := os.WriteFile(filepath.Join(tmp, in.lockName), in.lock, 0o644); err != nil {
			return err
		}
	}
	if in.npmrc != nil {
		if err := os.WriteFile(filepath.Join(tmp, ".npmrc"), in.npmrc, 0o600); err != nil {
			return err
		}
	}
	for _, rel := range in.fileDeps {
		if err := copyTree(dir, tmp, rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("copy local dependency %s: %w", rel, err)
		}
	}
	npm, err := lookPath(env, "npm")
	if err != nil {
		return err
	}
	verb := "install"
	if in.lockName != "" {
		verb = "ci"
	}
	if cred != nil {
		if env, err = asUser(tmp, cacheRoot, env, cred); err != nil {
			return err
		}
	}
	logf(log, "Installing dependencies: npm %s", verb)
	if err := runLoggedAs(ctx, tmp, env, cred, log, npm, verb, "--no-audit", "--no-fund", "--omit=dev", "--install-links", "--no-update-notifier"); err != nil {
		return fmt.Errorf("npm %s: %w", verb, err)
	}
	if cred != nil {
		if err := chownTree(tmp, os.Geteuid(), os.Getegid()); err != nil {
			return fmt.Errorf("take the installed tree back: %w", err)
		}
	}
	// A package without dependencies gets no node_modules from npm; its
	// (empty) one is the cache entry's mark of completeness.
	if err := os.MkdirAll(filepath.Join(tmp, "node_modules"), 0o755); err != nil {
		return err
	}
	// .npmrc may hold registry credentials: it has done its job.
	if err := os.Remove(filepath.Join(tmp, ".npmrc")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	entry := filepath.Join(cacheRoot, key)
	if err := os.Rename(tmp, entry); err != nil {
		// A concurrent build with the same key was faster: use its entry.
		if fi, serr := os.Stat(filepath.Join(entry, "node_modules")); serr == nil && fi.IsDir() {
			logf(log, "Dependencies were installed by a concurrent build; using those")
			return nil
		}
		return err
	}
	return nil
}

// removeStaleInstalls removes unfinished installs older than staleInstall.
func removeStaleInstalls(cacheRoot string) {
	matches, _ := filepath.Glob(filepath.Join(cacheRoot, "*.tmp-*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && time.Since(fi.ModTime()) > staleInstall {
			os.RemoveAll(m)
		}
	}
}

// asUser prepares an install in tmp to run as cred: tmp is cred's, and npm
// gets a HOME and a cache of cred's own (cacheRoot/.npm, shared by the
// installs) instead of the server's.
func asUser(tmp, cacheRoot string, env []string, cred *syscall.Credential) ([]string, error) {
	npmCache := filepath.Join(cacheRoot, ".npm")
	if err := os.MkdirAll(npmCache, 0o700); err != nil {
		return nil, err
	}
	uid, gid := int(cred.Uid), int(cred.Gid)
	if err := os.Chown(npmCache, uid, gid); err != nil {
		return nil, err
	}
	if err := chownTree(tmp, uid, gid); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "npm_config_cache=") {
			out = append(out, kv)
		}
	}
	return append(out, "HOME="+tmp, "npm_config_cache="+npmCache), nil
}

// chownTree gives dir and everything in it to uid:gid (symlinks
// themselves, not what they point at).
func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}
