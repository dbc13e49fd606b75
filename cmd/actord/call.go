package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/actord/actord"
)

// exportFormats are the dataset item formats call can print.
var exportFormats = []string{"json", "jsonl", "csv", "html", "xlsx", "xml", "rss"}

type callOptions struct {
	input   string
	format  string
	build   string
	memory  int
	timeout int
	// set records which of build/memory/timeout were given.
	set map[string]bool
}

func newCallCmd(getenv func(string) string, dataDir *string, stdout, stderr io.Writer) *cobra.Command {
	opts := &callOptions{}
	cmd := &cobra.Command{
		Use:   "call ACTOR",
		Short: "Run an Actor, stream its log to stderr and print its default dataset to stdout, like `apify call`",
		Long: "ACTOR is the name of one of your actors, username/name (or username~name) or an actor ID.\n" +
			"The run ID is printed to stderr first, then the run's log; when the run ends its default dataset's\n" +
			"items go to stdout in --format. A run that does not succeed makes the command fail.",
		Args: cobra.ExactArgs(1),
	}
	flags := addClientFlags(cmd, getenv)
	cmd.Flags().StringVarP(&opts.input, "input", "i", "", "run input: JSON text, @FILE to read a file, or - to read stdin")
	cmd.Flags().StringVar(&opts.format, "format", "json", "format of the printed dataset items: "+strings.Join(exportFormats, ", "))
	cmd.Flags().StringVarP(&opts.build, "build", "b", "", "build tag or number to run (default: the actor's default build)")
	cmd.Flags().IntVarP(&opts.memory, "memory", "m", 0, "memory limit in megabytes (default: the actor's)")
	cmd.Flags().IntVar(&opts.timeout, "timeout", 0, "timeout in seconds (default: the actor's)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.set = map[string]bool{}
		for _, f := range []string{"build", "memory", "timeout"} {
			opts.set[f] = cmd.Flags().Changed(f)
		}
		input, err := readInput(opts.input, cmd.InOrStdin())
		if err != nil {
			return err
		}
		if !validFormat(opts.format) {
			return fmt.Errorf("invalid --format %q: want one of %s", opts.format, strings.Join(exportFormats, ", "))
		}
		c, err := flags.client(getenv, *dataDir)
		if err != nil {
			return err
		}
		return call(cmd.Context(), c, args[0], input, opts, stdout, stderr)
	}
	return cmd
}

func validFormat(f string) bool {
	for _, v := range exportFormats {
		if f == v {
			return true
		}
	}
	return false
}

// readInput returns the run input the --input value names (nil: none).
func readInput(v string, stdin io.Reader) ([]byte, error) {
	var b []byte
	switch {
	case v == "":
		return nil, nil
	case v == "-":
		var err error
		if b, err = io.ReadAll(stdin); err != nil {
			return nil, fmt.Errorf("read input from stdin: %w", err)
		}
	case strings.HasPrefix(v, "@"):
		var err error
		if b, err = os.ReadFile(v[1:]); err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
	default:
		b = []byte(v)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--input %s is not valid JSON", inputSource(v))
	}
	return b, nil
}

func inputSource(v string) string {
	switch {
	case v == "-":
		return "(stdin)"
	case strings.HasPrefix(v, "@"):
		return "(" + v[1:] + ")"
	}
	return "text"
}

// isIDShaped reports whether s looks like an actor ID: 17 characters of
// [A-Za-z0-9].
func isIDShaped(s string) bool {
	if len(s) != actord.IDLength {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// isLowerName reports whether s could also be an actor name (names are
// lowercase).
func isLowerName(s string) bool { return strings.ToLower(s) == s }

// runError is a run that ended other than SUCCEEDED. ExitCode follows
// `apify call`: 2 for a timeout, 3 for an abort, else the run's non-zero
// exit code, else 1.
type runError struct {
	run *job
}

func (e *runError) Error() string {
	msg := fmt.Sprintf("run %s %s", e.run.ID, e.run.Status)
	if e.run.ExitCode != nil && *e.run.ExitCode != 0 {
		msg += " (exit code " + strconv.Itoa(*e.run.ExitCode) + ")"
	}
	if e.run.StatusMessage != nil && *e.run.StatusMessage != "" {
		msg += ": " + *e.run.StatusMessage
	}
	return msg
}

func (e *runError) ExitCode() int {
	switch e.run.Status {
	case actord.StatusTimedOut, actord.StatusTimingOut:
		return 2
	case actord.StatusAborted, actord.StatusAborting:
		return 3
	}
	if e.run.ExitCode != nil && *e.run.ExitCode != 0 {
		return *e.run.ExitCode
	}
	return 1
}

// call starts the actor, follows the run's log and prints its dataset.
//
// The run is started with POST …/runs, which names it at once (for the
// log), and its items come from run-sync-get-dataset-items, which answers
// when the run ends (no polling). Both requests carry one Idempotency-Key,
// so the second re-attaches to the run the first started; when the
// server's sync wall (408) passes first, call says so, names the run and
// attaches again.
func call(ctx context.Context, c *apiClient, actor string, input []byte, opts *callOptions, stdout, stderr io.Writer) error {
	q := url.Values{}
	if opts.set["build"] {
		q.Set("build", opts.build)
	}
	if opts.set["memory"] {
		q.Set("memory", strconv.Itoa(opts.memory))
	}
	if opts.set["timeout"] {
		q.Set("timeout", strconv.Itoa(opts.timeout))
	}
	key := "actord-call-" + randomKey()
	start := func(ref string) (*job, error) {
		r := request{method: http.MethodPost, path: "/v2/acts/" + url.PathEscape(ref) + "/runs", query: q, idempotencyKey: key}
		if input != nil {
			r.contentType, r.body = "application/json", input
		}
		run := &job{}
		if err := c.do(ctx, r, run); err != nil {
			return nil, err
		}
		return run, nil
	}
	byName := func(name string) (*job, error) {
		username, err := c.me(ctx)
		if err != nil {
			return nil, err
		}
		return start(username + "~" + name)
	}

	var run *job
	var err error
	switch {
	case strings.Contains(actor, "~"):
		run, err = start(actor)
	case strings.Contains(actor, "/"):
		run, err = start(strings.Replace(actor, "/", "~", 1))
	case isIDShaped(actor):
		// An ID, or (rarely) a 17-character lowercase name.
		run, err = start(actor)
		if isNotFound(err) && isLowerName(actor) {
			run, err = byName(actor)
		}
	default:
		run, err = byName(actor)
	}
	if err != nil {
		return err
	}
	if run.ID == "" || run.ActID == "" {
		return fmt.Errorf("the run object has no id or actId")
	}
	fmt.Fprintf(stderr, "Run %s started (build %s)\n", run.ID, run.BuildNumber)

	stopLog := c.streamLog(ctx, run.ID, stderr)
	sq := url.Values{"format": {opts.format}}
	for k, v := range q {
		sq[k] = v
	}
	sync := request{method: http.MethodPost, path: "/v2/acts/" + url.PathEscape(run.ActID) + "/run-sync-get-dataset-items",
		query: sq, idempotencyKey: key}
	if input != nil {
		sync.contentType, sync.body = "application/json", input
	}
	for {
		resp, err := c.send(ctx, sync)
		var ae *apiError
		switch {
		case err == nil:
			defer resp.Body.Close()
			stopLog(true)
			fmt.Fprintf(stderr, "Run %s %s\n", run.ID, actord.StatusSucceeded)
			if _, err := io.Copy(stdout, resp.Body); err != nil {
				return fmt.Errorf("items of run %s: %w", run.ID, err)
			}
			return nil
		case errors.As(err, &ae) && ae.Type == actord.ErrRunTimeoutExceeded:
			fmt.Fprintf(stderr, "Run %s is still running after the server's sync timeout; waiting again (it goes on if you stop here: GET /v2/actor-runs/%s)\n", run.ID, run.ID)
			continue
		case errors.As(err, &ae) && ae.Type == actord.ErrRunFailed:
			stopLog(true)
			return c.failed(ctx, run.ID, opts.format, stdout, stderr)
		default:
			stopLog(false)
			if ctx.Err() != nil {
				fmt.Fprintf(stderr, "Run %s goes on without this command: GET /v2/actor-runs/%s\n", run.ID, run.ID)
			}
			return err
		}
	}
}

// failed reports a run that did not succeed: its status, then what its
// dataset holds (what it pushed before failing is often what the caller
// wants), then the run as a *runError.
func (c *apiClient) failed(ctx context.Context, runID, format string, stdout, stderr io.Writer) error {
	run := &job{}
	if err := c.getJSON(ctx, "/v2/actor-runs/"+url.PathEscape(runID), nil, run); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Run %s %s\n", run.ID, run.Status)
	runErr := &runError{run: run}
	if run.DefaultDatasetID == "" {
		return runErr
	}
	if err := c.copyTo(ctx, stdout, "/v2/datasets/"+url.PathEscape(run.DefaultDatasetID)+"/items", url.Values{"format": {format}}); err != nil {
		fmt.Fprintf(stderr, "warning: dataset items of run %s: %v\n", run.ID, err)
	}
	return runErr
}

// randomKey is 16 random bytes in hex.
func randomKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
