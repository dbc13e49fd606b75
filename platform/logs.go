package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/actord/actord/runner"
)

// Logs keeps build and run logs as files, one per job, and lets readers
// follow a log while its job is still writing it.
type Logs struct {
	dir string
	now func() time.Time

	mu     sync.Mutex
	active map[string]*logFile // jobs writing now
}

// NewLogs keeps logs in dir.
func NewLogs(dir string, now func() time.Time) (*Logs, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	return &Logs{dir: dir, now: now, active: map[string]*logFile{}}, nil
}

type logFile struct {
	f       *os.File
	lines   runner.LineWriter
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every write
	done    bool
}

func (l *logFile) Write(p []byte) (int, error) {
	n, err := l.f.Write(p)
	l.mu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	return n, err
}

// JobLog is the writing end of one job's log.
type JobLog struct {
	logs *Logs
	id   string
	file *logFile
}

// WriteLine appends one ISO-timestamped line.
func (j *JobLog) WriteLine(line []byte) error { return j.file.lines.WriteLine(line) }

// Printf appends one formatted, timestamped line.
func (j *JobLog) Printf(format string, args ...any) {
	j.WriteLine(fmt.Appendf(nil, format, args...))
}

// Close ends the log: followers reach its end.
func (j *JobLog) Close() error {
	j.logs.mu.Lock()
	if j.logs.active[j.id] == j.file {
		delete(j.logs.active, j.id)
	}
	j.logs.mu.Unlock()
	j.file.end()
	return j.file.f.Close()
}

// Open starts (or, for a restarted run, continues) the log of job id.
func (l *Logs) Open(id string) (*JobLog, error) {
	f, err := os.OpenFile(l.path(id), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", id, err)
	}
	lf := &logFile{f: f, changed: make(chan struct{})}
	lf.lines = runner.TimestampLines(lf, l.now)
	l.mu.Lock()
	pending := l.active[id]
	l.active[id] = lf
	l.mu.Unlock()
	if pending != nil && pending.f == nil {
		pending.end() // followers waiting for the log to begin look again
	}
	return &JobLog{logs: l, id: id, file: lf}, nil
}

// Pending announces the log of a job that will start later (a READY
// run): followers wait for it instead of finding no log.
func (l *Logs) Pending(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.active[id]; !ok {
		l.active[id] = &logFile{changed: make(chan struct{})}
	}
}

// Abandon ends a pending log whose job never started.
func (l *Logs) Abandon(id string) {
	l.mu.Lock()
	lf := l.active[id]
	if lf != nil && lf.f == nil {
		delete(l.active, id)
	}
	l.mu.Unlock()
	if lf != nil && lf.f == nil {
		lf.end()
	}
}

// end marks the log finished and wakes its followers.
func (lf *logFile) end() {
	lf.mu.Lock()
	lf.done = true
	close(lf.changed)
	lf.changed = make(chan struct{})
	lf.mu.Unlock()
}

func (l *Logs) path(id string) string { return filepath.Join(l.dir, id+".log") }

// ErrNoLog is returned when a job has no log (yet).
var ErrNoLog = errors.New("no log")

// Copy writes job id's log to w. With follow it keeps writing what the
// job appends until the job closes its log (or ctx ends), waiting first
// for a pending log to begin; flush is called after each piece so
// streaming responses reach the client.
func (l *Logs) Copy(ctx context.Context, id string, w io.Writer, follow bool, flush func()) error {
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for {
		var changed chan struct{}
		done := true
		if follow {
			l.mu.Lock()
			lf := l.active[id]
			l.mu.Unlock()
			if lf != nil {
				lf.mu.Lock()
				changed, done = lf.changed, lf.done
				lf.mu.Unlock()
			}
		}
		if f == nil {
			var err error
			f, err = os.Open(l.path(id))
			switch {
			case errors.Is(err, os.ErrNotExist) && done:
				return ErrNoLog
			case errors.Is(err, os.ErrNotExist):
				f = nil
			case err != nil:
				return fmt.Errorf("read log %s: %w", id, err)
			}
		}
		if f != nil {
			if _, err := io.Copy(w, f); err != nil {
				return err
			}
			if flush != nil {
				flush()
			}
		}
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}
