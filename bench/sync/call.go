package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
	"github.com/actord/actord/bench/internal/runkit"
)

// syncPath is the route under test; the body is the input.
const syncPath = "/run-sync-get-dataset-items?format=json"

// call is one run-sync-get-dataset-items request and what came back.
type call struct {
	Status  int           // HTTP status; 0 when no answer came (Err)
	RunID   string        // X-Actord-Run-Id
	Body    []byte        // the whole answer
	Err     error         // a transport error: no (complete) answer
	Latency time.Duration // from sending the request until the answer is read
	Arrived time.Time     // wall clock when the answer was read
}

// syncCall makes one call with input {} and reads the whole answer.
func syncCall(ctx context.Context, cl *runkit.Client, actorID string) call {
	var c call
	start := time.Now()
	resp, err := cl.Srv.Do(ctx, cl.HC, "POST", "/v2/acts/"+url.PathEscape(actorID)+syncPath, []byte("{}"))
	if err == nil {
		c.Body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		c.Status, c.RunID = resp.StatusCode, resp.Header.Get("X-Actord-Run-Id")
	}
	c.Arrived = time.Now()
	c.Latency = c.Arrived.Sub(start)
	c.Err = err
	return c
}

// check returns an error unless c is a 201 with the pusher's one item.
func (c call) check() error {
	switch {
	case c.Err != nil:
		return c.Err
	case c.Status != http.StatusCreated:
		return fmt.Errorf("HTTP %d (run %s): %.300s", c.Status, c.RunID, c.Body)
	case c.RunID == "":
		return fmt.Errorf("HTTP %d without X-Actord-Run-Id", c.Status)
	}
	if err := runkit.CheckItems(c.Body); err != nil {
		return fmt.Errorf("run %s: %w", c.RunID, err)
	}
	return nil
}

// runInfo is what the run object says about a run's time.
type runInfo struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	DatasetID  string    `json:"defaultDatasetId"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Stats      struct {
		RunTimeSecs float64 `json:"runTimeSecs"`
	} `json:"stats"`
}

// runTime is the run's own time, finishedAt − startedAt: from its
// creation (a run waiting for memory waits in READY within it) to its end.
// stats.runTimeSecs is the same span without the milliseconds the
// timestamps are rounded to.
func (r *runInfo) runTime() time.Duration {
	if r.Stats.RunTimeSecs > 0 {
		return time.Duration(r.Stats.RunTimeSecs * float64(time.Second))
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// getRuns reads the run object of every id, concurrency at a time.
func getRuns(ctx context.Context, cl *runkit.Client, ids []string, concurrency int) (map[string]*runInfo, error) {
	out := make(map[string]*runInfo, len(ids))
	infos := make([]*runInfo, len(ids))
	errs := make([]error, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	clients := min(concurrency, len(ids))
	burst(clients, (len(ids)+clients-1)/clients, len(ids), func(i int) {
		r := &runInfo{}
		errs[i] = cl.Call(ctx, "GET", "/v2/actor-runs/"+url.PathEscape(ids[i]), nil, http.StatusOK, r)
		infos[i] = r
	})
	for i, id := range ids {
		if errs[i] != nil {
			return nil, fmt.Errorf("run %s: %w", id, errs[i])
		}
		out[id] = infos[i]
	}
	return out, nil
}

// listRuns returns the IDs of all the actor's runs, as the server lists
// them.
func listRuns(ctx context.Context, cl *runkit.Client, actorID string) ([]string, error) {
	const page = 1000
	var ids []string
	for offset := 0; ; offset += page {
		var list struct {
			Total int `json:"total"`
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		path := fmt.Sprintf("/v2/acts/%s/runs?offset=%d&limit=%d", url.PathEscape(actorID), offset, page)
		if err := cl.Call(ctx, "GET", path, nil, http.StatusOK, &list); err != nil {
			return nil, err
		}
		for _, it := range list.Items {
			ids = append(ids, it.ID)
		}
		if len(list.Items) < page || len(ids) >= list.Total {
			return ids, nil
		}
	}
}

// progress logs every 5 s how many of n calls have been answered, until
// stop is closed, so that a hang shows while it happens.
func progress(done func() int, n int, stop <-chan struct{}) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			benchkit.Logf("  ... %d of %d answered", done(), n)
		}
	}
}
