// Package process is the runner driver that runs an actor as a local
// process group: the command starts in its own process group, in the run's
// working directory, with exactly the environment of its spec. Its stdout
// and stderr go to the run log line by line; a timeout or an abort ends the
// whole group (SIGTERM, then SIGKILL after a grace period); the memory
// limit is enforced with a memory cgroup when the host lets the server
// create one. When the server runs as root, the run gets an unprivileged
// uid/gid so an actor can never act as root on the host.
//
// Where bubblewrap (bwrap) is installed and works, each run is also
// sandboxed: its own PID, IPC and UTS namespaces, the paths of Spec.Hide
// replaced by empty read-only directories, Spec.ReadOnly mounted read-only
// and Spec.Dir writable. The network and the rest of the file system stay
// the host's (actors reach the API on loopback and the internet).
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
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/actord/actord/runner"
)

// TimeoutGrace is how long a timed-out run has between SIGTERM and SIGKILL.
const TimeoutGrace = 5 * time.Second

// Isolation modes.
const (
	// IsolationAuto sandboxes runs with bubblewrap when it is installed
	// and works on the host, and runs them unsandboxed otherwise.
	IsolationAuto = "auto"
	// IsolationOff never sandboxes runs.
	IsolationOff = "off"
)

// Options configure the driver.
type Options struct {
	// CgroupRoot is the memory cgroup (v1) under which each run gets its
	// own group; "" means /sys/fs/cgroup/memory/actord. Runs are not
	// memory-limited when it cannot be created.
	CgroupRoot string
	// CPUCgroupRoot is the cpuacct cgroup (v1) under which each run gets
	// its own group to account its CPU time; "" means the group of the
	// same name as CgroupRoot's in the cpuacct hierarchy beside the memory
	// one (/sys/fs/cgroup/cpuacct/actord). Without it, a run's CPU time is
	// read from /proc.
	CPUCgroupRoot string
	// Credential is the uid/gid runs get. Nil means: unchanged when the
	// server is not root, nobody (65534:65534) when it is.
	Credential *syscall.Credential
	// Isolation is IsolationAuto ("" too) or IsolationOff.
	Isolation string
}

// Runner starts runs as local processes.
type Runner struct {
	logger *slog.Logger
	mem    *hierarchy // nil: memory limits are not enforced
	noCgrp string     // why memory cgroups are not available
	cpu    *hierarchy // nil: CPU time from /proc
	cred   *syscall.Credential
	bwrap  string // the bwrap program; "": runs are not isolated
	env    string // the env program, which runs the command in the sandbox
	noIso  string // why runs are not isolated
	procs  *procTable
	spawn  *spawner
}

var _ runner.Runner = (*Runner)(nil)

// New returns a driver, probing the host for cgroups and bubblewrap.
func New(logger *slog.Logger, o Options) *Runner {
	r := &Runner{logger: logger, cred: o.Credential, procs: newProcTable()}
	if r.cred == nil && os.Geteuid() == 0 {
		r.cred = Unprivileged()
	}
	root := o.CgroupRoot
	if root == "" {
		root = "/sys/fs/cgroup/memory/actord"
	}
	if h, err := openHierarchy(root, "memory.limit_in_bytes"); err != nil {
		r.noCgrp = err.Error()
		logger.Warn("run memory limits are not enforced", "reason", r.noCgrp)
	} else {
		r.mem = h
	}
	cpuRoot := o.CPUCgroupRoot
	if cpuRoot == "" && filepath.Base(filepath.Dir(root)) == "memory" {
		cpuRoot = filepath.Join(filepath.Dir(filepath.Dir(root)), "cpuacct", filepath.Base(root))
	}
	if cpuRoot != "" {
		if h, err := openHierarchy(cpuRoot, "cpuacct.usage"); err != nil {
			logger.Debug("run CPU time is read from /proc", "reason", err.Error())
		} else {
			r.cpu = h
		}
	}
	r.spawn = &spawner{logger: logger}
	if r.mem != nil {
		r.spawn.hs, r.spawn.mem = append(r.spawn.hs, r.mem), true
	}
	if r.cpu != nil {
		r.spawn.hs = append(r.spawn.hs, r.cpu)
	}
	switch o.Isolation {
	case "", IsolationAuto:
		r.bwrap, r.env, r.noIso = probeBwrap(r.cred)
		if r.noIso != "" {
			logger.Warn("runs are not isolated", "reason", r.noIso)
		}
	case IsolationOff:
		r.noIso = "isolation is off"
	default:
		r.noIso = "unknown isolation " + o.Isolation
		logger.Warn("runs are not isolated", "reason", r.noIso)
	}
	return r
}

// Isolated reports whether runs are sandboxed with bubblewrap, or why not.
func (r *Runner) Isolated() (bool, string) {
	if r.bwrap != "" {
		return true, "isolated with bubblewrap"
	}
	return false, r.noIso
}

// probeBwrap finds bwrap and env and checks that bwrap can build a sandbox
// here, as the runs' user, with a trivial command.
func probeBwrap(cred *syscall.Credential) (bwrap, env, whyNot string) {
	bwrap, err := exec.LookPath("bwrap")
	if err != nil {
		return "", "", "bubblewrap (bwrap) is not installed"
	}
	if env, err = exec.LookPath("env"); err != nil {
		return "", "", "no env program for bubblewrap"
	}
	if bwrap, err = filepath.Abs(bwrap); err != nil {
		return "", "", err.Error()
	}
	if env, err = filepath.Abs(env); err != nil {
		return "", "", err.Error()
	}
	tmp, err := os.MkdirTemp("", "actord-bwrap-probe-")
	if err != nil {
		return "", "", "bubblewrap probe: " + err.Error()
	}
	defer os.RemoveAll(tmp)
	hide, ro, dir := filepath.Join(tmp, "hide"), filepath.Join(tmp, "hide", "ro"), filepath.Join(tmp, "dir")
	for _, d := range []string{tmp, hide, ro, dir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", "", "bubblewrap probe: " + err.Error()
		}
		os.Chmod(d, 0o755)
	}
	if cred != nil {
		os.Chown(dir, int(cred.Uid), int(cred.Gid))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// bwrap --version is a command every sandbox can run.
	args := sandboxArgs(bwrap, []string{hide}, []string{ro}, dir, []string{env, "-u", "PWD", "--", bwrap, "--version"})
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = []string{}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Sprintf("bubblewrap does not work here: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return bwrap, env, ""
}

// sandboxArgs is the bwrap command line that runs command in a sandbox:
// the host's file system with each hide path replaced by an empty
// read-only directory, each ro path read-only and dir writable; paths are
// mounted outer first, so a deeper one wins.
func sandboxArgs(bwrap string, hide, ro []string, dir string, command []string) []string {
	type mount struct {
		path string
		args []string
	}
	var mounts []mount
	for _, p := range hide {
		mounts = append(mounts, mount{p, []string{"--tmpfs", p}})
	}
	for _, p := range ro {
		mounts = append(mounts, mount{p, []string{"--ro-bind", p, p}})
	}
	mounts = append(mounts, mount{dir, []string{"--bind", dir, dir}})
	// A /tmp and /dev/shm of the run's own: nothing passes between runs
	// there (the paths above that live in /tmp are mounted into it).
	for _, p := range []string{"/tmp", "/dev/shm"} {
		mounts = append(mounts, mount{p, []string{"--perms", "01777", "--tmpfs", p}})
	}
	sort.SliceStable(mounts, func(i, j int) bool { return depth(mounts[i].path) < depth(mounts[j].path) })
	args := []string{bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
		"--dev-bind", "/", "/"}
	for _, m := range mounts {
		args = append(args, m.args...)
	}
	// The empty directories are read-only (what is mounted inside them
	// keeps its own mode).
	for _, p := range hide {
		args = append(args, "--remount-ro", p)
	}
	args = append(args, "--proc", "/proc", "--chdir", dir, "--")
	return append(args, command...)
}

func depth(p string) int { return strings.Count(filepath.Clean(p), "/") }

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
	var cmd *exec.Cmd
	if r.bwrap != "" {
		args, err := r.sandbox(spec)
		if err != nil {
			return nil, fmt.Errorf("start run %s: %w", spec.RunID, err)
		}
		cmd = exec.Command(args[0], args[1:]...)
	} else {
		prog, err := program(spec)
		if err != nil {
			return nil, fmt.Errorf("start run %s: %w", spec.RunID, err)
		}
		cmd = exec.Command(prog, spec.Command[1:]...)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start run %s: %w", spec.RunID, err)
	}
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	if cmd.Env == nil {
		cmd.Env = []string{} // nil would mean the server's environment
	}
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = pw, pw
	// No Pdeathsig: see spawner.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: r.cred}
	p := &proc{spec: spec, cmd: cmd, procs: r.procs, done: make(chan struct{})}
	var limits []string

	// The run's cgroups: all of its processes are born in them.
	var limit int64
	if r.mem != nil && spec.MemoryMbytes > 0 {
		limit = int64(spec.MemoryMbytes) << 20
	}
	res := r.spawn.start(cmd, spec.RunID, limit)
	var join *joinError
	switch err = res.err; {
	case errors.As(err, &join):
		// Start it outside, and move it in right after (its first
		// children might escape).
		r.logger.WarnContext(ctx, "run started outside its cgroups", "run_id", spec.RunID, "err", err)
		if err = r.spawn.startOutside(cmd); err == nil {
			limits = append(limits, p.joinAfterStart(ctx, r, limit)...)
		}
	case err == nil:
		for i, h := range r.spawn.hs {
			if h == r.mem {
				p.mem = res.groups[i]
			} else {
				p.cpu = res.groups[i]
			}
		}
		if res.limitErr != nil {
			r.logger.WarnContext(ctx, "run memory limit not enforced", "run_id", spec.RunID, "err", res.limitErr)
			limits = append(limits, "memory limit not enforced: "+res.limitErr.Error())
			limit = 0
		}
	}
	if err != nil {
		pr.Close()
		pw.Close()
		p.removeCgroups()
		return nil, fmt.Errorf("start run %s: %w", spec.RunID, err)
	}
	pw.Close() // the child holds the write end now
	p.pgid = cmd.Process.Pid
	switch {
	case p.mem != nil && limit > 0:
		limits = append(limits, fmt.Sprintf("memory limited to %d MB (cgroup)", spec.MemoryMbytes))
	case len(limits) == 0 && spec.MemoryMbytes > 0:
		limits = append(limits, "memory limit not enforced: "+r.noCgrp)
	}
	if r.bwrap != "" {
		p.sandboxed = true
		limits = append(limits, "isolated with bubblewrap")
	} else {
		limits = append(limits, "not isolated: "+r.noIso)
	}
	p.limits = strings.Join(limits, "; ")
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

// sandbox returns the command line that runs spec's command under bwrap.
func (r *Runner) sandbox(spec *runner.Spec) ([]string, error) {
	dir, err := realPath(spec.Dir)
	if err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	var hide, ro []string
	for _, p := range spec.Hide {
		p, err := realPath(p)
		if err != nil {
			continue
		}
		// A path the run's user cannot reach is hidden already (and bwrap,
		// running as that user, could not mount over it).
		if r.cred != nil && !runner.OthersCanReach(filepath.Dir(p)) {
			continue
		}
		hide = append(hide, p)
	}
	for _, p := range spec.ReadOnly {
		p, err := realPath(p)
		if err != nil {
			return nil, fmt.Errorf("read-only path: %w", err)
		}
		ro = append(ro, p)
	}
	prog, err := program(spec)
	if err != nil {
		return nil, err
	}
	// bwrap sets PWD, which the run's environment may not have: env
	// takes it out again (or back to the spec's value) and execs the
	// command. (The environment is never put on a command line, where
	// every user of the host could read it.)
	if strings.Contains(prog, "=") {
		return nil, fmt.Errorf("program %s: a path with '=' cannot run in the sandbox", prog)
	}
	command := []string{r.env, "-u", "PWD", "--"}
	for _, kv := range spec.Env {
		if strings.HasPrefix(kv, "PWD=") {
			command = append(command[:4], kv)
		}
	}
	command = append(command, prog)
	command = append(command, spec.Command[1:]...)
	return sandboxArgs(r.bwrap, hide, ro, dir, command), nil
}

// realPath is p absolute, without symbolic links; it must exist.
func realPath(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(p)
}

type proc struct {
	spec      *runner.Spec
	cmd       *exec.Cmd
	pgid      int
	sandboxed bool
	mem, cpu  *cgroup
	procs     *procTable
	limits    string
	timer     *time.Timer
	output    sync.WaitGroup
	done      chan struct{}

	mu       sync.Mutex
	timedOut bool
	aborted  bool
	stopping bool
	result   runner.Result
	cpuEnd   float64 // the CPU time when the run ended
	cpuLast  float64 // the largest CPU time sampled
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

// Usage samples the run's memory and CPU time: from its cgroups where it
// has them, else from the processes of its process group.
func (p *proc) Usage() runner.Usage {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return runner.Usage{CPUSeconds: p.cpuEnd}
	default:
	}
	var u runner.Usage
	memOK, cpuOK := false, false
	if p.mem != nil {
		u.MemBytes, memOK = p.mem.memoryUsage()
	}
	if p.cpu != nil {
		u.CPUSeconds, cpuOK = p.cpu.cpuSeconds()
	}
	if !memOK || !cpuOK {
		g := p.procs.group(p.pgid, false)
		if !memOK {
			u.MemBytes = g.rssPages * p.procs.pageSize
		}
		if !cpuOK {
			u.CPUSeconds = float64(g.ticks) / clockTicks
		}
	}
	p.mu.Lock()
	p.cpuLast = max(p.cpuLast, u.CPUSeconds)
	p.mu.Unlock()
	return u
}

// stop sends SIGTERM to the run's processes, then SIGKILL after grace
// unless the run has ended by then.
func (p *proc) stop(grace time.Duration) {
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		return
	}
	p.stopping = true
	p.mu.Unlock()
	p.signal(syscall.SIGTERM)
	go func() {
		select {
		case <-p.done:
		case <-time.After(grace):
			p.signal(syscall.SIGKILL)
		}
	}()
}

// signal sends sig to every process of the run: its process group and, as
// processes may leave the group (setsid), its cgroup. In a sandbox, SIGTERM
// spares bwrap, which would die of it and take the sandbox down with
// SIGKILL at once (a process that left the group dies with the sandbox's
// PID namespace at the end).
func (p *proc) signal(sig syscall.Signal) {
	if p.sandboxed && sig != syscall.SIGKILL {
		p.procs.signalGroup(p.pgid, sig, p.cmd.Process.Pid)
	} else {
		syscall.Kill(-p.pgid, sig)
	}
	if p.mem != nil {
		self := os.Getpid() // should a server thread be in the group
		for _, pid := range p.mem.pids() {
			if pid != self && (!p.sandboxed || sig == syscall.SIGKILL || pid != p.cmd.Process.Pid) {
				syscall.Kill(pid, sig)
			}
		}
	}
}

// wait reaps the run. When its main process exits, what is left of its
// process group is killed, as a run ends with its main process; only then
// does the output pipe reach its end.
func (p *proc) wait() {
	err := p.cmd.Wait()
	p.signal(syscall.SIGKILL)
	if p.timer != nil {
		p.timer.Stop()
	}
	p.output.Wait()
	r := runner.Result{ExitCode: p.cmd.ProcessState.ExitCode()}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		r.ExitCode = -1
	}
	if p.mem != nil {
		r.OutOfMemory = p.mem.oomKilled()
	}
	// The CPU time: from the cgroup, else what the main process and the
	// children it reaped used, or the last sample if it was more.
	cpu, ok := 0.0, false
	if p.cpu != nil {
		cpu, ok = p.cpu.cpuSeconds()
	}
	if ps := p.cmd.ProcessState; !ok && ps != nil {
		cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	// The groups are empty and read: removing them (which may need
	// retries) need not hold up the result.
	go p.removeCgroups()
	p.mu.Lock()
	r.TimedOut, r.Aborted = p.timedOut, p.aborted
	p.result = r
	p.cpuEnd = max(cpu, p.cpuLast)
	p.mu.Unlock()
	close(p.done)
}

// joinAfterStart moves a run started outside cgroups into new ones; it
// returns what the run's limits should say.
func (p *proc) joinAfterStart(ctx context.Context, r *Runner, limit int64) []string {
	var limits []string
	pid := p.cmd.Process.Pid
	if r.mem != nil {
		g, err := r.mem.create(p.spec.RunID)
		if err == nil && limit > 0 {
			err = g.limitMemory(limit)
		}
		if err == nil {
			err = g.add(pid)
		}
		if err != nil {
			if g != nil {
				g.remove()
			}
			r.logger.WarnContext(ctx, "run memory limit not enforced", "run_id", p.spec.RunID, "err", err)
			if limit > 0 {
				limits = append(limits, "memory limit not enforced: "+err.Error())
			}
		} else {
			p.mem = g
		}
	}
	if r.cpu != nil {
		if g, err := r.cpu.create(p.spec.RunID); err == nil {
			if err := g.add(pid); err != nil {
				g.remove()
			} else {
				p.cpu = g
			}
		}
	}
	return limits
}

func (p *proc) removeCgroups() {
	for _, g := range []*cgroup{p.mem, p.cpu} {
		if g != nil {
			g.remove()
		}
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

// Unprivileged is the user runs (and builds) get when the server is root:
// nobody (65534:65534). Without root it is nil: the server's own user.
func Unprivileged() *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	return &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: true}
}

// program finds the run's program: a bare name through the PATH of the
// run's own environment (not the server's: a folder on the server's PATH
// may be closed to the run's user), a relative path in the run's directory.
func program(spec *runner.Spec) (string, error) {
	prog := spec.Command[0]
	switch {
	case !strings.Contains(prog, "/"):
		path := os.Getenv("PATH")
		for _, kv := range spec.Env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				path = v
			}
		}
		found := ""
		for _, dir := range filepath.SplitList(path) {
			if dir == "" || !filepath.IsAbs(dir) {
				continue
			}
			if fi, err := os.Stat(filepath.Join(dir, prog)); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				found = filepath.Join(dir, prog)
				break
			}
		}
		if found == "" {
			return "", fmt.Errorf("%s: not found on the run's PATH", prog)
		}
		prog = found
	case !filepath.IsAbs(prog):
		prog = filepath.Join(spec.Dir, prog)
	}
	if fi, err := os.Stat(prog); err != nil {
		return "", err
	} else if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", prog)
	}
	return prog, nil
}
