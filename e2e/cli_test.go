package e2e

import (
	"bytes"
	"encoding/csv"
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
	cli := func(args ...string) (string, string, error) {
		cmd := exec.Command(binary, append(args, "--url", s.URL, "--token", adminToken)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}

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
