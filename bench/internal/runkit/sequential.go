package runkit

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
)

// Sequential is the baseline phase of bench/run and bench/sync: one start
// at a time, a direct start and a call through actord alternating, so that
// both sides see the same machine.
type Sequential struct {
	Runs   int              `json:"runs"`
	Direct benchkit.Summary `json:"direct"`
	Actord benchkit.Summary `json:"actord"`
	// Overhead is actord minus direct: the difference of the medians and
	// of the 95th percentiles, and the distribution of the paired
	// differences (call i through actord minus direct start i).
	OverheadP50  float64          `json:"overheadP50Ms"`
	OverheadP95  float64          `json:"overheadP95Ms"`
	Paired       benchkit.Summary `json:"pairedDiff"`
	Ratio        float64          `json:"ratioOfMedians"`
	ServerCPU    float64          `json:"serverCpuSeconds"`
	OtherCPU     float64          `json:"otherCpuSeconds"` // the actors, bwrap, the kernel …
	ClientCPU    float64          `json:"clientCpuSeconds"`
	Seconds      float64          `json:"seconds"`
	ServerMaxRSS int64            `json:"serverMaxRssBytes"`
}

// RunSequential starts the pusher directly and calls actord(i), n times
// each, alternating; the first error ends it. what names actord's side in
// the log ("runs through actord").
func (s *Setup) RunSequential(ctx context.Context, n int, what string, actord func(i int) (time.Duration, error)) (*Sequential, error) {
	benchkit.Logf("sequential: %d direct starts and %d %s, alternating ...", n, n, what)
	direct := make([]time.Duration, 0, n)
	through := make([]time.Duration, 0, n)
	s.Sampler.Sample()
	cpu := benchkit.StartCPU(s.Srv.Pid())
	start := time.Now()
	for i := range n {
		lat, err := s.Direct.Start(ctx)
		if err != nil {
			return nil, fmt.Errorf("direct start %d: %w", i, err)
		}
		direct = append(direct, lat)
		if lat, err = actord(i); err != nil {
			return nil, fmt.Errorf("sequential %d: %w", i, err)
		}
		through = append(through, lat)
	}
	end := time.Now()
	sCPU, cCPU, oCPU := cpu.Stop()
	s.Sampler.Sample()
	q := &Sequential{Runs: n, Direct: benchkit.Summarize(direct), Actord: benchkit.Summarize(through), Paired: benchkit.Summarize(benchkit.PairedDiff(direct, through)),
		ServerCPU: sCPU, ClientCPU: cCPU, OtherCPU: oCPU, Seconds: end.Sub(start).Seconds(),
		ServerMaxRSS: s.Sampler.Window(start.Add(-time.Millisecond), end.Add(time.Millisecond)).Max}
	q.OverheadP50 = q.Actord.P50 - q.Direct.P50
	q.OverheadP95 = q.Actord.P95 - q.Direct.P95
	if q.Direct.P50 > 0 {
		q.Ratio = q.Actord.P50 / q.Direct.P50
	}
	benchkit.Logf("sequential: direct p50 %.2f ms p95 %.2f ms; actord p50 %.2f ms p95 %.2f ms; overhead p50 %.2f ms p95 %.2f ms (paired p50 %.2f ms), %.1f×",
		q.Direct.P50, q.Direct.P95, q.Actord.P50, q.Actord.P95, q.OverheadP50, q.OverheadP95, q.Paired.P50, q.Ratio)
	return q, nil
}

// Print writes the phase's table: side is what the actord column is
// called, warmup how many untimed starts came before.
func (q *Sequential) Print(w io.Writer, side string, warmup int) {
	row := func(name, a, b, x string) { fmt.Fprintf(w, "%-38s %14s %14s %16s\n", name, a, b, x) }
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	fmt.Fprintf(w, "sequential: %d starts on each side, alternating (after %d warm-up starts each), %.1fs\n", q.Runs, warmup, q.Seconds)
	row("", "direct", side, side+" − direct")
	row("latency p50, ms", f2(q.Direct.P50), f2(q.Actord.P50), f2(q.OverheadP50))
	row("latency p95, ms", f2(q.Direct.P95), f2(q.Actord.P95), f2(q.OverheadP95))
	row("latency p99, ms", f2(q.Direct.P99), f2(q.Actord.P99), f2(q.Actord.P99-q.Direct.P99))
	row("latency min / max, ms", f2(q.Direct.Min)+" / "+f2(q.Direct.Max), f2(q.Actord.Min)+" / "+f2(q.Actord.Max), "")
	row("latency mean, ms", f2(q.Direct.Mean), f2(q.Actord.Mean), f2(q.Actord.Mean-q.Direct.Mean))
	fmt.Fprintf(w, "paired differences (call i through actord − direct start i): p50 %.2f ms, p95 %.2f ms\n", q.Paired.P50, q.Paired.P95)
	fmt.Fprintf(w, "ratio of medians: %.1f×\n", q.Ratio)
	fmt.Fprintf(w, "CPU over the phase: server %.2fs (%.2f ms per call), this program %.2fs, everything else (actors, bwrap, kernel) %.2fs\n",
		q.ServerCPU, q.ServerCPU*1000/float64(max(q.Runs, 1)), q.ClientCPU, q.OtherCPU)
}
