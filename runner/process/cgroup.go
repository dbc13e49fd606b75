package process

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// hierarchy is a cgroup-v1 hierarchy (memory, cpuacct) in which the server
// has a root group of its own and makes one group per run. (cgroup v2
// hosts without v1 hierarchies are not handled yet; runs there are not
// memory-limited, and the run's Limits say so.)
type hierarchy struct {
	root string
}

// openHierarchy creates (or reuses) the root group and checks that the
// server may create groups in it; control is a file every group of the
// hierarchy has (memory.limit_in_bytes, cpuacct.usage).
func openHierarchy(root, control string) (*hierarchy, error) {
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), control)); err != nil {
		return nil, fmt.Errorf("no cgroup v1 %s hierarchy at %s", strings.Split(control, ".")[0], filepath.Dir(root))
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup %s: %w", root, err)
	}
	probe := filepath.Join(root, "probe-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("cgroup %s is not writable: %w", root, err)
	}
	os.Remove(probe)
	h := &hierarchy{root: root}
	h.removeStale()
	return h, nil
}

// removeStale removes the empty groups a server that ended left behind
// (a group with processes cannot be removed). Spare groups another server
// is preparing for its next run ("next-PID-N") are left alone.
func (h *hierarchy) removeStale() {
	entries, _ := os.ReadDir(h.root)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if rest, ok := strings.CutPrefix(e.Name(), "next-"); ok {
			pid, _, _ := strings.Cut(rest, "-")
			if n, err := strconv.Atoi(pid); err == nil && (n == os.Getpid() || syscall.Kill(n, 0) != syscall.ESRCH) {
				continue
			}
		}
		os.Remove(filepath.Join(h.root, e.Name()))
	}
}

type cgroup struct {
	dir string
}

// rename gives the group a new name in its hierarchy, where it can (it
// keeps its name otherwise: the name is for people reading the hierarchy).
func (c *cgroup) rename(name string) {
	dir := filepath.Join(filepath.Dir(c.dir), name)
	if err := os.Rename(c.dir, dir); err == nil {
		c.dir = dir
	}
}

// create makes the group of one run.
func (h *hierarchy) create(runID string) (*cgroup, error) {
	dir := filepath.Join(h.root, runID)
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	return &cgroup{dir: dir}, nil
}

// limitMemory sets the group's memory limit to limit bytes (swap included
// where the kernel accounts it, so a run cannot page out past its limit).
func (c *cgroup) limitMemory(limit int64) error {
	if err := c.write("memory.limit_in_bytes", limit); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.dir, "memory.memsw.limit_in_bytes")); err == nil {
		c.write("memory.memsw.limit_in_bytes", limit)
	}
	return nil
}

func (c *cgroup) write(file string, v int64) error {
	if err := os.WriteFile(filepath.Join(c.dir, file), []byte(strconv.FormatInt(v, 10)), 0o644); err != nil {
		return fmt.Errorf("set %s: %w", file, err)
	}
	return nil
}

// add moves the process into the group; its children follow it.
func (c *cgroup) add(pid int) error {
	return c.write("cgroup.procs", int64(pid))
}

// pids lists the processes in the group.
func (c *cgroup) pids() []int {
	b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var l []int
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil {
			l = append(l, pid)
		}
	}
	return l
}

// stat returns the value of key in a "key value" file of the group.
func (c *cgroup) stat(file, key string) (int64, bool) {
	b, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := bytes.Cut(sc.Bytes(), []byte(" ")); ok && string(k) == key {
			n, err := strconv.ParseInt(string(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func (c *cgroup) readInt(file string) (int64, bool) {
	b, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	return n, err == nil
}

// oomKilled reports whether the kernel's OOM killer killed a process of the
// group because of its limit.
func (c *cgroup) oomKilled() bool {
	n, _ := c.stat("memory.oom_control", "oom_kill")
	return n > 0
}

// memoryUsage is the group's memory use without the file cache the kernel
// can reclaim at once (what `docker stats` shows).
func (c *cgroup) memoryUsage() (int64, bool) {
	n, ok := c.readInt("memory.usage_in_bytes")
	if !ok {
		return 0, false
	}
	if inactive, ok := c.stat("memory.stat", "total_inactive_file"); ok && inactive < n {
		n -= inactive
	}
	return n, true
}

// cpuSeconds is the CPU time the group's processes have used.
func (c *cgroup) cpuSeconds() (float64, bool) {
	ns, ok := c.readInt("cpuacct.usage")
	return float64(ns) / 1e9, ok
}

// remove deletes the group once its processes are gone (the kernel may
// take a moment to release them after they are reaped).
func (c *cgroup) remove() {
	// The kernel may hold an emptied group for a moment after its last
	// process exits: retry with a backoff from 1 ms, for about 1.5 s.
	delay := time.Millisecond
	for i := 0; i < 40; i++ {
		if err := os.Remove(c.dir); err == nil || os.IsNotExist(err) {
			return
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// spawner starts the runs' processes from one OS thread that never ends,
// so that:
//
//   - a run's processes are born in its cgroups (bwrap forks at once; a
//     process moved in after its start may have children outside): the
//     thread sits in the groups of the next run before the run asks for
//     them, and the child inherits them at the fork;
//   - bwrap's --die-with-parent, which fires when the thread that forked
//     bwrap ends (not the process), fires only when the server ends. (Go
//     ends a thread when a goroutine locked to it returns.)
//
// The groups are prepared ahead because moving a thread into a cgroup-v1
// group waits for an RCU grace period when no other move happened just
// before (measured here: 0.05 ms right after another move, up to 10 ms
// after 50 ms without one), and that wait would be on every run's start.
// Right after a fork the thread moves on into the next run's groups,
// which leaves the started run's groups to the run alone.
type spawner struct {
	logger *slog.Logger
	hs     []*hierarchy // the memory hierarchy first, when there is one
	mem    bool         // whether hs[0] is the memory hierarchy
	once   sync.Once
	reqs   chan spawnReq
}

type spawnReq struct {
	cmd   *exec.Cmd
	runID string
	limit int64 // memory limit in bytes; 0: none
	done  chan spawnResult
}

type spawnResult struct {
	groups   []*cgroup // the run's groups, in the order of hs
	limitErr error     // the memory limit could not be set
	err      error     // cmd did not start; a *joinError: it was not tried
}

// start starts cmd in new groups of every hierarchy, named runID, the
// memory group limited to limit bytes. It returns a *joinError, without
// starting cmd, when the thread cannot be placed in new groups.
func (s *spawner) start(cmd *exec.Cmd, runID string, limit int64) spawnResult {
	s.once.Do(func() {
		s.reqs = make(chan spawnReq)
		go s.loop()
	})
	req := spawnReq{cmd: cmd, runID: runID, limit: limit, done: make(chan spawnResult, 1)}
	s.reqs <- req
	return <-req.done
}

// startOutside starts cmd with the thread in the server's own groups.
func (s *spawner) startOutside(cmd *exec.Cmd) error {
	s.once.Do(func() {
		s.reqs = make(chan spawnReq)
		go s.loop()
	})
	req := spawnReq{cmd: cmd, done: make(chan spawnResult, 1)}
	s.reqs <- req
	return (<-req.done).err
}

func (s *spawner) loop() {
	runtime.LockOSThread() // for good
	tid := strconv.Itoa(syscall.Gettid())
	var next []*cgroup // the groups the thread is in, for the next run
	var nextErr error
	seq := 0
	prepare := func() {
		seq++
		next, nextErr = s.prepare(tid, seq)
	}
	if len(s.hs) > 0 {
		prepare()
	}
	for req := range s.reqs {
		if req.runID == "" { // startOutside
			if next != nil {
				s.park(tid)
				removeAll(next)
				next = nil
			}
			req.done <- spawnResult{err: req.cmd.Start()}
			if len(s.hs) > 0 {
				prepare()
			}
			continue
		}
		if next == nil {
			if prepare(); next == nil {
				req.done <- spawnResult{err: &joinError{nextErr}}
				continue
			}
		}
		groups := next
		for _, g := range groups {
			g.rename(req.runID)
		}
		var res spawnResult
		if s.mem && req.limit > 0 {
			res.limitErr = groups[0].limitMemory(req.limit)
		}
		res.err = req.cmd.Start()
		if res.err == nil {
			res.groups = groups
		}
		req.done <- res
		// Into the next run's groups, out of this one's.
		prepare()
		if res.err != nil {
			removeAll(groups)
		}
	}
}

// prepare makes new groups, one per hierarchy, and moves the thread into
// them; when it cannot, the thread goes back to the server's groups.
func (s *spawner) prepare(tid string, seq int) ([]*cgroup, error) {
	var groups []*cgroup
	for _, h := range s.hs {
		g, err := h.create("next-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(seq))
		if err == nil {
			groups = append(groups, g)
			err = os.WriteFile(filepath.Join(g.dir, "tasks"), []byte(tid), 0o644)
		}
		if err != nil {
			s.park(tid)
			removeAll(groups)
			return nil, err
		}
	}
	return groups, nil
}

// park moves the thread back to the server's root groups.
func (s *spawner) park(tid string) {
	for _, h := range s.hs {
		if err := os.WriteFile(filepath.Join(h.root, "tasks"), []byte(tid), 0o644); err != nil {
			s.logger.Error("a server thread stays in a run's cgroup", "root", h.root, "err", err)
		}
	}
}

func removeAll(groups []*cgroup) {
	for _, g := range groups {
		g.remove()
	}
}

type joinError struct{ err error }

func (e *joinError) Error() string { return "start in the run's cgroups: " + e.err.Error() }
func (e *joinError) Unwrap() error { return e.err }
