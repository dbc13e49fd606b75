package events

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

type event struct {
	Name      string          `json:"name"`
	CreatedAt string          `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
}

// server serves the hub at /runs/{id}/events as the API will, 404 for an
// unknown run.
func server(t *testing.T, h *Hub) *httptest.Server {
	t.Helper()
	return serverWith(t, h, func(*http.Server) {})
}

func serverWith(t *testing.T, h *Hub, config func(*http.Server)) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /runs/{id}/events", func(w http.ResponseWriter, r *http.Request) {
		if err := h.Serve(w, r, r.PathValue("id")); errors.Is(err, ErrUnknownRun) {
			http.Error(w, "no such run", http.StatusNotFound)
		}
	})
	srv := httptest.NewUnstartedServer(mux)
	config(srv.Config)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func newHub() *Hub {
	return NewHub(slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
}

func dial(t *testing.T, srv *httptest.Server, runID string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/runs/"+runID+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func read(t *testing.T, c *websocket.Conn, within time.Duration) (event, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		return event{}, err
	}
	if typ != websocket.MessageText {
		t.Errorf("message type %v", typ)
	}
	var e event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("frame %s: %v", b, err)
	}
	return e, nil
}

// next reads events until one named name arrives.
func next(t *testing.T, c *websocket.Conn, name string, within time.Duration) event {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		e, err := read(t, c, time.Until(deadline))
		if err != nil {
			t.Fatalf("waiting for %s: %v", name, err)
		}
		if e.Name == name {
			return e
		}
	}
}

// fakeUsage uses 1.5 cores and 100 MB, growing by 1 MB a sample.
type fakeUsage struct {
	mu    sync.Mutex
	start time.Time
	mem   int64
}

func (f *fakeUsage) usage() Usage {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.start.IsZero() {
		f.start = time.Now()
		f.mem = 100 << 20
	}
	f.mem += 1 << 20
	return Usage{MemCurrentBytes: f.mem, CPUSeconds: 1.5 * time.Since(f.start).Seconds()}
}

func TestSystemInfo(t *testing.T) {
	h := newHub()
	srv := server(t, h)
	u := &fakeUsage{}
	const limit = 1 << 30 // a quarter of a core's share
	h.Register("r1", limit, u.usage)
	defer h.Unregister("r1")
	c := dial(t, srv, "r1")
	t0 := time.Now()
	e := next(t, c, "systemInfo", 1500*time.Millisecond)
	if d := time.Since(t0); d > 1500*time.Millisecond {
		t.Errorf("first systemInfo after %v", d)
	}
	// Every field the Python SDK requires, with the right JSON types.
	var data map[string]any
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"memAvgBytes", "memCurrentBytes", "memMaxBytes", "cpuAvgUsage", "cpuMaxUsage", "cpuCurrentUsage"} {
		if _, ok := data[k].(float64); !ok {
			t.Errorf("%s = %#v", k, data[k])
		}
	}
	if _, ok := data["isCpuOverloaded"].(bool); !ok {
		t.Errorf("isCpuOverloaded = %#v", data["isCpuOverloaded"])
	}
	for _, ts := range []any{data["createdAt"], e.CreatedAt} {
		s, _ := ts.(string)
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", s); err != nil {
			t.Errorf("createdAt %q", s)
		}
	}
	if len(data) != 8 {
		t.Errorf("data %v", data)
	}
	if data["memMaxBytes"] != float64(limit) {
		t.Errorf("memMaxBytes %v, want the limit", data["memMaxBytes"])
	}
	if cpu := data["cpuCurrentUsage"].(float64); cpu < 120 || cpu > 180 {
		t.Errorf("cpuCurrentUsage %v, want about 150", cpu)
	}
	if data["isCpuOverloaded"] != true {
		t.Errorf("1.5 cores busy on a share of 0.25 are not overloaded: %v", data)
	}
	// The next one comes a second later, with running figures.
	e2 := next(t, c, "systemInfo", 1500*time.Millisecond)
	var d2 systemInfo
	json.Unmarshal(e2.Data, &d2)
	if d2.MemCurrentBytes <= int64(data["memCurrentBytes"].(float64)) || d2.MemAvgBytes >= float64(d2.MemCurrentBytes) {
		t.Errorf("second sample %+v after %v", d2, data)
	}
	st, ok := h.Stats("r1")
	if !ok || st.Samples < 2 || st.MemMaxBytes < d2.MemCurrentBytes || st.CPUMaxUsage < 120 || st.CPUAvgUsage < 120 || st.MemAvgBytes <= 100<<20 {
		t.Errorf("stats %+v %v", st, ok)
	}
	if _, ok := h.Stats("nope"); ok {
		t.Error("stats of an unknown run")
	}
}

func TestNotOverloaded(t *testing.T) {
	h := newHub()
	srv := server(t, h)
	h.Register("r", 0, func() Usage { return Usage{MemCurrentBytes: 5} }) // idle, no limit
	defer h.Unregister("r")
	var d systemInfo
	json.Unmarshal(next(t, dial(t, srv, "r"), "systemInfo", 1500*time.Millisecond).Data, &d)
	if d.IsCPUOverloaded || d.CPUCurrentUsage != 0 || d.MemCurrentBytes != 5 || d.MemMaxBytes <= 0 {
		t.Errorf("%+v", d)
	}
}

func TestCPUShare(t *testing.T) {
	n := float64(runtime.NumCPU())
	for _, tt := range []struct {
		mem  int64
		want float64
	}{{0, n}, {1 << 30, min(0.25, n)}, {4 << 30, min(1, n)}, {1 << 50, n}} {
		if got := CPUShare(tt.mem); got != tt.want {
			t.Errorf("CPUShare(%d) = %v, want %v", tt.mem, got, tt.want)
		}
	}
}

func TestSendAndUnregister(t *testing.T) {
	h := newHub()
	srv := server(t, h)
	h.Register("r2", 256<<20, func() Usage { return Usage{} })
	c := dial(t, srv, "r2")
	waitSockets(t, h, "r2", 1)
	h.Send("r2", "persistState", map[string]bool{"isMigrating": false})
	h.Send("r2", "aborting", nil)
	e := next(t, c, "persistState", time.Second)
	if string(e.Data) != `{"isMigrating":false}` {
		t.Errorf("persistState data %s", e.Data)
	}
	e = next(t, c, "aborting", time.Second)
	if string(e.Data) != `{}` || e.CreatedAt == "" {
		t.Errorf("aborting %+v", e)
	}
	// An event sent right before Unregister still arrives, then the
	// socket closes normally.
	h.Send("r2", "migrating", map[string]int{"timeRemainingSecs": 30})
	h.Unregister("r2")
	next(t, c, "migrating", time.Second)
	for {
		_, err := read(t, c, 2*time.Second)
		if err != nil {
			if s := websocket.CloseStatus(err); s != websocket.StatusNormalClosure {
				t.Errorf("closed with %v (%v)", s, err)
			}
			break
		}
	}
	// Sending to and unregistering a run that is gone is harmless.
	h.Send("r2", "aborting", nil)
	h.Unregister("r2")
}

func waitSockets(t *testing.T, h *Hub, runID string, n int) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if r := h.lookup(runID); r != nil {
			r.mu.Lock()
			got := len(r.socks)
			r.mu.Unlock()
			if got == n {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("run %s has not %d sockets", runID, n)
}

func TestUnknownRun(t *testing.T) {
	h := newHub()
	srv := server(t, h)
	if err := h.Serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), "x"); !errors.Is(err, ErrUnknownRun) {
		t.Errorf("Serve: %v", err)
	}
	_, resp, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/runs/x/events", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("dial an unknown run: %v %v", resp, err)
	}
	// After Unregister the run is unknown again.
	h.Register("gone", 0, func() Usage { return Usage{} })
	h.Unregister("gone")
	if err := h.Serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), "gone"); !errors.Is(err, ErrUnknownRun) {
		t.Errorf("Serve after Unregister: %v", err)
	}
}

// Any Origin is accepted: actors are not browsers.
func TestAnyOrigin(t *testing.T) {
	h := newHub()
	srv := server(t, h)
	h.Register("o", 0, func() Usage { return Usage{} })
	defer h.Unregister("o")
	hdr := http.Header{"Origin": {"https://elsewhere.example"}}
	c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/runs/o/events", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
}

// The socket stays open while the run is registered, whatever the client
// sends, and a client going away does not disturb the others.
func TestStaysOpen(t *testing.T) {
	h := newHub()
	h.interval = 50 * time.Millisecond
	// Request deadlines of the HTTP server do not apply to the socket
	// (net/http clears them when the connection is hijacked).
	srv := serverWith(t, h, func(s *http.Server) { s.ReadTimeout, s.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond })
	h.Register("s", 0, func() Usage { return Usage{} })
	defer h.Unregister("s")
	c := dial(t, srv, "s")
	quitter := dial(t, srv, "s")
	waitSockets(t, h, "s", 2)
	ctx := context.Background()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"hello":1}`)); err != nil {
		t.Fatal(err)
	}
	quitter.CloseNow()
	waitSockets(t, h, "s", 1)
	for i := 0; i < 30; i++ { // 1.5 s
		if _, err := read(t, c, time.Second); err != nil {
			t.Fatalf("after %d events: %v", i, err)
		}
	}
}

// A client that never reads does not hold up Send (or the others) for more
// than about a second.
func TestSlowSocket(t *testing.T) {
	h := newHub()
	srv := server(t, h)
	h.Register("slow", 0, func() Usage { return Usage{} })
	defer h.Unregister("slow")
	dial(t, srv, "slow") // never read
	fast := dial(t, srv, "slow")
	fast.SetReadLimit(1 << 20)
	waitSockets(t, h, "slow", 2)
	big := strings.Repeat("x", 256<<10)
	t0 := time.Now()
	for i := 0; i < 3*queueLen; i++ {
		h.Send("slow", "big", big)
		if i%8 == 0 {
			// The fast client keeps reading.
			for {
				e, err := read(t, fast, 3*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if e.Name == "big" {
					break
				}
			}
		}
	}
	if d := time.Since(t0); d > 6*time.Second {
		t.Errorf("sending took %v", d)
	}
}

func TestManySockets(t *testing.T) {
	before := runtime.NumGoroutine()
	h := newHub()
	srv := server(t, h)
	const runs, perRun = 5, 20
	var calls atomic.Int64
	for r := 0; r < runs; r++ {
		h.Register(runName(r), 512<<20, func() Usage { calls.Add(1); return Usage{MemCurrentBytes: 1} })
	}
	var wg sync.WaitGroup
	errs := make(chan error, runs*perRun)
	for r := 0; r < runs; r++ {
		for i := 0; i < perRun; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/runs/"+runName(r)+"/events", nil)
				if err != nil {
					errs <- err
					return
				}
				defer c.CloseNow()
				var got []string
				for {
					_, b, err := c.Read(ctx)
					if err != nil {
						if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
							errs <- err
						} else if len(got) < 2 || got[0] != "systemInfo" || got[len(got)-1] != "hello" {
							errs <- errors.New("events " + strings.Join(got, ","))
						}
						return
					}
					var e event
					json.Unmarshal(b, &e)
					if len(got) == 0 || got[len(got)-1] != e.Name {
						got = append(got, e.Name)
					}
				}
			}()
		}
	}
	for r := 0; r < runs; r++ {
		waitSockets(t, h, runName(r), perRun)
	}
	time.Sleep(1200 * time.Millisecond) // one systemInfo for everyone
	for r := 0; r < runs; r++ {
		h.Send(runName(r), "hello", nil)
		h.Unregister(runName(r))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if calls.Load() < runs {
		t.Errorf("usage sampled %d times", calls.Load())
	}
	srv.CloseClientConnections()
	srv.Close()
	// Nothing of the hub is left running.
	for i := 0; ; i++ {
		n := runtime.NumGoroutine()
		if n <= before {
			break
		}
		if i == 300 {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func runName(i int) string { return "run" + string(rune('a'+i)) }
