package main

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procStatus returns VmRSS and VmHWM of pid in bytes.
func procStatus(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &rss
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &hwm
		default:
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 2 {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			*dst = kb * 1024
		}
	}
	return rss, hwm, nil
}

// procCPU returns user+system CPU time consumed by pid so far.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const clkTck = 100 // USER_HZ; 100 on every mainstream Linux build
	return time.Duration(ut+st) * time.Second / clkTck
}

// selfCPU returns this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type rssSample struct {
	t   time.Time
	rss int64
}

// rssSampler polls VmRSS of a process every interval.
type rssSampler struct {
	pid  int
	mu   sync.Mutex
	s    []rssSample
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func startSampler(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() int64 {
	rss, _, err := procStatus(s.pid)
	if err != nil {
		return 0
	}
	s.mu.Lock()
	s.s = append(s.s, rssSample{time.Now(), rss})
	s.mu.Unlock()
	return rss
}

func (s *rssSampler) Stop() { s.once.Do(func() { close(s.stop) }); <-s.done }

// phaseMem is the server's memory over one phase.
type phaseMem struct {
	Start, End, Max int64
	Samples         int
}

// window summarises the samples taken in [from, to]; it also takes fresh
// samples at the edges so start/end are exact.
func (s *rssSampler) window(from, to time.Time) phaseMem {
	s.mu.Lock()
	defer s.mu.Unlock()
	var m phaseMem
	for _, x := range s.s {
		if x.t.Before(from) || x.t.After(to) {
			continue
		}
		if m.Samples == 0 {
			m.Start = x.rss
		}
		m.End = x.rss
		m.Max = max(m.Max, x.rss)
		m.Samples++
	}
	return m
}

// diskUsage returns allocated bytes (st_blocks*512) and file count under dir.
func diskUsage(dir string) (bytes int64, files int) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		var st syscall.Stat_t
		if syscall.Lstat(p, &st) == nil {
			bytes += st.Blocks * 512
		}
		if !d.IsDir() {
			files++
		}
		return nil
	})
	return bytes, files
}

// systemBusy returns the CPU time all CPUs spent not idle since boot
// (user+nice+system+irq+softirq+steal from /proc/stat).
func systemBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		busy += v
	}
	const clkTck = 100
	return time.Duration(busy) * time.Second / clkTck
}

// loadAvg returns the 1-minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// cpuMeter measures, over one phase, the server's CPU, this process's CPU
// and everything else the machine did (other processes competing for CPUs).
type cpuMeter struct {
	pid                 int
	server, self, total time.Duration
}

func startCPU(pid int) cpuMeter {
	return cpuMeter{pid: pid, server: procCPU(pid), self: selfCPU(), total: systemBusy()}
}

func (m cpuMeter) stop() (server, client, other float64) {
	s := procCPU(m.pid) - m.server
	c := selfCPU() - m.self
	t := systemBusy() - m.total
	return s.Seconds(), c.Seconds(), max(0, (t - s - c).Seconds())
}
