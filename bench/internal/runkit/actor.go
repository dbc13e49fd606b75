// Package runkit is the trivial actor that bench/run and bench/sync start:
// bench/run/pusher, uploaded as an actor and built (actor.go), the client
// that talks to the server about it, and the same binary started directly
// with a run's environment, the anchor of both benchmarks (direct.go).
//
// It is benchmark support, not part of actord.
package runkit

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"encoding/base64"
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
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
)

// dockerfile starts the pusher. The builder gives files under bin/ mode
// 0755.
const dockerfile = "FROM scratch\nCOPY bin/pusher bin/pusher\nCMD [\"./bin/pusher\"]\n"

// BuildPusher returns the pusher binary: prebuilt when given, else built
// from ./bench/run/pusher (the working directory is the module root, as
// run.sh leaves it) with CGO_ENABLED=0 into tmp. Either way it must be a
// static executable, so that it starts the same inside the sandbox as
// outside.
func BuildPusher(ctx context.Context, prebuilt, tmp string) (string, error) {
	path := prebuilt
	if path == "" {
		path = filepath.Join(tmp, "pusher")
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", path, "./bench/run/pusher")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("build the pusher (run from the repository root): %v\n%s", err, out)
		}
	}
	if err := checkStatic(path); err != nil {
		return "", fmt.Errorf("pusher %s: %w", path, err)
	}
	return path, nil
}

// checkStatic returns an error unless path is an ELF executable without
// an interpreter or shared libraries.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("not a static binary (it has an ELF interpreter); build it with CGO_ENABLED=0")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return fmt.Errorf("not a static binary (needs %s)", strings.Join(libs, ", "))
	}
	return nil
}

// Client talks to the server under test with the admin token.
type Client struct {
	Srv   *benchkit.Server
	HC    *http.Client
	Token string // another token of the admin user (see createToken)
}

// Call sends one request and decodes the envelope's data into out; any
// status other than want is an error.
func (c *Client) Call(ctx context.Context, method, path string, body []byte, want int, out any) error {
	resp, err := c.Srv.Do(ctx, c.HC, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return benchkit.StatusErr(resp, method+" "+path)
	}
	env := struct {
		Data any `json:"data"`
	}{out}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s %s: bad response body: %v", method, path, err)
	}
	return nil
}

// Where the actor's source lives (-source).
const (
	// SourceFiles: the Dockerfile and bin/pusher (BASE64) as the version's
	// source files, stored in the actor itself.
	SourceFiles = "files"
	// SourceTarball: the same two files as a .tar.gz record of a
	// key-value store, the version's tarballUrl pointing at it (what
	// `apify push` does with large sources); the actor itself stays small.
	SourceTarball = "tarball"
)

// CreateActor creates the actor whose version 0.1 is the Dockerfile and
// the pusher as bin/pusher.
func (c *Client) CreateActor(ctx context.Context, name string, pusher []byte, memory int, source string) (string, error) {
	version := map[string]any{"versionNumber": "0.1", "buildTag": "latest"}
	switch source {
	case SourceFiles:
		type file struct {
			Name    string `json:"name"`
			Format  string `json:"format"`
			Content string `json:"content"`
		}
		version["sourceType"] = "SOURCE_FILES"
		version["SourceFiles"] = []file{
			{"Dockerfile", "TEXT", dockerfile},
			{"bin/pusher", "BASE64", base64.StdEncoding.EncodeToString(pusher)},
		}
	case SourceTarball:
		u, err := c.uploadTarball(ctx, pusher)
		if err != nil {
			return "", err
		}
		version["sourceType"] = "TARBALL"
		version["tarballUrl"] = u
	default:
		return "", fmt.Errorf("unknown -source %q (want %s or %s)", source, SourceFiles, SourceTarball)
	}
	body, _ := json.Marshal(map[string]any{
		"name":              name,
		"versions":          []any{version},
		"defaultRunOptions": map[string]any{"memoryMbytes": memory, "timeoutSecs": 60},
	})
	var a struct {
		ID string `json:"id"`
	}
	if err := c.Call(ctx, "POST", "/v2/acts", body, http.StatusCreated, &a); err != nil {
		return "", fmt.Errorf("create actor: %w", err)
	}
	return a.ID, nil
}

// sourceTarGz is the actor's source as a .tar.gz: the Dockerfile (0644)
// and bin/pusher (0755).
func sourceTarGz(pusher []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, []byte(dockerfile)}, {"bin/pusher", 0o755, pusher}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// uploadTarball stores the source as a .tar.gz record and returns its URL.
func (c *Client) uploadTarball(ctx context.Context, pusher []byte) (string, error) {
	tgz, err := sourceTarGz(pusher)
	if err != nil {
		return "", err
	}
	kv, err := c.CreateStorage(ctx, "key-value-stores", "bench-run-source")
	if err != nil {
		return "", err
	}
	u := c.Srv.Base + "/v2/key-value-stores/" + url.PathEscape(kv) + "/records/source.tar.gz"
	req, err := http.NewRequestWithContext(ctx, "PUT", u, bytes.NewReader(tgz))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/gzip")
	resp, err := c.HC.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", benchkit.StatusErr(resp, "upload source tarball")
	}
	return u, nil
}

type job struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// Build builds version 0.1 of the actor and waits until it has
// succeeded.
func (c *Client) Build(ctx context.Context, actorID string) error {
	var b job
	if err := c.Call(ctx, "POST", "/v2/acts/"+actorID+"/builds?version=0.1&waitForFinish=60", nil, http.StatusCreated, &b); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	for b.Status == "READY" || b.Status == "RUNNING" {
		if err := c.Call(ctx, "GET", "/v2/actor-builds/"+b.ID+"?waitForFinish=60", nil, http.StatusOK, &b); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	if b.Status != "SUCCEEDED" {
		log, _ := c.Log(ctx, "/v2/actor-builds/"+b.ID+"/log")
		return fmt.Errorf("build %s ended %s; log:\n%s", b.ID, b.Status, log)
	}
	return nil
}

// RunResult is one run through actord.
type RunResult struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	DatasetID string `json:"defaultDatasetId"`
	Message   string `json:"statusMessage"`

	Latency time.Duration `json:"-"`
	Err     error         `json:"-"`
}

// StartRun starts one run with POST …/runs?waitForFinish=60 and input {}
// and times it until the whole answer is read. Anything but 201 with
// status SUCCEEDED is an error.
func (c *Client) StartRun(ctx context.Context, actorID string) *RunResult {
	r := &RunResult{}
	start := time.Now()
	err := c.Call(ctx, "POST", "/v2/acts/"+actorID+"/runs?waitForFinish=60", []byte("{}"), http.StatusCreated, r)
	r.Latency = time.Since(start)
	switch {
	case err != nil:
		r.Err = err
	case r.Status != "SUCCEEDED":
		r.Err = fmt.Errorf("run %s ended %s: %s", r.ID, r.Status, r.Message)
	case r.DatasetID == "":
		r.Err = fmt.Errorf("run %s has no defaultDatasetId", r.ID)
	}
	return r
}

// Log returns a build's or run's log.
func (c *Client) Log(ctx context.Context, path string) (string, error) {
	resp, err := c.Srv.Do(ctx, c.HC, "GET", path, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", benchkit.StatusErr(resp, "GET "+path)
	}
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// Limits returns what a run's log says about its memory limit and
// isolation (the driver's "ACTOR: memory limited … ; isolated …" line).
func (c *Client) Limits(ctx context.Context, runID string) (string, error) {
	log, err := c.Log(ctx, "/v2/actor-runs/"+runID+"/log")
	if err != nil {
		return "?", err
	}
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		if _, msg, ok := strings.Cut(sc.Text(), "ACTOR: "); ok && strings.Contains(msg, "isolat") {
			return msg, nil
		}
	}
	return "?", nil
}

// CreateStorage creates a named storage (datasets, key-value-stores,
// request-queues) and returns its ID.
func (c *Client) CreateStorage(ctx context.Context, kind, name string) (string, error) {
	var s struct {
		ID string `json:"id"`
	}
	resp, err := c.Srv.Do(ctx, c.HC, "POST", "/v2/"+kind+"?name="+url.QueryEscape(name), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", benchkit.StatusErr(resp, "create "+kind)
	}
	env := struct {
		Data any `json:"data"`
	}{&s}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || s.ID == "" {
		return "", fmt.Errorf("create %s: bad response body (%v)", kind, err)
	}
	return s.ID, nil
}

// ItemCount returns a dataset's itemCount.
func (c *Client) ItemCount(ctx context.Context, datasetID string) (int64, error) {
	var d struct {
		ItemCount int64 `json:"itemCount"`
	}
	err := c.Call(ctx, "GET", "/v2/datasets/"+url.PathEscape(datasetID), nil, http.StatusOK, &d)
	return d.ItemCount, err
}

// Items returns a dataset's items as the server sends them.
func (c *Client) Items(ctx context.Context, datasetID string) ([]byte, error) {
	resp, err := c.Srv.Do(ctx, c.HC, "GET", "/v2/datasets/"+url.PathEscape(datasetID)+"/items", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, benchkit.StatusErr(resp, "get items")
	}
	return io.ReadAll(resp.Body)
}

// CheckItems returns an error unless b, a dataset's items as JSON, is
// exactly the pusher's one item.
func CheckItems(b []byte) error {
	var got []map[string]any
	if json.Unmarshal(b, &got) != nil || len(got) != 1 || got[0]["hello"] != "world" || len(got[0]) != 1 {
		return fmt.Errorf("items %.200s, want [{\"hello\":\"world\"}]", bytes.TrimSpace(b))
	}
	return nil
}
