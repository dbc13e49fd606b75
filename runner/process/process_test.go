package process

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/actord/actord/runner"
)

// lines collects a run's output.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) WriteLine(b []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, string(b))
	return nil
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}

// runDir makes a working directory the run's user can reach.
func runDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "actord-run-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func newRunner(t *testing.T) *Runner {
	return New(slog.New(slog.NewTextHandler(io.Discard, nil)), Options{CgroupRoot: "/sys/fs/cgroup/memory/actord-test"})
}

func start(t *testing.T, r *Runner, spec *runner.Spec) (runner.Process, *lines) {
	t.Helper()
	out := &lines{}
	spec.Output = out
	if spec.Dir == "" {
		spec.Dir = runDir(t)
	}
	if spec.RunID == "" {
		spec.RunID = "run" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if spec.Env == nil {
		spec.Env = []string{"PATH=/usr/bin:/bin"}
	}
	p, err := r.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return p, out
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

// killed is the exit code of a run whose main process died of sig: -1, or
// 128+sig in a sandbox, where bwrap reports it so (as a container would).
func killed(p runner.Process, sig syscall.Signal) int {
	if p.(*proc).sandboxed {
		return 128 + int(sig)
	}
	return -1
}

func TestExitAndOutput(t *testing.T) {
	r := newRunner(t)
	tests := []struct {
		name   string
		script string
		code   int
		lines  []string
	}{
		{"success", "echo hello", 0, []string{"hello"}},
		{"failure with both streams in order", "echo out; echo err >&2; printf 'no newline'; exit 3", 3, []string{"out", "err", "no newline"}},
		{"CRLF and empty lines", `printf 'a\r\n\nb\n'`, 0, []string{"a", "", "b"}},
		{"killed by a signal", "kill -9 $$", -9, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, out := start(t, r, &runner.Spec{Command: sh(tt.script)})
			res := p.Wait()
			if tt.code == -9 {
				tt.code = killed(p, syscall.SIGKILL)
			}
			if res.ExitCode != tt.code || res.TimedOut || res.Aborted {
				t.Errorf("result %+v, want exit code %d", res, tt.code)
			}
			if got := out.all(); strings.Join(got, "|") != strings.Join(tt.lines, "|") {
				t.Errorf("output %q, want %q", got, tt.lines)
			}
		})
	}
}

func TestEnvironmentIsExactlyTheSpec(t *testing.T) {
	r := newRunner(t)
	t.Setenv("ACTORD_SERVER_SECRET", "leak")
	p, out := start(t, r, &runner.Spec{Command: []string{"/usr/bin/env"}, Env: []string{"APIFY_TOKEN=x", "PATH=/usr/bin:/bin"}})
	p.Wait()
	got := strings.Join(out.all(), "\n")
	if got != "APIFY_TOKEN=x\nPATH=/usr/bin:/bin" {
		t.Errorf("env:\n%s", got)
	}
}

func TestLongLinesAreSplit(t *testing.T) {
	r := newRunner(t)
	p, out := start(t, r, &runner.Spec{Command: sh("head -c 150000 /dev/zero | tr '\\0' x; echo; echo end")})
	p.Wait()
	got := out.all()
	total := 0
	for _, l := range got[:len(got)-1] {
		if len(l) > maxLine {
			t.Errorf("line of %d bytes", len(l))
		}
		total += len(l)
	}
	if total != 150000 || got[len(got)-1] != "end" {
		t.Errorf("%d lines, %d bytes before %q", len(got), total, got[len(got)-1])
	}
}

// A timeout ends the whole process group, background children included.
func TestTimeoutKillsTheGroup(t *testing.T) {
	r := newRunner(t)
	t0 := time.Now()
	child := uniqueSleep()
	p, _ := start(t, r, &runner.Spec{Timeout: 300 * time.Millisecond,
		Command: sh(child + " & echo started; sleep 30")})
	waitFor(t, func() bool { return len(findProcs(child)) > 0 || time.Since(t0) > 300*time.Millisecond })
	pids := findProcs(child)
	res := p.Wait()
	if !res.TimedOut || res.Aborted || res.ExitCode != killed(p, syscall.SIGTERM) {
		t.Errorf("result %+v, want timed out, killed by SIGTERM", res)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	if len(pids) != 1 {
		t.Fatalf("background child: pids %v", pids)
	}
	// SIGKILL was sent to the group when the run ended; the kernel takes
	// a moment to act on it.
	waitFor(t, func() bool { return !processAlive(pids[0]) })
}

// uniqueSleep is a sleep command no other process of the host runs, to find
// a run's process from outside its PID namespace.
func uniqueSleep() string {
	return "sleep 30." + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
}

// findProcs returns the (host) pids of the processes running command
// (arguments separated by single spaces).
func findProcs(command string) []int {
	want := strings.ReplaceAll(command, " ", "\x00") + "\x00"
	var pids []int
	names, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil || string(b) != want {
			continue
		}
		pid, _ := strconv.Atoi(strings.Split(n, "/")[2])
		if processAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func processAlive(pid int) bool {
	// A zombie (killed, not reaped by its parent yet) counts as gone.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func TestAbort(t *testing.T) {
	r := newRunner(t)
	t.Run("graceful: the actor sees SIGTERM and exits", func(t *testing.T) {
		p, out := start(t, r, &runner.Spec{Command: sh(`trap 'echo got TERM; exit 0' TERM; echo ready; sleep 30 & wait`)})
		waitFor(t, func() bool { return len(out.all()) > 0 })
		p.Abort(5 * time.Second)
		res := p.Wait()
		if !res.Aborted || res.ExitCode != 0 || !strings.Contains(strings.Join(out.all(), "\n"), "got TERM") {
			t.Errorf("result %+v, output %q", res, out.all())
		}
	})
	t.Run("SIGKILL after the grace period", func(t *testing.T) {
		p, out := start(t, r, &runner.Spec{Command: sh(`trap '' TERM; echo ready; while :; do sleep 1; done`)})
		waitFor(t, func() bool { return len(out.all()) > 0 })
		t0 := time.Now()
		p.Abort(300 * time.Millisecond)
		res := p.Wait()
		if d := time.Since(t0); !res.Aborted || res.ExitCode != -1 || d < 300*time.Millisecond || d > 3*time.Second {
			t.Errorf("result %+v after %v", res, d)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met")
}

// The server as root never runs an actor as root.
func TestUnprivilegedWhenRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the server is not root here")
	}
	r := newRunner(t)
	dir := runDir(t)
	p, out := start(t, r, &runner.Spec{Dir: dir, Command: sh("id -u; id -g; touch made-here && echo wrote")})
	if res := p.Wait(); res.ExitCode != 0 {
		t.Fatalf("result %+v, output %q", res, out.all())
	}
	if got := strings.Join(out.all(), ","); got != "65534,65534,wrote" {
		t.Errorf("output %q", got)
	}
	fi, err := os.Stat(filepath.Join(dir, "made-here"))
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid != 65534 {
		t.Errorf("file made by the run: %v %v", fi, err)
	}
}

// The memory limit kills a run that allocates past it (where the host has a
// writable cgroup-v1 memory hierarchy; elsewhere the run says it is not
// limited).
func TestMemoryLimit(t *testing.T) {
	r := newRunner(t)
	// A system interpreter: the run's user cannot reach one under /root.
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	p, out := start(t, r, &runner.Spec{MemoryMbytes: 64, Env: []string{"PATH=/usr/bin:/bin"},
		Command: []string{py, "-c", "b = b'x' * (300 << 20); print('allocated', len(b))"}})
	res := p.Wait()
	if r.mem == nil {
		if !strings.Contains(p.Limits(), "not enforced") {
			t.Errorf("limits %q without cgroups", p.Limits())
		}
		if os.Getenv("CI") != "" && os.Geteuid() == 0 {
			t.Logf("no memory cgroups on this host: %s", r.noCgrp)
		}
		t.Skipf("memory cgroups unavailable: %s", r.noCgrp)
	}
	if !res.OutOfMemory || res.ExitCode != killed(p, syscall.SIGKILL) {
		t.Errorf("result %+v, output %q, limits %q", res, out.all(), p.Limits())
	}
	if !strings.Contains(p.Limits(), "64 MB") {
		t.Errorf("limits %q", p.Limits())
	}
	// Within the limit the same program runs.
	p, out = start(t, r, &runner.Spec{MemoryMbytes: 256, Env: []string{"PATH=/usr/bin:/bin"},
		Command: []string{py, "-c", "b = b'x' * (100 << 20); print('allocated', len(b))"}})
	if res := p.Wait(); res.ExitCode != 0 || res.OutOfMemory {
		t.Errorf("result %+v, output %q", res, out.all())
	}
}

func TestStartErrors(t *testing.T) {
	r := newRunner(t)
	for _, spec := range []*runner.Spec{
		{RunID: "a", Dir: runDir(t)},
		{RunID: "b", Dir: runDir(t), Command: []string{"/nonexistent/program"}},
		{RunID: "c", Dir: "/nonexistent/dir", Command: sh("true")},
	} {
		if _, err := r.Start(context.Background(), spec); err == nil {
			t.Errorf("%s: started", spec.RunID)
		}
	}
}

func TestTimestampLines(t *testing.T) {
	var b bytes.Buffer
	w := runner.TimestampLines(&b, func() time.Time { return time.Date(2026, 11, 26, 4, 30, 0, 123456789, time.FixedZone("X", 3600)) })
	w.WriteLine([]byte("hello"))
	w.WriteLine(nil)
	if want := "2026-11-26T03:30:00.123Z hello\n2026-11-26T03:30:00.123Z \n"; b.String() != want {
		t.Errorf("%q, want %q", b.String(), want)
	}
}

// isolated returns a runner that sandboxes runs, or skips the test.
func isolated(t *testing.T) *Runner {
	t.Helper()
	r := newRunner(t)
	if ok, why := r.Isolated(); !ok {
		t.Skipf("runs are not isolated here (%s); install bubblewrap (Debian: apt-get install bubblewrap) to run this test", why)
	}
	return r
}

// dataDir lays out a server data directory: a secret, two builds and the
// run's directory.
func dataDir(t *testing.T) (data, build, run string) {
	t.Helper()
	data = runDir(t)
	build = filepath.Join(data, "builds", "b1")
	run = filepath.Join(data, "runs", "r1")
	for _, d := range []string{build, filepath.Join(data, "builds", "other"), run} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Dir(d), 0o755)
		os.Chmod(d, 0o755)
	}
	for f, content := range map[string]string{
		"secret.db":             "secret",
		"builds/b1/main.sh":     "echo from the build",
		"builds/other/other.sh": "other",
	} {
		if err := os.WriteFile(filepath.Join(data, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return data, build, run
}

func TestIsolation(t *testing.T) {
	r := isolated(t)
	data, build, run := dataDir(t)
	// The host's /tmp holds something the run must not see.
	hostTmp, err := os.MkdirTemp("", "actord-host-tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(hostTmp)
	script := strings.NewReplacer("DATA", data, "BUILD", build, "HOSTTMP", hostTmp).Replace(`
		test -e HOSTTMP && echo "host tmp visible"
		echo private > /tmp/run-file && echo "tmp writable"
		echo "data: $(ls -A DATA | tr '\n' ' ')"
		echo "builds: $(ls -A DATA/builds | tr '\n' ' ')"
		cat DATA/secret.db 2>/dev/null && echo "secret readable"
		touch DATA/new 2>/dev/null && echo "data writable"
		sh BUILD/main.sh
		touch BUILD/new 2>/dev/null && echo "build writable"
		echo out > here.txt && echo "dir writable"
		echo "processes: $(ls /proc | grep -c '^[0-9]')"
		echo "pid: $$"
	`)
	p, out := start(t, r, &runner.Spec{Dir: run, Hide: []string{data, "/nonexistent/hidden"}, ReadOnly: []string{build},
		Command: sh(script)})
	if res := p.Wait(); res.ExitCode != 0 {
		t.Fatalf("result %+v, output %q", res, out.all())
	}
	got := strings.Join(out.all(), "\n")
	for _, want := range []string{"data: builds runs \n", "builds: b1 \n", "from the build", "dir writable", "processes: ", "tmp writable"} {
		if !strings.Contains(got+"\n", want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"secret", "data writable", "build writable", "pid: 1\n", "host tmp visible"} {
		if strings.Contains(got+"\n", bad) {
			t.Errorf("output has %q:\n%s", bad, got)
		}
	}
	// Few processes: the run's PID namespace.
	var n int
	fmt.Sscanf(got[strings.Index(got, "processes: ")+len("processes: "):], "%d", &n)
	if n == 0 || n > 10 {
		t.Errorf("the run sees %d processes", n)
	}
	if b, err := os.ReadFile(filepath.Join(run, "here.txt")); err != nil || string(b) != "out\n" {
		t.Errorf("file written in the run's directory: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(build, "new")); err == nil {
		t.Error("the run wrote into its build")
	}
	if !strings.Contains(p.Limits(), "isolated with bubblewrap") {
		t.Errorf("limits %q", p.Limits())
	}
	// A read-only path must exist.
	if _, err := r.Start(context.Background(), &runner.Spec{RunID: "ro", Dir: runDir(t), ReadOnly: []string{"/nonexistent/build"}, Command: sh("true")}); err == nil {
		t.Error("started with a missing read-only path")
	}
}

func TestIsolationOff(t *testing.T) {
	r := New(slog.New(slog.NewTextHandler(io.Discard, nil)), Options{CgroupRoot: "/sys/fs/cgroup/memory/actord-test", Isolation: IsolationOff})
	data, _, run := dataDir(t)
	p, out := start(t, r, &runner.Spec{Dir: run, Hide: []string{data}, Command: sh("cat " + data + "/secret.db")})
	p.Wait()
	if got := strings.Join(out.all(), ""); got != "secret" || !strings.Contains(p.Limits(), "not isolated: isolation is off") {
		t.Errorf("output %q, limits %q", got, p.Limits())
	}
}

// Stopping a sandboxed run reaches every process in it: the actor gets
// SIGTERM (bwrap survives it, so the grace period holds), and what is left
// at the end dies, even a process that left the run's process group.
func TestIsolatedStopKillsTheTree(t *testing.T) {
	r := isolated(t)
	t.Run("graceful", func(t *testing.T) {
		child, detached := uniqueSleep(), uniqueSleep()+"1"
		p, out := start(t, r, &runner.Spec{Command: sh(
			`trap 'echo got TERM; sleep 0.3; echo bye; exit 0' TERM; setsid ` + detached + ` & ` + child + ` & echo ready; wait`)})
		waitFor(t, func() bool { return len(out.all()) > 0 && len(findProcs(child)) == 1 && len(findProcs(detached)) == 1 })
		pids := append(findProcs(child), findProcs(detached)...)
		p.Abort(5 * time.Second)
		res := p.Wait()
		if !res.Aborted || res.ExitCode != 0 || !strings.Contains(strings.Join(out.all(), "\n"), "got TERM\nbye") {
			t.Errorf("result %+v, output %q", res, out.all())
		}
		for _, pid := range pids {
			waitFor(t, func() bool { return !processAlive(pid) })
		}
	})
	t.Run("hard", func(t *testing.T) {
		child := uniqueSleep()
		p, out := start(t, r, &runner.Spec{Command: sh(
			`trap '' TERM; setsid ` + child + ` & echo ready; while :; do sleep 1; done`)})
		waitFor(t, func() bool { return len(out.all()) > 0 && len(findProcs(child)) == 1 })
		pid := findProcs(child)[0]
		t0 := time.Now()
		p.Abort(300 * time.Millisecond)
		res := p.Wait()
		if d := time.Since(t0); !res.Aborted || res.ExitCode != -1 || d < 300*time.Millisecond || d > 3*time.Second {
			t.Errorf("result %+v after %v", res, d)
		}
		waitFor(t, func() bool { return !processAlive(pid) })
	})
}

// Every process of a run is in its cgroups from the start (bwrap forks at
// once), and no thread of the server stays in them.
func TestCgroupsHoldTheRun(t *testing.T) {
	r := newRunner(t)
	if r.mem == nil {
		t.Skipf("memory cgroups unavailable: %s", r.noCgrp)
	}
	child := uniqueSleep()
	p, out := start(t, r, &runner.Spec{Command: sh(child + " & echo ready; wait")})
	waitFor(t, func() bool { return len(out.all()) > 0 && len(findProcs(child)) == 1 })
	pr := p.(*proc)
	inGroup := map[int]bool{}
	for _, pid := range pr.mem.pids() {
		inGroup[pid] = true
	}
	group := r.procs.group(pr.pgid, true).pids
	want := 2 // sh and sleep
	if pr.sandboxed {
		want = 4 // and bwrap, outside and inside
	}
	if len(group) != want {
		t.Errorf("process group %v, want %d processes", group, want)
	}
	for _, pid := range group {
		if !inGroup[pid] {
			t.Errorf("process %d of the run is not in its memory cgroup %v", pid, pr.mem.pids())
		}
	}
	if pr.cpu != nil {
		n := len(pr.cpu.pids())
		if n != len(group) {
			t.Errorf("%d processes in the cpuacct group, %d in the run", n, len(group))
		}
	}
	// The thread that forked the run moves on to the next run's groups
	// right after the fork.
	inRunGroup := func() string {
		tasks, _ := filepath.Glob("/proc/self/task/*/cgroup")
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			if strings.Contains(string(b), pr.spec.RunID) {
				return f + ": " + string(b)
			}
		}
		return ""
	}
	deadline := time.Now().Add(2 * time.Second)
	for inRunGroup() != "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s := inRunGroup(); s != "" {
		t.Errorf("a server thread stays in the run's cgroup: %s", s)
	}
	p.Abort(time.Second)
	p.Wait()
	// The groups go right after the run's result (off its path).
	deadline = time.Now().Add(3 * time.Second)
	for {
		_, err := os.Stat(pr.mem.dir)
		if os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cgroup %s left: %v", pr.mem.dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Usage reports the memory and CPU time of a run, from its cgroups or,
// without them, from /proc.
func TestUsage(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		name string
		r    *Runner
	}{
		{"cgroups", newRunner(t)},
		{"proc", New(discard, Options{CgroupRoot: "/nonexistent/memory/actord-test"})},
		{"proc, not isolated", New(discard, Options{CgroupRoot: "/nonexistent/memory/actord-test", Isolation: IsolationOff})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "cgroups" && (tt.r.mem == nil || tt.r.cpu == nil) {
				t.Skipf("no memory and cpuacct cgroups here (%s)", tt.r.noCgrp)
			}
			p, out := start(t, tt.r, &runner.Spec{MemoryMbytes: 256, Command: []string{py, "-c", `
import time
b = b'x' * (50 << 20)
while time.process_time() < 0.5: pass
print('ready', flush=True)
time.sleep(30)
`}})
			waitFor(t, func() bool { return len(out.all()) > 0 })
			u := p.Usage()
			if u.MemBytes < 50<<20 || u.MemBytes > 200<<20 || u.CPUSeconds < 0.4 || u.CPUSeconds > 5 {
				t.Errorf("usage %+v", u)
			}
			p.Abort(time.Second)
			p.Wait()
			if end := p.Usage(); end.MemBytes != 0 || end.CPUSeconds < 0.4 {
				t.Errorf("usage at the end %+v", end)
			}
		})
	}
}

func TestSandboxArgs(t *testing.T) {
	got := strings.Join(sandboxArgs("/bin/bwrap", []string{"/data", "/srv/x"}, []string{"/data/builds/b"}, "/data/runs/r", []string{"/usr/bin/node", "main.js"}), " ")
	want := "/bin/bwrap --die-with-parent --unshare-pid --unshare-ipc --unshare-uts --dev-bind / / " +
		"--tmpfs /data --perms 01777 --tmpfs /tmp --tmpfs /srv/x --perms 01777 --tmpfs /dev/shm " +
		"--ro-bind /data/builds/b /data/builds/b --bind /data/runs/r /data/runs/r " +
		"--remount-ro /data --remount-ro /srv/x --proc /proc --chdir /data/runs/r -- /usr/bin/node main.js"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A run directory inside its build stays writable: mounted last.
	got = strings.Join(sandboxArgs("bwrap", nil, []string{"/b"}, "/b/run", []string{"x"}), " ")
	if i, j := strings.Index(got, "--ro-bind /b /b"), strings.Index(got, "--bind /b/run /b/run"); i < 0 || j < i {
		t.Errorf("got %s", got)
	}
}
