package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
)

// runBurst is a concurrent phase: c.Concurrency clients each call one in a
// loop, starting new calls until c.duration has passed or c.maxRuns calls
// have started; the phase ends when the last call returns. A call that
// returns an error counts as an error, and its latency is left out.
func runBurst(c config, sampler *benchkit.Sampler, pid int, one func() (time.Duration, error)) burst {
	var (
		started atomic.Int64
		mu      sync.Mutex
		lat     []time.Duration
		errs    []string
		nerr    int
		wg      sync.WaitGroup
	)
	sampler.Sample()
	cpu := benchkit.StartCPU(pid)
	start := time.Now()
	deadline := start.Add(c.duration)
	for range c.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && started.Add(1) <= int64(c.maxRuns) {
				d, err := one()
				mu.Lock()
				if err != nil {
					nerr++
					if len(errs) < 5 {
						errs = append(errs, err.Error())
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	end := time.Now()
	sCPU, cCPU, oCPU := cpu.Stop()
	sampler.Sample()
	b := burst{Clients: c.Concurrency, Runs: len(lat), Errors: nerr, FirstErrors: errs, Seconds: end.Sub(start).Seconds(),
		Latency: benchkit.Summarize(lat), ServerCPU: sCPU, ClientCPU: cCPU, OtherCPU: oCPU,
		ServerMaxRSS: sampler.Window(start.Add(-time.Millisecond), end.Add(time.Millisecond)).Max}
	b.RunsPerSec = float64(b.Runs) / b.Seconds
	benchkit.Logf("  %d ok, %d errors in %.2fs = %.1f runs/s; latency p50 %.1f ms p95 %.1f ms max %.1f ms",
		b.Runs, b.Errors, b.Seconds, b.RunsPerSec, b.Latency.P50, b.Latency.P95, b.Latency.Max)
	for _, e := range errs {
		benchkit.Logf("  error: %s", e)
	}
	return b
}
