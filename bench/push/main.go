// Command push benchmarks actord's dataset push/read path over HTTP and runs
// the same workload against npm @apify/storage-local side by side.
//
// It is a benchmark program, not a timed test: see bench/README.md and
// bench/push/run.sh.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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
	if *writeItems != "" {
		if _, err := buildDataset(c.items, c.batch, *writeItems); err != nil {
			fatalf("%v", err)
		}
		return
	}
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/push: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

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
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()

	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("actord binary: %w (build it with: go build -o bin/actord ./cmd/actord)", err)
	}
	tmp, err := os.MkdirTemp("", "actord-bench-push-")
	if err != nil {
		return err
	}
	if c.keep {
		logf("temp dir (kept): %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	res := results{
		Date:        time.Now().Format("2006-01-02"),
		Machine:     machine(),
		Items:       c.items,
		Batch:       c.batch,
		Concurrency: c.concurrency,
		Page:        c.page,
		LoadAvg:     loadAvg(),
	}

	// ---- generate (untimed for the push numbers) ----
	logf("generating %d items in batches of %d ...", c.items, c.batch)
	jsonl := ""
	if !c.skipLocal {
		jsonl = filepath.Join(tmp, "items.jsonl")
	}
	t0 := time.Now()
	ds, err := buildDataset(c.items, c.batch, jsonl)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	res.GenSeconds = time.Since(t0).Seconds()
	res.ItemBytes = ds.totalBytes
	logf("generated %d items, %.1f MB JSON, avg %.0f B/item, in %.2fs (not part of any timing)",
		c.items, float64(ds.totalBytes)/1e6, float64(ds.totalBytes)/float64(c.items), res.GenSeconds)

	// ---- actord ----
	if err := runOurs(ctx, c, bin, tmp, ds, &res.Ours); err != nil {
		return fmt.Errorf("actord: %w", err)
	}
	ds.batches = nil // free ~200 MB before node runs
	runtime.GC()

	// ---- storage-local ----
	if !c.skipLocal {
		ls, err := runLocal(ctx, c, jsonl, tmp)
		if err != nil {
			return fmt.Errorf("storage-local: %w", err)
		}
		res.Theirs = ls
	}

	printTable(os.Stdout, &res)
	if c.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(c.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// actord side

type server struct {
	cmd     *exec.Cmd
	base    string
	token   string
	logPath string
	exited  chan struct{}
	waitErr error
}

func startServer(ctx context.Context, bin, dataDir, logPath, token string, extra []string) (*server, error) {
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ACTORD_ADMIN_TOKEN="+token)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = os.Stderr
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{cmd: cmd, token: token, logPath: logPath, exited: make(chan struct{})}
	addrCh := make(chan string, 1)
	go func() {
		defer logFile.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		sent := false
		for sc.Scan() {
			line := sc.Bytes()
			logFile.Write(line)
			logFile.Write([]byte{'\n'})
			var m map[string]any
			if json.Unmarshal(line, &m) != nil {
				continue
			}
			if !sent && m["msg"] == "listening" {
				if a, ok := m["addr"].(string); ok {
					addrCh <- a
					sent = true
				}
			}
			if lvl, _ := m["level"].(string); lvl == "ERROR" || lvl == "WARN" {
				logf("server %s: %s", strings.ToLower(lvl), line)
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	select {
	case a := <-addrCh:
		if strings.HasPrefix(a, ":") || strings.HasPrefix(a, "[::]:") || strings.HasPrefix(a, "0.0.0.0:") {
			a = "127.0.0.1:" + a[strings.LastIndexByte(a, ':')+1:]
		}
		s.base = "http://" + a
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("server exited before listening (%v); log: %s\n%s", s.waitErr, logPath, tailFile(logPath, 20))
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, fmt.Errorf("server did not log msg=listening within 60s; log: %s\n%s", logPath, tailFile(logPath, 20))
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) stop() error {
	select {
	case <-s.exited:
		return s.waitErr
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return errors.New("server did not exit within 30s of SIGTERM; killed")
	}
}

func (s *server) alive() error {
	select {
	case <-s.exited:
		return fmt.Errorf("server exited (%v); log tail:\n%s", s.waitErr, tailFile(s.logPath, 20))
	default:
		return nil
	}
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *server) do(ctx context.Context, hc *http.Client, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
	}
	return hc.Do(req)
}

func statusErr(resp *http.Response, what string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	return fmt.Errorf("%s: HTTP %d: %s", what, resp.StatusCode, bytes.TrimSpace(b))
}

func runOurs(ctx context.Context, c config, bin, tmp string, ds *dataset, out *side) error {
	dataDir := filepath.Join(tmp, "actord-data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	token := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	var extra []string
	if c.serverArgs != "" {
		extra = strings.Fields(c.serverArgs)
	}
	srv, err := startServer(ctx, bin, dataDir, filepath.Join(tmp, "actord.log"), token, extra)
	if err != nil {
		return err
	}
	defer srv.stop()
	logf("actord pid %d listening on %s (data dir %s)", srv.pid(), srv.base, dataDir)

	sampler := startSampler(srv.pid(), 100*time.Millisecond)
	defer sampler.Stop()

	hc := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        c.concurrency + 4,
		MaxIdleConnsPerHost: c.concurrency + 4,
		DisableCompression:  !c.gzip,
		IdleConnTimeout:     90 * time.Second,
	}}

	// Create the dataset.
	resp, err := srv.do(ctx, hc, "POST", "/v2/datasets?name=bench", nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return statusErr(resp, "create dataset")
	}
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || created.Data.ID == "" {
		return fmt.Errorf("create dataset: bad response body (%v)", err)
	}
	dsID := created.Data.ID
	itemsPath := "/v2/datasets/" + url.PathEscape(dsID) + "/items"
	time.Sleep(300 * time.Millisecond) // let the sampler see the idle server
	out.IdleRSS = sampler.sample()

	// ---- push ----
	logf("push: %d items in %d requests of %d, %d concurrent workers ...", c.items, len(ds.batches), c.batch, c.concurrency)
	lat := make([]time.Duration, len(ds.batches))
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	pctx, pcancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	sampler.sample()
	cpu := startCPU(srv.pid())
	start := time.Now()
	for w := 0; w < c.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ds.batches) || pctx.Err() != nil {
					return
				}
				t := time.Now()
				resp, err := srv.do(pctx, hc, "POST", itemsPath, ds.batches[i])
				if err == nil {
					if resp.StatusCode != http.StatusCreated {
						err = statusErr(resp, fmt.Sprintf("push batch %d", i))
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat[i] = time.Since(t)
				if err != nil {
					errOnce.Do(func() { firstErr = err; pcancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sCPU, cCPU, oCPU := cpu.stop()
	end := time.Now()
	sampler.sample()
	pcancel()
	if firstErr != nil {
		if e := srv.alive(); e != nil {
			return fmt.Errorf("%v; %v", firstErr, e)
		}
		return firstErr
	}
	out.PushSeconds = elapsed.Seconds()
	out.PushItemsPerSec = float64(c.items) / elapsed.Seconds()
	slices.Sort(lat)
	out.PushP50ms = ms(lat[len(lat)/2])
	out.PushP99ms = ms(lat[min(len(lat)-1, len(lat)*99/100)])
	out.PushMem = sampler.window(start.Add(-time.Millisecond), end)
	out.ServerCPUPush, out.ClientCPUPush, out.OtherCPUPush = sCPU, cCPU, oCPU
	logf("push: %.2fs, %.0f items/s, %.1f MB/s; request p50 %.1f ms p99 %.1f ms; server RSS max %s",
		elapsed.Seconds(), out.PushItemsPerSec, float64(ds.totalBytes)/1e6/elapsed.Seconds(), out.PushP50ms, out.PushP99ms, mib(out.PushMem.Max))

	// ---- read 1: one streaming GET of everything ----
	logf("read: one streaming GET of all items ...")
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
	sampler.sample()
	cpu = startCPU(srv.pid())
	start = time.Now()
	resp, err = srv.do(ctx, hc, "GET", itemsPath, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return statusErr(resp, "stream read")
	}
	total := resp.Header.Get("X-Apify-Pagination-Total")
	n, nbytes, err := scanArray(resp.Body, buf, spot, onSpot)
	resp.Body.Close()
	elapsed = time.Since(start)
	sCPU, cCPU, oCPU = cpu.stop()
	end = time.Now()
	sampler.sample()
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
	out.StreamMem = sampler.window(start.Add(-time.Millisecond), end)
	out.ServerCPUStream, out.ClientCPUStream, out.OtherCPUStream = sCPU, cCPU, oCPU
	logf("read (stream): %d items, %.1f MB in %.2fs = %.0f items/s; %d items content-checked; server RSS start %s end %s max %s (%d samples)",
		n, float64(nbytes)/1e6, elapsed.Seconds(), out.StreamItemsPerSec, spots, mib(out.StreamMem.Start), mib(out.StreamMem.End), mib(out.StreamMem.Max), out.StreamMem.Samples)

	// ---- read 2: paged ----
	logf("read: paged, limit=%d ...", c.page)
	time.Sleep(200 * time.Millisecond)
	sampler.sample()
	cpu = startCPU(srv.pid())
	start = time.Now()
	got := 0
	for offset := 0; ; offset += c.page {
		q := fmt.Sprintf("%s?offset=%d&limit=%d", itemsPath, offset, c.page)
		resp, err := srv.do(ctx, hc, "GET", q, nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return statusErr(resp, "paged read "+q)
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
	sCPU, cCPU, oCPU = cpu.stop()
	end = time.Now()
	sampler.sample()
	if got != c.items {
		return fmt.Errorf("paged read returned %d items, want %d", got, c.items)
	}
	out.PagedSeconds = elapsed.Seconds()
	out.PagedItemsPerSec = float64(got) / elapsed.Seconds()
	out.PagedMem = sampler.window(start.Add(-time.Millisecond), end)
	out.ServerCPUPaged, out.ClientCPUPaged, out.OtherCPUPaged = sCPU, cCPU, oCPU
	logf("read (paged): %d items in %.2fs = %.0f items/s; server RSS start %s end %s max %s",
		got, elapsed.Seconds(), out.PagedItemsPerSec, mib(out.PagedMem.Start), mib(out.PagedMem.End), mib(out.PagedMem.Max))

	// ---- untimed full verification ----
	if c.verify {
		logf("verify (untimed): every item's content, each present exactly once ...")
		seen := make([]bool, c.items)
		resp, err := srv.do(ctx, hc, "GET", itemsPath, nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return statusErr(resp, "verify read")
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
		logf("verify: OK")
	}

	_, hwm, err := procStatus(srv.pid())
	if err != nil {
		return err
	}
	out.PeakRSS = hwm
	sampler.Stop()
	if err := srv.stop(); err != nil {
		logf("server stop: %v", err)
	}
	out.DiskBytes, out.DiskFiles = diskUsage(dataDir)
	logf("actord: peak RSS (VmHWM) %s, data dir %.1f MB in %d files", mib(out.PeakRSS), float64(out.DiskBytes)/1e6, out.DiskFiles)
	return nil
}

// ---------------------------------------------------------------------------
// storage-local side

func runLocal(ctx context.Context, c config, jsonl, tmp string) (*localSide, error) {
	nodeDir, err := filepath.Abs(c.nodeDir)
	if err != nil {
		return nil, err
	}
	script := filepath.Join(nodeDir, "storage-local.mjs")
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "@apify", "storage-local")); err != nil {
		return nil, fmt.Errorf("node deps missing in %s (run bench/push/run.sh, or: cd %s && npm ci && npm rebuild better-sqlite3 --ignore-scripts=false)", nodeDir, nodeDir)
	}
	storageDir := filepath.Join(tmp, "storage-local")
	logf("storage-local: node %s (same %d items from %s) ...", script, c.items, jsonl)
	cmd := exec.CommandContext(ctx, "node", "--expose-gc", script,
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
	busy0, wall0 := systemBusy(), time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v\nstdout: %s", err, stdout.String())
	}
	nodeCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	otherCPU := max(0, (systemBusy() - busy0 - nodeCPU).Seconds())
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

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", mb(b)) }

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func machine() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()))
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				parts = append(parts, strings.TrimSpace(l[strings.IndexByte(l, ':')+1:]))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				f := strings.Fields(l)
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				parts = append(parts, fmt.Sprintf("%.1f GiB RAM", float64(kb)/(1<<20)))
			}
		}
	}
	parts = append(parts, runtime.Version())
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		parts = append(parts, "node "+strings.TrimSpace(string(out)))
	}
	return strings.Join(parts, ", ")
}

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
	row("peak RSS", mib(o.PeakRSS), pick(t != nil, func() string { return mib(max(t.RSSPushMax, t.RSSReadMax)) + " †" }, na), "")
	row("RSS during read: start/max/end", fmt.Sprintf("%.0f/%.0f/%.0f MiB", mb(o.StreamMem.Start), mb(o.StreamMem.Max), mb(o.StreamMem.End)),
		pick(t != nil, func() string {
			return fmt.Sprintf("%.0f/%.0f/%.0f MiB", mb(t.RSSBeforeRead), mb(t.RSSReadMax), mb(t.RSSAfterRead))
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
	fmt.Fprintf(w, "  idle RSS after dataset create: %s\n", mib(o.IdleRSS))
	fmt.Fprintf(w, "  push:   %.2fs; request latency p50 %.1f ms, p99 %.1f ms; RSS start %s, end %s, max %s; CPU server %.1fs, client %.1fs, other (processes+kernel threads) %.1fs\n",
		o.PushSeconds, o.PushP50ms, o.PushP99ms, mib(o.PushMem.Start), mib(o.PushMem.End), mib(o.PushMem.Max), o.ServerCPUPush, o.ClientCPUPush, o.OtherCPUPush)
	fmt.Fprintf(w, "  stream: %.2fs, %.1f MB body; RSS start %s, end %s, max %s (%d samples @100ms); CPU server %.1fs, client %.1fs, other (processes+kernel threads) %.1fs\n",
		o.StreamSeconds, float64(o.StreamBytes)/1e6, mib(o.StreamMem.Start), mib(o.StreamMem.End), mib(o.StreamMem.Max), o.StreamMem.Samples, o.ServerCPUStream, o.ClientCPUStream, o.OtherCPUStream)
	fmt.Fprintf(w, "  paged:  %.2fs; RSS start %s, end %s, max %s (%d samples @100ms); CPU server %.1fs, client %.1fs, other (processes+kernel threads) %.1fs\n",
		o.PagedSeconds, mib(o.PagedMem.Start), mib(o.PagedMem.End), mib(o.PagedMem.Max), o.PagedMem.Samples, o.ServerCPUPaged, o.ClientCPUPaged, o.OtherCPUPaged)
	fmt.Fprintf(w, "  content: %s\n", pick(o.Verified, func() string { return "every item verified byte-for-value, each exactly once (untimed pass)" }, "spot-checked every 997th item only"))
	if t != nil {
		fmt.Fprintf(w, "\nstorage-local detail (@apify/storage-local %s, node %s):\n", t.Version, t.Node)
		fmt.Fprintf(w, "  push:   %.2fs, CPU %.1fs; RSS start %s, end %s, max %s\n", t.PushSeconds, t.CPUPushSeconds, mib(t.RSSBeforePush), mib(t.RSSAfterPush), mib(t.RSSPushMax))
		fmt.Fprintf(w, "  read:   %.2fs, CPU %.1fs; RSS start %s, end %s, max %s; %d items content-checked\n", t.ReadSeconds, t.CPUReadSeconds, mib(t.RSSBeforeRead), mib(t.RSSAfterRead), mib(t.RSSReadMax), t.SpotChecked)
		fmt.Fprintf(w, "  node process lifetime max RSS (includes loading the input): %s; other processes + kernel threads used %.1f CPU-s during its %.0fs run\n", mib(t.PeakRSS), t.OtherCPUSeconds, t.WallSeconds)
	}
	if busy := o.OtherCPUPush + o.OtherCPUStream + o.OtherCPUPaged; busy > 0.1*(o.PushSeconds+o.StreamSeconds+o.PagedSeconds) {
		fmt.Fprintf(w, "\nWARNING: other processes used %.1f CPU-seconds during actord's timed phases (%.1fs); the machine was not idle and the numbers are noisy.\n",
			busy, o.PushSeconds+o.StreamSeconds+o.PagedSeconds)
	}
	if t != nil {
		fmt.Fprintf(w, "\ntargets: push ≥ 200,000 items/s: %s (%.0f); push ≥ 10× storage-local: %s (%s)\n",
			yesno(o.PushItemsPerSec >= 200_000), o.PushItemsPerSec, yesno(o.PushItemsPerSec >= 10*t.PushItemsPerSec), ratio(o.PushItemsPerSec, t.PushItemsPerSec))
	} else {
		fmt.Fprintf(w, "\ntargets: push ≥ 200,000 items/s: %s (%.0f)\n", yesno(o.PushItemsPerSec >= 200_000), o.PushItemsPerSec)
	}
}

func pick(cond bool, f func() string, otherwise string) string {
	if cond {
		return f()
	}
	return otherwise
}

func yesno(b bool) string {
	if b {
		return "MET"
	}
	return "NOT MET"
}
