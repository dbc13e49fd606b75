package main

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBurstBarrier: the first clients calls are all in flight at once,
// and every index is called exactly once.
func TestBurstBarrier(t *testing.T) {
	const clients, rounds = 20, 3
	n := clients * rounds
	var inFlight, peak atomic.Int64
	all := make(chan struct{})
	var once sync.Once
	seen := make([]atomic.Int64, n)
	start, end := burst(clients, rounds, n, func(i int) {
		seen[i].Add(1)
		if v := inFlight.Add(1); v == clients {
			once.Do(func() { close(all) })
		}
		for {
			p := peak.Load()
			if v := inFlight.Load(); v <= p || peak.CompareAndSwap(p, v) {
				break
			}
		}
		if i < clients { // the first wave waits until all of it has arrived
			select {
			case <-all:
			case <-time.After(5 * time.Second):
				t.Error("the first wave was not in flight at once")
			}
		}
		inFlight.Add(-1)
	})
	if peak.Load() != clients {
		t.Errorf("peak in flight %d, want %d", peak.Load(), clients)
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("index %d called %d times", i, seen[i].Load())
		}
	}
	if !end.After(start) {
		t.Errorf("start %v, end %v", start, end)
	}
}

// TestBurstRounds: no client makes more than rounds calls, and the calls
// stop at n.
func TestBurstRounds(t *testing.T) {
	var calls atomic.Int64
	burst(4, 2, 5, func(int) { calls.Add(1) })
	if calls.Load() != 5 {
		t.Errorf("%d calls, want 5", calls.Load())
	}
	calls.Store(0)
	burst(3, 2, 100, func(int) { calls.Add(1) })
	if calls.Load() != 6 {
		t.Errorf("%d calls, want 3 clients × 2 rounds", calls.Load())
	}
}

func TestSummarizeLoad(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	run := func(id string, runTime time.Duration, secs float64) *runInfo {
		r := &runInfo{ID: id, StartedAt: t0, FinishedAt: t0.Add(runTime)}
		r.Stats.RunTimeSecs = secs
		return r
	}
	ok := func(id string, lat, lag time.Duration, runTime time.Duration) call {
		return call{Status: 201, RunID: id, Latency: lat, Arrived: t0.Add(runTime + lag), Body: []byte(`[{"hello":"world"}]`)}
	}
	calls := []call{
		ok("a", 110*ms, 2*ms, 100*ms),
		ok("b", 230*ms, 4*ms, 200*ms),
		ok("c", 300*ms, 6*ms, 280*ms), // run c unknown: latency only
		{Status: 400, RunID: "d", Latency: 50 * ms, Body: []byte(`{"error":{"type":"run-failed"}}`)},
		{Status: 503, RunID: "e", Latency: 60 * ms, Body: []byte(`oops`)},
		{Err: errors.New("connection reset"), Latency: 70 * ms},
	}
	runs := map[string]*runInfo{"a": run("a", 100*ms, 0), "b": run("b", 200*ms, 0.2), "d": run("d", 40*ms, 0.04)}
	l := load{Seconds: 2}
	summarizeLoad(&l, calls, runs)
	if l.Calls != 6 || l.Answered != 5 || l.Transport != 1 || l.ServerErrs != 1 || l.CallsPerSec != 2.5 {
		t.Errorf("counts %+v", l)
	}
	if l.Statuses[201] != 3 || l.Statuses[400] != 1 || l.Statuses[503] != 1 || len(l.Statuses) != 3 {
		t.Errorf("statuses %v", l.Statuses)
	}
	if len(l.NotCreated) != 3 || !strings.Contains(l.NotCreated[0], "HTTP 400") || !strings.Contains(l.NotCreated[1], `"e"`) ||
		!strings.Contains(l.NotCreated[2], "connection reset") {
		t.Errorf("not created %q", l.NotCreated)
	}
	if l.Latency.N != 3 || l.Latency.Max != 300 {
		t.Errorf("latency %+v", l.Latency)
	}
	if l.RunTime.N != 2 || l.RunTime.Min != 100 || l.RunTime.Max != 200 {
		t.Errorf("run time %+v", l.RunTime)
	}
	if l.Overhead.N != 2 || l.Overhead.Min != 10 || l.Overhead.Max != 30 {
		t.Errorf("overhead %+v", l.Overhead)
	}
	if l.Lag.N != 2 || l.Lag.Min != 2 || l.Lag.Max != 4 {
		t.Errorf("lag %+v", l.Lag)
	}
}

func TestRunTime(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	r := &runInfo{StartedAt: t0, FinishedAt: t0.Add(12 * time.Millisecond)}
	if got := r.runTime(); got != 12*time.Millisecond {
		t.Errorf("from the timestamps: %v", got)
	}
	r.Stats.RunTimeSecs = 0.0115
	if got := r.runTime(); got != 11500*time.Microsecond {
		t.Errorf("from runTimeSecs: %v", got)
	}
}

func TestCallCheck(t *testing.T) {
	good := call{Status: http.StatusCreated, RunID: "r", Body: []byte(`[{"hello":"world"}]`)}
	if err := good.check(); err != nil {
		t.Error(err)
	}
	for _, bad := range []call{
		{Err: errors.New("eof")},
		{Status: 408, RunID: "r", Body: []byte(`{}`)},
		{Status: 201, Body: good.Body},
		{Status: 201, RunID: "r", Body: []byte(`[]`)},
	} {
		if bad.check() == nil {
			t.Errorf("%+v passed", bad)
		}
	}
}

func TestStatusLine(t *testing.T) {
	if got := statusLine(map[int]int{408: 1, 201: 198, 400: 2}); got != "201 ×198, 400 ×2, 408 ×1" {
		t.Errorf("statusLine = %q", got)
	}
	if got := statusLine(nil); got != "none" {
		t.Errorf("statusLine(nil) = %q", got)
	}
}

func TestDiffIDs(t *testing.T) {
	missing, extra := diffIDs([]string{"a", "b", "c"}, []string{"d", "b", "a", "e"})
	if strings.Join(missing, ",") != "c" || strings.Join(extra, ",") != "d,e" {
		t.Errorf("missing %v, extra %v", missing, extra)
	}
	if m, e := diffIDs([]string{"a"}, []string{"a"}); m != nil || e != nil {
		t.Errorf("equal sets: %v %v", m, e)
	}
}
