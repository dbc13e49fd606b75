package benchkit

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcStatus returns VmRSS and VmHWM of pid in bytes.
func ProcStatus(pid int) (rss, hwm int64, err error) {
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

// clkTck is USER_HZ, the unit of the CPU times in /proc; 100 on every
// mainstream Linux build.
const clkTck = 100

// ProcCPU returns user+system CPU time consumed by pid so far.
func ProcCPU(pid int) time.Duration {
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
	return time.Duration(ut+st) * time.Second / clkTck
}

// SelfCPU returns this process's user+system CPU time.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// SystemBusy returns the CPU time all CPUs spent not idle since boot
// (user+nice+system+irq+softirq+steal from /proc/stat).
func SystemBusy() time.Duration {
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
	return time.Duration(busy) * time.Second / clkTck
}

// LoadAvg returns the 1-minute load average, or "?".
func LoadAvg() string {
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

type rssSample struct {
	t   time.Time
	rss int64
}

// Sampler polls VmRSS of a process every interval (and whenever Sample is
// called).
type Sampler struct {
	pid  int
	mu   sync.Mutex
	s    []rssSample
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// StartSampler starts sampling pid's VmRSS every interval until Stop.
func StartSampler(pid int, every time.Duration) *Sampler {
	s := &Sampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.Sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Sample takes one sample now and returns it (0 if the process is gone).
func (s *Sampler) Sample() int64 {
	rss, _, err := ProcStatus(s.pid)
	if err != nil {
		return 0
	}
	s.mu.Lock()
	s.s = append(s.s, rssSample{time.Now(), rss})
	s.mu.Unlock()
	return rss
}

// Stop ends the polling; it may be called more than once.
func (s *Sampler) Stop() { s.once.Do(func() { close(s.stop) }); <-s.done }

// PhaseMem is a process's VmRSS over one phase, in bytes.
type PhaseMem struct {
	Start   int64 `json:"startBytes"`
	End     int64 `json:"endBytes"`
	Max     int64 `json:"maxBytes"`
	Samples int   `json:"samples"`
}

// Window summarises the samples taken in [from, to]. Callers take a sample
// right before and right after the phase so that start and end are exact.
func (s *Sampler) Window(from, to time.Time) PhaseMem {
	s.mu.Lock()
	defer s.mu.Unlock()
	var m PhaseMem
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

// CPUMeter measures, over one phase, the server's CPU, this process's CPU
// and everything else the machine did (other processes competing for CPUs).
type CPUMeter struct {
	pid                 int
	server, self, total time.Duration
}

// StartCPU starts measuring a phase; pid is the server's.
func StartCPU(pid int) CPUMeter {
	return CPUMeter{pid: pid, server: ProcCPU(pid), self: SelfCPU(), total: SystemBusy()}
}

// Stop returns the CPU-seconds the server, this process (the client) and
// everything else used since StartCPU.
func (m CPUMeter) Stop() (server, client, other float64) {
	s := ProcCPU(m.pid) - m.server
	c := SelfCPU() - m.self
	t := SystemBusy() - m.total
	return s.Seconds(), c.Seconds(), max(0, (t - s - c).Seconds())
}

// ResetPeakRSS sets pid's VmHWM back to its current VmRSS (writing 5 to
// /proc/<pid>/clear_refs), so that VmHWM read later is the peak of what
// ran since. It needs the right to write there (the process's owner or
// root).
func ResetPeakRSS(pid int) error {
	return os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0)
}
