package api

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/export"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/storage"
)

// DefaultSyncTimeout is how long the run-sync routes wait for the run:
// Apify's 300 s wall.
const DefaultSyncTimeout = 300 * time.Second

// Headers and trailers of actord's own on the sync routes (documented in
// the README and in docs/openapi-actord.yaml).
const (
	// headerRunID names the run on every answer of a sync route that
	// started (or re-attached to) one, errors included.
	headerRunID = "X-Actord-Run-Id"
	// headerIdempotencyKey: a repeated start with the same key within 24 h
	// is the run of the first (platform.Runs.Start).
	headerIdempotencyKey = "Idempotency-Key"
	// trailerRunStatus is the run's final status, after a stream=1 body.
	trailerRunStatus = "X-Actord-Run-Status"
)

// maxIdempotencyKey bounds Idempotency-Key (Stripe allows 255 too).
const maxIdempotencyKey = 255

// handleRunSyncItems serves run-sync-get-dataset-items: start the run,
// wait for its end, answer 201 with its default dataset's items exactly as
// GET /v2/datasets/{id}/items would with the same parameters.
//
// With stream=1 (format jsonl or csv) the items are written as the actor
// pushes them instead, and the run's final status follows the body as the
// X-Actord-Run-Status trailer.
func (s *Server) handleRunSyncItems(target startTarget) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		eo, err := export.ParseOptions(r.URL.Query())
		if err != nil {
			return err
		}
		q := newQuery(r)
		stream := q.bool("stream", false)
		if q.err != nil {
			return q.err
		}
		if stream && !export.Live(eo.Format) {
			return actord.Errorf(actord.ErrInvalidParameter, "Parameter \"stream\" works with format jsonl or csv only.")
		}
		if stream && eo.Desc {
			return actord.Errorf(actord.ErrInvalidParameter, "Parameter \"stream\" cannot be combined with \"desc\": items are streamed as they are pushed.")
		}
		run, err := s.startSync(w, r, target)
		if err != nil {
			return err
		}
		if stream {
			return s.streamItems(w, r, run, eo)
		}
		if run, err = s.awaitSync(r, run); err != nil {
			return err
		}
		ds, err := s.storages.Resolve(r.Context(), caller(r), actord.KindDataset, run.DefaultDatasetID, platform.Read)
		if err != nil {
			return err
		}
		return s.serveItems(w, r, http.StatusCreated, ds, eo, datasetLabel(ds))
	}
}

// handleRunSync serves run-sync: start the run, wait for its end, answer
// 201 with the record outputRecordKey (default OUTPUT) of its default
// key-value store, with the record's Content-Type; an empty body when the
// actor stored no such record.
func (s *Server) handleRunSync(target startTarget) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r)
		key := q.str("outputRecordKey")
		if key == "" {
			key = "OUTPUT"
		}
		if q.err != nil {
			return q.err
		}
		if err := platform.ValidRecordKey(key); err != nil {
			return err
		}
		run, err := s.startSync(w, r, target)
		if err != nil {
			return err
		}
		if run, err = s.awaitSync(r, run); err != nil {
			return err
		}
		kv, err := s.storages.Resolve(r.Context(), caller(r), actord.KindKeyValueStore, run.DefaultKeyValueStoreID, platform.Read)
		if err != nil {
			return err
		}
		rec, err := s.storages.GetRecord(r.Context(), kv, key)
		if actord.ErrorType(err) == actord.ErrRecordNotFound {
			w.WriteHeader(http.StatusCreated)
			return nil
		}
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", rec.ContentType)
		w.WriteHeader(http.StatusCreated)
		if r.Method != http.MethodHead {
			w.Write(rec.Value)
		}
		return nil
	}
}

// startSync starts the run of a sync request (or finds the run an earlier
// request with the same Idempotency-Key started) and names it in the
// X-Actord-Run-Id header of whatever the answer turns out to be.
func (s *Server) startSync(w http.ResponseWriter, r *http.Request, target startTarget) (*actord.Run, error) {
	o, q, err := startOptions(r)
	if err != nil {
		return nil, err
	}
	q.str("waitForFinish") // not a parameter of these routes; ignored
	if o.IdempotencyKey, err = idempotencyKey(r); err != nil {
		return nil, err
	}
	a, o, err := target(r, o)
	if err != nil {
		return nil, err
	}
	run, err := s.runs.Start(r.Context(), caller(r), a, o)
	if err != nil {
		return nil, err
	}
	w.Header().Set(headerRunID, run.ID)
	return run, nil
}

// idempotencyKey reads the Idempotency-Key header.
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get(headerIdempotencyKey)
	if len(key) > maxIdempotencyKey || strings.ContainsFunc(key, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
		return "", actord.Errorf(actord.ErrInvalidRequest, "The Idempotency-Key header must be at most %d printable ASCII characters.", maxIdempotencyKey)
	}
	return key, nil
}

// awaitSync waits for the run's end, up to the sync wall: a run that did
// not succeed is 400 run-failed, one still going 408 run-timeout-exceeded
// (and it keeps going). Both name the run in their error's data.
func (s *Server) awaitSync(r *http.Request, run *actord.Run) (*actord.Run, error) {
	run, err := s.runs.AwaitEnd(r.Context(), caller(r), run.ID, s.syncTimeout)
	if err != nil {
		return nil, err
	}
	if err := r.Context().Err(); err != nil {
		return nil, err // the client left; nobody reads the answer
	}
	data := map[string]string{"runId": run.ID, "status": run.Status}
	switch run.Status {
	case actord.StatusSucceeded:
		return run, nil
	case actord.StatusFailed, actord.StatusAborted, actord.StatusTimedOut:
		e := actord.Errorf(actord.ErrRunFailed, "Actor run did not succeed (run ID: %s, status: %s)", run.ID, run.Status)
		e.Data = data
		return nil, e
	}
	e := actord.Errorf(actord.ErrRunTimeoutExceeded, "Actor run exceeded the timeout of %d seconds for this API endpoint", int(s.syncTimeout.Seconds()))
	e.Data = data
	return nil, e
}

// streamItems answers stream=1: 201 at once, then the run's items as they
// are pushed, until the run ends; the run's status goes in the trailer.
// Waiting is woken by pushes and by the run's end, never a poll.
func (s *Server) streamItems(w http.ResponseWriter, r *http.Request, run *actord.Run, o *export.Options) error {
	ds, err := s.storages.Resolve(r.Context(), caller(r), actord.KindDataset, run.DefaultDatasetID, platform.Read)
	if err != nil {
		return err
	}
	if err := o.ApplyView(ds.Schema); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Trailer", trailerRunStatus)
	h.Set("Content-Type", o.ContentType())
	h.Set("X-Apify-Pagination-Offset", itoa(o.Offset))
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	if o.Attachment {
		h.Set("Content-Disposition", `attachment; filename="`+o.Filename(datasetLabel(ds), ds.CreatedAt)+`"`)
	}
	w.WriteHeader(http.StatusCreated)
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 32<<10)
	c := &liveItems{ctx: r.Context(), s: s, user: caller(r), run: run, ds: ds, offset: o.Offset, left: o.Limit,
		flush: func() error {
			if err := bw.Flush(); err != nil {
				return err
			}
			return rc.Flush()
		}}
	if o.Limit == export.NoLimit {
		c.left = -1
	}
	err = export.WriteLive(bw, o, c)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		if r.Context().Err() == nil {
			s.logger.ErrorContext(r.Context(), "stream run items", "run_id", run.ID, "err", err)
		}
		panic(http.ErrAbortHandler) // the status line is out: cut the body short
	}
	if c.status == "" {
		// The limit was reached first: the run's status at this moment.
		if run, err := s.runs.Get(r.Context(), caller(r), run.ID); err == nil {
			c.status = run.Status
		}
	}
	h.Set(trailerRunStatus, c.status)
	return nil
}

// liveItems is an export.Cursor over a dataset that a running actor is
// still writing: Next returns the next item, waiting for a push or the
// run's end when there is none yet, and io.EOF once the run has ended and
// every item is read.
type liveItems struct {
	ctx    context.Context
	s      *Server
	user   *actord.User
	run    *actord.Run
	ds     *actord.Storage
	offset int64 // index of the next item to read
	left   int64 // items still wanted; -1: no limit
	flush  func() error
	batch  [][]byte
	status string // the run's status once it has ended
}

// liveBatch is how many items a read takes at a time.
const liveBatch = 1000

func (c *liveItems) Next() ([]byte, error) {
	for len(c.batch) == 0 {
		if c.left == 0 || c.status != "" {
			return nil, io.EOF
		}
		// Subscribe before reading, so a push or end in between wakes us.
		pushed, ended := c.s.storages.Appended(c.ds.ID), c.s.runs.Ended(c.run.ID)
		run, err := c.s.runs.Get(c.ctx, c.user, c.run.ID)
		if err != nil {
			return nil, err
		}
		terminal := actord.IsTerminal(run.Status)
		if err := c.read(); err != nil {
			return nil, err
		}
		if len(c.batch) > 0 {
			break
		}
		if terminal {
			// Every push came before the end was stored, so the read
			// above saw them all.
			c.status = run.Status
			return nil, io.EOF
		}
		if err := c.flush(); err != nil {
			return nil, err
		}
		select {
		case <-pushed:
		case <-ended:
		case <-c.ctx.Done():
			return nil, c.ctx.Err()
		}
	}
	item := c.batch[0]
	c.batch = c.batch[1:]
	if c.left > 0 {
		c.left--
	}
	return item, nil
}

// read reads the next items (copies: the storage cursor reuses its slices).
func (c *liveItems) read() error {
	n := int64(liveBatch)
	if c.left >= 0 {
		n = min(n, c.left)
	}
	cur, err := c.s.storages.Items(c.ctx, c.ds, storage.DatasetItemsParams{Offset: c.offset, Limit: n})
	if err != nil {
		return err
	}
	defer cur.Close()
	for {
		item, err := cur.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		c.batch = append(c.batch, append([]byte(nil), item...))
		c.offset++
	}
}

func (c *liveItems) Rewind() error { return errors.New("live items cannot be read twice") }
