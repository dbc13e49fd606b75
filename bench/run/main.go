// Command run benchmarks what actord adds to starting an actor: a trivial
// actor (bench/run/pusher, a static binary that pushes one item over HTTP)
// through `POST /v2/acts/{id}/runs?waitForFinish=60`, side by side with the
// same binary started directly with the environment a run gets.
//
// It is a benchmark program, not a timed test: see bench/README.md and
// bench/run/run.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
	"github.com/actord/actord/bench/internal/runkit"
)

type config struct {
	runkit.Flags
	duration time.Duration
	maxRuns  int
}

func main() {
	var c config
	c.Register(flag.CommandLine, "bench/run", 300, 10, 50, "that every run's dataset holds its one item and the direct dataset one per start")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "how long each concurrent phase starts new runs")
	flag.IntVar(&c.maxRuns, "max-runs", 20_000, "at most this many runs per concurrent phase")
	flag.Parse()
	if err := c.Check(); err != nil {
		fatalf("%v", err)
	}
	if c.maxRuns <= 0 || c.duration <= 0 {
		fatalf("max-runs and duration must be positive")
	}
	c.ActorName = actorName
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

// actorName is the benchmark actor's name (and its direct side's
// storages' prefix).
const actorName = "bench-run-pusher"

func fatalf(format string, args ...any) { benchkit.Fatalf("bench/run", format, args...) }

// results is everything the program prints, and what -json writes.
type results struct {
	runkit.Header

	Sequential runkit.Sequential `json:"sequential"`
	Direct     burst             `json:"concurrentDirect"`
	Actord     burst             `json:"concurrentActord"`

	PeakRSS  int64  `json:"serverPeakRssBytes"` // VmHWM over the server's whole life
	Verified string `json:"verified"`
}

// burst is one concurrent phase.
type burst struct {
	Clients      int              `json:"clients"`
	Runs         int              `json:"runs"` // succeeded
	Errors       int              `json:"errors"`
	FirstErrors  []string         `json:"firstErrors,omitempty"`
	Seconds      float64          `json:"seconds"` // first start .. last end
	RunsPerSec   float64          `json:"runsPerSec"`
	Latency      benchkit.Summary `json:"latency"`
	ServerCPU    float64          `json:"serverCpuSeconds"`
	OtherCPU     float64          `json:"otherCpuSeconds"`
	ClientCPU    float64          `json:"clientCpuSeconds"`
	ServerMaxRSS int64            `json:"serverMaxRssBytes"`
}

func run(c config) error {
	env, err := benchkit.Setup(c.Timeout, c.Bin, "actord-bench-run-", c.Keep)
	if err != nil {
		return err
	}
	defer env.Close()
	st, err := runkit.Start(env, c.Options)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, srv, sampler, cl, d, actorID := env.Ctx, st.Srv, st.Sampler, st.Client, st.Direct, st.ActorID
	res := results{Header: st.Header}

	var runs []*runkit.RunResult // every actord run, for the verification
	benchkit.Logf("warm-up: %d runs each side (untimed) ...", c.Warmup)
	for range c.Warmup {
		if _, err := d.Start(ctx); err != nil {
			return fmt.Errorf("direct warm-up: %w", err)
		}
		r := cl.StartRun(ctx, actorID)
		if r.Err != nil {
			return fmt.Errorf("actord warm-up: %w", r.Err)
		}
		runs = append(runs, r)
	}

	seq, err := st.RunSequential(ctx, c.Runs, "runs through actord", func(int) (time.Duration, error) {
		r := cl.StartRun(ctx, actorID)
		if r.Err == nil {
			runs = append(runs, r)
		}
		return r.Latency, r.Err
	})
	if err != nil {
		return err
	}
	res.Sequential = *seq
	res.Isolation, _ = cl.Limits(ctx, runs[0].ID)
	benchkit.Logf("run limits: %s", res.Isolation)

	benchkit.Logf("concurrent, through actord: %d clients for %s (at most %d runs) ...", c.Concurrency, c.duration, c.maxRuns)
	var mu sync.Mutex
	res.Actord = runBurst(c, sampler, srv.Pid(), func() (time.Duration, error) {
		r := cl.StartRun(ctx, actorID)
		if r.Err == nil {
			mu.Lock()
			runs = append(runs, r)
			mu.Unlock()
		}
		return r.Latency, r.Err
	})
	if err := srv.Alive(); err != nil {
		return err
	}
	benchkit.Logf("concurrent, direct: %d clients for %s (at most %d starts) ...", c.Concurrency, c.duration, c.maxRuns)
	res.Direct = runBurst(c, sampler, srv.Pid(), func() (time.Duration, error) { return d.Start(ctx) })

	if c.Verify {
		benchkit.Logf("verify (untimed): %d run datasets, and the direct dataset ...", len(runs))
		res.Verified, err = verify(ctx, cl, runs, d)
		if err != nil {
			return err
		}
		benchkit.Logf("verify: %s", res.Verified)
	} else {
		res.Verified = "not checked (-verify=false)"
	}

	if res.PeakRSS, err = srv.Finish(sampler); err != nil {
		return err
	}
	printTable(os.Stdout, &res, c)
	return benchkit.WriteJSON(c.JSON, res)
}
