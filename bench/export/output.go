package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/actord/actord/bench/internal/benchkit"
)

// target is one of the goals for one format.
type target struct {
	what string
	met  bool
}

// targets returns the goals for an export that answered 200, given
// the Node tool's result for the same format (nil if there is none).
func targets(r *exportResult, n *nodeResult) []target {
	var ts []target
	switch r.Format {
	case "json", "jsonl":
		ts = append(ts, target{"≥ 1,000,000 items/s", r.ItemsPerSec >= 1_000_000})
	case "csv":
		ts = append(ts, target{"≥ 500,000 items/s", r.ItemsPerSec >= 500_000})
	case "xlsx":
		ts = append(ts, target{"≥ 100,000 rows/s", r.ItemsPerSec >= 100_000})
		if n != nil && n.Error == "" {
			ts = append(ts, target{"≥ 5× exceljs", r.ItemsPerSec >= 5*n.ItemsPerSec})
		} else {
			ts = append(ts, target{"≥ 5× exceljs (exceljs not run)", false})
		}
	}
	ts = append(ts, target{"server RSS growth ≤ 64 MiB", r.RSSGrowth <= rssBudget})
	return ts
}

func printTable(w io.Writer, res *results, ds *dataset, c config) {
	node := map[string]*nodeResult{}
	for _, n := range res.Node {
		node[n.Tool] = n
	}
	fmt.Fprintf(w, "\n== bench/export  %s\n", res.Date)
	fmt.Fprintf(w, "machine: %s; load average at start %s\n", res.Machine, res.LoadAvg)
	fmt.Fprintf(w, "workload: %s items, nested, avg %.0f B compact JSON (%.1f MB); pushed in %.2fs = %s items/s (setup, not an export)\n",
		benchkit.Commas(float64(res.Items)), float64(res.ItemBytes)/float64(res.Items), float64(res.ItemBytes)/1e6, res.PushSeconds, benchkit.Commas(res.PushItemsPerSec))
	fmt.Fprintf(w, "actord: one GET /v2/datasets/{id}/items?format=F per format, body streamed into a counting sink; items/s = %s / (request sent .. last byte)\n", benchkit.Commas(float64(res.Items)))
	fmt.Fprintf(w, "node:   the same file from the same items, already parsed in memory (loading not timed), written into a counting sink\n\n")

	row := func(cols ...string) {
		fmt.Fprintf(w, "%-6s %14s %14s %8s %9s %10s %10s %11s  %s\n", cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8])
	}
	row("format", "actord items/s", "node items/s", "ratio", "CPU ratio", "actord MB", "node MB", "server RSS", "targets")
	for _, r := range res.Exports {
		n := node[r.Format]
		nodeIPS, nodeMB := "-", "-"
		if n != nil {
			if n.Error != "" {
				nodeIPS = "failed"
			} else {
				nodeIPS, nodeMB = benchkit.Commas(n.ItemsPerSec), fmt.Sprintf("%.1f", float64(n.Bytes)/1e6)
			}
		}
		if r.Status != 200 {
			what := "unsupported"
			if r.Status == 0 {
				what = "error"
			}
			row(r.Format, what, nodeIPS, "-", "-", "-", nodeMB, "-", fmt.Sprintf("(HTTP %d)", r.Status))
			continue
		}
		rat, cpuRat := "-", "-"
		if n != nil && n.Error == "" && n.ItemsPerSec > 0 {
			rat = fmt.Sprintf("%.2f×", r.ItemsPerSec/n.ItemsPerSec)
			if r.ServerCPU > 0 {
				cpuRat = fmt.Sprintf("%.2f×", n.CPUSeconds/r.ServerCPU)
			}
		}
		var tgt []string
		allMet := true
		for _, t := range targets(r, n) {
			allMet = allMet && t.met
			if !t.met {
				tgt = append(tgt, "NOT "+t.what)
			}
		}
		verdict := "all met"
		if !allMet {
			verdict = strings.Join(tgt, "; ")
		}
		if !strings.HasPrefix(r.Check, "ok") {
			verdict += "; CHECK FAILED: " + r.Check
		}
		row(r.Format, benchkit.Commas(r.ItemsPerSec), nodeIPS, rat, cpuRat, fmt.Sprintf("%.1f", float64(r.Bytes)/1e6), nodeMB,
			fmt.Sprintf("%+.1f MiB", benchkit.MB(r.RSSGrowth)), verdict)
	}
	// Node tools whose format the server was not asked for.
	for _, n := range res.Node {
		found := false
		for _, r := range res.Exports {
			found = found || r.Format == n.Tool
		}
		if !found && n.Error == "" {
			row(n.Tool, "-", benchkit.Commas(n.ItemsPerSec), "-", "-", "-", fmt.Sprintf("%.1f", float64(n.Bytes)/1e6), "-", "")
		}
	}

	fmt.Fprintf(w, "\nEach time is the median of %d runs. ratio = actord items/s ÷ node items/s (same run). CPU ratio = node CPU-s ÷ actord server CPU-s\n", c.repeat)
	fmt.Fprintf(w, "for the same export (less sensitive to a busy machine; leaves out actord's HTTP client). server RSS = max VmRSS during an export\n")
	fmt.Fprintf(w, "minus VmRSS just before it (sampled every %s), the largest of the runs.\n", c.sampleEvery)
	fmt.Fprintf(w, "server: VmRSS idle before the exports %s; peak over its life (VmHWM, push included) %s\n", benchkit.MiB(res.IdleRSS), benchkit.MiB(res.PeakRSS))

	fmt.Fprintf(w, "\nactord detail:\n")
	for _, r := range res.Exports {
		if r.Status != 200 {
			fmt.Fprintf(w, "  %-5s HTTP %d: %s\n", r.Format, r.Status, r.Error)
			continue
		}
		fmt.Fprintf(w, "  %-5s %.2fs (runs %s), first byte after %.0f ms, %s bytes (%s); RSS %s -> max %s -> end %s (%d samples); CPU server %.1fs, client %.1fs, other %.1fs; check: %s\n",
			r.Format, r.Seconds, secs(r.RunSeconds), r.FirstByteSeconds*1000, benchkit.Commas(float64(r.Bytes)), r.ContentType,
			benchkit.MiB(r.Mem.Start), benchkit.MiB(r.Mem.Max), benchkit.MiB(r.Mem.End), r.Mem.Samples, r.ServerCPU, r.ClientCPU, r.OtherCPU, r.Check)
		for _, t := range targets(r, node[r.Format]) {
			fmt.Fprintf(w, "        target %s: %s\n", t.what, benchkit.YesNo(t.met))
		}
		if r.Error != "" {
			fmt.Fprintf(w, "        error: %s\n", r.Error)
		}
	}
	if len(res.Node) > 0 {
		fmt.Fprintf(w, "\nnode detail (each tool in a fresh node process; input parsed into memory first, not timed):\n")
		for _, n := range res.Node {
			if n.Error != "" {
				fmt.Fprintf(w, "  %-5s failed: %s\n", n.Tool, n.Error)
				continue
			}
			same := ""
			switch n.Tool {
			case "json":
				same = sameSize(n.Bytes, ds.jsonBytes)
			case "jsonl":
				same = sameSize(n.Bytes, ds.jsonlBytes)
			}
			var runs []float64
			for _, r := range n.Runs {
				runs = append(runs, r.Seconds)
			}
			fmt.Fprintf(w, "  %-5s %s (node %s): %.2fs (runs %s), CPU %.1fs, %s bytes%s", n.Tool, n.Lib, n.Node, n.Seconds, secs(runs), n.CPUSeconds, benchkit.Commas(float64(n.Bytes)), same)
			if n.Columns > 0 {
				fmt.Fprintf(w, ", %d columns (column walk %.2fs of it)", n.Columns, n.HeaderSeconds)
			}
			var wall float64
			for _, x := range runs {
				wall += x
			}
			busy := ""
			if n.OtherCPU > max(0.2, 0.1*wall) {
				busy = " (busy machine: numbers are noisy)"
			}
			fmt.Fprintf(w, "; RSS %s with the input loaded (%.1fs) -> max %s (%+.0f MiB); other processes' CPU during the runs %.1fs%s\n",
				benchkit.MiB(n.RSSBefore), n.LoadSeconds, benchkit.MiB(n.Mem.Max), benchkit.MB(n.RSSGrowth), n.OtherCPU, busy)
		}
	}
	var other, wall float64
	for _, r := range res.Exports {
		other += r.OtherCPU
		wall += r.Seconds
	}
	if other > max(0.2, 0.1*wall) {
		fmt.Fprintf(w, "\nWARNING: other processes used %.1f CPU-s during actord's timed exports (%.1fs); the machine was not idle and the numbers are noisy.\n", other, wall)
	}
}

func secs(v []float64) string {
	var s []string
	for _, x := range v {
		s = append(s, fmt.Sprintf("%.2f", x))
	}
	return strings.Join(s, "/")
}

func sameSize(got, want int64) string {
	if got == want {
		return " (= actord's expected size)"
	}
	return fmt.Sprintf(" (expected %d!)", want)
}
