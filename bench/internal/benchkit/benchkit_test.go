package benchkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCommas(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567", 100000: "100,000"} {
		if got := Commas(v); got != want {
			t.Errorf("Commas(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestRng(t *testing.T) {
	// splitmix64's first outputs for seed 0, from its reference code.
	var r Rng
	for _, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got := r.Next(); got != want {
			t.Fatalf("Next() = %#x, want %#x", got, want)
		}
	}
	if *ItemRng(7) != *ItemRng(7) || *ItemRng(7) == *ItemRng(8) {
		t.Fatal("ItemRng is not a function of the item number")
	}
	pool := []string{"a", "b", "c"}
	for i := range 100 {
		got := ItemRng(i).Distinct(pool, 3)
		seen := map[string]bool{}
		for _, s := range got {
			seen[s] = true
		}
		if len(got) != 3 || len(seen) != 3 {
			t.Fatalf("Distinct(%v, 3) = %v", pool, got)
		}
	}
	if got := ScrapedAt(3600, ItemRng(1)); !strings.HasPrefix(got, "2026-11-01T01:0") || !strings.HasSuffix(got, "Z") {
		t.Errorf("ScrapedAt(3600) = %q", got)
	}
}

func TestBuildDataset(t *testing.T) {
	type item struct {
		N int `json:"n"`
	}
	gen := func(i int) item { return item{i} }
	jsonl := filepath.Join(t.TempDir(), "items.jsonl")
	var each []string
	ds, err := BuildDataset(25, 10, jsonl, gen, func(b []byte) error {
		each = append(each, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Items != 25 || len(ds.Batches) != 3 || len(each) != 25 {
		t.Fatalf("%d items, %d batches, %d callbacks", ds.Items, len(ds.Batches), len(each))
	}
	var n int64
	for _, s := range each {
		n += int64(len(s))
	}
	if ds.ItemBytes != n {
		t.Errorf("ItemBytes %d, want %d", ds.ItemBytes, n)
	}
	var all []item
	for _, b := range ds.Batches {
		var batch []item
		if err := json.Unmarshal(b, &batch); err != nil {
			t.Fatalf("batch %s: %v", b, err)
		}
		all = append(all, batch...)
	}
	for i, it := range all {
		if it.N != i {
			t.Fatalf("batches hold %v", all)
		}
	}
	b, err := os.ReadFile(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(each, "\n") + "\n"; string(b) != want {
		t.Errorf("JSONL file:\n%s\nwant:\n%s", b, want)
	}
	other := filepath.Join(t.TempDir(), "written.jsonl")
	if err := WriteItems(other, 25, gen); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(other); !bytes.Equal(b, b2) {
		t.Errorf("WriteItems wrote:\n%s\nBuildDataset:\n%s", b2, b)
	}
	if _, err := BuildDataset(5, 2, "", gen, func([]byte) error { return io.ErrShortWrite }); err != io.ErrShortWrite {
		t.Errorf("callback error: got %v", err)
	}
}

func TestProc(t *testing.T) {
	rss, hwm, err := ProcStatus(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if rss <= 0 || hwm < rss {
		t.Errorf("rss %d, hwm %d", rss, hwm)
	}
	if SelfCPU() < 0 || SystemBusy() <= 0 || LoadAvg() == "?" {
		t.Errorf("SelfCPU %v, SystemBusy %v, LoadAvg %s", SelfCPU(), SystemBusy(), LoadAvg())
	}
	from := time.Now()
	s := StartSampler(os.Getpid(), time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	s.Sample()
	s.Stop()
	s.Stop()
	m := s.Window(from, time.Now())
	if m.Samples < 2 || m.Start <= 0 || m.Max < m.Start || m.Max < m.End {
		t.Errorf("window %+v", m)
	}
	if m := s.Window(from.Add(-time.Hour), from.Add(-time.Minute)); m.Samples != 0 {
		t.Errorf("empty window %+v", m)
	}
	if err := ResetPeakRSS(os.Getpid()); err != nil {
		t.Logf("ResetPeakRSS: %v", err)
	} else if rss, hwm, _ := ProcStatus(os.Getpid()); hwm < rss {
		t.Errorf("after ResetPeakRSS: rss %d, hwm %d", rss, hwm)
	}
	sc, cc, oc := StartCPU(os.Getpid()).Stop()
	if sc < 0 || cc < 0 || oc < 0 {
		t.Errorf("CPU %v %v %v", sc, cc, oc)
	}
}

func TestTailFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	os.WriteFile(p, []byte("a\nb\nc\n"), 0o644)
	if got := TailFile(p, 2); got != "b\nc" {
		t.Errorf("TailFile = %q", got)
	}
	if got := TailFile(p+"-missing", 2); got != "" {
		t.Errorf("TailFile(missing) = %q", got)
	}
}

// TestClient runs CreateDataset and Push against a fake server.
func TestClient(t *testing.T) {
	var pushed atomic.Int64
	var bodies atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		switch {
		case r.Method == "POST" && r.URL.Path == "/v2/datasets":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"data":{"id":"ds 1","name":"`+r.URL.Query().Get("name")+`"}}`)
		case r.Method == "POST" && r.URL.Path == "/v2/datasets/ds 1/items":
			b, _ := io.ReadAll(r.Body)
			if r.Header.Get("Content-Type") != "application/json" || bytes.Equal(b, []byte("bad")) {
				http.Error(w, "bad batch", http.StatusBadRequest)
				return
			}
			pushed.Add(1)
			bodies.Add(int64(len(b)))
			w.WriteHeader(http.StatusCreated)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	s := &Server{Base: ts.URL, token: "tok", exited: make(chan struct{})}
	hc := NewClient(2, false)
	ctx := context.Background()
	path, err := s.CreateDataset(ctx, hc, "bench")
	if err != nil || path != "/v2/datasets/ds%201/items" {
		t.Fatalf("CreateDataset = %q, %v", path, err)
	}
	batches := [][]byte{[]byte("[1]"), []byte("[2,3]"), []byte("[4]")}
	lat := make([]time.Duration, len(batches))
	if err := s.Push(ctx, hc, path, batches, 2, lat); err != nil {
		t.Fatal(err)
	}
	if pushed.Load() != 3 || bodies.Load() != 11 {
		t.Errorf("pushed %d batches, %d bytes", pushed.Load(), bodies.Load())
	}
	for i, d := range lat {
		if d <= 0 {
			t.Errorf("lat[%d] = %v", i, d)
		}
	}
	err = s.Push(ctx, hc, path, [][]byte{[]byte("[1]"), []byte("bad")}, 1, nil)
	if err == nil || !strings.Contains(err.Error(), "push batch 1: HTTP 400: bad batch") {
		t.Errorf("Push of a bad batch: %v", err)
	}
	if err := s.Alive(); err != nil {
		t.Errorf("Alive: %v", err)
	}
}

func TestSetup(t *testing.T) {
	if _, err := Setup(time.Minute, filepath.Join(t.TempDir(), "no-actord"), "benchkit-test-", false); err == nil || !strings.Contains(err.Error(), "go build -o bin/actord") {
		t.Fatalf("missing binary: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	failed := errors.New("check failed")
	if _, err := Setup(time.Minute, self, "benchkit-test-", false, func() error { return nil }, func() error { return failed }); err != failed {
		t.Errorf("failing check: %v", err)
	}
	for _, keep := range []bool{false, true} {
		env, err := Setup(time.Minute, self, "benchkit-test-", keep)
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(env.Bin) || env.Date == "" || env.Machine == "" || env.Ctx.Err() != nil {
			t.Errorf("env %+v", env)
		}
		if _, err := os.Stat(env.Tmp); err != nil {
			t.Fatal(err)
		}
		env.Close()
		if _, err := os.Stat(env.Tmp); (err == nil) != keep {
			t.Errorf("keep=%v: after Close, stat temp dir: %v", keep, err)
		}
		if env.Ctx.Err() == nil {
			t.Error("Close did not end the context")
		}
		os.RemoveAll(env.Tmp)
	}
}
