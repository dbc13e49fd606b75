package benchkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Logf prints a progress line with a timestamp to stderr.
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

// Fatalf prints "prog: message" to stderr and exits with status 1.
func Fatalf(prog, format string, args ...any) {
	fmt.Fprintf(os.Stderr, prog+": "+format+"\n", args...)
	os.Exit(1)
}

// Main is the end of a benchmark program's main(): with itemsFile set (the
// -write-items flag) it only writes items gen(0) .. gen(n-1) there as JSONL,
// the same file the run gives the Node side; otherwise it runs the
// benchmark. An error ends the program through Fatalf.
func Main[T any](prog, itemsFile string, n int, gen func(i int) T, run func() error) {
	var err error
	if itemsFile != "" {
		err = WriteItems(itemsFile, n, gen)
	} else {
		err = run()
	}
	if err != nil {
		Fatalf(prog, "%v", err)
	}
}

// Env is what one benchmark run works in, and what its report says about
// when and where it ran.
type Env struct {
	Ctx     context.Context // ends after the run's timeout
	Bin     string          // absolute path of the actord binary
	Tmp     string          // temp dir: data dirs, server log, items file
	Date    string          // the day the run started, 2006-01-02
	Machine string          // see Machine
	LoadAvg string          // 1-minute load average at the start

	cancel context.CancelFunc
	keep   bool
}

// Setup checks that the actord binary at bin exists, runs the program's own
// checks, and makes a temp dir named after tmpPrefix. Close removes the temp
// dir, unless keep, in which case its path is logged.
func Setup(timeout time.Duration, bin, tmpPrefix string, keep bool, checks ...func() error) (*Env, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("actord binary: %w (build it with: go build -o bin/actord ./cmd/actord)", err)
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp("", tmpPrefix)
	if err != nil {
		return nil, err
	}
	if keep {
		Logf("temp dir (kept): %s", tmp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	return &Env{
		Ctx:     ctx,
		Bin:     abs,
		Tmp:     tmp,
		Date:    time.Now().Format("2006-01-02"),
		Machine: Machine(),
		LoadAvg: LoadAvg(),
		cancel:  cancel,
		keep:    keep,
	}, nil
}

// Close ends the run's context and removes the temp dir unless kept.
func (e *Env) Close() {
	if !e.keep {
		os.RemoveAll(e.Tmp)
	}
	e.cancel()
}

// WriteJSON writes v as indented JSON to path; it does nothing if path is "".
func WriteJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
