package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/actord/actord"
)

// apiError is an error response of the Apify API:
// {"error":{"type":…,"message":…}} with its HTTP status. main prints it as
// "actord: <type>: <message> (HTTP <status>)".
type apiError struct {
	Status  int
	Type    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Type, e.Message, e.Status)
}

// isNotFound reports whether err is the 404 Apify clients treat as "does
// not exist" (as opposed to a missing route or a proxy's 404).
func isNotFound(err error) bool {
	var e *apiError
	return errors.As(err, &e) && e.Status == http.StatusNotFound &&
		(e.Type == actord.ErrRecordNotFound || e.Type == actord.ErrRecordOrTokenNotFound)
}

// apiClient is a minimal client of actord's Apify API v2: JSON in, the
// {"data": …} envelope out, Bearer auth. Requests are bound to their
// context; there is no client-side timeout because log streams and
// long polls last as long as the job they follow.
type apiClient struct {
	base  string // e.g. http://127.0.0.1:8080, no trailing slash
	token string
	http  *http.Client
}

// clientFlags are the flags every API command shares.
type clientFlags struct {
	url   string
	token string
}

// addClientFlags registers --url and --token on cmd. The token's
// environment fallbacks are resolved at run time, so a token never shows
// up as a default in --help.
func addClientFlags(cmd *cobra.Command, getenv func(string) string) *clientFlags {
	f := &clientFlags{}
	cmd.Flags().StringVar(&f.url, "url", cmp.Or(getenv("ACTORD_URL"), "http://127.0.0.1:8080"),
		"base URL of the actord server (env ACTORD_URL)")
	cmd.Flags().StringVar(&f.token, "token", "",
		"API token (default: env ACTORD_TOKEN, else APIFY_TOKEN, else the contents of <data-dir>/admin-token)")
	return f
}

// client resolves the token and returns a client for the flags' server.
func (f *clientFlags) client(getenv func(string) string, dataDir string) (*apiClient, error) {
	token := cmp.Or(f.token, getenv("ACTORD_TOKEN"), getenv("APIFY_TOKEN"))
	if token == "" {
		path := filepath.Join(dataDir, "admin-token")
		b, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("no API token: pass --token, set ACTORD_TOKEN or APIFY_TOKEN, or point --data-dir at the server's data directory (%s does not exist)", path)
			}
			return nil, fmt.Errorf("read admin token: %w", err)
		}
		token = strings.TrimSpace(string(b))
		if token == "" {
			return nil, fmt.Errorf("no API token: %s is empty", path)
		}
	}
	u, err := url.Parse(f.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid --url %q: want http(s)://host[:port]", f.url)
	}
	base := strings.TrimSuffix(strings.TrimRight(f.url, "/"), "/v2")
	return &apiClient{base: base, token: token, http: &http.Client{}}, nil
}

// request is one API call.
type request struct {
	method      string
	path        string // starting with /v2/
	query       url.Values
	contentType string
	body        []byte // nil: no body
	// idempotencyKey is sent as the Idempotency-Key header when set.
	idempotencyKey string
}

// send performs r and returns the response when its status is 2xx; any
// other status is returned as an *apiError. The caller closes the body.
func (c *apiClient) send(ctx context.Context, r request) (*http.Response, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "actord-cli")
	// Builds and runs started by the CLI get meta.origin CLI.
	req.Header.Set("X-Actord-Origin", "CLI")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", r.idempotencyKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, readAPIError(resp)
}

// readAPIError turns a non-2xx response into an *apiError, also when the
// body is not Apify's error envelope (a proxy's page, an empty body).
func readAPIError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var env struct {
		Error *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e := &apiError{Status: resp.StatusCode}
	if json.Unmarshal(b, &env) == nil && env.Error != nil {
		e.Type, e.Message = env.Error.Type, env.Error.Message
	}
	if e.Type == "" {
		e.Type = "http-error"
	}
	if e.Message == "" {
		msg := strings.TrimSpace(string(b))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		e.Message = cmp.Or(msg, http.StatusText(resp.StatusCode))
	}
	return e
}

// do performs r and decodes the "data" member of the response into out
// (when out is not nil).
func (c *apiClient) do(ctx context.Context, r request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", r.method, r.path, err)
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return fmt.Errorf("%s %s: response has no \"data\"", r.method, r.path)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("%s %s: decode response data: %w", r.method, r.path, err)
	}
	return nil
}

// getJSON is do for a GET without a body.
func (c *apiClient) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	return c.do(ctx, request{method: http.MethodGet, path: path, query: query}, out)
}

// sendJSON marshals in as the body of a method request and decodes the
// response's data into out.
func (c *apiClient) sendJSON(ctx context.Context, method, path string, query url.Values, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s %s: encode body: %w", method, path, err)
	}
	return c.do(ctx, request{method: method, path: path, query: query, contentType: "application/json", body: b}, out)
}

// copyTo GETs path and copies the raw response body to w.
func (c *apiClient) copyTo(ctx context.Context, w io.Writer, path string, query url.Values) error {
	resp, err := c.send(ctx, request{method: http.MethodGet, path: path, query: query})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// me returns the caller's username.
func (c *apiClient) me(ctx context.Context) (string, error) {
	var u struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	if err := c.getJSON(ctx, "/v2/users/me", nil, &u); err != nil {
		return "", err
	}
	if u.Username == "" {
		return "", errors.New("GET /v2/users/me: the response has no username")
	}
	return u.Username, nil
}

// job is what push and call read of a build or run object.
type job struct {
	ID               string  `json:"id"`
	ActID            string  `json:"actId"`
	Status           string  `json:"status"`
	StatusMessage    *string `json:"statusMessage"`
	BuildNumber      string  `json:"buildNumber"`
	ExitCode         *int    `json:"exitCode"`
	DefaultDatasetID string  `json:"defaultDatasetId"`
}

// minPollInterval keeps the poll loop from spinning against a server that
// answers waitForFinish at once.
var minPollInterval = time.Second

// logGrace is how long follow waits for the log stream to end once the job
// has ended (the server ends it with the job).
var logGrace = 10 * time.Second

// streamLog copies job id's log to logOut until the job ends (the server
// ends the stream with it). The returned stop waits up to logGrace for
// the stream to end when drain is set, then cancels it; it returns when
// the copy has stopped writing to logOut.
func (c *apiClient) streamLog(ctx context.Context, id string, logOut io.Writer) (stop func(drain bool)) {
	logCtx, cancelLog := context.WithCancel(ctx)
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		err := c.copyTo(logCtx, logOut, "/v2/logs/"+url.PathEscape(id), url.Values{"stream": {"1"}})
		if err != nil && logCtx.Err() == nil {
			fmt.Fprintf(logOut, "warning: log stream of %s: %v\n", id, err)
		}
	}()
	return func(drain bool) {
		if drain {
			select {
			case <-logDone:
			case <-time.After(logGrace):
			case <-ctx.Done():
			}
		}
		cancelLog()
		<-logDone
	}
}

// follow streams the job's log to logOut while it long-polls
// {jobPath}/{id}?waitForFinish=60 until the job ends, and returns the
// final object. A log stream that fails only costs the log: a warning goes
// to logOut and the polling continues.
func (c *apiClient) follow(ctx context.Context, jobPath string, j *job, logOut io.Writer) (*job, error) {
	stopLog := c.streamLog(ctx, j.ID, logOut)

	cur := j
	for !actord.IsTerminal(cur.Status) {
		start := time.Now()
		next := &job{}
		err := c.getJSON(ctx, jobPath+"/"+url.PathEscape(j.ID), url.Values{"waitForFinish": {"60"}}, next)
		if err != nil {
			return nil, err
		}
		cur = next
		if d := minPollInterval - time.Since(start); d > 0 && !actord.IsTerminal(cur.Status) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
	}

	stopLog(true)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return cur, nil
}
