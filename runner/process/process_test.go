package process

import (
	"bytes"
	"context"
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
		{"killed by a signal", "kill -9 $$", -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, out := start(t, r, &runner.Spec{Command: sh(tt.script)})
			res := p.Wait()
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
	dir := runDir(t)
	t0 := time.Now()
	p, _ := start(t, r, &runner.Spec{Dir: dir, Timeout: 300 * time.Millisecond,
		Command: sh("sleep 30 & echo $! > child.pid; sleep 30")})
	res := p.Wait()
	if !res.TimedOut || res.Aborted || res.ExitCode != -1 {
		t.Errorf("result %+v, want timed out, killed by SIGTERM", res)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	b, err := os.ReadFile(filepath.Join(dir, "child.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("child pid %q", b)
	}
	// SIGKILL was sent to the group when the run ended; the kernel takes
	// a moment to act on it.
	waitFor(t, func() bool { return !processAlive(pid) })
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
	if r.cgroups == nil {
		if !strings.Contains(p.Limits(), "not enforced") {
			t.Errorf("limits %q without cgroups", p.Limits())
		}
		if os.Getenv("CI") != "" && os.Geteuid() == 0 {
			t.Logf("no memory cgroups on this host: %s", r.noCgrp)
		}
		t.Skipf("memory cgroups unavailable: %s", r.noCgrp)
	}
	if !res.OutOfMemory || res.ExitCode != -1 {
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
