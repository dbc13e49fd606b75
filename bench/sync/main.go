// Command sync benchmarks POST /v2/acts/{id}/run-sync-get-dataset-items
// under load: a trivial actor (bench/run/pusher, a static binary that
// pushes one item over HTTP) called one at a time against the same binary
// started directly, then 200 calls at once, each timed against its run's
// own run time, and side by side with 200 direct starts at once.
//
// It is a benchmark program, not a timed test: see bench/README.md and
// bench/sync/run.sh.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
	"github.com/actord/actord/bench/internal/runkit"
)

type config struct {
	runkit.Flags
	rounds int
}

// actorName is the benchmark actor's name (and its direct side's
// storages' prefix).
const actorName = "bench-sync-pusher"

func main() {
	var c config
	c.Register(flag.CommandLine, "bench/sync", 50, 5, 200, "every call's answer, run and dataset, the number of runs on the server, and the direct dataset")
	flag.IntVar(&c.rounds, "rounds", 1, "calls each client of the load makes, one after the other")
	flag.Parse()
	if err := c.Check(); err != nil {
		fatalf("%v", err)
	}
	if c.rounds <= 0 {
		fatalf("rounds must be positive")
	}
	c.ActorName = actorName
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) { benchkit.Fatalf("bench/sync", format, args...) }

// results is everything the program prints, and what -json writes.
type results struct {
	runkit.Header

	Sequential sequential  `json:"sequential"`
	Load       load        `json:"load"`
	Direct     directBurst `json:"concurrentDirect"`
	// LoadRatio is the load's latency p50 over the direct burst's.
	LoadRatio float64 `json:"loadRatioOfMedians"`

	PeakRSSPre int64  `json:"serverPeakRssBeforeLoadBytes"` // VmHWM: build, warm-up, sequential
	Verified   string `json:"verified"`
}

// sequential is the baseline: one call at a time, direct and
// run-sync-get-dataset-items alternating.
type sequential struct {
	runkit.Sequential
	// OverRunTime is each call's latency − its run's own run time; Lag
	// is when its answer was read − the run's finishedAt.
	OverRunTime benchkit.Summary `json:"overheadOverRunTime"`
	Lag         benchkit.Summary `json:"answerLag"`
}

// bench is one run of the benchmark against its server.
type bench struct {
	*runkit.Setup
	c     config
	ctx   context.Context
	calls []call // every call made, in order, for the verification
}

func run(c config) error {
	env, err := benchkit.Setup(c.Timeout, c.Bin, "actord-bench-sync-", c.Keep)
	if err != nil {
		return err
	}
	defer env.Close()
	st, err := runkit.Start(env, c.Options)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, srv := env.Ctx, st.Srv
	res := results{Header: st.Header}
	b := &bench{Setup: st, c: c, ctx: ctx}

	benchkit.Logf("warm-up: %d calls each side (untimed) ...", c.Warmup)
	for range c.Warmup {
		if _, err := b.Direct.Start(ctx); err != nil {
			return fmt.Errorf("direct warm-up: %w", err)
		}
		sc := syncCall(ctx, b.Client, b.ActorID)
		b.calls = append(b.calls, sc)
		if err := sc.check(); err != nil {
			return fmt.Errorf("warm-up call: %w", err)
		}
	}

	seq, err := b.sequential()
	if err != nil {
		return err
	}
	res.Sequential = *seq
	res.Isolation, _ = b.Client.Limits(ctx, b.calls[len(b.calls)-1].RunID)
	benchkit.Logf("run limits: %s", res.Isolation)

	if _, res.PeakRSSPre, err = benchkit.ProcStatus(srv.Pid()); err != nil {
		return err
	}
	res.Load, err = b.load()
	if err != nil {
		return err
	}
	res.Direct = b.directBurst()
	if res.Direct.Latency.P50 > 0 {
		res.LoadRatio = res.Load.Latency.P50 / res.Direct.Latency.P50
	}

	if c.Verify {
		benchkit.Logf("verify (untimed): %d calls, their runs and datasets, and the direct dataset ...", len(b.calls))
		if res.Verified, err = b.verify(); err != nil {
			res.Verified = "FAILED: " + err.Error()
		}
		benchkit.Logf("verify: %s", res.Verified)
	} else {
		res.Verified = "not checked (-verify=false)"
	}
	if _, err := srv.Finish(st.Sampler); err != nil {
		return err
	}
	printTable(os.Stdout, &res, c)
	if err := benchkit.WriteJSON(c.JSON, res); err != nil {
		return err
	}
	if !strings.HasPrefix(res.Verified, "ok") && c.Verify {
		return errors.New("verification failed (see verify above)")
	}
	return nil
}

// sequential is the baseline: c.Runs direct starts and c.Runs calls of
// run-sync-get-dataset-items, one at a time, alternating so that both
// sides see the same machine; then (untimed) each call against its run.
func (b *bench) sequential() (*sequential, error) {
	first := len(b.calls)
	q, err := b.RunSequential(b.ctx, b.c.Runs, "run-sync-get-dataset-items calls", func(int) (time.Duration, error) {
		sc := syncCall(b.ctx, b.Client, b.ActorID)
		b.calls = append(b.calls, sc)
		return sc.Latency, sc.check()
	})
	if err != nil {
		return nil, err
	}
	calls := b.calls[first:]
	runs, err := getRuns(b.ctx, b.Client, runIDs(calls), 8)
	if err != nil {
		return nil, err
	}
	var l load
	summarizeLoad(&l, calls, runs)
	s := &sequential{Sequential: *q, OverRunTime: l.Overhead, Lag: l.Lag}
	benchkit.Logf("sequential: over run time p50 %.2f ms p95 %.2f ms; answer lag p50 %.2f ms p95 %.2f ms", s.OverRunTime.P50, s.OverRunTime.P95, s.Lag.P50, s.Lag.P95)
	return s, nil
}

// load is c.Concurrency clients calling run-sync-get-dataset-items
// together, c.rounds calls each. No answer ends it early: every call's
// outcome is counted.
func (b *bench) load() (load, error) {
	c := b.c
	n := c.Concurrency * c.rounds
	l := load{Clients: c.Concurrency, Rounds: c.rounds}
	benchkit.Logf("load: %d clients × %d round(s) = %d run-sync-get-dataset-items calls, started together; server run memory %d MB ...", c.Concurrency, c.rounds, n, c.RunMemory)
	calls := make([]call, n)
	var answered atomic.Int64
	stop := make(chan struct{})
	go progress(func() int { return int(answered.Load()) }, n, stop)

	if err := benchkit.ResetPeakRSS(b.Srv.Pid()); err != nil {
		l.HWMNote = fmt.Sprintf("VmHWM not reset (%v): the peak is over the server's whole life", err)
	}
	b.Sampler.Sample()
	cpu := benchkit.StartCPU(b.Srv.Pid())
	start, end := burst(c.Concurrency, c.rounds, n, func(i int) {
		calls[i] = syncCall(b.ctx, b.Client, b.ActorID)
		answered.Add(1)
	})
	sCPU, cCPU, oCPU := cpu.Stop()
	close(stop)
	b.Sampler.Sample()
	l.ServerCPU, l.ClientCPU, l.OtherCPU = sCPU, cCPU, oCPU
	l.Seconds = end.Sub(start).Seconds()
	l.ServerMaxRSS = b.Sampler.Window(start.Add(-time.Millisecond), end.Add(time.Millisecond)).Max
	var err error
	if _, l.ServerHWM, err = benchkit.ProcStatus(b.Srv.Pid()); err != nil {
		return l, fmt.Errorf("after the load: %w (server: %v)", err, b.Srv.Alive())
	}
	b.calls = append(b.calls, calls...)

	runs, err := getRuns(b.ctx, b.Client, runIDs(calls), 8)
	if err != nil {
		return l, fmt.Errorf("read the load's runs: %w", err)
	}
	summarizeLoad(&l, calls, runs)
	benchkit.Logf("  %d of %d answered (%s), %d transport errors, in %.2fs; latency p50 %.1f ms p95 %.1f ms max %.1f ms; over run time p50 %.1f ms p95 %.1f ms; answer lag p50 %.1f ms p95 %.1f ms",
		l.Answered, l.Calls, statusLine(l.Statuses), l.Transport, l.Seconds, l.Latency.P50, l.Latency.P95, l.Latency.Max, l.Overhead.P50, l.Overhead.P95, l.Lag.P50, l.Lag.P95)
	for _, e := range l.NotCreated {
		benchkit.Logf("  not 201: %s", e)
	}
	return l, b.Srv.Alive()
}

// directBurst is the anchor of the load: as many direct starts as the load
// made calls, from as many clients, started together.
func (b *bench) directBurst() directBurst {
	c := b.c
	n := c.Concurrency * c.rounds
	benchkit.Logf("direct: %d clients × %d round(s) = %d direct starts, started together ...", c.Concurrency, c.rounds, n)
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	cpu := benchkit.StartCPU(b.Srv.Pid())
	start, end := burst(c.Concurrency, c.rounds, n, func(i int) { lat[i], errs[i] = b.Direct.Start(b.ctx) })
	sCPU, cCPU, oCPU := cpu.Stop()
	d := directBurst{Starts: n, Seconds: end.Sub(start).Seconds(), ServerCPU: sCPU, ClientCPU: cCPU, OtherCPU: oCPU}
	var ok []time.Duration
	for i, err := range errs {
		if err != nil {
			d.Errors++
			if len(d.FirstErrors) < 5 {
				d.FirstErrors = append(d.FirstErrors, err.Error())
			}
			continue
		}
		ok = append(ok, lat[i])
	}
	d.Latency = benchkit.Summarize(ok)
	benchkit.Logf("  %d ok, %d errors in %.2fs; latency p50 %.1f ms p95 %.1f ms max %.1f ms", len(ok), d.Errors, d.Seconds, d.Latency.P50, d.Latency.P95, d.Latency.Max)
	return d
}

// runIDs returns the run IDs the calls were answered with.
func runIDs(calls []call) []string {
	var ids []string
	for _, c := range calls {
		if c.RunID != "" {
			ids = append(ids, c.RunID)
		}
	}
	return ids
}
