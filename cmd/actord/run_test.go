package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actord/actord/platform"
)

// syncBuffer is a bytes.Buffer safe for the server's log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveForTest runs `actord serve` on a temp data dir with env and waits
// for it to listen; stop cancels it and returns what run returned.
func serveForTest(t *testing.T, env map[string]string) (addr, dataDir string, logs *syncBuffer, getenv func(string) string, stop func() error) {
	t.Helper()
	dataDir = t.TempDir()
	env["ACTORD_DATA_DIR"], env["ACTORD_LISTEN"] = dataDir, "127.0.0.1:0"
	getenv = func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, getenv, io.Discard, logs) }()
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(logs.String(), "\n") {
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "listening" {
				addr = l.Addr
			}
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("server did not start; logs:\n%s", logs.String())
	}
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop after cancel")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return addr, dataDir, logs, getenv, stop
}

func TestServeBootstrapsAndStopsGracefully(t *testing.T) {
	addr, dataDir, logs, getenv, stop := serveForTest(t, map[string]string{})

	token, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dataDir, "admin-token")); fi.Mode().Perm() != 0o600 {
		t.Errorf("admin-token mode = %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(logs.String(), strings.TrimSpace(string(token))) {
		t.Error("the generated token is not in the log")
	}

	// A user created by the CLI while the server runs can use the API.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"user", "create", "alice"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var alice struct{ ID, Username, Token string }
	if err := json.Unmarshal(out.Bytes(), &alice); err != nil || alice.Token == "" || len(alice.ID) != 17 {
		t.Fatalf("user create printed %q (%v)", out.String(), err)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/v2/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+alice.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"username":"alice"`) {
		t.Fatalf("users/me as alice: %d %s", resp.StatusCode, body)
	}

	out.Reset()
	if err := run(context.Background(), []string{"token", "create", "--user", "alice"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"token":"apify_api_`) {
		t.Errorf("token create printed %q", out.String())
	}

	if err := stop(); err != nil {
		t.Fatalf("serve returned %v after shutdown", err)
	}
}

// At shutdown the runs end first (ABORTED, the server stopped), so a
// run-sync call waiting for one is answered, and the server stops at once.
func TestShutdownAnswersSyncCalls(t *testing.T) {
	addr, dataDir, _, _, stop := serveForTest(t, map[string]string{"PATH": os.Getenv("PATH")})
	token, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, []byte(err.Error())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if st, b := do("POST", "/v2/acts", `{"name":"napper","versions":[{"versionNumber":"0.1","sourceType":"SOURCE_FILES","sourceFiles":[`+
		`{"name":"Dockerfile","format":"TEXT","content":"FROM scratch\nCMD [\"/bin/sh\", \"-c\", \"sleep 60\"]\n"}]}]}`); st != 201 {
		t.Fatalf("create actor: %d %s", st, b)
	}
	if st, b := do("POST", "/v2/acts/admin~napper/builds?version=0.1&waitForFinish=60", ""); st != 201 || !bytes.Contains(b, []byte("SUCCEEDED")) {
		t.Fatalf("build: %d %s", st, b)
	}
	type answer struct {
		status int
		body   []byte
	}
	answered := make(chan answer, 1)
	go func() {
		st, b := do("POST", "/v2/acts/admin~napper/run-sync-get-dataset-items", "{}")
		answered <- answer{st, b}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, b := do("GET", "/v2/acts/admin~napper/runs/last", ""); bytes.Contains(b, []byte(`"RUNNING"`)) {
			break
		}
		if time.Now().After(deadline) {
			_, b := do("GET", "/v2/acts/admin~napper/runs/last", "")
			t.Fatalf("the run did not start: %s", b)
		}
	}
	t0 := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("shutdown took %s", d)
	}
	a := <-answered
	if a.status != 400 || !bytes.Contains(a.body, []byte(`"run-failed"`)) || !bytes.Contains(a.body, []byte("status: ABORTED")) {
		t.Fatalf("the waiting call got %d %s", a.status, a.body)
	}
}

func TestConfiguredAdminToken(t *testing.T) {
	dataDir := t.TempDir()
	env := map[string]string{"ACTORD_DATA_DIR": dataDir, "ACTORD_ADMIN_TOKEN": "configured-token-1234", "ACTORD_ADMIN_USERNAME": "root"}
	var out bytes.Buffer
	// Creating another user boots nothing; serve does. Start and stop serve.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0"}, func(k string) string { return env[k] }, &out, io.Discard)
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "admin-token")); !os.IsNotExist(err) {
		t.Errorf("a configured token must not be written to disk (stat: %v)", err)
	}
	err := withUsers(context.Background(), dataDir, func(users *platform.Users) error {
		u, err := users.Authenticate(context.Background(), "configured-token-1234")
		if err == nil && u.Username != "root" {
			t.Errorf("token belongs to %q, want root", u.Username)
		}
		return err
	})
	if err != nil {
		t.Fatalf("configured token: %v", err)
	}
}
