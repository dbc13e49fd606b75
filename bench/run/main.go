// Command run benchmarks what actord adds to starting an actor: a trivial
// actor (bench/run/pusher, a static binary that pushes one item over HTTP)
// through `POST /v2/acts/{id}/runs?waitForFinish=60`, side by side with the
// same binary started directly with the environment a run gets.
//
// It is a benchmark program, not a timed test: see bench/README.md and
// bench/run/run.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
)

type config struct {
	bin         string
	pusher      string
	source      string
	runs        int
	warmup      int
	concurrency int
	duration    time.Duration
	maxRuns     int
	memory      int
	runMemory   int
	verify      bool
	keep        bool
	serverArgs  string
	jsonOut     string
	sampleEvery time.Duration
	timeout     time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "bin/actord", "path to the actord binary")
	flag.StringVar(&c.pusher, "pusher", "", "a prebuilt pusher binary (default: build ./bench/run/pusher with CGO_ENABLED=0)")
	flag.StringVar(&c.source, "source", sourceFiles, "where the actor's source lives: files (the pusher as a BASE64 source file of the actor) or tarball (a .tar.gz key-value store record the version's tarballUrl points at)")
	flag.IntVar(&c.runs, "runs", 300, "sequential runs on each side (direct, actord), alternating")
	flag.IntVar(&c.warmup, "warmup", 10, "untimed runs on each side before the sequential ones")
	flag.IntVar(&c.concurrency, "concurrency", 50, "concurrent clients of the concurrent phases")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "how long each concurrent phase starts new runs")
	flag.IntVar(&c.maxRuns, "max-runs", 20_000, "at most this many runs per concurrent phase")
	flag.IntVar(&c.memory, "memory", 128, "memory of each run, MB (the actor's defaultRunOptions.memoryMbytes)")
	flag.IntVar(&c.runMemory, "run-memory", 0, "ACTORD_RUN_MEMORY_MBYTES of the server (default: concurrency × memory, so that every client's run fits)")
	flag.BoolVar(&c.verify, "verify", true, "after the timed phases, check (untimed) that every run's dataset holds its one item and the direct dataset one per start")
	flag.BoolVar(&c.keep, "keep", false, "keep the temp directory (data dir, server log, pusher binary)")
	flag.StringVar(&c.serverArgs, "server-args", "", "extra space-separated arguments appended to `actord serve`")
	flag.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.DurationVar(&c.sampleEvery, "sample", 20*time.Millisecond, "server RSS sampling interval")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Minute, "overall timeout")
	flag.String("node-dir", "", "unused (bench/run has no Node side; run.sh passes it to every benchmark)")
	flag.Parse()
	if c.runs <= 0 || c.warmup < 0 || c.concurrency <= 0 || c.maxRuns <= 0 || c.memory <= 0 || c.duration <= 0 {
		fatalf("runs, concurrency, max-runs, memory and duration must be positive, warmup not negative")
	}
	if c.source != sourceFiles && c.source != sourceTarball {
		fatalf("-source must be %s or %s", sourceFiles, sourceTarball)
	}
	if c.runMemory == 0 {
		c.runMemory = c.concurrency * c.memory
	}
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) { benchkit.Fatalf("bench/run", format, args...) }

// results is everything the program prints, and what -json writes.
type results struct {
	Date            string  `json:"date"`
	Machine         string  `json:"machine"`
	LoadAvg         string  `json:"loadAvg1m"`
	Isolation       string  `json:"isolation"` // the run log's limits line: cgroup, bubblewrap
	PusherBytes     int64   `json:"pusherBytes"`
	Source          string  `json:"source"` // -source: files or tarball
	MemoryMbytes    int     `json:"runMemoryMbytes"`
	ServerRunMemory int     `json:"serverRunMemoryMbytes"`
	BuildSeconds    float64 `json:"buildSeconds"`

	Sequential sequential `json:"sequential"`
	Direct     burst      `json:"concurrentDirect"`
	Actord     burst      `json:"concurrentActord"`

	IdleRSS  int64  `json:"serverIdleRssBytes"` // after the build, before the first run
	PeakRSS  int64  `json:"serverPeakRssBytes"` // VmHWM over the server's whole life
	Verified string `json:"verified"`
}

// sequential is phase (a)+(b): one start at a time, direct and actord
// alternating.
type sequential struct {
	Runs   int     `json:"runs"`
	Direct summary `json:"direct"`
	Actord summary `json:"actord"`
	// Overhead is actord minus direct: the difference of the medians and
	// of the 95th percentiles, and the distribution of the paired
	// differences (run i through actord minus direct start i).
	OverheadP50  float64 `json:"overheadP50Ms"`
	OverheadP95  float64 `json:"overheadP95Ms"`
	Paired       summary `json:"pairedDiff"`
	Ratio        float64 `json:"ratioOfMedians"`
	ServerCPU    float64 `json:"serverCpuSeconds"`
	OtherCPU     float64 `json:"otherCpuSeconds"` // the actors, bwrap, the kernel …
	ClientCPU    float64 `json:"clientCpuSeconds"`
	Seconds      float64 `json:"seconds"`
	ServerMaxRSS int64   `json:"serverMaxRssBytes"`
}

// burst is one concurrent phase.
type burst struct {
	Clients      int      `json:"clients"`
	Runs         int      `json:"runs"` // succeeded
	Errors       int      `json:"errors"`
	FirstErrors  []string `json:"firstErrors,omitempty"`
	Seconds      float64  `json:"seconds"` // first start .. last end
	RunsPerSec   float64  `json:"runsPerSec"`
	Latency      summary  `json:"latency"`
	ServerCPU    float64  `json:"serverCpuSeconds"`
	OtherCPU     float64  `json:"otherCpuSeconds"`
	ClientCPU    float64  `json:"clientCpuSeconds"`
	ServerMaxRSS int64    `json:"serverMaxRssBytes"`
}

func run(c config) error {
	env, err := benchkit.Setup(c.timeout, c.bin, "actord-bench-run-", c.keep)
	if err != nil {
		return err
	}
	defer env.Close()
	ctx := env.Ctx
	res := results{Source: c.source, Date: env.Date, Machine: env.Machine, LoadAvg: env.LoadAvg, MemoryMbytes: c.memory, ServerRunMemory: c.runMemory}

	// When the server is root, runs execute as nobody. MkdirTemp made the
	// temp dir 0700, which nobody cannot pass, and the server would then
	// put its work dir (builds, run directories) in the system's temp dir,
	// outside ours; 0711 keeps it in the data dir, removed with the rest.
	if err := os.Chmod(env.Tmp, 0o711); err != nil {
		return err
	}
	pusher, err := buildPusher(ctx, c.pusher, env.Tmp)
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(pusher)
	if err != nil {
		return err
	}
	res.PusherBytes = int64(len(bin))

	// The server reads ACTORD_RUN_MEMORY_MBYTES from the environment it
	// inherits.
	os.Setenv("ACTORD_RUN_MEMORY_MBYTES", strconv.Itoa(c.runMemory))
	srv, err := env.StartActord(c.serverArgs)
	if err != nil {
		return err
	}
	defer srv.Stop()
	sampler := benchkit.StartSampler(srv.Pid(), c.sampleEvery)
	defer sampler.Stop()
	token, err := createToken(ctx, env.Bin, srv.DataDir)
	if err != nil {
		return err
	}
	cl := &client{srv: srv, hc: benchkit.NewClient(c.concurrency, false), token: token}

	start := time.Now()
	actorID, err := cl.createActor(ctx, bin, c.memory, c.source)
	if err != nil {
		return err
	}
	if err := cl.build(ctx, actorID); err != nil {
		return err
	}
	res.BuildSeconds = time.Since(start).Seconds()
	benchkit.Logf("actor %s built in %.2fs (pusher %.1f MB, -source %s)", actorID, res.BuildSeconds, float64(len(bin))/1e6, c.source)

	d, err := newDirect(ctx, cl, token, pusher, env.Tmp, c.memory)
	if err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond)
	res.IdleRSS = sampler.Sample()

	var runs []*runResult // every actord run, for the verification
	benchkit.Logf("warm-up: %d runs each side (untimed) ...", c.warmup)
	for range c.warmup {
		if _, err := d.start(ctx); err != nil {
			return fmt.Errorf("direct warm-up: %w", err)
		}
		r := cl.startRun(ctx, actorID)
		if r.err != nil {
			return fmt.Errorf("actord warm-up: %w", r.err)
		}
		runs = append(runs, r)
	}

	seq, seqRuns, err := runSequential(ctx, c, cl, d, actorID, sampler, srv.Pid())
	runs = append(runs, seqRuns...)
	if err != nil {
		return err
	}
	res.Sequential = *seq
	res.Isolation, _ = cl.limits(ctx, runs[0].ID)
	benchkit.Logf("run limits: %s", res.Isolation)

	benchkit.Logf("concurrent, through actord: %d clients for %s (at most %d runs) ...", c.concurrency, c.duration, c.maxRuns)
	var mu sync.Mutex
	res.Actord = runBurst(c, sampler, srv.Pid(), func() (time.Duration, error) {
		r := cl.startRun(ctx, actorID)
		if r.err == nil {
			mu.Lock()
			runs = append(runs, r)
			mu.Unlock()
		}
		return r.latency, r.err
	})
	if err := srv.Alive(); err != nil {
		return err
	}
	benchkit.Logf("concurrent, direct: %d clients for %s (at most %d starts) ...", c.concurrency, c.duration, c.maxRuns)
	res.Direct = runBurst(c, sampler, srv.Pid(), func() (time.Duration, error) { return d.start(ctx) })

	if c.verify {
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
	return benchkit.WriteJSON(c.jsonOut, res)
}

// runSequential is phases (a) and (b): c.runs direct starts and c.runs runs
// through actord, one at a time, alternating so that both sides see the
// same machine.
func runSequential(ctx context.Context, c config, cl *client, d *direct, actorID string, sampler *benchkit.Sampler, pid int) (*sequential, []*runResult, error) {
	benchkit.Logf("sequential: %d direct starts and %d runs through actord, alternating ...", c.runs, c.runs)
	direct := make([]time.Duration, 0, c.runs)
	actord := make([]time.Duration, 0, c.runs)
	var runs []*runResult
	sampler.Sample()
	cpu := benchkit.StartCPU(pid)
	start := time.Now()
	for i := range c.runs {
		lat, err := d.start(ctx)
		if err != nil {
			return nil, runs, fmt.Errorf("direct start %d: %w", i, err)
		}
		direct = append(direct, lat)
		r := cl.startRun(ctx, actorID)
		if r.err != nil {
			return nil, runs, fmt.Errorf("run %d: %w", i, r.err)
		}
		actord = append(actord, r.latency)
		runs = append(runs, r)
	}
	end := time.Now()
	sCPU, cCPU, oCPU := cpu.Stop()
	sampler.Sample()
	s := &sequential{Runs: c.runs, Direct: summarize(direct), Actord: summarize(actord), Paired: summarize(pairedDiff(direct, actord)),
		ServerCPU: sCPU, ClientCPU: cCPU, OtherCPU: oCPU, Seconds: end.Sub(start).Seconds(),
		ServerMaxRSS: sampler.Window(start.Add(-time.Millisecond), end.Add(time.Millisecond)).Max}
	s.OverheadP50 = s.Actord.P50 - s.Direct.P50
	s.OverheadP95 = s.Actord.P95 - s.Direct.P95
	if s.Direct.P50 > 0 {
		s.Ratio = s.Actord.P50 / s.Direct.P50
	}
	benchkit.Logf("sequential: direct p50 %.2f ms p95 %.2f ms; actord p50 %.2f ms p95 %.2f ms; overhead p50 %.2f ms p95 %.2f ms (paired p50 %.2f ms), %.1f×",
		s.Direct.P50, s.Direct.P95, s.Actord.P50, s.Actord.P95, s.OverheadP50, s.OverheadP95, s.Paired.P50, s.Ratio)
	return s, runs, nil
}
