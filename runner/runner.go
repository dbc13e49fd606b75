// Package runner is the interface between actord's run service and the
// things that execute an actor run: a local process now, containers or
// Kubernetes pods later (the shape of Nomad's task drivers). A driver
// starts the run's command in its working directory with exactly the
// environment it is given, enforces the timeout and memory limit as far as
// its host allows, streams the output to the run log and reports how the
// run ended.
package runner

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Spec is what a driver needs to start one run.
type Spec struct {
	// RunID names the run (cgroups, logs).
	RunID string
	// Dir is the working directory; it must exist.
	Dir string
	// Command is the program and its arguments.
	Command []string
	// Env is the complete environment, "KEY=value" each; nothing of the
	// server's own environment is passed on.
	Env []string
	// MemoryMbytes is the run's memory limit (0: none).
	MemoryMbytes int
	// Timeout ends the run when it is over (0: none).
	Timeout time.Duration
	// Output receives the run's stdout and stderr, line by line (see
	// LogWriter). It is not closed.
	Output LineWriter
	// Hide lists host paths the run must not see at all (the server's data
	// directory): where the driver isolates runs, each appears empty.
	// Paths that do not exist are ignored.
	Hide []string
	// ReadOnly lists paths, typically inside a Hide path, the run needs
	// to read but must not change (its build directory). They must exist.
	// Dir stays writable even inside a Hide or ReadOnly path.
	ReadOnly []string
}

// LineWriter receives whole lines of a run's output, without the newline.
type LineWriter interface {
	WriteLine(line []byte) error
}

// Result is how a run ended.
type Result struct {
	// ExitCode is the process's exit code; -1 when it was killed by a
	// signal.
	ExitCode int
	// TimedOut is set when the run was ended because of Spec.Timeout.
	TimedOut bool
	// Aborted is set when the run was ended by Process.Abort.
	Aborted bool
	// OutOfMemory is set when the memory limit killed the run.
	OutOfMemory bool
}

// Process is a started run.
type Process interface {
	// Wait blocks until the run has ended and its output is written.
	Wait() Result
	// Abort ends the run: SIGTERM (or the driver's equivalent) first,
	// then a hard kill after grace.
	Abort(grace time.Duration)
	// Limits says which limits (and isolation) the host enforces for this
	// run, in words for the run's status message and the server log.
	Limits() string
	// Usage samples the run's resource use now. It is cheap enough to be
	// called every second for every run; after the run has ended it
	// reports zero memory and the CPU time it had used.
	Usage() Usage
}

// Usage is a sample of a run's resource use.
type Usage struct {
	// MemBytes is the memory the run's processes use now (resident,
	// without the file cache the kernel can drop).
	MemBytes int64
	// CPUSeconds is the CPU time (user and system) the run's processes
	// have used since it started, cumulative: a rate is the difference of
	// two samples over the time between them. Without a CPU cgroup it
	// counts only the processes alive (and the children they have
	// reaped), so it can go back when a process ends.
	CPUSeconds float64
}

// Runner starts runs.
type Runner interface {
	Start(ctx context.Context, spec *Spec) (Process, error)
}

// TimestampLines returns a LineWriter that writes each line to w prefixed
// with its ISO-8601 UTC time, as Apify's run logs are:
// "2026-11-26T04:30:00.123Z line".
func TimestampLines(w io.Writer, now func() time.Time) LineWriter {
	return &timestamped{w: w, now: now}
}

type timestamped struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
	buf []byte
}

func (t *timestamped) WriteLine(line []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = t.now().UTC().AppendFormat(t.buf[:0], "2006-01-02T15:04:05.000Z")
	t.buf = append(t.buf, ' ')
	t.buf = append(t.buf, line...)
	t.buf = append(t.buf, '\n')
	_, err := t.w.Write(t.buf)
	return err
}

// OthersCanReach reports whether users other than a folder's owner may
// pass through dir and every folder above it: whether a run executing as
// another user can reach what is inside.
func OthersCanReach(dir string) bool {
	for {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}
