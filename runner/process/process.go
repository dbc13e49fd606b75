// Package process is the runner driver that runs an actor as a local
// process group: the command starts in its own process group, in the run's
// working directory, with exactly the environment of its spec. Its stdout
// and stderr go to the run log line by line; a timeout or an abort ends the
// whole group (SIGTERM, then SIGKILL after a grace period); the memory
// limit is enforced with a memory cgroup when the host lets the server
// create one. When the server runs as root, the run gets an unprivileged
// uid/gid so an actor can never act as root on the host.
package process

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/actord/actord/runner"
)

// TimeoutGrace is how long a timed-out run has between SIGTERM and SIGKILL.
const TimeoutGrace = 5 * time.Second

// Options configure the driver.
type Options struct {
	// CgroupRoot is the memory cgroup (v1) under which each run gets its
	// own group; "" means /sys/fs/cgroup/memory/actord. Runs are not
	// memory-limited when it cannot be created.
	CgroupRoot string
	// Credential is the uid/gid runs get. Nil means: unchanged when the
	// server is not root, nobody (65534:65534) when it is.
	Credential *syscall.Credential
}

// Runner starts runs as local processes.
type Runner struct {
	logger  *slog.Logger
	cgroups *memoryCgroups // nil: memory limits are not enforced
	noCgrp  string         // why cgroups are not available
	cred    *syscall.Credential
}

var _ runner.Runner = (*Runner)(nil)

// New returns a driver, probing the host for memory cgroups.
func New(logger *slog.Logger, o Options) *Runner {
	r := &Runner{logger: logger, cred: o.Credential}
	if r.cred == nil && os.Geteuid() == 0 {
		r.cred = &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: true}
	}
	root := o.CgroupRoot
	if root == "" {
		root = "/sys/fs/cgroup/memory/actord"
	}
	cg, err := openMemoryCgroups(root)
	if err != nil {
		r.noCgrp = err.Error()
		logger.Warn("run memory limits are not enforced", "reason", r.noCgrp)
	} else {
		r.cgroups = cg
	}
	return r
}

// Start starts the run described by spec.
func (r *Runner) Start(ctx context.Context, spec *runner.Spec) (runner.Process, error) {
	if len(spec.Command) == 0 {
		return nil, errors.New("start run: no command")
	}
	if r.cred != nil {
		// The run's directory must belong to the user it runs as.
		if err := os.Chown(spec.Dir, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
			return nil, fmt.Errorf("start run %s: give its directory to uid %d: %w", spec.RunID, r.cred.Uid, err)
		}
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start run %s: %w", spec.RunID, err)
	}
	cmd := exec.Command(spec.Command[0], spec.Command[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	if cmd.Env == nil {
		cmd.Env = []string{} // nil would mean the server's environment
	}
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: r.cred}
	p := &proc{spec: spec, cmd: cmd, done: make(chan struct{})}
	if r.cgroups != nil && spec.MemoryMbytes > 0 {
		if p.cg, err = r.cgroups.create(spec.RunID, int64(spec.MemoryMbytes)<<20); err != nil {
			r.logger.WarnContext(ctx, "run memory limit not enforced", "run_id", spec.RunID, "err", err)
			p.limits = "memory limit not enforced: " + err.Error()
		}
	}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		p.removeCgroup()
		return nil, fmt.Errorf("start run %s: %w", spec.RunID, err)
	}
	pw.Close() // the child holds the write end now
	p.pgid = cmd.Process.Pid
	switch {
	case p.cg != nil:
		if err := p.cg.add(cmd.Process.Pid); err != nil {
			r.logger.WarnContext(ctx, "run memory limit not enforced", "run_id", spec.RunID, "err", err)
			p.limits = "memory limit not enforced: " + err.Error()
		} else {
			p.limits = fmt.Sprintf("memory limited to %d MB (cgroup)", spec.MemoryMbytes)
		}
	case p.limits == "" && spec.MemoryMbytes > 0:
		p.limits = "memory limit not enforced: " + r.noCgrp
	}
	p.output.Add(1)
	go p.copyOutput(pr)
	if spec.Timeout > 0 {
		p.timer = time.AfterFunc(spec.Timeout, func() {
			p.mu.Lock()
			p.timedOut = true
			p.mu.Unlock()
			p.stop(TimeoutGrace)
		})
	}
	go p.wait()
	return p, nil
}

type proc struct {
	spec   *runner.Spec
	cmd    *exec.Cmd
	pgid   int
	cg     *memoryCgroup
	limits string
	timer  *time.Timer
	output sync.WaitGroup
	done   chan struct{}

	mu       sync.Mutex
	timedOut bool
	aborted  bool
	stopping bool
	result   runner.Result
}

func (p *proc) Limits() string { return p.limits }

func (p *proc) Wait() runner.Result {
	<-p.done
	return p.result
}

func (p *proc) Abort(grace time.Duration) {
	p.mu.Lock()
	p.aborted = true
	p.mu.Unlock()
	p.stop(grace)
}

// stop sends SIGTERM to the run's process group, then SIGKILL after grace
// unless the run has ended by then.
func (p *proc) stop(grace time.Duration) {
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		return
	}
	p.stopping = true
	p.mu.Unlock()
	syscall.Kill(-p.pgid, syscall.SIGTERM)
	go func() {
		select {
		case <-p.done:
		case <-time.After(grace):
			syscall.Kill(-p.pgid, syscall.SIGKILL)
		}
	}()
}

// wait reaps the run. When its main process exits, what is left of its
// process group is killed, as a run ends with its main process; only then
// does the output pipe reach its end.
func (p *proc) wait() {
	err := p.cmd.Wait()
	syscall.Kill(-p.pgid, syscall.SIGKILL)
	if p.timer != nil {
		p.timer.Stop()
	}
	p.output.Wait()
	r := runner.Result{ExitCode: p.cmd.ProcessState.ExitCode()}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		r.ExitCode = -1
	}
	if p.cg != nil {
		r.OutOfMemory = p.cg.oomKilled()
	}
	p.removeCgroup()
	p.mu.Lock()
	r.TimedOut, r.Aborted = p.timedOut, p.aborted
	p.result = r
	p.mu.Unlock()
	close(p.done)
}

func (p *proc) removeCgroup() {
	if p.cg != nil {
		p.cg.remove()
	}
}

// maxLine bounds one log line; longer lines are split.
const maxLine = 64 << 10

// copyOutput sends the run's output to the log line by line.
func (p *proc) copyOutput(r io.ReadCloser) {
	defer p.output.Done()
	defer r.Close()
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			line = []byte(strings.TrimRight(string(line), "\r\n"))
			if p.spec.Output != nil {
				p.spec.Output.WriteLine(line)
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}
