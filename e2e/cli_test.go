package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIPushCall runs the README's two commands against the real server:
// `actord push examples/hello` and `actord call hello --format csv`, with the
// example's real npm dependencies.
func TestCLIPushCall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real npm actor")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is needed to build the example actor")
		}
		t.Skip("npm not installed")
	}
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	cli := func(args ...string) (string, string, error) { return runCLI(s, args...) }

	start := time.Now()
	out, errOut, err := cli("push", filepath.Join("..", "examples", "hello"))
	if err != nil {
		t.Fatalf("push: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	if !strings.Contains(out, `"status":"SUCCEEDED"`) {
		t.Fatalf("push printed %q", out)
	}
	t.Logf("push (create, upload, npm build): %s", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	out, errOut, err = cli("call", "hello", "--format", "csv", "--input", `{"name":"Ada","count":2}`)
	if err != nil {
		t.Fatalf("call: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	t.Logf("call: %s", time.Since(start).Round(time.Millisecond))
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("call printed no CSV: %v\n%s", err, out)
	}
	want := [][]string{{"greeting", "n"}, {"Hello, Ada!", "1"}, {"Hello, Ada!", "2"}}
	if len(rows) != len(want) {
		t.Fatalf("CSV rows %q, want %q", rows, want)
	}
	for i := range want {
		if strings.Join(rows[i], ",") != strings.Join(want[i], ",") {
			t.Fatalf("CSV row %d: %q, want %q", i, rows[i], want[i])
		}
	}
	if !strings.Contains(errOut, "Pushed 2 greetings for Ada.") {
		t.Fatalf("the run's log was not streamed to stderr:\n%s", errOut)
	}

	// The input schema's defaults apply to an empty input.
	out, errOut, err = cli("call", "hello", "--format", "jsonl")
	if err != nil || strings.Count(out, "Hello, World!") != 3 {
		t.Fatalf("call without input: %v\n%s\n%s", err, out, errOut)
	}
	// A run that fails makes call fail, naming the run.
	_, errOut, err = cli("call", "hello", "--input", `{"count":"many"}`)
	if err == nil || !strings.Contains(errOut, "invalid-input") {
		t.Fatalf("call with invalid input: %v\n%s", err, errOut)
	}
}

// slowActorJS waits 2.5 s, then pushes one item (plain Node, no npm).
const slowActorJS = `await new Promise((r) => setTimeout(r, 2500));
const base = process.env.APIFY_API_BASE_URL.replace(/\/$/, '') + '/v2';
const res = await fetch(base + '/datasets/' + process.env.ACTOR_DEFAULT_DATASET_ID + '/items', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + process.env.APIFY_TOKEN, 'Content-Type': 'application/json' },
    body: JSON.stringify({ waited: true }),
});
if (res.status !== 201) throw new Error('push: ' + res.status);
`

// TestCLICallPastTheSyncWall: with a 1 s sync wall and a 2.5 s actor,
// `actord call` says the run goes on, attaches again with its
// Idempotency-Key and prints the items; the server made one run.
func TestCLICallPastTheSyncWall(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "ACTORD_SYNC_TIMEOUT_SECS=1")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".actor"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		".actor/actor.json": `{"actorSpecification":1,"name":"slow","version":"0.1","buildTag":"latest"}`,
		"main.mjs":          slowActorJS,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cli := func(args ...string) (string, string, error) { return runCLI(s, args...) }
	if out, errOut, err := cli("push", dir); err != nil {
		t.Fatalf("push: %v\n%s\n%s", err, out, errOut)
	}
	out, errOut, err := cli("call", "slow", "--format", "jsonl")
	if err != nil || out != `{"waited":true}` {
		t.Fatalf("call: %v\nstdout %q\nstderr %s", err, out, errOut)
	}
	if !strings.Contains(errOut, "is still running after the server's sync timeout") {
		t.Fatalf("call did not say it waits again:\n%s", errOut)
	}
	var runs struct{ Data struct{ Total int } }
	if err := getJSON(s.URL+"/v2/acts/admin~slow/runs", &runs); err != nil || runs.Data.Total != 1 {
		t.Fatalf("runs of the actor: %+v %v", runs, err)
	}
}

// getJSON GETs url as the admin and decodes the answer into v.
func getJSON(url string, v any) error {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// runCLI runs the actord binary with args against server s as the admin;
// it returns stdout and stderr.
func runCLI(s *server, args ...string) (string, string, error) {
	cmd := exec.Command(binary, append(args, "--url", s.URL, "--token", adminToken)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}
