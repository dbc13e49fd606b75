// Package e2e starts the real actord binary and drives it over HTTP. The
// Node suite beside it (npm test) drives the same binary with the official
// apify-client.
package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/actord/actord/platform"
)

// binary is the actord binary built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "actord-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "actord")
	build := exec.Command("go", "build", "-o", binary, "../cmd/actord")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build actord:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running actord process.
type server struct {
	cmd  *exec.Cmd
	URL  string
	done chan struct{}
}

const adminToken = "e2e-admin-token-0123456789"

// startServer starts actord on a free port over dataDir, with env
// ("NAME=value") added to its environment, and waits until it listens.
func startServer(t *testing.T, dataDir string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	// Builds share one dependency cache across the suite's servers.
	cmd.Env = append(os.Environ(), "ACTORD_ADMIN_TOKEN="+adminToken,
		"ACTORD_BUILD_CACHE_DIR="+filepath.Join(os.TempDir(), "actord-e2e-build-cache"))
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { cmd.Wait(); close(s.done) }()
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case <-s.done:
		t.Fatal("actord exited before listening")
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("actord did not start listening in 20 s")
	}
	t.Cleanup(func() {
		s.kill()
		// Builds and run dirs may live outside the data dir.
		os.RemoveAll(platform.WorkDirFor(dataDir))
	})
	return s
}

// kill sends SIGKILL and waits for the process to go.
func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.done
}
