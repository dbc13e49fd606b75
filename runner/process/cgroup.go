package process

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// memoryCgroups manages one cgroup-v1 memory group per run under a root
// group of the server's. (cgroup v2 hosts without a v1 memory hierarchy
// are not handled yet; runs there are not memory-limited, and the run's
// Limits say so.)
type memoryCgroups struct {
	root string
}

// openMemoryCgroups creates (or reuses) the root group and checks that the
// server may create groups in it.
func openMemoryCgroups(root string) (*memoryCgroups, error) {
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "memory.limit_in_bytes")); err != nil {
		return nil, fmt.Errorf("no cgroup v1 memory hierarchy at %s", filepath.Dir(root))
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create memory cgroup %s: %w", root, err)
	}
	probe := filepath.Join(root, "probe-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("memory cgroup %s is not writable: %w", root, err)
	}
	os.Remove(probe)
	return &memoryCgroups{root: root}, nil
}

type memoryCgroup struct {
	dir string
}

// create makes the group of one run with a memory limit of limit bytes
// (swap included where the kernel accounts it, so a run cannot page out
// past its limit).
func (m *memoryCgroups) create(runID string, limit int64) (*memoryCgroup, error) {
	dir := filepath.Join(m.root, runID)
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("create memory cgroup: %w", err)
	}
	cg := &memoryCgroup{dir: dir}
	if err := cg.write("memory.limit_in_bytes", limit); err != nil {
		cg.remove()
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err == nil {
		cg.write("memory.memsw.limit_in_bytes", limit)
	}
	return cg, nil
}

func (c *memoryCgroup) write(file string, v int64) error {
	if err := os.WriteFile(filepath.Join(c.dir, file), []byte(strconv.FormatInt(v, 10)), 0o644); err != nil {
		return fmt.Errorf("set %s: %w", file, err)
	}
	return nil
}

// add moves the process into the group; its children follow it.
func (c *memoryCgroup) add(pid int) error {
	return c.write("cgroup.procs", int64(pid))
}

// oomKilled reports whether the kernel's OOM killer killed a process of the
// group because of its limit.
func (c *memoryCgroup) oomKilled() bool {
	b, err := os.ReadFile(filepath.Join(c.dir, "memory.oom_control"))
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := bytes.Cut(sc.Bytes(), []byte(" ")); ok && string(k) == "oom_kill" {
			n, _ := strconv.Atoi(string(v))
			return n > 0
		}
	}
	return false
}

// remove deletes the group once its processes are gone (the kernel may
// take a moment to release them after they are reaped).
func (c *memoryCgroup) remove() {
	for i := 0; i < 50; i++ {
		if err := os.Remove(c.dir); err == nil || os.IsNotExist(err) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
