package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Protocol test: the requests call sends for each way of naming the actor.
func TestCallProtocol(t *testing.T) {
	inputFile := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(inputFile, []byte(`{"from":"file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		wantSeq   []string
		wantBody  string
		wantStdio string
	}{
		{
			name: "own actor by name, all options",
			args: []string{"call", "hello", "--input", `{"a":1}`, "--build", "0.1.1", "--memory", "512", "--timeout", "60", "--format", "csv"},
			wantSeq: []string{
				"GET /v2/users/me",
				"POST /v2/acts/alice~hello/runs?build=0.1.1&memory=512&timeout=60",
				"POST /v2/acts/ACT1/run-sync-get-dataset-items?build=0.1.1&format=csv&memory=512&timeout=60",
			},
			wantBody: `{"a":1}`,
		},
		{
			name: "username/name, input from a file",
			args: []string{"call", "bob/hello", "--input", "@" + inputFile},
			wantSeq: []string{
				"POST /v2/acts/bob~hello/runs",
				"POST /v2/acts/ACT1/run-sync-get-dataset-items?format=json",
			},
			wantBody: `{"from":"file"}`,
		},
		{
			name: "username~name, no input",
			args: []string{"call", "bob~hello", "--timeout", "0"},
			wantSeq: []string{
				"POST /v2/acts/bob~hello/runs?timeout=0",
				"POST /v2/acts/ACT1/run-sync-get-dataset-items?format=json&timeout=0",
			},
		},
		{
			name: "ID",
			args: []string{"call", "AbCdEfGhIjKlMnOpQ"},
			wantSeq: []string{
				"POST /v2/acts/AbCdEfGhIjKlMnOpQ/runs",
				"POST /v2/acts/ACT1/run-sync-get-dataset-items?format=json",
			},
		},
		{
			name: "17-character lowercase name: tried as an ID first",
			args: []string{"call", "seventeenletters1"},
			wantSeq: []string{
				"POST /v2/acts/seventeenletters1/runs",
				"GET /v2/users/me",
				"POST /v2/acts/alice~seventeenletters1/runs",
				"POST /v2/acts/ACT1/run-sync-get-dataset-items?format=json",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t)
			for _, ref := range []string{"alice~hello", "bob~hello", "AbCdEfGhIjKlMnOpQ", "alice~seventeenletters1"} {
				f.actors[ref] = "ACT1"
			}
			f.items = "a,b\n1,2\n"
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), tt.args, f.env(), &stdout, &stderr); err != nil {
				t.Fatalf("call: %v\n%s", err, stderr.String())
			}
			seq, logs := f.requests()
			assertSeq(t, seq, tt.wantSeq)
			if !slices.Equal(logs, []string{"GET /v2/logs/RUN1?stream=1"}) {
				t.Errorf("log requests = %q", logs)
			}
			var start recorded
			for _, r := range seq {
				if r.Method == "POST" {
					start = r
				}
			}
			if string(start.Body) != tt.wantBody {
				t.Errorf("input body %q, want %q", start.Body, tt.wantBody)
			}
			if wantCT := map[bool]string{true: "application/json", false: ""}[tt.wantBody != ""]; start.ContentType != wantCT {
				t.Errorf("input content type %q, want %q", start.ContentType, wantCT)
			}
			if stdout.String() != "a,b\n1,2\n" {
				t.Errorf("stdout = %q, want the items verbatim", stdout.String())
			}
			if !strings.HasPrefix(stderr.String(), "Run RUN1 started") || !strings.Contains(stderr.String(), "log of RUN1") ||
				!strings.Contains(stderr.String(), "Run RUN1 SUCCEEDED") {
				t.Errorf("stderr = %q", stderr.String())
			}
		})
	}
}

func TestCallInputFromStdin(t *testing.T) {
	f := newFakeAPI(t)
	f.actors["alice~hello"] = "ACT1"
	dataDir := t.TempDir()
	cmd := newCallCmd(f.env(), &dataDir, io.Discard, io.Discard)
	cmd.SetIn(strings.NewReader(`{"from":"stdin"}`))
	cmd.SetArgs([]string{"hello", "--input", "-"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	seq, _ := f.requests()
	if len(seq) < 2 || string(seq[1].Body) != `{"from":"stdin"}` {
		t.Errorf("requests %v", seqStrings(seq))
	}
}

// Protocol test: a run that does not succeed fails the command with its ID
// and status; the dataset is still printed.
func TestCallFailedRun(t *testing.T) {
	tests := []struct {
		status   string
		exitCode int
		wantMsg  string
		wantExit int
	}{
		{"FAILED", 7, "run RUN1 FAILED (exit code 7): Actor crashed", 7},
		{"FAILED", 0, "run RUN1 FAILED: Actor crashed", 1},
		{"TIMED-OUT", 0, "run RUN1 TIMED-OUT", 2},
		{"ABORTED", 0, "run RUN1 ABORTED", 3},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			f := newFakeAPI(t)
			f.actors["alice~hello"] = "ACT1"
			f.runStatuses = []string{"RUNNING", tt.status}
			f.runExitCode = tt.exitCode
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"call", "hello"}, f.env(), &stdout, &stderr)
			var re *runError
			if !errors.As(err, &re) || err.Error() != tt.wantMsg || re.ExitCode() != tt.wantExit {
				t.Fatalf("err = %v, want %q with exit code %d", err, tt.wantMsg, tt.wantExit)
			}
			if !strings.HasPrefix(stderr.String(), "Run RUN1 started") {
				t.Errorf("stderr = %q", stderr.String())
			}
			if stdout.String() != `[{"hello":"world"}]` {
				t.Errorf("stdout = %q", stdout.String())
			}
		})
	}
}

func TestCallRejectsBadArgumentsBeforeAnyRequest(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"call", "hello", "--input", "{not json"}, "not valid JSON"},
		{[]string{"call", "hello", "--input", "@/does/not/exist.json"}, "read input"},
		{[]string{"call", "hello", "--format", "yaml"}, `invalid --format "yaml"`},
		{[]string{"call"}, "accepts 1 arg"},
	}
	for _, tt := range tests {
		f := newFakeAPI(t)
		err := run(context.Background(), tt.args, f.env(), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%q: err = %v, want %q", tt.args, err, tt.wantErr)
		}
		if seq, logs := f.requests(); len(seq)+len(logs) != 0 {
			t.Errorf("%q: sent %v", tt.args, seqStrings(seq))
		}
	}
}

// A missing actor surfaces as the API's error.
func TestCallUnknownActor(t *testing.T) {
	f := newFakeAPI(t)
	err := run(context.Background(), []string{"call", "nope"}, f.env(), io.Discard, io.Discard)
	if err == nil || err.Error() != "record-not-found: Actor was not found (HTTP 404)" {
		t.Errorf("err = %v", err)
	}
}

// Past the server's sync wall (408), call names the run and attaches
// again with the same Idempotency-Key; no second run is started.
func TestCallReattachesAfterSyncTimeout(t *testing.T) {
	f := newFakeAPI(t)
	f.actors["alice~hello"] = "ACT1"
	f.syncTimeouts = 2
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"call", "alice~hello", "--input", `{"a":1}`}, f.env(), &stdout, &stderr); err != nil {
		t.Fatalf("call: %v\n%s", err, stderr.String())
	}
	seq, _ := f.requests()
	assertSeq(t, seq, []string{
		"POST /v2/acts/alice~hello/runs",
		"POST /v2/acts/ACT1/run-sync-get-dataset-items?format=json",
		"POST /v2/acts/ACT1/run-sync-get-dataset-items?format=json",
		"POST /v2/acts/ACT1/run-sync-get-dataset-items?format=json",
	})
	for _, r := range seq {
		if r.IdempotencyKey == "" || r.IdempotencyKey != seq[0].IdempotencyKey || string(r.Body) != `{"a":1}` {
			t.Errorf("%s: Idempotency-Key %q, body %q", r, r.IdempotencyKey, r.Body)
		}
	}
	if n := strings.Count(stderr.String(), "Run RUN1 is still running after the server's sync timeout"); n != 2 {
		t.Errorf("stderr = %q", stderr.String())
	}
	if stdout.String() != f.items {
		t.Errorf("stdout = %q", stdout.String())
	}
}
