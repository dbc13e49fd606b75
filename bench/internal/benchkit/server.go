package benchkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Server is an `actord serve` process started by StartServer.
type Server struct {
	Base    string // "http://127.0.0.1:port"
	DataDir string

	cmd     *exec.Cmd
	token   string
	logPath string
	exited  chan struct{}
	waitErr error
}

// StartActord starts `actord serve` on a fresh data dir Tmp/actord-data,
// logging to Tmp/actord.log, with a random admin token; serverArgs are
// extra space-separated arguments.
func (e *Env) StartActord(serverArgs string) (*Server, error) {
	dataDir := filepath.Join(e.Tmp, "actord-data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	token := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	srv, err := StartServer(e.Ctx, e.Bin, dataDir, filepath.Join(e.Tmp, "actord.log"), token, strings.Fields(serverArgs))
	if err != nil {
		return nil, err
	}
	Logf("actord pid %d listening on %s (data dir %s)", srv.Pid(), srv.Base, dataDir)
	return srv, nil
}

// StartServer runs `actord serve --listen 127.0.0.1:0 --data-dir dataDir`
// plus extra, copies its log to logPath, and returns once the server's
// "listening" JSON log line says where it listens.
func StartServer(ctx context.Context, bin, dataDir, logPath, token string, extra []string) (*Server, error) {
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ACTORD_ADMIN_TOKEN="+token)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = os.Stderr
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &Server{DataDir: dataDir, cmd: cmd, token: token, logPath: logPath, exited: make(chan struct{})}
	addrCh := make(chan string, 1)
	go func() {
		defer logFile.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		sent := false
		for sc.Scan() {
			line := sc.Bytes()
			logFile.Write(line)
			logFile.Write([]byte{'\n'})
			var m map[string]any
			if json.Unmarshal(line, &m) != nil {
				continue
			}
			if !sent && m["msg"] == "listening" {
				if a, ok := m["addr"].(string); ok {
					addrCh <- a
					sent = true
				}
			}
			if lvl, _ := m["level"].(string); lvl == "ERROR" || lvl == "WARN" {
				Logf("server %s: %s", strings.ToLower(lvl), line)
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	select {
	case a := <-addrCh:
		if strings.HasPrefix(a, ":") || strings.HasPrefix(a, "[::]:") || strings.HasPrefix(a, "0.0.0.0:") {
			a = "127.0.0.1:" + a[strings.LastIndexByte(a, ':')+1:]
		}
		s.Base = "http://" + a
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("server exited before listening (%v); log: %s\n%s", s.waitErr, logPath, TailFile(logPath, 20))
	case <-time.After(60 * time.Second):
		s.Stop()
		return nil, fmt.Errorf("server did not log msg=listening within 60s; log: %s\n%s", logPath, TailFile(logPath, 20))
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop sends SIGTERM and waits up to 30s before killing the server. It
// returns the server's exit error if it had exited already.
func (s *Server) Stop() error {
	select {
	case <-s.exited:
		return s.waitErr
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return errors.New("server did not exit within 30s of SIGTERM; killed")
	}
}

// Finish reads the server's peak RSS (VmHWM), then stops the sampler and
// the server; a failure to stop is logged, not returned.
func (s *Server) Finish(sampler *Sampler) (peakRSS int64, err error) {
	_, hwm, err := ProcStatus(s.Pid())
	if err != nil {
		return 0, err
	}
	sampler.Stop()
	if err := s.Stop(); err != nil {
		Logf("server stop: %v", err)
	}
	return hwm, nil
}

// Alive returns an error with the log's tail if the server has exited.
func (s *Server) Alive() error {
	select {
	case <-s.exited:
		return fmt.Errorf("server exited (%v); log tail:\n%s", s.waitErr, TailFile(s.logPath, 20))
	default:
		return nil
	}
}

// TailFile returns the last n lines of the file at path ("" if unreadable).
func TailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// NewClient returns the HTTP client for up to concurrency parallel requests.
// Unless gzip, it does not ask for compressed responses, so that the
// numbers measure the server rather than decompression.
func NewClient(concurrency int, gzip bool) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        concurrency + 4,
		MaxIdleConnsPerHost: concurrency + 4,
		DisableCompression:  !gzip,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// Do sends one request with the admin token; a non-nil body is sent as JSON.
func (s *Server) Do(ctx context.Context, hc *http.Client, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.Base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
	}
	return hc.Do(req)
}

// StatusErr makes an error of an unexpected response, with (the start of)
// its body.
func StatusErr(resp *http.Response, what string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	return fmt.Errorf("%s: HTTP %d: %s", what, resp.StatusCode, bytes.TrimSpace(b))
}

// CreateDataset creates a dataset with the given name and returns the path
// of its items, "/v2/datasets/{id}/items".
func (s *Server) CreateDataset(ctx context.Context, hc *http.Client, name string) (string, error) {
	resp, err := s.Do(ctx, hc, "POST", "/v2/datasets?name="+url.QueryEscape(name), nil)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", StatusErr(resp, "create dataset")
	}
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || created.Data.ID == "" {
		return "", fmt.Errorf("create dataset: bad response body (%v)", err)
	}
	return "/v2/datasets/" + url.PathEscape(created.Data.ID) + "/items", nil
}

// Push POSTs every batch to path, concurrency requests at a time, and stops
// at the first error. If lat is not nil, lat[i] is set to batch i's request
// time. An error says so if the server has died.
func (s *Server) Push(ctx context.Context, hc *http.Client, path string, batches [][]byte, concurrency int, lat []time.Duration) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(batches) || pctx.Err() != nil {
					return
				}
				t := time.Now()
				resp, err := s.Do(pctx, hc, "POST", path, batches[i])
				if err == nil {
					if resp.StatusCode != http.StatusCreated {
						err = StatusErr(resp, fmt.Sprintf("push batch %d", i))
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if lat != nil {
					lat[i] = time.Since(t)
				}
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		if e := s.Alive(); e != nil {
			return fmt.Errorf("%v; %v", firstErr, e)
		}
	}
	return firstErr
}
