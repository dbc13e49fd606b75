package main

import (
	"strings"
	"testing"

	"github.com/actord/actord/bench/internal/benchkit"
	"github.com/actord/actord/bench/internal/runkit"
)

func TestPrintTable(t *testing.T) {
	r := &results{Header: runkit.Header{Date: "2026-11-29", Machine: "test machine", LoadAvg: "0.5", MemoryMbytes: 128, ServerRunMemory: 1024},
		Verified: "ok: everything"}
	r.Sequential = sequential{Sequential: runkit.Sequential{Runs: 50, Direct: benchkit.Summary{P50: 4}, Actord: benchkit.Summary{P50: 12}}, Lag: benchkit.Summary{N: 50, P95: 2}}
	r.Load = load{Clients: 200, Rounds: 1, Calls: 200, Answered: 200, Statuses: map[int]int{201: 200}}
	var b strings.Builder
	printTable(&b, r, config{Flags: runkit.Flags{Warmup: 5}})
	out := b.String()
	for _, want := range []string{"== bench/sync  2026-11-29", "machine: test machine; load average at start 0.5", "(8 at once)",
		"statuses: 201 ×200", "no transport error: MET", "pusher's item: MET", "no poll): MET"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	r.Load = load{Clients: 200, Rounds: 1, Calls: 200, Answered: 199, Transport: 1, ServerErrs: 1, Statuses: map[int]int{201: 198, 502: 1},
		NotCreated: []string{"HTTP 502, run \"x\"", "transport error: EOF"}}
	r.Verified = "FAILED: verify: 200 calls, the server lists 201 runs"
	r.Sequential.Lag.P95 = 7
	b.Reset()
	printTable(&b, r, config{Flags: runkit.Flags{Warmup: 5}})
	out = b.String()
	for _, want := range []string{"not 201: HTTP 502", "not 201: transport error: EOF", "no transport error: NOT MET (199 of 200 answered, 1 5xx, 1 transport errors)",
		"pusher's item: NOT MET (198 of 200; verify FAILED)", "no poll): NOT MET (7.00 ms)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
