package main

import (
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
	"github.com/actord/actord/bench/internal/runkit"
)

func TestRunBurst(t *testing.T) {
	s := benchkit.StartSampler(os.Getpid(), time.Millisecond)
	defer s.Stop()
	var calls atomic.Int64
	one := func() (time.Duration, error) {
		n := calls.Add(1)
		time.Sleep(time.Millisecond)
		if n%4 == 0 {
			return 0, errors.New("boom")
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	// Bounded by count.
	b := runBurst(config{Flags: runkit.Flags{Options: runkit.Options{Concurrency: 5}}, duration: time.Minute, maxRuns: 40}, s, os.Getpid(), one)
	if calls.Load() != 40 || b.Runs+b.Errors != 40 || b.Errors != 10 || len(b.FirstErrors) != 5 || b.Latency.N != 30 {
		t.Errorf("%d calls; burst %+v", calls.Load(), b)
	}
	if b.Clients != 5 || b.Seconds <= 0 || b.RunsPerSec != float64(b.Runs)/b.Seconds {
		t.Errorf("burst %+v", b)
	}
	// Bounded by time.
	calls.Store(0)
	start := time.Now()
	b = runBurst(config{Flags: runkit.Flags{Options: runkit.Options{Concurrency: 3}}, duration: 30 * time.Millisecond, maxRuns: 1 << 30}, s, os.Getpid(), one)
	if took := time.Since(start); took > 2*time.Second || b.Runs == 0 || int64(b.Runs+b.Errors) != calls.Load() {
		t.Errorf("took %v; %d calls; burst %+v", took, calls.Load(), b)
	}
}
