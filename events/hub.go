// Package events serves the platform events websocket of actor runs
// (ACTOR_EVENTS_WEBSOCKET_URL): while a run is registered, every socket the
// run opens gets a systemInfo event every second (memory and CPU of the run,
// which crawlee's autoscaling reads instead of measuring the host) and the
// events the server sends it (aborting, persistState, migrating).
//
// Traffic goes from the server to the actor only. A socket stays open for
// the run's whole life: the JavaScript SDK opens it once at Actor.init() and
// never reconnects, so closing it early would cost the run every later event.
package events

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// ErrUnknownRun is returned by Serve for a run that is not registered; the
// request has not been answered then.
var ErrUnknownRun = errors.New("events: unknown run")

// Usage is one sample of a run's resource use.
type Usage struct {
	// MemCurrentBytes is the memory the run uses now.
	MemCurrentBytes int64
	// CPUSeconds is the CPU time the run has used since it started (user
	// and system, all its processes). The hub turns the difference between
	// two samples into cpuCurrentUsage: percent of one core, so a run
	// keeping two cores busy is at 200.
	CPUSeconds float64
}

// Stats are the figures collected over a run's samples, for the run's
// stats object.
type Stats struct {
	MemAvgBytes float64
	MemMaxBytes int64 // the largest memCurrentBytes observed
	CPUAvgUsage float64
	CPUMaxUsage float64
	Samples     int
}

// bytesPerCore is the memory that comes with one dedicated CPU core on
// Apify (ACTOR_LIMITS: 4096 MB per core).
const bytesPerCore = 4096 << 20

// CPUShare is the number of CPU cores a run with memLimitBytes of memory
// counts as dedicated to it: one core per 4 GB as on Apify, at most the
// host's CPUs (all of them for a run without a memory limit). A run is
// reported CPU-overloaded when it uses more than 95 % of its share. It is
// also the value for the run's APIFY_DEDICATED_CPUS, from which the Python
// SDK computes its CPU ratio.
func CPUShare(memLimitBytes int64) float64 {
	n := float64(runtime.NumCPU())
	if memLimitBytes <= 0 {
		return n
	}
	return min(float64(memLimitBytes)/bytesPerCore, n)
}

// overloadRatio is the part of its CPU share above which a run is
// overloaded.
const overloadRatio = 0.95

const (
	// queueLen is how many frames may wait for one socket.
	queueLen = 32
	// enqueueWait is how long Send waits for room in a socket's queue.
	enqueueWait = time.Second
	// writeTimeout is how long one frame may take to reach a socket
	// before the socket counts as dead and is closed. It is long: an actor
	// whose event loop is blocked does not read, and a socket closed then
	// is lost for good.
	writeTimeout = 30 * time.Second
)

// Hub serves the events websockets of all runs.
type Hub struct {
	logger   *slog.Logger
	now      func() time.Time
	interval time.Duration

	hostMemOnce sync.Once
	hostMem     int64

	mu   sync.Mutex
	runs map[string]*run
}

// NewHub returns a hub; now gives the createdAt times of the events.
func NewHub(logger *slog.Logger, now func() time.Time) *Hub {
	return &Hub{logger: logger, now: now, interval: time.Second, runs: make(map[string]*run)}
}

type run struct {
	id       string
	memLimit int64 // memMaxBytes of the events
	cpuShare float64
	usage    func() Usage
	stop     chan struct{}
	stopped  chan struct{} // the sampler has returned

	mu     sync.Mutex
	closed bool
	socks  map[*socket]struct{}
	last   []byte // the latest systemInfo frame
	stats  Stats
	memSum float64
	cpuSum float64
}

// socket is one websocket of a run. Frames go through queue to the
// goroutine that writes them, so a slow socket never holds up the others.
type socket struct {
	ws    *websocket.Conn
	queue chan []byte
	// bye is closed when the run is unregistered: the writer sends what is
	// queued, then closes the socket normally.
	bye     chan struct{}
	byeOnce sync.Once
	// stalled is set when an event could not be queued in time; Send does
	// not wait for the socket again until the writer makes progress.
	stalled atomic.Bool
}

func (s *socket) finish() { s.byeOnce.Do(func() { close(s.bye) }) }

// Register starts serving events for a run whose memory limit is
// memLimitBytes (0: none; the host's memory is reported instead): from now
// until Unregister, every socket of the run gets a systemInfo event every
// second, built from usage. Registering a run again replaces it.
func (h *Hub) Register(runID string, memLimitBytes int64, usage func() Usage) {
	limit := memLimitBytes
	if limit <= 0 {
		limit = h.hostMemory()
	}
	r := &run{
		id:       runID,
		memLimit: limit,
		cpuShare: CPUShare(memLimitBytes),
		usage:    usage,
		stop:     make(chan struct{}),
		stopped:  make(chan struct{}),
		socks:    make(map[*socket]struct{}),
	}
	h.mu.Lock()
	old := h.runs[runID]
	h.runs[runID] = r
	h.mu.Unlock()
	if old != nil {
		old.shutdown()
	}
	go h.sample(r)
}

// Unregister stops the run's events and closes its sockets with a normal
// closure once the frames queued for them are written. It does not wait for
// the closing handshakes.
func (h *Hub) Unregister(runID string) {
	h.mu.Lock()
	r := h.runs[runID]
	delete(h.runs, runID)
	h.mu.Unlock()
	if r != nil {
		r.shutdown()
	}
}

func (r *run) shutdown() {
	close(r.stop)
	<-r.stopped
	r.mu.Lock()
	r.closed = true
	socks := r.sockets()
	r.mu.Unlock()
	for _, s := range socks {
		s.finish()
	}
}

// sockets lists the run's sockets; r.mu is held.
func (r *run) sockets() []*socket {
	l := make([]*socket, 0, len(r.socks))
	for s := range r.socks {
		l = append(l, s)
	}
	return l
}

// Stats returns the figures collected for a registered run.
func (h *Hub) Stats(runID string) (Stats, bool) {
	r := h.lookup(runID)
	if r == nil {
		return Stats{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats, true
}

func (h *Hub) lookup(runID string) *run {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.runs[runID]
}

// frame is one event as it goes over the socket.
type frame struct {
	Name      string `json:"name"`
	CreatedAt string `json:"createdAt"`
	Data      any    `json:"data"`
}

// systemInfo is the data of a systemInfo event; the Python SDK requires
// every field.
type systemInfo struct {
	MemAvgBytes     float64 `json:"memAvgBytes"`
	MemCurrentBytes int64   `json:"memCurrentBytes"`
	MemMaxBytes     int64   `json:"memMaxBytes"`
	CPUAvgUsage     float64 `json:"cpuAvgUsage"`
	CPUMaxUsage     float64 `json:"cpuMaxUsage"`
	CPUCurrentUsage float64 `json:"cpuCurrentUsage"`
	IsCPUOverloaded bool    `json:"isCpuOverloaded"`
	CreatedAt       string  `json:"createdAt"`
}

func (h *Hub) timestamp() string {
	return h.now().UTC().Format("2006-01-02T15:04:05.000Z")
}

func (h *Hub) encode(name string, data any) ([]byte, error) {
	if data == nil {
		data = struct{}{}
	}
	return json.Marshal(frame{Name: name, CreatedAt: h.timestamp(), Data: data})
}

// sample sends the run's systemInfo every interval until the run is
// unregistered.
func (h *Hub) sample(r *run) {
	defer close(r.stopped)
	t := time.NewTicker(h.interval)
	defer t.Stop()
	prev, prevAt := r.usage(), time.Now()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		u, at := r.usage(), time.Now()
		// The counter may go back (processes of the run that are gone are
		// not counted any more without a cgroup): no use then, new base.
		cpu := 0.0
		if d := at.Sub(prevAt).Seconds(); d > 0 && u.CPUSeconds > prev.CPUSeconds {
			cpu = (u.CPUSeconds - prev.CPUSeconds) / d * 100
		}
		prev, prevAt = u, at
		b := h.record(r, u.MemCurrentBytes, cpu)
		r.mu.Lock()
		socks := r.sockets()
		r.mu.Unlock()
		for _, s := range socks {
			// A socket that has not taken the previous samples does not
			// need this one either.
			select {
			case s.queue <- b:
			default:
			}
		}
	}
}

// record adds a sample to the run's figures and returns its systemInfo
// frame.
func (h *Hub) record(r *run, mem int64, cpu float64) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := &r.stats
	st.Samples++
	r.memSum += float64(mem)
	r.cpuSum += cpu
	st.MemAvgBytes = r.memSum / float64(st.Samples)
	st.CPUAvgUsage = r.cpuSum / float64(st.Samples)
	st.MemMaxBytes = max(st.MemMaxBytes, mem)
	st.CPUMaxUsage = max(st.CPUMaxUsage, cpu)
	ts := h.timestamp()
	b, _ := json.Marshal(frame{Name: "systemInfo", CreatedAt: ts, Data: systemInfo{
		MemAvgBytes:     st.MemAvgBytes,
		MemCurrentBytes: mem,
		MemMaxBytes:     r.memLimit,
		CPUAvgUsage:     st.CPUAvgUsage,
		CPUMaxUsage:     st.CPUMaxUsage,
		CPUCurrentUsage: cpu,
		IsCPUOverloaded: cpu > overloadRatio*100*r.cpuShare,
		CreatedAt:       ts,
	}})
	r.last = b
	return b
}

// Send sends one event to every socket of the run now, e.g. "aborting"
// with data {} (nil stands for {}), "persistState" with
// {"isMigrating":false}, "migrating". Frames are queued per socket; Send
// waits at most about a second for room in the queue of a socket that
// does not read, then drops the event for that socket.
//
// A socket that has let an event be dropped is not waited for again until
// it takes a frame.
func (h *Hub) Send(runID, name string, data any) {
	r := h.lookup(runID)
	if r == nil {
		return
	}
	b, err := h.encode(name, data)
	if err != nil {
		h.logger.Error("encode run event", "run_id", runID, "event", name, "err", err)
		return
	}
	r.mu.Lock()
	socks := r.sockets()
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range socks {
		select {
		case s.queue <- b:
			continue
		default:
		}
		if s.stalled.Load() {
			h.logger.Warn("run event dropped: the socket does not read", "run_id", runID, "event", name)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTimer(enqueueWait)
			defer t.Stop()
			select {
			case s.queue <- b:
			case <-s.bye:
			case <-t.C:
				s.stalled.Store(true)
				h.logger.Warn("run event dropped: the socket does not read", "run_id", runID, "event", name)
			}
		}()
	}
	wg.Wait()
}

// Serve upgrades the request to the run's events websocket and returns when
// the socket is closed: after Unregister, or when the client goes away. It
// returns ErrUnknownRun, without answering, for a run that is not
// registered.
func (h *Hub) Serve(w http.ResponseWriter, req *http.Request, runID string) error {
	r := h.lookup(runID)
	if r == nil {
		return ErrUnknownRun
	}
	ws, err := websocket.Accept(w, req, &websocket.AcceptOptions{
		// Actors are not browsers: any Origin.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return nil // Accept has answered the request
	}
	ws.SetReadLimit(-1) // what the client sends is discarded anyway
	s := &socket{ws: ws, queue: make(chan []byte, queueLen), bye: make(chan struct{})}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		ws.Close(websocket.StatusNormalClosure, "run finished")
		return nil
	}
	r.socks[s] = struct{}{}
	if r.last != nil {
		s.queue <- r.last // the latest sample at once
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.socks, s)
		r.mu.Unlock()
	}()

	// The reader answers pings and the closing handshake and discards
	// anything the client sends; it ends when the socket is closed.
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			_, rd, err := ws.Reader(context.Background())
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return
			}
		}
	}()

	for {
		select {
		case b := <-s.queue:
			if !h.write(ws, runID, b) {
				<-gone
				return nil
			}
			s.stalled.Store(false)
		case <-gone:
			ws.CloseNow()
			return nil
		case <-s.bye:
			if h.drain(ws, runID, s.queue) {
				ws.Close(websocket.StatusNormalClosure, "run finished")
			}
			<-gone
			return nil
		}
	}
}

// drain writes the frames still queued; false means the socket is done for.
func (h *Hub) drain(ws *websocket.Conn, runID string, queue chan []byte) bool {
	for {
		select {
		case b := <-queue:
			if !h.write(ws, runID, b) {
				return false
			}
		default:
			return true
		}
	}
}

// write writes one frame; false means the socket is done for.
func (h *Hub) write(ws *websocket.Conn, runID string, b []byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		h.logger.Debug("run events socket closed", "run_id", runID, "err", err)
		ws.CloseNow()
		return false
	}
	return true
}

// hostMemory is the host's memory in bytes (0 when unknown), for runs
// without a memory limit.
func (h *Hub) hostMemory() int64 {
	h.hostMemOnce.Do(func() {
		b, err := os.ReadFile("/proc/meminfo")
		if err != nil {
			return
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f := bytes.Fields(sc.Bytes())
			if len(f) >= 2 && string(f[0]) == "MemTotal:" {
				kb, _ := strconv.ParseInt(string(f[1]), 10, 64)
				h.hostMem = kb << 10
				return
			}
		}
	})
	return h.hostMem
}
