package main

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
)

// burst runs one(i) for i in [0, n) on clients goroutines, each taking
// the next i as soon as its previous call returns. All clients start
// together: each waits behind a barrier until every one is ready, so the
// first clients calls are in flight at once. It returns when the barrier
// opened and when the last call returned.
func burst(clients, rounds, n int, one func(i int)) (start, end time.Time) {
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	var mu sync.Mutex
	next := 0
	for range clients {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			for range rounds {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				one(i)
			}
		}()
	}
	ready.Wait()
	start = time.Now()
	close(gate)
	done.Wait()
	return start, time.Now()
}

// load is the concurrent phase through actord: every call, what it got
// back, and the timing of the successful ones against their runs.
type load struct {
	Clients   int `json:"clients"`
	Rounds    int `json:"rounds"`
	Calls     int `json:"calls"`
	Answered  int `json:"answered"` // calls that got a whole HTTP answer, any status
	Transport int `json:"transportErrors"`
	// Statuses counts the answers by HTTP status.
	Statuses map[int]int `json:"statuses"`
	// NotCreated lists every answer other than 201 (and the first
	// transport errors).
	NotCreated []string `json:"notCreated,omitempty"`
	ServerErrs int      `json:"serverErrors"` // 5xx answers

	Seconds     float64 `json:"seconds"` // barrier .. last answer
	CallsPerSec float64 `json:"callsPerSec"`

	// Over the 201 answers:
	Latency benchkit.Summary `json:"latency"`
	// RunTime is the actor's own run time, finishedAt − startedAt of the
	// run object (READY wait included).
	RunTime benchkit.Summary `json:"runTime"`
	// Overhead is latency − run time, per call.
	Overhead benchkit.Summary `json:"overheadOverRunTime"`
	// Lag is when the answer was read − the run's finishedAt, per call.
	Lag benchkit.Summary `json:"answerLag"`

	ServerCPU    float64 `json:"serverCpuSeconds"`
	ClientCPU    float64 `json:"clientCpuSeconds"`
	OtherCPU     float64 `json:"otherCpuSeconds"`
	ServerMaxRSS int64   `json:"serverMaxRssBytes"` // sampled
	ServerHWM    int64   `json:"serverPeakRssBytes"`
	HWMNote      string  `json:"peakRssNote,omitempty"`
}

// maxListed bounds NotCreated.
const maxListed = 50

// summarizeLoad fills the counts and distributions of l from the calls
// and their runs' objects (by run ID; a 201 whose run is missing counts
// in the latency only).
func summarizeLoad(l *load, calls []call, runs map[string]*runInfo) {
	l.Calls = len(calls)
	l.Statuses = map[int]int{}
	var lat, runTime, over, lag []time.Duration
	for _, c := range calls {
		if c.Err != nil {
			l.Transport++
			if len(l.NotCreated) < maxListed {
				l.NotCreated = append(l.NotCreated, "transport error: "+c.Err.Error())
			}
			continue
		}
		l.Answered++
		l.Statuses[c.Status]++
		if c.Status >= 500 {
			l.ServerErrs++
		}
		if c.Status != http.StatusCreated {
			if len(l.NotCreated) < maxListed {
				l.NotCreated = append(l.NotCreated, fmt.Sprintf("HTTP %d, run %q, after %.0f ms: %.300s", c.Status, c.RunID, benchkit.Ms(c.Latency), c.Body))
			}
			continue
		}
		lat = append(lat, c.Latency)
		if r := runs[c.RunID]; r != nil && !r.FinishedAt.IsZero() {
			runTime = append(runTime, r.runTime())
			over = append(over, c.Latency-r.runTime())
			lag = append(lag, c.Arrived.Sub(r.FinishedAt))
		}
	}
	l.Latency, l.RunTime, l.Overhead, l.Lag = benchkit.Summarize(lat), benchkit.Summarize(runTime), benchkit.Summarize(over), benchkit.Summarize(lag)
	if l.Seconds > 0 {
		l.CallsPerSec = float64(l.Answered) / l.Seconds
	}
}

// statusLine is the statuses as "201 ×198, 400 ×2", by status.
func statusLine(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	s := ""
	for i, c := range codes {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d ×%d", c, m[c])
	}
	if s == "" {
		return "none"
	}
	return s
}

// directBurst is the anchor of the load: the same number of direct starts,
// started together.
type directBurst struct {
	Starts      int              `json:"starts"`
	Errors      int              `json:"errors"`
	FirstErrors []string         `json:"firstErrors,omitempty"`
	Seconds     float64          `json:"seconds"`
	Latency     benchkit.Summary `json:"latency"`
	ServerCPU   float64          `json:"serverCpuSeconds"`
	ClientCPU   float64          `json:"clientCpuSeconds"`
	OtherCPU    float64          `json:"otherCpuSeconds"`
}
