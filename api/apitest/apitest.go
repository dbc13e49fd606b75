// Package apitest starts a real actord API (SQLite in a temp dir) behind
// httptest for tests, with helpers to create users and make requests.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/actord/actord/api"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/runner/process"
	"github.com/actord/actord/storage/sqlite"
)

// Server is a running test API.
type Server struct {
	URL        string
	AdminToken string
	DB         *sqlite.DB
	users      *platform.Users
	t          testing.TB
}

// Option changes the API's configuration.
type Option func(*api.Config)

// SyncTimeout sets the wall of the run-sync routes.
func SyncTimeout(d time.Duration) Option { return func(c *api.Config) { c.SyncTimeout = d } }

// New starts a server that is stopped when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	// Runs execute as nobody when the tests run as root: they must be
	// able to reach their build inside the data dir.
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "actord.db"))
	if err != nil {
		t.Fatal(err)
	}
	users := platform.NewUsers(db, time.Now)
	token, err := users.Bootstrap(ctx, "admin", "")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &Server{AdminToken: token, DB: db, users: users, t: t}
	hs := httptest.NewUnstartedServer(nil)
	hs.Start()
	s.URL = hs.URL
	p, err := platform.New(platform.Config{DataDir: dir, APIURL: hs.URL, PublicURL: hs.URL, RunMemoryMbytes: 4096,
		Path: os.Getenv("PATH"), BuildEnv: []string{"HOME=" + os.Getenv("HOME")}, BuildUser: process.Unprivileged(),
		// Webhook retries come quickly, so tests see them.
		WebhookTimeout: 5 * time.Second, WebhookRetryBase: 50 * time.Millisecond}, db, process.New(logger, process.Options{}), logger, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	p.Users = users
	cfg := api.Config{PublicURL: hs.URL}
	for _, o := range opts {
		o(&cfg)
	}
	hs.Config.Handler = api.NewServer(cfg, logger, api.Services{
		Users: p.Users, Storages: p.Storages, Actors: p.Actors, Tasks: p.Tasks, Builds: p.Builds, Runs: p.Runs, Logs: p.Logs, Webhooks: p.Webhooks,
	})
	t.Cleanup(func() {
		hs.Close()
		p.Close()
		db.Close()
	})
	return s
}

// NewUser creates a user and returns its token.
func (s *Server) NewUser(name string) string {
	s.t.Helper()
	u, err := s.users.Create(context.Background(), name)
	if err != nil {
		s.t.Fatal(err)
	}
	token, err := s.users.CreateToken(context.Background(), u.ID, "")
	if err != nil {
		s.t.Fatal(err)
	}
	return token
}

// Response is a buffered HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorType returns error.type of an error body ("" if none).
func (r *Response) ErrorType() string {
	var e struct {
		Error struct{ Type string } `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Type
}

// Do sends a request with the token as Bearer (none when token is "") and
// headers given as alternating name, value.
func (s *Server) Do(method, path, token string, body []byte, headers ...string) *Response {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Create creates a named (or, with name "", unnamed) storage under
// collection ("datasets", "key-value-stores", "request-queues") and returns
// its ID.
func (s *Server) Create(collection, name, token string) string {
	s.t.Helper()
	path := "/v2/" + collection
	if name != "" {
		path += "?name=" + name
	}
	resp := s.Do("POST", path, token, nil)
	if resp.Status != http.StatusCreated && resp.Status != http.StatusOK {
		s.t.Fatalf("create %s %q: %d %s", collection, name, resp.Status, resp.Body)
	}
	var out struct{ Data struct{ ID string } }
	resp.JSON(s.t, &out)
	return out.Data.ID
}
