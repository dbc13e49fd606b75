package platform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

// owned returns v, read from the store with err, when caller owns it;
// what does not exist and what another user owns are the same 404 (what
// "was not found"), so IDs reveal nothing.
func owned[T any](v T, err error, caller *actord.User, owner func(T) string, what string) (T, error) {
	var zero T
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (caller == nil || owner(v) != caller.ID)) {
		return zero, actord.NotFound(what)
	}
	if err != nil {
		return zero, fmt.Errorf("get %s: %w", strings.ToLower(what), err)
	}
	return v, nil
}

// MaxWaitForFinish caps waitForFinish long-polls, as Apify does.
const MaxWaitForFinish = 60 * time.Second

// signals wakes the waiters of an event of an object: a build or run
// ending (so waitForFinish is a long-poll and never a sleep loop), items
// pushed to a dataset (for run-sync's stream=1). Firing an object nobody
// waits for costs a map lookup.
type signals struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// channel returns the channel closed when job id next ends.
func (e *signals) channel(id string) <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[string]chan struct{}{}
	}
	c, ok := e.m[id]
	if !ok {
		c = make(chan struct{})
		e.m[id] = c
	}
	return c
}

// fire wakes everyone waiting for job id. The job's terminal state must
// be stored before, so a waiter that subscribes after fire sees it.
func (e *signals) fire(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.m[id]; ok {
		close(c)
		delete(e.m, id)
	}
}

// waitEnd polls get once, then after each end signal, until done reports
// the job finished or wait has passed (or ctx ends); it returns the job as
// last read. Callers cap wait (waitForFinish: MaxWaitForFinish).
func waitEnd[T any](ctx context.Context, e *signals, id string, wait time.Duration, get func() (T, error), done func(T) bool) (T, error) {
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	for {
		c := e.channel(id)
		v, err := get()
		if err != nil || done(v) || wait <= 0 {
			return v, err
		}
		select {
		case <-c:
		case <-timeout:
			return get()
		case <-ctx.Done():
			return v, nil
		}
	}
}
