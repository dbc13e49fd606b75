package platform

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/actorjson"
	"github.com/actord/actord/events"
	"github.com/actord/actord/runner"
	"github.com/actord/actord/storage"
)

// RunConfig configures the run service.
type RunConfig struct {
	// Dir holds one working directory per running run.
	Dir string
	// Hide lists host paths runs must not see (the data dir), where the
	// runner can isolate them; Visible lists paths inside them runs need
	// read-only besides their build (the dependency cache).
	Hide    []string
	Visible []string
	// MemoryMbytes is the memory all runs together may have; a run that
	// does not fit waits in READY.
	MemoryMbytes int
	// APIURL is the origin runs reach the API at (APIFY_API_BASE_URL);
	// PublicURL the origin for links they share.
	APIURL    string
	PublicURL string
	// Path is the PATH runs get (node_modules/.bin of the build comes
	// first).
	Path string
	// AbortGrace is how long an aborted run has between SIGTERM and
	// SIGKILL; GracefulAbortWait how long a graceful abort waits for the
	// actor to exit by itself after the aborting event.
	AbortGrace        time.Duration
	GracefulAbortWait time.Duration
}

// Runs starts, schedules, watches and ends actor runs.
type Runs struct {
	cfg      RunConfig
	store    storage.Store
	actors   *Actors
	builds   *Builds
	storages *Storages
	logs     *Logs
	runner   runner.Runner
	hub      *events.Hub
	logger   *slog.Logger
	now      func() time.Time
	ends     signals
	// jobEvents hears of run events (webhooks); nil: nobody.
	jobEvents JobEvents

	mu      sync.Mutex
	used    int                 // memory of the runs holding capacity
	queues  map[string][]string // READY run IDs per user, FIFO
	order   []string            // users with READY runs, round-robin
	active  map[string]*activeRun
	closing bool
	wg      sync.WaitGroup
}

// activeRun is a run holding capacity: starting, running or ending.
type activeRun struct {
	memory int
	proc   runner.Process // nil until started
	// What ended the process, set before it is stopped.
	aborting  bool
	graceful  bool
	rebooting bool
	metamorph *metamorphTarget
	restarts  []time.Time
}

type metamorphTarget struct {
	actor    *actord.Actor
	build    *actord.Build
	inputKey string
}

// NewRuns returns the run service.
func NewRuns(cfg RunConfig, store storage.Store, actors *Actors, builds *Builds, storages *Storages,
	logs *Logs, rn runner.Runner, hub *events.Hub, logger *slog.Logger, now func() time.Time) (*Runs, error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create runs dir: %w", err)
	}
	if cfg.AbortGrace <= 0 {
		cfg.AbortGrace = time.Second
	}
	if cfg.GracefulAbortWait <= 0 {
		cfg.GracefulAbortWait = 30 * time.Second
	}
	return &Runs{cfg: cfg, store: store, actors: actors, builds: builds, storages: storages, logs: logs,
		runner: rn, hub: hub, logger: logger, now: now, queues: map[string][]string{}, active: map[string]*activeRun{}}, nil
}

// StartOptions are a run start's parameters; zero values mean the
// actor's defaults.
type StartOptions struct {
	Build             string
	TimeoutSecs       *int64
	MemoryMbytes      int
	MaxItems          *int64
	MaxTotalChargeUsd *float64
	RestartOnError    *bool
	Webhooks          json.RawMessage
	Input             []byte
	ContentType       string
	Origin            string
	TaskID            string
	// IdempotencyKey: a start with the same key as one of the caller's
	// runs of the last IdempotencyWindow is that run (see Start).
	IdempotencyKey string
	ClientIP       string
	UserAgent      string
}

// Start validates the input, creates the run with its storages and INPUT
// record, and queues it. Nothing is created when the input is invalid.
//
// With an idempotency key that names one of the caller's runs of the last
// IdempotencyWindow, Start creates nothing and returns that run (finished
// or not), so a client that lost its answer can repeat the request. The
// key is claimed in the run's create transaction: concurrent starts with
// one key make one run.
func (s *Runs) Start(ctx context.Context, caller *actord.User, a *actord.Actor, o StartOptions) (*actord.Run, error) {
	if o.IdempotencyKey != "" {
		id, err := s.store.RunByIdempotencyKey(ctx, caller.ID, o.IdempotencyKey, s.now().Add(-actord.IdempotencyWindow))
		if err == nil {
			return s.sameStart(ctx, caller, a, o, id)
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("look up idempotency key: %w", err)
		}
	}
	b, err := s.builds.Find(ctx, a, o.Build)
	if err != nil {
		return nil, err
	}
	input, contentType, err := prepareInput(b, o.Input, o.ContentType)
	if err != nil {
		return nil, err
	}
	opts, err := s.runOptions(a, b, o)
	if err != nil {
		return nil, err
	}
	now := s.now()
	run := &actord.Run{
		ID: actord.NewID(), ActID: a.ID, UserID: caller.ID, StartedAt: actord.At(now), Status: actord.StatusReady,
		Meta:    actord.JobMeta{Origin: o.Origin, ClientIP: o.ClientIP, UserAgent: o.UserAgent},
		Options: opts, BuildID: b.ID, BuildNumber: b.BuildNumber, GeneralAccess: actord.AccessFollowUserSetting,
		ChargedEventCounts: map[string]float64{},
		Private:            actord.RunPrivate{InputKey: "INPUT", Webhooks: o.Webhooks, ActorFullName: a.FullName()},
	}
	if o.TaskID != "" {
		run.ActorTaskID = &o.TaskID
	}
	if n := len(a.PricingInfos); n > 0 {
		run.PricingInfo = a.PricingInfos[n-1]
	}
	if o.Input != nil {
		n := int64(len(o.Input))
		run.Stats.InputBodyLen = &n
	}
	storages := s.defaultStorages(caller, run, b)
	var rec *actord.Record
	if input != nil {
		rec = &actord.Record{StoreID: run.DefaultKeyValueStoreID, Key: "INPUT", ContentType: contentType, Value: input}
	}
	run.Private.IdempotencyKey = o.IdempotencyKey
	if err := s.store.RunCreate(ctx, run, storages, rec); err != nil {
		var inUse *storage.IdempotencyKeyInUse
		if errors.As(err, &inUse) {
			return s.sameStart(ctx, caller, a, o, inUse.RunID)
		}
		return nil, fmt.Errorf("create run: %w", err)
	}
	s.logger.Info("run created", "run_id", run.ID, "actor_id", a.ID, "build", b.BuildNumber, "memory_mb", opts.MemoryMbytes)
	notifyRun(s.jobEvents, ctx, actord.EventRunCreated, run)
	s.enqueue(run)
	return run, nil
}

// sameStart returns run id, which an earlier start with o's idempotency
// key made, when it is a run of the same actor (and task).
func (s *Runs) sameStart(ctx context.Context, caller *actord.User, a *actord.Actor, o StartOptions, id string) (*actord.Run, error) {
	run, err := s.Get(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	task := ""
	if run.ActorTaskID != nil {
		task = *run.ActorTaskID
	}
	if run.ActID != a.ID || task != o.TaskID {
		return nil, actord.Errorf(actord.ErrInvalidRequest,
			"The Idempotency-Key %q was used within the last 24 hours for run %s, which is not a run of this Actor or task.", o.IdempotencyKey, id)
	}
	s.logger.Info("run start repeated with its idempotency key", "run_id", id)
	return run, nil
}

// prepareInput applies the build's input schema (defaults, validation) to
// a JSON input. Other content types are stored as they came.
func prepareInput(b *actord.Build, body []byte, contentType string) ([]byte, string, error) {
	if contentType == "" && len(body) > 0 {
		contentType = "application/json"
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	isJSON := len(body) == 0 || mt == "application/json" || strings.HasSuffix(mt, "+json")
	if b.Private.InputSchema == nil || !isJSON {
		if len(body) == 0 {
			return nil, "", nil
		}
		return body, contentType, nil
	}
	schema, err := actorjson.CompileInputSchema(b.Private.InputSchema)
	if err != nil {
		return nil, "", fmt.Errorf("input schema of build %s: %w", b.ID, err)
	}
	out, err := schema.Apply(body)
	if err != nil {
		return nil, "", err
	}
	if contentType == "" {
		contentType = "application/json; charset=utf-8"
	}
	return out, contentType, nil
}

// runOptions merges the start's options with the actor's and the build's
// defaults and checks them.
func (s *Runs) runOptions(a *actord.Actor, b *actord.Build, o StartOptions) (actord.RunOptions, error) {
	d := a.DefaultRunOptions
	opts := actord.RunOptions{Build: b.BuildNumber, TimeoutSecs: d.TimeoutSecs, MemoryMbytes: d.MemoryMbytes,
		MaxItems: d.MaxItems, RestartOnError: d.RestartOnError}
	if o.Build != "" {
		opts.Build = o.Build
	} else if d.Build != "" {
		opts.Build = d.Build
	}
	// The build's actor.json defaultMemoryMbytes is more specific than
	// the actor's default run options.
	opts.MemoryMbytes = cmp.Or(b.Private.DefaultMemoryMbytes, cmp.Or(opts.MemoryMbytes, DefaultMemoryMbytes))
	if o.MemoryMbytes != 0 {
		if err := validMemory(o.MemoryMbytes); err != nil {
			return opts, err
		}
		opts.MemoryMbytes = o.MemoryMbytes
	}
	if mn := b.Private.MinMemoryMbytes; mn > 0 && opts.MemoryMbytes < mn {
		opts.MemoryMbytes = mn
	}
	if mx := b.Private.MaxMemoryMbytes; mx > 0 && opts.MemoryMbytes > mx {
		opts.MemoryMbytes = mx
	}
	if opts.MemoryMbytes > s.cfg.MemoryMbytes {
		return opts, actord.Errorf(actord.ErrInvalidValue, "The run needs %d MB of memory, more than this server gives all runs together (%d MB).", opts.MemoryMbytes, s.cfg.MemoryMbytes)
	}
	opts.DiskMbytes = 2 * opts.MemoryMbytes
	if o.TimeoutSecs != nil {
		if *o.TimeoutSecs < 0 {
			return opts, actord.Errorf(actord.ErrInvalidValue, "timeout must not be negative.")
		}
		opts.TimeoutSecs = *o.TimeoutSecs
	}
	if o.MaxItems != nil {
		opts.MaxItems = o.MaxItems
	}
	if o.MaxTotalChargeUsd != nil {
		opts.MaxTotalChargeUsd = o.MaxTotalChargeUsd
	}
	if o.RestartOnError != nil {
		opts.RestartOnError = *o.RestartOnError
	}
	return opts, nil
}

// defaultStorages makes the run's unnamed dataset (with the build's
// dataset schema), key-value store and request queue.
func (s *Runs) defaultStorages(owner *actord.User, run *actord.Run, b *actord.Build) []*actord.Storage {
	now := s.now()
	var out []*actord.Storage
	for _, kind := range []actord.StorageKind{actord.KindDataset, actord.KindKeyValueStore, actord.KindRequestQueue} {
		st := &actord.Storage{ID: actord.NewID(), Kind: kind, UserID: owner.ID, GeneralAccess: actord.AccessFollowUserSetting,
			ActID: run.ActID, ActRunID: run.ID, CreatedAt: now, ModifiedAt: now, AccessedAt: now}
		switch kind {
		case actord.KindDataset:
			st.Schema = b.Private.DatasetSchema
			run.DefaultDatasetID = st.ID
		case actord.KindKeyValueStore:
			run.DefaultKeyValueStoreID = st.ID
		case actord.KindRequestQueue:
			run.DefaultRequestQueueID = st.ID
		}
		out = append(out, st)
	}
	run.StorageIDs = actord.RunStorageIDs{
		Datasets:       map[string]string{"default": run.DefaultDatasetID},
		KeyValueStores: map[string]string{"default": run.DefaultKeyValueStoreID},
		RequestQueues:  map[string]string{"default": run.DefaultRequestQueueID},
	}
	return out
}

// Get returns a run the caller owns.
func (s *Runs) Get(ctx context.Context, caller *actord.User, id string) (*actord.Run, error) {
	r, err := s.store.RunGet(ctx, id)
	return owned(r, err, caller, func(r *actord.Run) string { return r.UserID }, "Actor run")
}

// Wait long-polls run id until it ends or wait (at most MaxWaitForFinish)
// passes.
func (s *Runs) Wait(ctx context.Context, caller *actord.User, id string, wait time.Duration) (*actord.Run, error) {
	return s.AwaitEnd(ctx, caller, id, min(wait, MaxWaitForFinish))
}

// AwaitEnd waits until run id ends, wait passes or ctx ends, whichever is
// first, and returns the run as it then is. The wait is woken by the
// run's end, never a poll. The sync routes wait up to their wall (300 s).
func (s *Runs) AwaitEnd(ctx context.Context, caller *actord.User, id string, wait time.Duration) (*actord.Run, error) {
	return waitEnd(ctx, &s.ends, id, wait, func() (*actord.Run, error) { return s.Get(ctx, caller, id) },
		func(r *actord.Run) bool { return actord.IsTerminal(r.Status) })
}

// Ended returns a channel closed when run id next ends (after its end is
// stored). Get the channel before reading the run, so no end is missed.
func (s *Runs) Ended(id string) <-chan struct{} { return s.ends.channel(id) }

// List returns a page of runs.
func (s *Runs) List(ctx context.Context, p *storage.ListParams) ([]*actord.Run, int64, error) {
	return s.store.RunList(ctx, p)
}

// Last returns the caller's newest run of an actor or task (with status
// when given).
func (s *Runs) Last(ctx context.Context, p *storage.ListParams) (*actord.Run, error) {
	p.Desc, p.Limit, p.Offset = true, 1, 0
	runs, _, err := s.store.RunList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("last run: %w", err)
	}
	if len(runs) == 0 {
		return nil, actord.NotFound("Actor run")
	}
	return runs[0], nil
}

// Events serves the events websocket of a running run.
func (s *Runs) Events() *events.Hub { return s.hub }

// Close stops every run (they end ABORTED, saying the server stopped) and
// waits for them.
func (s *Runs) Close() {
	s.mu.Lock()
	s.closing = true
	for _, ar := range s.active {
		ar.aborting = true
		if ar.proc != nil {
			ar.proc.Abort(s.cfg.AbortGrace)
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
