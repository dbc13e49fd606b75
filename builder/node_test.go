package builder

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/actord/actord"
)

// npmEnv returns an environment whose npm is a wrapper that counts its
// runs in the returned file, then runs the real npm.
func npmEnv(t *testing.T) (env []string, runs string) {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("no npm")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	runs = filepath.Join(tmp, "npm-runs")
	writeTree(t, bin, map[string]string{"npm": "#!/bin/sh\necho \"$*\" >> " + runs + "\nexec " + npm + " \"$@\"\n"})
	if err := os.Chmod(filepath.Join(bin, "npm"), 0o755); err != nil {
		t.Fatal(err)
	}
	env = []string{
		"PATH=" + bin + ":" + filepath.Dir(node) + ":/usr/bin:/bin",
		"HOME=" + filepath.Join(tmp, "home"),
		"npm_config_cache=" + filepath.Join(tmp, "npm-cache"),
		"npm_config_update_notifier=false",
	}
	return env, runs
}

// npmRuns returns the npm command lines run so far.
func npmRuns(t *testing.T, runs string) []string {
	t.Helper()
	data, err := os.ReadFile(runs)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// actorSource is a Node actor with a start script and a local package as a
// file: dependency, so nothing comes from a registry.
func actorSource(depGreeting string) []actord.SourceFile {
	return []actord.SourceFile{
		{Name: "package.json", Content: `{"name":"actor","version":"1.0.0","scripts":{"start":"node main.js"},"dependencies":{"localdep":"file:./localdep"}}`},
		{Name: "main.js", Content: `const fs = require('fs');
const greeting = require('localdep');
fs.writeFileSync('out.txt', greeting);
console.log(greeting + ' in ' + process.cwd());
`},
		{Name: "localdep/package.json", Content: `{"name":"localdep","version":"1.0.0","main":"index.js"}`},
		{Name: "localdep/index.js", Content: "module.exports = " + `"` + depGreeting + `";`},
	}
}

func newBuild(t *testing.T, files []actord.SourceFile) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "build")
	if err := WriteSourceFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInstallNodeAndRun(t *testing.T) {
	env, runs := npmEnv(t)
	ctx := context.Background()
	cache := filepath.Join(t.TempDir(), "npm-builds")

	// First build: npm runs, node_modules is a link into the cache.
	build1 := newBuild(t, actorSource("hello from localdep"))
	log := &lines{}
	cached, err := InstallNode(ctx, build1, cache, env, log)
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log)
	}
	if cached {
		t.Error("first install reported a cache hit")
	}
	if got := npmRuns(t, runs); len(got) != 1 || !strings.HasPrefix(got[0], "install --no-audit --no-fund --omit=dev") {
		t.Errorf("npm runs %q, want one npm install", got)
	}
	if !strings.Contains(log.String(), "added 1 package") {
		t.Errorf("npm's output is not in the log:\n%s", log)
	}
	target, err := os.Readlink(filepath.Join(build1, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(filepath.Dir(target)) != cache || filepath.Base(target) != "node_modules" {
		t.Errorf("node_modules links to %s, want <cache>/<key>/node_modules", target)
	}
	if fi, err := os.Stat(filepath.Dir(target)); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("cache entry mode: %v %v, want 0755 (runs are another user)", fi.Mode(), err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(cache, "*.tmp-*")); len(tmps) > 0 {
		t.Errorf("unfinished installs left: %v", tmps)
	}

	// Second build with the same key: a cache hit, no npm.
	build2 := newBuild(t, actorSource("hello from localdep"))
	cached, err = InstallNode(ctx, build2, cache, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cached {
		t.Error("second install missed the cache")
	}
	if got := npmRuns(t, runs); len(got) != 1 {
		t.Errorf("npm ran again: %q", got)
	}
	if t2, _ := os.Readlink(filepath.Join(build2, "node_modules")); t2 != target {
		t.Errorf("second build links to %s, want %s", t2, target)
	}

	// A run starts in its own directory linked to the build and can require
	// the dependency; its files stay out of the build directory.
	plan, err := DetectStart(build2, "")
	if err != nil {
		t.Fatal(err)
	}
	want := Plan{Runtime: RuntimeNode, Command: []string{"/bin/sh", "-c", "node main.js"}, NeedsNpmInstall: true}
	if !reflect.DeepEqual(*plan, want) {
		t.Fatalf("plan %#v, want %#v", *plan, want)
	}
	runDir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := PrepareRunDir(build2, runDir); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(plan.Command[0], plan.Command[1:]...)
	cmd.Dir = runDir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "hello from localdep in "+runDir {
		t.Errorf("run printed %q", got)
	}
	if data, err := os.ReadFile(filepath.Join(runDir, "out.txt")); err != nil || string(data) != "hello from localdep" {
		t.Errorf("run's file: %q %v", data, err)
	}
	if _, err := os.Lstat(filepath.Join(build2, "out.txt")); err == nil {
		t.Error("the run wrote into the build directory")
	}

	// A changed local dependency is another key: npm runs, the new build
	// gets the new code.
	build3 := newBuild(t, actorSource("changed"))
	if cached, err := InstallNode(ctx, build3, cache, env, nil); err != nil || cached {
		t.Fatalf("changed local dependency: cached %v, %v", cached, err)
	}
	if got := npmRuns(t, runs); len(got) != 2 {
		t.Errorf("npm runs %q, want two", got)
	}
	cmd = exec.Command("node", "-p", "require('localdep')")
	cmd.Dir = build3
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "changed" {
		t.Errorf("build3 requires %q (%v), want the changed dependency", out, err)
	}
}

func TestInstallNodeNoDependencies(t *testing.T) {
	env, runs := npmEnv(t)
	ctx := context.Background()
	cache := filepath.Join(t.TempDir(), "npm-builds")
	files := []actord.SourceFile{
		{Name: "package.json", Content: `{"name":"plain","version":"1.0.0","scripts":{"start":"node main.js"}}`},
		{Name: "main.js", Content: "console.log('plain')"},
	}
	build := newBuild(t, files)
	cached, err := InstallNode(ctx, build, cache, env, nil)
	if err != nil || cached {
		t.Fatalf("cached %v, %v", cached, err)
	}
	fi, err := os.Stat(filepath.Join(build, "node_modules")) // follows the link
	if err != nil || !fi.IsDir() {
		t.Fatalf("node_modules: %v", err)
	}
	if cached, err := InstallNode(ctx, newBuild(t, files), cache, env, nil); err != nil || !cached {
		t.Fatalf("second install: cached %v, %v", cached, err)
	}

	// With the lockfile npm wrote, the key changes and npm ci runs.
	target, _ := os.Readlink(filepath.Join(build, "node_modules"))
	lock, err := os.ReadFile(filepath.Join(filepath.Dir(target), "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	log := &lines{}
	withLock := newBuild(t, append(files, actord.SourceFile{Name: "package-lock.json", Content: string(lock)}))
	if cached, err := InstallNode(ctx, withLock, cache, env, log); err != nil || cached {
		t.Fatalf("with lockfile: cached %v, %v\n%s", cached, err, log)
	}
	if got := npmRuns(t, runs); len(got) != 2 || !strings.HasPrefix(got[1], "ci ") {
		t.Errorf("npm runs %q, want install then ci", got)
	}
}

func TestInstallNodeShippedNodeModules(t *testing.T) {
	env, runs := npmEnv(t)
	build := newBuild(t, []actord.SourceFile{
		{Name: "package.json", Content: `{"name":"x","dependencies":{"dep":"1.0.0"}}`},
		{Name: "node_modules/dep/index.js", Content: "module.exports = 1"},
	})
	cached, err := InstallNode(context.Background(), build, filepath.Join(t.TempDir(), "cache"), env, nil)
	if err != nil || cached {
		t.Fatalf("cached %v, %v", cached, err)
	}
	if fi, err := os.Lstat(filepath.Join(build, "node_modules")); err != nil || !fi.IsDir() {
		t.Fatalf("shipped node_modules replaced: %v", err)
	}
	if got := npmRuns(t, runs); len(got) != 0 {
		t.Errorf("npm ran: %q", got)
	}
}

func TestInstallNodeNoPackageJSON(t *testing.T) {
	env, runs := npmEnv(t)
	build := newBuild(t, []actord.SourceFile{{Name: "main.py", Content: "print(1)"}})
	if cached, err := InstallNode(context.Background(), build, filepath.Join(t.TempDir(), "cache"), env, nil); err != nil || cached {
		t.Fatalf("cached %v, %v", cached, err)
	}
	if _, err := os.Lstat(filepath.Join(build, "node_modules")); err == nil {
		t.Error("node_modules made without package.json")
	}
	if got := npmRuns(t, runs); len(got) != 0 {
		t.Errorf("npm ran: %q", got)
	}
}

func TestInstallNodeConcurrent(t *testing.T) {
	env, _ := npmEnv(t)
	cache := filepath.Join(t.TempDir(), "npm-builds")
	const n = 3
	builds := make([]string, n)
	for i := range builds {
		builds[i] = newBuild(t, actorSource("concurrent"))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range builds {
		wg.Go(func() {
			_, errs[i] = InstallNode(context.Background(), builds[i], cache, env, nil)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("build %d: %v", i, err)
		}
	}
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("cache holds %d entries, want 1 (no unfinished installs left)", len(entries))
	}
	for _, b := range builds {
		cmd := exec.Command("node", "-p", "require('localdep')")
		cmd.Dir = b
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "concurrent" {
			t.Errorf("%s requires %q (%v)", b, out, err)
		}
	}
}

func TestInstallNodeFailure(t *testing.T) {
	env, _ := npmEnv(t)
	cache := filepath.Join(t.TempDir(), "npm-builds")
	// npm ci refuses a lockfile that does not match package.json.
	build := newBuild(t, append(actorSource("x"), actord.SourceFile{
		Name:    "package-lock.json",
		Content: `{"name":"actor","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"actor","version":"1.0.0"}}}`,
	}))
	log := &lines{}
	_, err := InstallNode(context.Background(), build, cache, env, log)
	if err == nil || !strings.Contains(err.Error(), "npm ci: exit status 1: npm error `npm ci` can only install packages when") {
		t.Fatalf("error %v, want npm's failure\n%s", err, log)
	}
	if _, err := os.Lstat(filepath.Join(build, "node_modules")); err == nil {
		t.Error("node_modules linked after a failed install")
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("cache holds %d entries after a failure", len(entries))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := InstallNode(ctx, newBuild(t, actorSource("x")), cache, env, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled install: %v", err)
	}
}

func TestLocalDeps(t *testing.T) {
	tests := []struct {
		pkg  string
		want []string
	}{
		{`{}`, nil},
		{`{"dependencies":{"a":"^1.0.0","b":"file:./lib/b","c":"./vendor/c.tgz","d":"file:../outside","e":"file:/abs"}}`, []string{"lib/b", "vendor/c.tgz"}},
		{`{"dependencies":{"a":"file:lib"},"devDependencies":{"b":"file:lib/inner"},"optionalDependencies":{"c":"file:other/"}}`, []string{"lib", "other"}},
		{`{"dependencies":{"a":"file:."}}`, nil},
	}
	for _, tt := range tests {
		got, err := localDeps([]byte(tt.pkg))
		if err != nil {
			t.Errorf("%s: %v", tt.pkg, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.pkg, got, tt.want)
		}
	}
}

// TestInstallNodeAsAnotherUser: as root, npm and the packages' install
// scripts run as the given user, and the cached tree ends up the server's.
func TestInstallNodeAsAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("no npm")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	base := t.TempDir()
	if err := os.Chmod(filepath.Dir(base), 0o711); err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o711)
	env := []string{"PATH=" + filepath.Dir(npm) + ":" + filepath.Dir(node) + ":/usr/bin:/bin", "HOME=/root", "npm_config_update_notifier=false"}
	files := actorSource("hi")
	files[0].Content = `{"name":"actor","version":"1.0.0","scripts":{"postinstall":"id -u > installed-by"},"dependencies":{"localdep":"file:./localdep"}}`
	build := filepath.Join(base, "build")
	if err := WriteSourceFiles(build, files); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(base, "cache")
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: true}
	if _, err := InstallNodeAs(context.Background(), build, cache, env, nobody, nil); err != nil {
		t.Fatal(err)
	}
	entry, err := filepath.EvalSymlinks(filepath.Join(build, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	by, err := os.ReadFile(filepath.Join(filepath.Dir(entry), "installed-by"))
	if err != nil || strings.TrimSpace(string(by)) != "65534" {
		t.Fatalf("install script ran as %q (%v), want 65534", by, err)
	}
	filepath.WalkDir(filepath.Dir(entry), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Lstat(path)
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
			t.Fatalf("%s belongs to uid %d after the install", path, st.Uid)
		}
		return nil
	})
}
