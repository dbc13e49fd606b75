package main

// The tests of push and call run the commands against fakeAPI, an
// httptest server that implements only the routes those commands use and
// records every request. They are protocol tests: they pin the request
// sequence and bodies the CLI sends, not the server's behaviour (the e2e
// tests run the commands against the real server).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func init() {
	minPollInterval = 0
}

// recorded is one request fakeAPI received.
type recorded struct {
	Method, Path, Query, ContentType, Auth string
	IdempotencyKey                         string
	Body                                   []byte
}

// String is "METHOD /path?query", the form the sequence assertions use.
func (r recorded) String() string {
	if r.Query == "" {
		return r.Method + " " + r.Path
	}
	return r.Method + " " + r.Path + "?" + r.Query
}

// fakeAPI is the protocol-test server for push and call.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	reqs     []recorded
	actors   map[string]string // "username~name" and ID → ID
	versions map[string]bool   // "actID/version"
	// statuses are the job statuses successive polls return (the last one
	// repeats); the create call returns RUNNING.
	buildStatuses []string
	runStatuses   []string
	runExitCode   int
	polls         int
	items         string // the dataset items body
	syncTimeouts  int    // run-sync-get-dataset-items answers 408 this many times first
	meStatus      int    // non-zero: /v2/users/me fails with this status
}

const fakeToken = "test-token-0123456789"

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{
		t:             t,
		actors:        map[string]string{},
		versions:      map[string]bool{},
		buildStatuses: []string{"RUNNING", "SUCCEEDED"},
		runStatuses:   []string{"RUNNING", "SUCCEEDED"},
		items:         `[{"hello":"world"}]`,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		if f.meStatus != 0 {
			writeErr(w, f.meStatus, "invalid-token", "Authentication token is not valid.")
			return
		}
		writeData(w, 200, map[string]string{"id": "USER1", "username": "alice"})
	})
	mux.HandleFunc("GET /v2/acts/{ref}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		id, ok := f.actors[r.PathValue("ref")]
		f.mu.Unlock()
		if !ok {
			writeErr(w, 404, "record-not-found", "Actor was not found")
			return
		}
		writeData(w, 200, map[string]string{"id": id})
	})
	mux.HandleFunc("POST /v2/acts", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Name     string `json:"name"`
			Versions []struct {
				VersionNumber string `json:"versionNumber"`
			} `json:"versions"`
		}
		json.Unmarshal(f.lastBody(), &body)
		f.mu.Lock()
		f.actors["alice~"+body.Name] = "ACT1"
		f.actors["ACT1"] = "ACT1"
		for _, v := range body.Versions {
			f.versions["ACT1/"+v.VersionNumber] = true
		}
		f.mu.Unlock()
		writeData(w, 201, map[string]string{"id": "ACT1", "name": body.Name})
	})
	mux.HandleFunc("POST /v2/key-value-stores", func(w http.ResponseWriter, r *http.Request) {
		writeData(w, 201, map[string]string{"id": "KVS1", "name": r.URL.Query().Get("name")})
	})
	mux.HandleFunc("PUT /v2/key-value-stores/{id}/records/{key}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
	})
	mux.HandleFunc("GET /v2/acts/{id}/versions/{v}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ok := f.versions[r.PathValue("id")+"/"+r.PathValue("v")]
		f.mu.Unlock()
		if !ok {
			writeErr(w, 404, "record-not-found", "Actor version was not found")
			return
		}
		writeData(w, 200, map[string]string{"versionNumber": r.PathValue("v")})
	})
	mux.HandleFunc("PUT /v2/acts/{id}/versions/{v}", func(w http.ResponseWriter, r *http.Request) {
		writeData(w, 200, json.RawMessage(f.lastBody()))
	})
	mux.HandleFunc("POST /v2/acts/{id}/versions", func(w http.ResponseWriter, r *http.Request) {
		writeData(w, 201, json.RawMessage(f.lastBody()))
	})
	mux.HandleFunc("POST /v2/acts/{id}/builds", func(w http.ResponseWriter, r *http.Request) {
		writeData(w, 201, map[string]string{"id": "BUILD1", "actId": r.PathValue("id"), "buildNumber": r.URL.Query().Get("version") + ".1", "status": "RUNNING"})
	})
	mux.HandleFunc("GET /v2/actor-builds/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeData(w, 200, map[string]string{"id": r.PathValue("id"), "actId": "ACT1", "buildNumber": "0.1.1", "status": f.nextStatus(f.buildStatuses)})
	})
	mux.HandleFunc("GET /v2/logs/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "2026-01-01T00:00:00.000Z log of %s\n", r.PathValue("id"))
	})
	mux.HandleFunc("POST /v2/acts/{ref}/runs", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		_, ok := f.actors[r.PathValue("ref")]
		f.mu.Unlock()
		if !ok {
			writeErr(w, 404, "record-not-found", "Actor was not found")
			return
		}
		writeData(w, 201, f.runObject("RUNNING"))
	})
	mux.HandleFunc("GET /v2/actor-runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("waitForFinish") {
			writeData(w, 200, f.runObject(f.nextStatus(f.runStatuses)))
			return
		}
		writeData(w, 200, f.runObject(f.runStatuses[len(f.runStatuses)-1]))
	})
	// run-sync-get-dataset-items re-attaches to the run POST …/runs started
	// with the same Idempotency-Key (only then does it answer).
	mux.HandleFunc("POST /v2/acts/{id}/run-sync-get-dataset-items", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		var startKey string
		for _, x := range f.reqs {
			if strings.HasSuffix(x.Path, "/runs") && x.Method == "POST" {
				startKey = x.IdempotencyKey
			}
		}
		timeout := f.syncTimeouts > 0
		if timeout {
			f.syncTimeouts--
		}
		f.mu.Unlock()
		switch status := f.runStatuses[len(f.runStatuses)-1]; {
		case r.PathValue("id") != "ACT1" || startKey == "" || r.Header.Get("Idempotency-Key") != startKey:
			writeErr(w, 400, "invalid-request", "not the started run's actor or Idempotency-Key")
		case timeout:
			writeErr(w, 408, "run-timeout-exceeded", "Actor run exceeded the timeout of 300 seconds for this API endpoint")
		case status != "SUCCEEDED":
			writeErr(w, 400, "run-failed", "Actor run did not succeed (run ID: RUN1, status: "+status+")")
		default:
			w.Header().Set("X-Actord-Run-Id", "RUN1")
			w.WriteHeader(201)
			io.WriteString(w, f.items)
		}
	})
	mux.HandleFunc("GET /v2/datasets/{id}/items", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, f.items)
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			ContentType: r.Header.Get("Content-Type"), Auth: r.Header.Get("Authorization"), Body: body,
			IdempotencyKey: r.Header.Get("Idempotency-Key"),
		})
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+fakeToken {
			writeErr(w, 401, "invalid-token", "Authentication token is not valid.")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) runObject(status string) map[string]any {
	run := map[string]any{"id": "RUN1", "actId": "ACT1", "status": status, "buildNumber": "0.1.1", "defaultDatasetId": "DS1"}
	if status == "FAILED" {
		run["exitCode"] = f.runExitCode
		run["statusMessage"] = "Actor crashed"
	}
	return run
}

// nextStatus returns the status for the next poll.
func (f *fakeAPI) nextStatus(seq []string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.polls
	f.polls++
	return seq[min(i, len(seq)-1)]
}

// lastBody is the body of the request being served (the recorder appended
// it before routing).
func (f *fakeAPI) lastBody() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1].Body
}

// requests returns the recorded requests except the log streams, which
// run concurrently with the polls, and the log streams apart.
func (f *fakeAPI) requests() (seq []recorded, logs []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.reqs {
		if strings.HasPrefix(r.Path, "/v2/logs/") {
			logs = append(logs, r.String())
			continue
		}
		seq = append(seq, r)
	}
	return seq, logs
}

func writeData(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"data": v})
}

func writeErr(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"type": typ, "message": msg}})
}

// env returns a getenv pointing the CLI at the fake server.
func (f *fakeAPI) env(extra ...string) func(string) string {
	m := map[string]string{"ACTORD_URL": f.srv.URL, "ACTORD_TOKEN": fakeToken}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return func(k string) string { return m[k] }
}

// seqStrings renders requests as "METHOD /path?query".
func seqStrings(reqs []recorded) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.String()
	}
	return out
}

func assertSeq(t *testing.T, got []recorded, want []string) {
	t.Helper()
	g := seqStrings(got)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("request sequence:\n  got  %s\n  want %s", strings.Join(g, "\n       "), strings.Join(want, "\n       "))
	}
}

func TestTokenResolution(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "admin-token"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name    string
		flag    string
		env     map[string]string
		dataDir string
		want    string
		wantErr string
	}{
		{name: "flag wins", flag: "from-flag", env: map[string]string{"ACTORD_TOKEN": "a", "APIFY_TOKEN": "b"}, dataDir: dir, want: "from-flag"},
		{name: "ACTORD_TOKEN", env: map[string]string{"ACTORD_TOKEN": "a", "APIFY_TOKEN": "b"}, dataDir: dir, want: "a"},
		{name: "APIFY_TOKEN", env: map[string]string{"APIFY_TOKEN": "b"}, dataDir: dir, want: "b"},
		{name: "admin-token file", dataDir: dir, want: "from-file"},
		{name: "none", dataDir: empty, wantErr: "no API token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &clientFlags{url: "http://127.0.0.1:8080/", token: tt.flag}
			c, err := f.client(func(k string) string { return tt.env[k] }, tt.dataDir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.token != tt.want || c.base != "http://127.0.0.1:8080" {
				t.Errorf("token %q base %q, want %q http://127.0.0.1:8080", c.token, c.base, tt.want)
			}
		})
	}
	if _, err := (&clientFlags{url: "127.0.0.1:8080", token: "x"}).client(func(string) string { return "" }, dir); err == nil {
		t.Error("a URL without scheme was accepted")
	}
}

// API errors reach main (which prefixes "actord: ") as
// "<type>: <message> (HTTP <status>)", also when the body is not Apify's.
func TestAPIErrorFormat(t *testing.T) {
	f := newFakeAPI(t)
	f.meStatus = 401
	err := run(context.Background(), []string{"call", "hello"}, f.env(), io.Discard, io.Discard)
	if err == nil || err.Error() != "invalid-token: Authentication token is not valid. (HTTP 401)" {
		t.Errorf("err = %v", err)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer srv.Close()
	c := &apiClient{base: srv.URL, token: "x", http: srv.Client()}
	_, err = c.me(context.Background())
	var ae *apiError
	if !errors.As(err, &ae) || err.Error() != "http-error: upstream down (HTTP 502)" {
		t.Errorf("err = %v", err)
	}
}
