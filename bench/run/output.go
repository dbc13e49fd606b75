package main

import (
	"fmt"
	"io"

	"github.com/actord/actord/bench/internal/benchkit"
)

func printTable(w io.Writer, r *results, c config) {
	s := r.Sequential
	fmt.Fprintf(w, "\n== bench/run  %s\n", r.Date)
	fmt.Fprintf(w, "machine: %s; load average at start %s\n", r.Machine, r.LoadAvg)
	how := "a BASE64 source file of the actor"
	if r.Source == sourceTarball {
		how = "a .tar.gz key-value store record (tarballUrl)"
	}
	fmt.Fprintf(w, "actor: a static pusher binary (%.1f MB, CGO_ENABLED=0, uploaded as %s) that POSTs one item {\"hello\":\"world\"}\n", float64(r.PusherBytes)/1e6, how)
	fmt.Fprintf(w, "  to its default dataset;")
	fmt.Fprintf(w, " runs of %d MB, the server gives runs %d MB in all; run limits: %s\n", r.MemoryMbytes, r.ServerRunMemory, r.Isolation)
	fmt.Fprintf(w, "direct: the same binary started by this program (fork+exec+wait) with a run's environment, pushing to a dataset of the same server\n")
	fmt.Fprintf(w, "actord: POST /v2/acts/{id}/runs?waitForFinish=60 with input {}, 201 with status SUCCEEDED, timed until the answer is read\n\n")

	row := func(name, a, b, x string) { fmt.Fprintf(w, "%-38s %14s %14s %16s\n", name, a, b, x) }
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	fmt.Fprintf(w, "sequential: %d starts on each side, alternating (after %d warm-up starts each), %.1fs\n", s.Runs, c.warmup, s.Seconds)
	row("", "direct", "actord", "actord − direct")
	row("latency p50, ms", f2(s.Direct.P50), f2(s.Actord.P50), f2(s.OverheadP50))
	row("latency p95, ms", f2(s.Direct.P95), f2(s.Actord.P95), f2(s.OverheadP95))
	row("latency p99, ms", f2(s.Direct.P99), f2(s.Actord.P99), f2(s.Actord.P99-s.Direct.P99))
	row("latency min / max, ms", f2(s.Direct.Min)+" / "+f2(s.Direct.Max), f2(s.Actord.Min)+" / "+f2(s.Actord.Max), "")
	row("latency mean, ms", f2(s.Direct.Mean), f2(s.Actord.Mean), f2(s.Actord.Mean-s.Direct.Mean))
	fmt.Fprintf(w, "paired differences (run i through actord − direct start i): p50 %.2f ms, p95 %.2f ms\n", s.Paired.P50, s.Paired.P95)
	fmt.Fprintf(w, "ratio of medians: %.1f×\n", s.Ratio)
	fmt.Fprintf(w, "CPU over the phase: server %.2fs (%.2f ms per run), this program %.2fs, everything else (actors, bwrap, kernel) %.2fs\n\n",
		s.ServerCPU, s.ServerCPU*1000/float64(s.Runs), s.ClientCPU, s.OtherCPU)

	d, a := r.Direct, r.Actord
	fmt.Fprintf(w, "concurrent: %d clients, each starting again as soon as its start ends, for %s (at most %d per side)\n", a.Clients, c.duration, c.maxRuns)
	row("", "direct", "actord", "actord / direct")
	row("runs/s", fmt.Sprintf("%.1f", d.RunsPerSec), fmt.Sprintf("%.1f", a.RunsPerSec), ratio(a.RunsPerSec, d.RunsPerSec))
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

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
