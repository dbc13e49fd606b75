// Command export benchmarks actord's dataset export over HTTP, one format at
// a time, and runs the Node tools a user would otherwise use to make the
// same file side by side (JSON.stringify, @json2csv/node, exceljs).
//
// It is a benchmark program, not a timed test: see bench/README.md and
// bench/export/run.sh.
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
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

// allFormats are the export formats of Apify's dataset items endpoint.
var allFormats = []string{"json", "jsonl", "csv", "xlsx", "html", "xml", "rss"}

// nodeTools are the formats the Node side makes (node/export.mjs).
var nodeTools = map[string]bool{"json": true, "jsonl": true, "csv": true, "xlsx": true}

// rssBudget is the limit on the server's RSS growth during one export.
const rssBudget = 64 << 20

type config struct {
	bin         string
	items       int
	batch       int
	concurrency int
	formats     []string
	nodeDir     string
	skipNode    bool
	keep        bool
	serverArgs  string
	jsonOut     string
	repeat      int
	idle        time.Duration
	sampleEvery time.Duration
	timeout     time.Duration
}

func main() {
	var c config
	formats := strings.Join(allFormats, ",")
	flag.StringVar(&c.bin, "bin", "bin/actord", "path to the actord binary")
	flag.IntVar(&c.items, "items", 1_000_000, "number of items in the dataset")
	flag.IntVar(&c.batch, "batch", 1000, "items per push request (setup, not timed as export)")
	flag.IntVar(&c.concurrency, "concurrency", 4, "concurrent push requests (setup)")
	flag.StringVar(&formats, "formats", formats, "comma-separated export formats to run (json,jsonl,csv,xlsx,html,xml,rss)")
	flag.StringVar(&c.nodeDir, "node-dir", "bench/export", "directory holding node/export.mjs and node_modules")
	flag.BoolVar(&c.skipNode, "skip-node", false, "do not run the Node side")
	flag.BoolVar(&c.keep, "keep", false, "keep the temp directory (data dir, server log, items file)")
	flag.StringVar(&c.serverArgs, "server-args", "", "extra space-separated arguments appended to `actord serve`")
	flag.StringVar(&c.jsonOut, "json", "", "also write all numbers as JSON to this file")
	flag.IntVar(&c.repeat, "repeat", 3, "time each export (and each Node tool) this many times and report the median run")
	flag.DurationVar(&c.idle, "idle", time.Second, "pause before each export (lets the previous one's memory settle)")
	flag.DurationVar(&c.sampleEvery, "sample", 20*time.Millisecond, "RSS sampling interval")
	flag.DurationVar(&c.timeout, "timeout", 60*time.Minute, "overall timeout")
	writeItems := flag.String("write-items", "", "only write the generated items as JSONL to this file and exit (for running node/export.mjs by hand)")
	flag.Parse()
	if c.items <= 0 || c.batch <= 0 || c.concurrency <= 0 || c.repeat <= 0 {
		fatalf("items, batch, concurrency and repeat must be positive")
	}
	for _, f := range strings.Split(formats, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(allFormats, f) {
			fatalf("unknown format %q (want some of %s)", f, strings.Join(allFormats, ","))
		}
		if !slices.Contains(c.formats, f) {
			c.formats = append(c.formats, f)
		}
	}
	if len(c.formats) == 0 {
		fatalf("no formats")
	}
	benchkit.Main("bench/export", *writeItems, c.items, genItem, func() error { return run(c) })
}

func fatalf(format string, args ...any) { benchkit.Fatalf("bench/export", format, args...) }

// results is everything the program prints, and what -json writes.
type results struct {
	Date       string  `json:"date"`
	Machine    string  `json:"machine"`
	LoadAvg    string  `json:"loadAvg1m"`
	Items      int     `json:"items"`
	ItemBytes  int64   `json:"itemBytes"` // compact JSON, all items
	GenSeconds float64 `json:"genSeconds"`

	PushSeconds     float64 `json:"pushSeconds"`
	PushItemsPerSec float64 `json:"pushItemsPerSec"`
	IdleRSS         int64   `json:"serverIdleRssBytes"` // after the push, before the first export
	PeakRSS         int64   `json:"serverPeakRssBytes"` // VmHWM over the server's life (push included)

	Exports []*exportResult `json:"actord"`
	Node    []*nodeResult   `json:"node,omitempty"`
}

// exportResult is one GET /v2/datasets/{id}/items?format=F.
type exportResult struct {
	Format      string `json:"format"`
	Status      int    `json:"status"`
	Unsupported bool   `json:"unsupported,omitempty"` // the server answered non-200
	Error       string `json:"error,omitempty"`       // the non-200 body, or a transport error
	ContentType string `json:"contentType,omitempty"`

	Seconds          float64   `json:"seconds"` // request sent .. last byte read; the median run
	RunSeconds       []float64 `json:"runSeconds"`
	FirstByteSeconds float64   `json:"firstByteSeconds"`
	ItemsPerSec      float64   `json:"itemsPerSec"` // dataset items / seconds
	Bytes            int64     `json:"bytes"`
	CountedItems     int64     `json:"countedItems"` // -1: not counted for this format
	Check            string    `json:"check"`        // "ok", or what did not match

	Mem       benchkit.PhaseMem `json:"serverRss"`            // the median run
	RSSGrowth int64             `json:"serverRssGrowthBytes"` // Mem.Max - Mem.Start, the largest of all runs
	ServerCPU float64           `json:"serverCpuSeconds"`
	ClientCPU float64           `json:"clientCpuSeconds"`
	OtherCPU  float64           `json:"otherCpuSeconds"` // everything else on the machine
}

// nodeResult is what node/export.mjs printed, plus what we measured of it.
type nodeResult struct {
	Tool        string  `json:"tool"`
	Node        string  `json:"node"`
	Lib         string  `json:"lib"`
	Items       int     `json:"items"`
	Bytes       int64   `json:"bytes"`
	Seconds     float64 `json:"seconds"`
	ItemsPerSec float64 `json:"itemsPerSec"`
	CPUSeconds  float64 `json:"cpuSeconds"`
	Runs        []struct {
		Seconds    float64 `json:"seconds"`
		CPUSeconds float64 `json:"cpuSeconds"`
	} `json:"runs"`
	HeaderSeconds float64           `json:"headerSeconds,omitempty"` // csv/xlsx: the column-union walk, part of Seconds
	Columns       int               `json:"columns,omitempty"`
	LoadSeconds   float64           `json:"loadSeconds"` // reading + parsing the input, not timed
	RSSBefore     int64             `json:"rssBeforeBytes"`
	Mem           benchkit.PhaseMem `json:"rss"` // sampled from /proc during the timed export
	RSSGrowth     int64             `json:"rssGrowthBytes"`
	OtherCPU      float64           `json:"otherCpuSeconds"` // others' CPU while the node runs were timed
	Error         string            `json:"error,omitempty"`
}

func run(c config) error {
	var nodeDir string
	var nodeFormats []string
	env, err := benchkit.Setup(c.timeout, c.bin, "actord-bench-export-", c.keep, func() (err error) {
		nodeDir, nodeFormats, err = nodeSide(c)
		return err
	})
	if err != nil {
		return err
	}
	defer env.Close()
	ctx := env.Ctx

	res := results{
		Date:    env.Date,
		Machine: env.Machine,
		LoadAvg: env.LoadAvg,
		Items:   c.items,
	}

	benchkit.Logf("generating %d items ...", c.items)
	jsonl := filepath.Join(env.Tmp, "items.jsonl")
	ds, err := buildDataset(c.items, c.batch, jsonl)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	res.GenSeconds, res.ItemBytes = ds.Seconds, ds.ItemBytes
	benchkit.Logf("generated %d items, %.1f MB compact JSON, avg %.0f B/item, in %.2fs (untimed); items file %s",
		c.items, float64(ds.ItemBytes)/1e6, float64(ds.ItemBytes)/float64(c.items), res.GenSeconds, jsonl)

	if err := runActord(env, c, ds, &res); err != nil {
		return fmt.Errorf("actord: %w", err)
	}
	ds.Batches = nil
	runtime.GC()

	for _, f := range nodeFormats {
		nr, err := runNode(ctx, nodeDir, f, jsonl, c)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			benchkit.Logf("node %s: %v", f, err)
			nr = &nodeResult{Tool: f, Error: err.Error()}
		}
		res.Node = append(res.Node, nr)
	}

	printTable(os.Stdout, &res, ds, c)
	return benchkit.WriteJSON(c.jsonOut, res)
}

// nodeSide returns the absolute -node-dir and the formats the Node side
// makes in this run, and checks that its files are there.
func nodeSide(c config) (dir string, formats []string, err error) {
	if !c.skipNode {
		for _, f := range c.formats {
			if nodeTools[f] {
				formats = append(formats, f)
			}
		}
	}
	dir, err = filepath.Abs(c.nodeDir)
	if err != nil {
		return "", nil, err
	}
	if len(formats) > 0 {
		for _, p := range []string{"node/export.mjs", "node_modules/exceljs", "node_modules/@json2csv/node", "node_modules/@json2csv/transforms"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				return "", nil, fmt.Errorf("node side: %v (run bench/export/run.sh, or: cd %s && npm ci; or pass -skip-node)", err, dir)
			}
		}
	}
	return dir, formats, nil
}

// ---------------------------------------------------------------------------
// actord side

func runActord(env *benchkit.Env, c config, ds *dataset, res *results) error {
	ctx := env.Ctx
	srv, err := env.StartActord(c.serverArgs)
	if err != nil {
		return err
	}
	defer srv.Stop()

	sampler := benchkit.StartSampler(srv.Pid(), c.sampleEvery)
	defer sampler.Stop()

	hc := benchkit.NewClient(c.concurrency, false) // no gzip: measure the server
	itemsPath, err := srv.CreateDataset(ctx, hc, "bench-export")
	if err != nil {
		return err
	}

	// ---- push (setup) ----
	benchkit.Logf("push (setup): %d items in %d requests, %d concurrent ...", c.items, len(ds.Batches), c.concurrency)
	start := time.Now()
	if err := srv.Push(ctx, hc, itemsPath, ds.Batches, c.concurrency, nil); err != nil {
		return err
	}
	res.PushSeconds = time.Since(start).Seconds()
	res.PushItemsPerSec = float64(c.items) / res.PushSeconds
	benchkit.Logf("push: %.2fs, %.0f items/s", res.PushSeconds, res.PushItemsPerSec)
	time.Sleep(c.idle)
	res.IdleRSS = sampler.Sample()

	// ---- exports ----
	buf := make([]byte, 256<<10)
	for _, f := range c.formats {
		if err := ctx.Err(); err != nil {
			return err
		}
		var runs []*exportResult
		for i := range c.repeat {
			r := exportOne(ctx, c, srv, hc, sampler, itemsPath+"?format="+f, f, buf, ds, i)
			runs = append(runs, r)
			if r.Status != http.StatusOK || r.Error != "" || ctx.Err() != nil {
				break
			}
		}
		res.Exports = append(res.Exports, median(runs))
		if err := srv.Alive(); err != nil {
			return fmt.Errorf("after format=%s: %v", f, err)
		}
	}

	if res.PeakRSS, err = srv.Finish(sampler); err != nil {
		return err
	}
	benchkit.Logf("actord: idle RSS before exports %s, peak RSS (VmHWM, push included) %s", benchkit.MiB(res.IdleRSS), benchkit.MiB(res.PeakRSS))
	return nil
}

// exportOne times one export request. Problems with the answer (non-200,
// a body cut short, wrong counts) are recorded in the result, not returned:
// formats the server does not have yet show up as "unsupported".
func exportOne(ctx context.Context, c config, srv *benchkit.Server, hc *http.Client, sampler *benchkit.Sampler, path, format string, buf []byte, ds *dataset, run int) *exportResult {
	r := &exportResult{Format: format, CountedItems: -1}
	benchkit.Logf("export format=%s (run %d/%d) ...", format, run+1, c.repeat)
	time.Sleep(c.idle)
	before := time.Now()
	sampler.Sample() // the baseline: the window below starts with it
	cpu := benchkit.StartCPU(srv.Pid())
	start := time.Now()
	resp, err := srv.Do(ctx, hc, "GET", path, nil)
	if err != nil {
		r.Error = err.Error()
		benchkit.Logf("export format=%s: %v", format, err)
		return r
	}
	r.Status = resp.StatusCode
	r.ContentType = resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		r.Unsupported = true
		r.Error = apiError(b)
		benchkit.Logf("export format=%s: unsupported: HTTP %d: %s", format, resp.StatusCode, r.Error)
		return r
	}
	cnt := &counter{format: format}
	err = cnt.consume(resp.Body, buf, start)
	resp.Body.Close()
	elapsed := time.Since(start)
	sCPU, cCPU, oCPU := cpu.Stop()
	sampler.Sample()
	end := time.Now()
	r.Seconds = elapsed.Seconds()
	r.FirstByteSeconds = cnt.firstByte.Seconds()
	r.ItemsPerSec = float64(ds.Items) / r.Seconds
	r.Bytes = cnt.bytes
	r.CountedItems = cnt.items()
	r.Mem = sampler.Window(before, end)
	r.RSSGrowth = r.Mem.Max - r.Mem.Start
	r.ServerCPU, r.ClientCPU, r.OtherCPU = sCPU, cCPU, oCPU
	if err != nil {
		r.Error = fmt.Sprintf("body cut short after %d bytes: %v", cnt.bytes, err)
	}
	r.Check = check(r, cnt, ds)
	benchkit.Logf("export format=%s: %.1f MB in %.2fs (first byte %.0f ms) = %.0f items/s; server RSS %s -> max %s (+%.1f MiB), CPU server %.1fs client %.1fs; check: %s",
		format, float64(r.Bytes)/1e6, r.Seconds, r.FirstByteSeconds*1000, r.ItemsPerSec, benchkit.MiB(r.Mem.Start), benchkit.MiB(r.Mem.Max), benchkit.MB(r.RSSGrowth), sCPU, cCPU, r.Check)
	return r
}

// median returns the run with the median time (the slower middle one for an
// even count), with every run's time and the largest RSS growth of all runs.
// A failed run wins, so that failures are never hidden.
func median(runs []*exportResult) *exportResult {
	for _, r := range runs {
		if r.Status != http.StatusOK || r.Error != "" || !strings.HasPrefix(r.Check, "ok") {
			return r
		}
	}
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b *exportResult) int { return cmp.Compare(a.Seconds, b.Seconds) })
	m := *sorted[len(sorted)/2]
	for _, r := range runs {
		m.RunSeconds = append(m.RunSeconds, r.Seconds)
		m.RSSGrowth = max(m.RSSGrowth, r.RSSGrowth)
	}
	return &m
}

// check compares what came back with what was pushed, as far as the client
// can tell cheaply.
func check(r *exportResult, cnt *counter, ds *dataset) string {
	var bad []string
	if r.Error != "" {
		bad = append(bad, "transport error")
	}
	if r.CountedItems >= 0 && r.CountedItems != int64(ds.Items) {
		bad = append(bad, fmt.Sprintf("%d items, want %d", r.CountedItems, ds.Items))
	}
	switch r.Format {
	case "json":
		if cnt.first != '[' || cnt.last != ']' {
			bad = append(bad, "not a JSON array")
		}
		if r.Bytes != ds.jsonBytes {
			bad = append(bad, fmt.Sprintf("%d bytes, want %d", r.Bytes, ds.jsonBytes))
		}
	case "jsonl":
		if r.Bytes != ds.jsonlBytes {
			bad = append(bad, fmt.Sprintf("%d bytes, want %d", r.Bytes, ds.jsonlBytes))
		}
	default:
		if r.Bytes == 0 {
			bad = append(bad, "empty body")
		}
	}
	if len(bad) > 0 {
		return strings.Join(bad, "; ")
	}
	if r.CountedItems < 0 {
		return "ok (bytes only)"
	}
	if r.Format == "json" || r.Format == "jsonl" {
		return "ok (item count and exact size)"
	}
	return "ok (row count)"
}

// apiError returns the message of an Apify-style error body, or the body.
func apiError(b []byte) string {
	var e struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return e.Error.Type + ": " + e.Error.Message
	}
	return strings.TrimSpace(string(b))
}

// ---------------------------------------------------------------------------
// Node side

// runNode runs node/export.mjs for one tool in a fresh process and samples
// its RSS from /proc while it works.
func runNode(ctx context.Context, nodeDir, tool, jsonl string, c config) (*nodeResult, error) {
	cmd := exec.CommandContext(ctx, "node", "--expose-gc", "--max-old-space-size=16384",
		filepath.Join(nodeDir, "node", "export.mjs"),
		"--tool", tool, "--items-file", jsonl, "--expect", strconv.Itoa(c.items), "--repeat", strconv.Itoa(c.repeat))
	cmd.Dir = nodeDir
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	benchkit.Logf("node %s: loading %d items, then exporting %d times ...", tool, c.items, c.repeat)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sampler := benchkit.StartSampler(cmd.Process.Pid, c.sampleEvery)
	var (
		nr      nodeResult
		loaded  time.Time
		busy0   time.Duration
		done    time.Time
		busy1   time.Duration
		cpu0    time.Duration // node's own CPU, from /proc
		cpu1    time.Duration
		lines   []string
		gotDone bool
	)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var m struct {
			Phase    string `json:"phase"`
			RSSBytes int64  `json:"rssBytes"`
		}
		if json.Unmarshal([]byte(line), &m) != nil {
			lines = append(lines, line)
			continue
		}
		switch m.Phase {
		case "loaded":
			loaded, busy0, cpu0 = time.Now(), benchkit.SystemBusy(), benchkit.ProcCPU(cmd.Process.Pid)
			sampler.Sample()
		case "done":
			sampler.Sample()
			done, busy1, cpu1 = time.Now(), benchkit.SystemBusy(), benchkit.ProcCPU(cmd.Process.Pid)
			if err := json.Unmarshal([]byte(line), &nr); err != nil {
				return nil, fmt.Errorf("parse %q: %v", line, err)
			}
			gotDone = true
		}
	}
	io.Copy(io.Discard, stdout)
	sampler.Stop()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("%v; stdout: %s", err, strings.Join(lines, "\n"))
	}
	if !gotDone || loaded.IsZero() {
		return nil, errors.New("node/export.mjs printed no result")
	}
	if nr.Items != c.items {
		return nil, fmt.Errorf("node exported %d items, want %d", nr.Items, c.items)
	}
	nr.Mem = sampler.Window(loaded, done)
	nr.RSSGrowth = nr.Mem.Max - nr.RSSBefore
	nr.OtherCPU = max(0, (busy1 - busy0 - (cpu1 - cpu0)).Seconds())
	benchkit.Logf("node %s: %.1f MB in %.2fs = %.0f items/s; RSS %s -> max %s", tool, float64(nr.Bytes)/1e6, nr.Seconds, nr.ItemsPerSec, benchkit.MiB(nr.RSSBefore), benchkit.MiB(nr.Mem.Max))
	return &nr, nil
}
