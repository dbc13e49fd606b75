// Command push benchmarks actord's dataset push/read path over HTTP and runs
// the same workload against npm @apify/storage-local side by side.
//
// It is a benchmark program, not a timed test: see bench/README.md and
// bench/push/run.sh.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
)

type config struct {
	bin         string
	items       int
	batch       int
	concurrency int
	page        int
	nodeDir     string
	skipLocal   bool
	verify      bool
	gzip        bool
	keep        bool
	serverArgs  string
	jsonOut     string
	timeout     time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "bin/actord", "path to the actord binary")
	flag.IntVar(&c.items, "items", 1_000_000, "number of items to push")
	flag.IntVar(&c.batch, "batch", 1000, "items per push request")
	flag.IntVar(&c.concurrency, "concurrency", 4, "concurrent push requests (HTTP workers; also used for storage-local)")
	flag.IntVar(&c.page, "page", 10_000, "page size (limit) of the paged read pass")
	flag.StringVar(&c.nodeDir, "node-dir", "bench/push", "directory holding storage-local.mjs and its node_modules")
	flag.BoolVar(&c.skipLocal, "skip-local", false, "do not run the @apify/storage-local side")
	flag.BoolVar(&c.verify, "verify", true, "after the timed reads, do an untimed pass that checks every item's content and that each item is present exactly once")
	flag.BoolVar(&c.gzip, "gzip", false, "let the HTTP client ask for gzip responses (default: identity, to measure the server rather than decompression)")
	flag.BoolVar(&c.keep, "keep", false, "keep the temp directories (data dirs, server log, items file)")
	flag.StringVar(&c.serverArgs, "server-args", "", "extra space-separated arguments appended to `actord serve`")
	flag.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.DurationVar(&c.timeout, "timeout", 60*time.Minute, "overall timeout")
	writeItems := flag.String("write-items", "", "only write the generated items as JSONL to this file and exit (for running storage-local.mjs by hand)")
	flag.Parse()
	if c.items <= 0 || c.batch <= 0 || c.concurrency <= 0 || c.page <= 0 {
		fatalf("items, batch, concurrency and page must be positive")
	}
	benchkit.Main("bench/push", *writeItems, c.items, genItem, func() error { return run(c) })
}

func fatalf(format string, args ...any) { benchkit.Fatalf("bench/push", format, args...) }

// results holds everything the final table prints.
type results struct {
	Date        string `json:"date"`
	Machine     string `json:"machine"`
	Items       int    `json:"items"`
	Batch       int    `json:"batch"`
	Concurrency int    `json:"concurrency"`
	Page        int    `json:"page"`
	ItemBytes   int64  `json:"itemBytes"` // total JSON bytes of all items

	GenSeconds float64 `json:"genSeconds"`
	LoadAvg    string  `json:"loadAvg1m"`

	Ours   side       `json:"actord"`
	Theirs *localSide `json:"storageLocal,omitempty"`
}

type side struct {
	PushSeconds       float64  `json:"pushSeconds"`
	PushItemsPerSec   float64  `json:"pushItemsPerSec"`
	PushP50ms         float64  `json:"pushP50ms"`
	PushP99ms         float64  `json:"pushP99ms"`
	StreamSeconds     float64  `json:"streamSeconds"`
	StreamItemsPerSec float64  `json:"streamItemsPerSec"`
	StreamBytes       int64    `json:"streamBytes"`
	PagedSeconds      float64  `json:"pagedSeconds"`
	PagedItemsPerSec  float64  `json:"pagedItemsPerSec"`
	PeakRSS           int64    `json:"peakRssBytes"`
	IdleRSS           int64    `json:"idleRssBytes"`
	PushMem           phaseMem `json:"pushMem"`
	StreamMem         phaseMem `json:"streamMem"`
	PagedMem          phaseMem `json:"pagedMem"`
	ServerCPUPush     float64  `json:"serverCpuPushSeconds"`
	ServerCPUStream   float64  `json:"serverCpuStreamSeconds"`
	ServerCPUPaged    float64  `json:"serverCpuPagedSeconds"`
	ClientCPUPush     float64  `json:"clientCpuPushSeconds"`
	ClientCPUStream   float64  `json:"clientCpuStreamSeconds"`
	ClientCPUPaged    float64  `json:"clientCpuPagedSeconds"`
	OtherCPUPush      float64  `json:"otherCpuPushSeconds"` // CPU used by other processes on the machine
	OtherCPUStream    float64  `json:"otherCpuStreamSeconds"`
	OtherCPUPaged     float64  `json:"otherCpuPagedSeconds"`
	DiskBytes         int64    `json:"diskBytes"`
	DiskFiles         int      `json:"diskFiles"`
	Verified          bool     `json:"verified"`
}

// phaseMem is benchkit.PhaseMem without its JSON names, so that -json
// writes the same field names as before ("Start", "End", "Max", "Samples").
type phaseMem struct {
	Start, End, Max int64
	Samples         int
}

// localSide is what storage-local.mjs prints (plus disk usage added here).
type localSide struct {
	Version         string  `json:"version"`
	Node            string  `json:"node"`
	Items           int     `json:"items"`
	LoadSeconds     float64 `json:"loadSeconds"`
	PushSeconds     float64 `json:"pushSeconds"`
	PushItemsPerSec float64 `json:"pushItemsPerSec"`
	ReadSeconds     float64 `json:"readSeconds"`
	ReadItemsPerSec float64 `json:"readItemsPerSec"`
	ReadCount       int     `json:"readCount"`
	PageSize        int     `json:"pageSize"`
	RSSBeforePush   int64   `json:"rssBeforePushBytes"`
	RSSAfterPush    int64   `json:"rssAfterPushBytes"`
	RSSPushMax      int64   `json:"rssPushMaxBytes"`
	RSSBeforeRead   int64   `json:"rssBeforeReadBytes"`
	RSSAfterRead    int64   `json:"rssAfterReadBytes"`
	RSSReadMax      int64   `json:"rssReadMaxBytes"`
	PeakRSS         int64   `json:"peakRssBytes"` // process lifetime, including loading the input
	CPUPushSeconds  float64 `json:"cpuPushSeconds"`
	CPUReadSeconds  float64 `json:"cpuReadSeconds"`
	SpotChecked     int     `json:"spotChecked"`
	DiskBytes       int64   `json:"diskBytes"`
	DiskFiles       int     `json:"diskFiles"`
	OtherCPUSeconds float64 `json:"otherCpuSeconds"` // CPU used by other processes while node ran
	WallSeconds     float64 `json:"wallSeconds"`
}

func run(c config) error {
	env, err := benchkit.Setup(c.timeout, c.bin, "actord-bench-push-", c.keep)
	if err != nil {
		return err
	}
	defer env.Close()

	res := results{
		Date:        env.Date,
		Machine:     env.Machine,
		Items:       c.items,
		Batch:       c.batch,
		Concurrency: c.concurrency,
		Page:        c.page,
		LoadAvg:     env.LoadAvg,
	}

	// ---- generate (untimed for the push numbers) ----
	benchkit.Logf("generating %d items in batches of %d ...", c.items, c.batch)
	jsonl := ""
	if !c.skipLocal {
		jsonl = filepath.Join(env.Tmp, "items.jsonl")
	}
	ds, err := buildDataset(c.items, c.batch, jsonl)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	res.GenSeconds, res.ItemBytes = ds.Seconds, ds.ItemBytes
	benchkit.Logf("generated %d items, %.1f MB JSON, avg %.0f B/item, in %.2fs (not part of any timing)",
		c.items, float64(ds.ItemBytes)/1e6, float64(ds.ItemBytes)/float64(c.items), res.GenSeconds)

	// ---- actord ----
	if err := runOurs(env, c, ds, &res.Ours); err != nil {
		return fmt.Errorf("actord: %w", err)
	}
	ds.Batches = nil // free ~200 MB before node runs
	runtime.GC()

	// ---- storage-local ----
	if !c.skipLocal {
		ls, err := runLocal(env, c, jsonl)
		if err != nil {
			return fmt.Errorf("storage-local: %w", err)
		}
		res.Theirs = ls
	}

	printTable(os.Stdout, &res)
	return benchkit.WriteJSON(c.jsonOut, res)
}

// ---------------------------------------------------------------------------
// actord side

func runOurs(env *benchkit.Env, c config, ds *benchkit.Dataset, out *side) error {
	ctx := env.Ctx
	srv, err := env.StartActord(c.serverArgs)
	if err != nil {
		return err
	}
	defer srv.Stop()

	sampler := benchkit.StartSampler(srv.Pid(), 100*time.Millisecond)
	defer sampler.Stop()

	hc := benchkit.NewClient(c.concurrency, c.gzip)
	itemsPath, err := srv.CreateDataset(ctx, hc, "bench")
	if err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond) // let the sampler see the idle server
	out.IdleRSS = sampler.Sample()

	// ---- push ----
	benchkit.Logf("push: %d items in %d requests of %d, %d concurrent workers ...", c.items, len(ds.Batches), c.batch, c.concurrency)
	lat := make([]time.Duration, len(ds.Batches))
	sampler.Sample()
	cpu := benchkit.StartCPU(srv.Pid())
	start := time.Now()
	err = srv.Push(ctx, hc, itemsPath, ds.Batches, c.concurrency, lat)
	elapsed := time.Since(start)
	sCPU, cCPU, oCPU := cpu.Stop()
	end := time.Now()
	sampler.Sample()
	if err != nil {
		return err
	}
	out.PushSeconds = elapsed.Seconds()
	out.PushItemsPerSec = float64(c.items) / elapsed.Seconds()
	slices.Sort(lat)
	out.PushP50ms = ms(lat[len(lat)/2])
	out.PushP99ms = ms(lat[min(len(lat)-1, len(lat)*99/100)])
	out.PushMem = phaseMem(sampler.Window(start.Add(-time.Millisecond), end))
	out.ServerCPUPush, out.ClientCPUPush, out.OtherCPUPush = sCPU, cCPU, oCPU
	benchkit.Logf("push: %.2fs, %.0f items/s, %.1f MB/s; request p50 %.1f ms p99 %.1f ms; server RSS max %s",
		elapsed.Seconds(), out.PushItemsPerSec, float64(ds.ItemBytes)/1e6/elapsed.Seconds(), out.PushP50ms, out.PushP99ms, benchkit.MiB(out.PushMem.Max))

	// ---- read 1: one streaming GET of everything ----
	benchkit.Logf("read: one streaming GET of all items ...")
	var spotErr error
	spots := 0
	spot := func(n int) bool { return n%997 == 0 }
	onSpot := func(n int, raw []byte) error {
		spots++
		if _, err := checkItem(raw); err != nil {
			spotErr = fmt.Errorf("stream item #%d: %w", n, err)
			return spotErr
		}
		return nil
	}
	buf := make([]byte, 256<<10)
	time.Sleep(200 * time.Millisecond)
	sampler.Sample()
	cpu = benchkit.StartCPU(srv.Pid())
	start = time.Now()
	resp, err := srv.Do(ctx, hc, "GET", itemsPath, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return benchkit.StatusErr(resp, "stream read")
	}
	total := resp.Header.Get("X-Apify-Pagination-Total")
	n, nbytes, err := scanArray(resp.Body, buf, spot, onSpot)
	resp.Body.Close()
	elapsed = time.Since(start)
	sCPU, cCPU, oCPU = cpu.Stop()
	end = time.Now()
	sampler.Sample()
	if err != nil {
		return fmt.Errorf("stream read: %w", err)
	}
	if n != c.items {
		return fmt.Errorf("stream read returned %d items, want %d", n, c.items)
	}
	if total != strconv.Itoa(c.items) {
		return fmt.Errorf("stream read: X-Apify-Pagination-Total = %q, want %d", total, c.items)
	}
	out.StreamSeconds = elapsed.Seconds()
	out.StreamItemsPerSec = float64(n) / elapsed.Seconds()
	out.StreamBytes = nbytes
	out.StreamMem = phaseMem(sampler.Window(start.Add(-time.Millisecond), end))
	out.ServerCPUStream, out.ClientCPUStream, out.OtherCPUStream = sCPU, cCPU, oCPU
	benchkit.Logf("read (stream): %d items, %.1f MB in %.2fs = %.0f items/s; %d items content-checked; server RSS start %s end %s max %s (%d samples)",
		n, float64(nbytes)/1e6, elapsed.Seconds(), out.StreamItemsPerSec, spots, benchkit.MiB(out.StreamMem.Start), benchkit.MiB(out.StreamMem.End), benchkit.MiB(out.StreamMem.Max), out.StreamMem.Samples)

	// ---- read 2: paged ----
	benchkit.Logf("read: paged, limit=%d ...", c.page)
	time.Sleep(200 * time.Millisecond)
	sampler.Sample()
	cpu = benchkit.StartCPU(srv.Pid())
	start = time.Now()
	got := 0
	for offset := 0; ; offset += c.page {
		q := fmt.Sprintf("%s?offset=%d&limit=%d", itemsPath, offset, c.page)
		resp, err := srv.Do(ctx, hc, "GET", q, nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return benchkit.StatusErr(resp, "paged read "+q)
		}
		if t := resp.Header.Get("X-Apify-Pagination-Total"); t != strconv.Itoa(c.items) {
			resp.Body.Close()
			return fmt.Errorf("paged read %s: X-Apify-Pagination-Total = %q, want %d", q, t, c.items)
		}
		base := offset
		n, _, err := scanArray(resp.Body, buf, spot, func(i int, raw []byte) error {
			if _, err := checkItem(raw); err != nil {
				return fmt.Errorf("paged item #%d: %w", base+i, err)
			}
			return nil
		})
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("paged read %s: %w", q, err)
		}
		if want := min(c.page, c.items-offset); n != want {
			return fmt.Errorf("paged read %s: %d items, want %d", q, n, want)
		}
		got += n
		if offset+c.page >= c.items {
			break
		}
	}
	elapsed = time.Since(start)
	sCPU, cCPU, oCPU = cpu.Stop()
	end = time.Now()
	sampler.Sample()
	if got != c.items {
		return fmt.Errorf("paged read returned %d items, want %d", got, c.items)
	}
	out.PagedSeconds = elapsed.Seconds()
	out.PagedItemsPerSec = float64(got) / elapsed.Seconds()
	out.PagedMem = phaseMem(sampler.Window(start.Add(-time.Millisecond), end))
	out.ServerCPUPaged, out.ClientCPUPaged, out.OtherCPUPaged = sCPU, cCPU, oCPU
	benchkit.Logf("read (paged): %d items in %.2fs = %.0f items/s; server RSS start %s end %s max %s",
		got, elapsed.Seconds(), out.PagedItemsPerSec, benchkit.MiB(out.PagedMem.Start), benchkit.MiB(out.PagedMem.End), benchkit.MiB(out.PagedMem.Max))

	// ---- untimed full verification ----
	if c.verify {
		benchkit.Logf("verify (untimed): every item's content, each present exactly once ...")
		seen := make([]bool, c.items)
		resp, err := srv.Do(ctx, hc, "GET", itemsPath, nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return benchkit.StatusErr(resp, "verify read")
		}
		n, _, err := scanArray(resp.Body, buf, func(int) bool { return true }, func(i int, raw []byte) error {
			idx, err := checkItem(raw)
			if err != nil {
				return fmt.Errorf("item #%d: %w", i, err)
			}
			if idx >= len(seen) {
				return fmt.Errorf("item #%d has index %d beyond %d", i, idx, len(seen))
			}
			if seen[idx] {
				return fmt.Errorf("item #%d: generated item %d returned twice", i, idx)
			}
			seen[idx] = true
			return nil
		})
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if n != c.items {
			return fmt.Errorf("verify: %d items, want %d", n, c.items)
		}
		out.Verified = true
		benchkit.Logf("verify: OK")
	}

	if out.PeakRSS, err = srv.Finish(sampler); err != nil {
		return err
	}
	out.DiskBytes, out.DiskFiles = diskUsage(srv.DataDir)
	benchkit.Logf("actord: peak RSS (VmHWM) %s, data dir %.1f MB in %d files", benchkit.MiB(out.PeakRSS), float64(out.DiskBytes)/1e6, out.DiskFiles)
	return nil
}

// ---------------------------------------------------------------------------
// storage-local side

func runLocal(env *benchkit.Env, c config, jsonl string) (*localSide, error) {
	nodeDir, err := filepath.Abs(c.nodeDir)
	if err != nil {
		return nil, err
	}
	script := filepath.Join(nodeDir, "storage-local.mjs")
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "@apify", "storage-local")); err != nil {
		return nil, fmt.Errorf("node deps missing in %s (run bench/push/run.sh, or: cd %s && npm ci && npm rebuild better-sqlite3 --ignore-scripts=false)", nodeDir, nodeDir)
	}
	storageDir := filepath.Join(env.Tmp, "storage-local")
	benchkit.Logf("storage-local: node %s (same %d items from %s) ...", script, c.items, jsonl)
	cmd := exec.CommandContext(env.Ctx, "node", "--expose-gc", script,
		"--items-file", jsonl,
		"--storage-dir", storageDir,
		"--batch", strconv.Itoa(c.batch),
		"--concurrency", strconv.Itoa(c.concurrency),
		"--page", strconv.Itoa(c.page),
		"--expect", strconv.Itoa(c.items),
	)
	cmd.Dir = nodeDir
	cmd.Stderr = os.Stderr
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	busy0, wall0 := benchkit.SystemBusy(), time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v\nstdout: %s", err, stdout.String())
	}
	nodeCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	otherCPU := max(0, (benchkit.SystemBusy() - busy0 - nodeCPU).Seconds())
	wall := time.Since(wall0).Seconds()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var ls localSide
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &ls); err != nil {
		return nil, fmt.Errorf("parse node output: %v\n%s", err, stdout.String())
	}
	if ls.ReadCount != c.items {
		return nil, fmt.Errorf("storage-local read back %d items, want %d", ls.ReadCount, c.items)
	}
	ls.DiskBytes, ls.DiskFiles = diskUsage(storageDir)
	ls.OtherCPUSeconds, ls.WallSeconds = otherCPU, wall
	return &ls, nil
}

// ---------------------------------------------------------------------------
// output

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f×", a/b)
}

func printTable(w io.Writer, r *results) {
	o := r.Ours
	fmt.Fprintf(w, "\n== bench/push  %s\n", r.Date)
	fmt.Fprintf(w, "machine: %s; load average at start %s\n", r.Machine, r.LoadAvg)
	fmt.Fprintf(w, "workload: %d items, avg %.0f B JSON (%.1f MB), batches of %d, %d concurrent pushers; paged reads limit=%d\n",
		r.Items, float64(r.ItemBytes)/float64(r.Items), float64(r.ItemBytes)/1e6, r.Batch, r.Concurrency, r.Page)
	fmt.Fprintf(w, "item generation + serialization: %.2fs (excluded from all timings)\n\n", r.GenSeconds)

	row := func(name, ours, theirs, rat string) {
		fmt.Fprintf(w, "%-34s %18s %18s %10s\n", name, ours, theirs, rat)
	}
	t := r.Theirs
	na := "-"
	f0 := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	row("", "actord (HTTP)", "storage-local", "ratio")
	row("push items/s", f0(o.PushItemsPerSec), pick(t != nil, func() string { return f0(t.PushItemsPerSec) }, na),
		pick(t != nil, func() string { return ratio(o.PushItemsPerSec, t.PushItemsPerSec) }, na))
	row("push seconds", f2(o.PushSeconds), pick(t != nil, func() string { return f2(t.PushSeconds) }, na), "")
	row("read items/s, one streaming GET", f0(o.StreamItemsPerSec), pick(t != nil, func() string { return f0(t.ReadItemsPerSec) + " *" }, na),
		pick(t != nil, func() string { return ratio(o.StreamItemsPerSec, t.ReadItemsPerSec) }, na))
	row(fmt.Sprintf("read items/s, paged limit=%d", r.Page), f0(o.PagedItemsPerSec), pick(t != nil, func() string { return f0(t.ReadItemsPerSec) }, na),
		pick(t != nil, func() string { return ratio(o.PagedItemsPerSec, t.ReadItemsPerSec) }, na))
	row("peak RSS", benchkit.MiB(o.PeakRSS), pick(t != nil, func() string { return benchkit.MiB(max(t.RSSPushMax, t.RSSReadMax)) + " †" }, na), "")
	row("RSS during read: start/max/end", fmt.Sprintf("%.0f/%.0f/%.0f MiB", benchkit.MB(o.StreamMem.Start), benchkit.MB(o.StreamMem.Max), benchkit.MB(o.StreamMem.End)),
		pick(t != nil, func() string {
			return fmt.Sprintf("%.0f/%.0f/%.0f MiB", benchkit.MB(t.RSSBeforeRead), benchkit.MB(t.RSSReadMax), benchkit.MB(t.RSSAfterRead))
		}, na), "")
	row("on-disk size", fmt.Sprintf("%.0f MB", float64(o.DiskBytes)/1e6), pick(t != nil, func() string { return fmt.Sprintf("%.0f MB", float64(t.DiskBytes)/1e6) }, na), "")
	row("files on disk", strconv.Itoa(o.DiskFiles), pick(t != nil, func() string { return strconv.Itoa(t.DiskFiles) }, na), "")
	fmt.Fprintln(w)
	if t != nil {
		fmt.Fprintf(w, "* storage-local has no streaming read; its listItems paging (limit=%d) is compared with both of ours.\n", t.PageSize)
		fmt.Fprintf(w, "actord: peak = VmHWM of the server process over its whole life; read RSS is for the streaming GET (paged below).\n")
		fmt.Fprintf(w, "† storage-local is a library inside the node process: max RSS sampled during push and read; the push phase\n")
		fmt.Fprintf(w, "  includes the %.0f MB of input payload strings the caller holds (dropped before the read).\n", float64(r.ItemBytes)/1e6)
	}
	fmt.Fprintf(w, "\nactord server detail:\n")
	fmt.Fprintf(w, "  idle RSS after dataset create: %s\n", benchkit.MiB(o.IdleRSS))
	fmt.Fprintf(w, "  push:   %.2fs; request latency p50 %.1f ms, p99 %.1f ms; RSS start %s, end %s, max %s; CPU server %.1fs, client %.1fs, other (processes+kernel threads) %.1fs\n",
		o.PushSeconds, o.PushP50ms, o.PushP99ms, benchkit.MiB(o.PushMem.Start), benchkit.MiB(o.PushMem.End), benchkit.MiB(o.PushMem.Max), o.ServerCPUPush, o.ClientCPUPush, o.OtherCPUPush)
	fmt.Fprintf(w, "  stream: %.2fs, %.1f MB body; RSS start %s, end %s, max %s (%d samples @100ms); CPU server %.1fs, client %.1fs, other (processes+kernel threads) %.1fs\n",
		o.StreamSeconds, float64(o.StreamBytes)/1e6, benchkit.MiB(o.StreamMem.Start), benchkit.MiB(o.StreamMem.End), benchkit.MiB(o.StreamMem.Max), o.StreamMem.Samples, o.ServerCPUStream, o.ClientCPUStream, o.OtherCPUStream)
	fmt.Fprintf(w, "  paged:  %.2fs; RSS start %s, end %s, max %s (%d samples @100ms); CPU server %.1fs, client %.1fs, other (processes+kernel threads) %.1fs\n",
		o.PagedSeconds, benchkit.MiB(o.PagedMem.Start), benchkit.MiB(o.PagedMem.End), benchkit.MiB(o.PagedMem.Max), o.PagedMem.Samples, o.ServerCPUPaged, o.ClientCPUPaged, o.OtherCPUPaged)
	fmt.Fprintf(w, "  content: %s\n", pick(o.Verified, func() string { return "every item verified byte-for-value, each exactly once (untimed pass)" }, "spot-checked every 997th item only"))
	if t != nil {
		fmt.Fprintf(w, "\nstorage-local detail (@apify/storage-local %s, node %s):\n", t.Version, t.Node)
		fmt.Fprintf(w, "  push:   %.2fs, CPU %.1fs; RSS start %s, end %s, max %s\n", t.PushSeconds, t.CPUPushSeconds, benchkit.MiB(t.RSSBeforePush), benchkit.MiB(t.RSSAfterPush), benchkit.MiB(t.RSSPushMax))
		fmt.Fprintf(w, "  read:   %.2fs, CPU %.1fs; RSS start %s, end %s, max %s; %d items content-checked\n", t.ReadSeconds, t.CPUReadSeconds, benchkit.MiB(t.RSSBeforeRead), benchkit.MiB(t.RSSAfterRead), benchkit.MiB(t.RSSReadMax), t.SpotChecked)
		fmt.Fprintf(w, "  node process lifetime max RSS (includes loading the input): %s; other processes + kernel threads used %.1f CPU-s during its %.0fs run\n", benchkit.MiB(t.PeakRSS), t.OtherCPUSeconds, t.WallSeconds)
	}
	if busy := o.OtherCPUPush + o.OtherCPUStream + o.OtherCPUPaged; busy > 0.1*(o.PushSeconds+o.StreamSeconds+o.PagedSeconds) {
		fmt.Fprintf(w, "\nWARNING: other processes used %.1f CPU-seconds during actord's timed phases (%.1fs); the machine was not idle and the numbers are noisy.\n",
			busy, o.PushSeconds+o.StreamSeconds+o.PagedSeconds)
	}
	if t != nil {
		fmt.Fprintf(w, "\ntargets: push ≥ 200,000 items/s: %s (%.0f); push ≥ 10× storage-local: %s (%s)\n",
			benchkit.YesNo(o.PushItemsPerSec >= 200_000), o.PushItemsPerSec, benchkit.YesNo(o.PushItemsPerSec >= 10*t.PushItemsPerSec), ratio(o.PushItemsPerSec, t.PushItemsPerSec))
	} else {
		fmt.Fprintf(w, "\ntargets: push ≥ 200,000 items/s: %s (%.0f)\n", benchkit.YesNo(o.PushItemsPerSec >= 200_000), o.PushItemsPerSec)
	}
}

func pick(cond bool, f func() string, otherwise string) string {
	if cond {
		return f()
	}
	return otherwise
}
