package main

import (
	"fmt"
	"io"

	"github.com/actord/actord/bench/internal/benchkit"
)

func printTable(w io.Writer, r *results, c config) {
	s := r.Sequential
	r.Header.Print(w, "bench/run")
	fmt.Fprintf(w, "actord: POST /v2/acts/{id}/runs?waitForFinish=60 with input {}, 201 with status SUCCEEDED, timed until the answer is read\n\n")

	s.Print(w, "actord", c.Warmup)
	fmt.Fprintln(w)
	row := func(name, a, b, x string) { fmt.Fprintf(w, "%-38s %14s %14s %16s\n", name, a, b, x) }
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }

	d, a := r.Direct, r.Actord
	fmt.Fprintf(w, "concurrent: %d clients, each starting again as soon as its start ends, for %s (at most %d per side)\n", a.Clients, c.duration, c.maxRuns)
	row("", "direct", "actord", "actord / direct")
	row("runs/s", fmt.Sprintf("%.1f", d.RunsPerSec), fmt.Sprintf("%.1f", a.RunsPerSec), benchkit.Ratio(a.RunsPerSec, d.RunsPerSec))
	row("succeeded", fmt.Sprint(d.Runs), fmt.Sprint(a.Runs), "")
	row("errors", fmt.Sprint(d.Errors), fmt.Sprint(a.Errors), "")
	row("latency p50, ms", f2(d.Latency.P50), f2(a.Latency.P50), "")
	row("latency p95, ms", f2(d.Latency.P95), f2(a.Latency.P95), "")
	row("latency max, ms", f2(d.Latency.Max), f2(a.Latency.Max), "")
	row("seconds", f2(d.Seconds), f2(a.Seconds), "")
	row("CPU: server / this program / other, s", fmt.Sprintf("%.1f/%.1f/%.1f", d.ServerCPU, d.ClientCPU, d.OtherCPU), fmt.Sprintf("%.1f/%.1f/%.1f", a.ServerCPU, a.ClientCPU, a.OtherCPU), "")
	for _, e := range a.FirstErrors {
		fmt.Fprintf(w, "  actord error: %s\n", e)
	}
	for _, e := range d.FirstErrors {
		fmt.Fprintf(w, "  direct error: %s\n", e)
	}
	if a.Runs > 0 {
		fmt.Fprintf(w, "server CPU per run under load: %.2f ms\n", a.ServerCPU*1000/float64(a.Runs))
	}

	fmt.Fprintf(w, "\nserver memory: idle RSS after the build %s; max RSS sequential %s, concurrent %s; peak (VmHWM, whole life) %s\n",
		benchkit.MiB(r.IdleRSS), benchkit.MiB(s.ServerMaxRSS), benchkit.MiB(a.ServerMaxRSS), benchkit.MiB(r.PeakRSS))
	fmt.Fprintf(w, "build of the actor (setup): %.2fs\n", r.BuildSeconds)
	fmt.Fprintf(w, "verify: %s\n", r.Verified)
	fmt.Fprintf(w, "\ntargets: overhead p50 ≤ 5 ms: %s (%.2f ms)\n", benchkit.YesNo(s.OverheadP50 <= 5), s.OverheadP50)
}
