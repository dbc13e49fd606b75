package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/actord/actord/bench/internal/benchkit"
)

// Targets.
const (
	// seqLagTarget bounds the sequential answer lag's p95, ms: a wait
	// woken by the run's end answers within a few ms of it; a poll would
	// show its interval here.
	seqLagTarget = 5.0
)

func printTable(w io.Writer, r *results, c config) {
	s, l, d := r.Sequential, r.Load, r.Direct
	r.Header.Print(w, "bench/sync")
	fmt.Fprintf(w, "sync: POST /v2/acts/{id}/run-sync-get-dataset-items?format=json with input {}, timed until the whole answer is read\n")
	fmt.Fprintf(w, "run time: finishedAt − startedAt of the call's run object (from its creation, READY wait included, to its end)\n\n")

	s.Print(w, "sync", c.Warmup)
	fmt.Fprintf(w, "sync latency − run time: p50 %.2f ms, p95 %.2f ms; answer lag (answer read − finishedAt): p50 %.2f ms, p95 %.2f ms\n",
		s.OverRunTime.P50, s.OverRunTime.P95, s.Lag.P50, s.Lag.P95)
	fmt.Fprintln(w)
	row := func(name, a, b, x string) { fmt.Fprintf(w, "%-40s %16s %16s %16s\n", name, a, b, x) }
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }

	fmt.Fprintf(w, "load: %d clients × %d round(s) = %d calls, started together behind a barrier; %.2fs from the barrier to the last answer (%.1f calls/s)\n",
		l.Clients, l.Rounds, l.Calls, l.Seconds, l.CallsPerSec)
	fmt.Fprintf(w, "answered: %d of %d; transport errors %d; 5xx %d; statuses: %s\n", l.Answered, l.Calls, l.Transport, l.ServerErrs, statusLine(l.Statuses))
	for _, e := range l.NotCreated {
		fmt.Fprintf(w, "  not 201: %s\n", e)
	}
	row("over the 201 answers, ms", "p50", "p95", "max")
	dist := func(name string, x benchkit.Summary) { row(name, f2(x.P50), f2(x.P95), f2(x.Max)) }
	dist("latency", l.Latency)
	dist("run time (finishedAt − startedAt)", l.RunTime)
	dist("overhead: latency − run time", l.Overhead)
	dist("answer lag: answer read − finishedAt", l.Lag)
	dist(fmt.Sprintf("direct: %d starts, %d at once", d.Starts, l.Clients), d.Latency)
	fmt.Fprintf(w, "ratio of p50s, sync / direct: %.1f× (direct: %d errors, %.2fs for all)\n", r.LoadRatio, d.Errors, d.Seconds)
	for _, e := range d.FirstErrors {
		fmt.Fprintf(w, "  direct error: %s\n", e)
	}
	fmt.Fprintf(w, "CPU: sync load server %.2fs (%.2f ms per call), this program %.2fs, everything else %.2fs; direct burst server %.2fs, other %.2fs\n",
		l.ServerCPU, l.ServerCPU*1000/float64(max(l.Calls, 1)), l.ClientCPU, l.OtherCPU, d.ServerCPU, d.OtherCPU)

	hwm := "peak (VmHWM, reset before the load)"
	if l.HWMNote != "" {
		hwm = "peak (" + l.HWMNote + ")"
	}
	fmt.Fprintf(w, "\nserver memory: idle RSS after the build %s; peak before the load (build, sequential; VmHWM) %s; load: sampled max %s, %s %s\n",
		benchkit.MiB(r.IdleRSS), benchkit.MiB(r.PeakRSSPre), benchkit.MiB(l.ServerMaxRSS), hwm, benchkit.MiB(l.ServerHWM))
	fmt.Fprintf(w, "build of the actor (setup): %.2fs\n", r.BuildSeconds)
	fmt.Fprintf(w, "verify: %s\n", r.Verified)

	fmt.Fprintf(w, "\ntargets:\n")
	fmt.Fprintf(w, "  every load call answered, no 5xx, no transport error: %s (%d of %d answered, %d 5xx, %d transport errors)\n",
		benchkit.YesNo(l.Answered == l.Calls && l.ServerErrs == 0 && l.Transport == 0), l.Answered, l.Calls, l.ServerErrs, l.Transport)
	fmt.Fprintf(w, "  every load call 201 with the pusher's item: %s (%d of %d; verify %s)\n",
		benchkit.YesNo(l.Statuses[201] == l.Calls && strings.HasPrefix(r.Verified, "ok")), l.Statuses[201], l.Calls, firstWord(r.Verified))
	fmt.Fprintf(w, "  sequential answer lag p95 ≤ %.0f ms (woken by the run's end, no poll): %s (%.2f ms)\n",
		seqLagTarget, benchkit.YesNo(s.Lag.N > 0 && s.Lag.P95 <= seqLagTarget), s.Lag.P95)
}

// firstWord returns s up to its first colon or space.
func firstWord(s string) string {
	if i := strings.IndexAny(s, ": "); i >= 0 {
		return s[:i]
	}
	return s
}
