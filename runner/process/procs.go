package process

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// procTable is a snapshot of the host's processes by process group, for the
// usage of runs without cgroups and for signalling a run's processes one by
// one. One scan of /proc serves every run that asks within maxAge, so
// sampling many runs every second costs a couple of scans a second.
type procTable struct {
	maxAge   time.Duration
	pageSize int64

	mu      sync.Mutex
	at      time.Time
	byGroup map[int]*groupUsage
}

type groupUsage struct {
	pids     []int
	rssPages int64
	ticks    int64 // utime+stime+cutime+cstime
}

// clockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

func newProcTable() *procTable {
	return &procTable{maxAge: 500 * time.Millisecond, pageSize: int64(os.Getpagesize())}
}

// group returns the processes of the process group pgid, from a snapshot
// at most maxAge old (fresh when fresh is set).
func (t *procTable) group(pgid int, fresh bool) groupUsage {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fresh || t.byGroup == nil || time.Since(t.at) > t.maxAge {
		t.scan()
	}
	if g := t.byGroup[pgid]; g != nil {
		return *g
	}
	return groupUsage{}
}

func (t *procTable) scan() {
	t.byGroup = make(map[int]*groupUsage)
	t.at = time.Now()
	d, err := os.Open("/proc")
	if err != nil {
		return
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	buf := make([]byte, 0, 1024)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		st, ok := readStat(pid, buf)
		if !ok || st.zombie {
			continue
		}
		g := t.byGroup[st.pgid]
		if g == nil {
			g = &groupUsage{}
			t.byGroup[st.pgid] = g
		}
		g.pids = append(g.pids, pid)
		g.rssPages += st.rss
		g.ticks += st.ticks
	}
}

type procStat struct {
	pgid   int
	zombie bool
	ticks  int64
	rss    int64 // pages
}

// readStat reads /proc/<pid>/stat.
func readStat(pid int, buf []byte) (procStat, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	n, err := f.Read(buf[:cap(buf)])
	f.Close()
	if err != nil || n == 0 {
		return procStat{}, false
	}
	b := buf[:n]
	// The command name (field 2) may hold anything; the fields after its
	// closing parenthesis are plain. fields[i] is field i+3 of proc(5).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	fields := bytes.Fields(b[i+1:])
	if len(fields) < 22 {
		return procStat{}, false
	}
	num := func(i int) int64 {
		n, _ := strconv.ParseInt(string(fields[i]), 10, 64)
		return n
	}
	return procStat{
		pgid:   int(num(2)),
		zombie: string(fields[0]) == "Z" || string(fields[0]) == "X",
		ticks:  num(11) + num(12) + num(13) + num(14),
		rss:    num(21),
	}, true
}

// signalGroup sends sig to the processes of the process group pgid except
// those in skip.
func (t *procTable) signalGroup(pgid int, sig syscall.Signal, skip int) {
	for _, pid := range t.group(pgid, true).pids {
		if pid != skip {
			syscall.Kill(pid, sig)
		}
	}
}
