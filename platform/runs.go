package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/actorjson"
	"github.com/actord/actord/builder"
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
	users    *Users
	logs     *Logs
	runner   runner.Runner
	hub      *events.Hub
	logger   *slog.Logger
	now      func() time.Time
	ends     endSignals

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
func NewRuns(cfg RunConfig, store storage.Store, actors *Actors, builds *Builds, storages *Storages, users *Users,
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
	return &Runs{cfg: cfg, store: store, actors: actors, builds: builds, storages: storages, users: users, logs: logs,
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
	ClientIP          string
	UserAgent         string
}

// Start validates the input, creates the run with its storages and INPUT
// record, and queues it. Nothing is created when the input is invalid.
func (s *Runs) Start(ctx context.Context, caller *actord.User, a *actord.Actor, o StartOptions) (*actord.Run, error) {
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
	if err := s.store.RunCreate(ctx, run, storages, rec); err != nil {
		return nil, fmt.Errorf("create run: %w", err)
	}
	s.logger.Info("run created", "run_id", run.ID, "actor_id", a.ID, "build", b.BuildNumber, "memory_mb", opts.MemoryMbytes)
	s.enqueue(run)
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
	opts.MemoryMbytes = cmpOr(b.Private.DefaultMemoryMbytes, cmpOr(opts.MemoryMbytes, DefaultMemoryMbytes))
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

// enqueue puts a READY run in its user's queue and starts what fits.
func (s *Runs) enqueue(run *actord.Run) {
	s.mu.Lock()
	if len(s.queues[run.UserID]) == 0 {
		s.order = append(s.order, run.UserID)
	}
	s.queues[run.UserID] = append(s.queues[run.UserID], run.ID)
	s.mu.Unlock()
	s.schedule()
}

// schedule starts READY runs while they fit in the memory left: users
// take turns, and each user's runs start in the order they were created.
func (s *Runs) schedule() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closing && len(s.order) > 0 {
		started := false
		for i := 0; i < len(s.order); i++ {
			user := s.order[i]
			id := s.queues[user][0]
			run, err := s.store.RunGet(context.Background(), id)
			if err != nil || run.Status != actord.StatusReady {
				s.dequeueLocked(user, id) // aborted or gone meanwhile
				started = true
				break
			}
			if s.used+run.Options.MemoryMbytes > s.cfg.MemoryMbytes {
				continue
			}
			s.dequeueLocked(user, id)
			// The user goes to the back of the line.
			if len(s.queues[user]) > 0 {
				s.order = append(slices.DeleteFunc(s.order, func(u string) bool { return u == user }), user)
			}
			ar := &activeRun{memory: run.Options.MemoryMbytes}
			s.used += ar.memory
			s.active[run.ID] = ar
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.execute(run, ar)
			}()
			started = true
			break
		}
		if !started {
			return
		}
	}
}

func (s *Runs) dequeueLocked(user, id string) {
	s.queues[user] = slices.DeleteFunc(s.queues[user], func(x string) bool { return x == id })
	if len(s.queues[user]) == 0 {
		delete(s.queues, user)
		s.order = slices.DeleteFunc(s.order, func(u string) bool { return u == user })
	}
}

// execute runs the run's process until the run ends (restarting it for
// reboots, metamorphs and restartOnError), then records the end.
func (s *Runs) execute(run *actord.Run, ar *activeRun) {
	ctx := context.Background()
	log, err := s.logs.Open(run.ID)
	if err != nil {
		s.logger.Error("open run log", "run_id", run.ID, "err", err)
		s.end(ctx, run, ar, nil, runner.Result{ExitCode: -1}, "Could not open the run log.")
		return
	}
	defer log.Close()
	for {
		res, why, err := s.runOnce(ctx, run, ar, log)
		if err != nil {
			log.Printf("ACTOR: The run could not start: %v", err)
			s.logger.Error("start run", "run_id", run.ID, "err", err)
			s.end(ctx, run, ar, log, runner.Result{ExitCode: -1}, "The run could not start: "+err.Error())
			return
		}
		if again := s.again(ctx, run, ar, res, log); again {
			continue
		}
		s.end(ctx, run, ar, log, res, why)
		return
	}
}

// again decides whether the run's process starts again: after a reboot, a
// metamorph, or a failure with restartOnError.
func (s *Runs) again(ctx context.Context, run *actord.Run, ar *activeRun, res runner.Result, log *JobLog) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || ar.aborting || res.TimedOut {
		return false
	}
	cur, err := s.store.RunGet(ctx, run.ID)
	if err == nil {
		*run = *cur
	}
	switch {
	case ar.rebooting:
		ar.rebooting = false
		run.Stats.RebootCount++
		log.Printf("ACTOR: Rebooting the run.")
	case ar.metamorph != nil:
		t := ar.metamorph
		ar.metamorph = nil
		run.Metamorphs = append(run.Metamorphs, actord.Metamorph{CreatedAt: actord.At(s.now()), ActorID: t.actor.ID, BuildID: t.build.ID, InputKey: t.inputKey})
		run.ActID, run.BuildID, run.BuildNumber = t.actor.ID, t.build.ID, t.build.BuildNumber
		run.Private.InputKey, run.Private.ActorFullName = t.inputKey, t.actor.FullName()
		log.Printf("ACTOR: Metamorphing into %s (build %s).", t.actor.FullName(), t.build.BuildNumber)
	case res.ExitCode != 0 && run.Options.RestartOnError:
		now := s.now()
		ar.restarts = slices.DeleteFunc(ar.restarts, func(t time.Time) bool { return now.Sub(t) > time.Minute })
		if len(ar.restarts) >= 3 {
			log.Printf("ACTOR: The run failed again; it was restarted 3 times within a minute, so it is not restarted.")
			return false
		}
		ar.restarts = append(ar.restarts, now)
		run.Stats.RestartCount++
		log.Printf("ACTOR: The run failed with exit code %d and is restarted (restartOnError).", res.ExitCode)
	default:
		return false
	}
	if err := s.store.RunUpdate(ctx, run); err != nil {
		s.logger.Error("store run", "run_id", run.ID, "err", err)
	}
	return true
}

// runOnce starts the run's process and waits for it.
func (s *Runs) runOnce(ctx context.Context, run *actord.Run, ar *activeRun, log *JobLog) (runner.Result, string, error) {
	b, err := s.store.BuildGet(ctx, run.BuildID)
	if err != nil {
		return runner.Result{}, "", fmt.Errorf("load build %s: %w", run.BuildID, err)
	}
	if b.Private.Dir == "" {
		return runner.Result{}, "", fmt.Errorf("build %s has no directory (status %s)", b.ID, b.Status)
	}
	dir := filepath.Join(s.cfg.Dir, run.ID)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return runner.Result{}, "", fmt.Errorf("create run directory: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := builder.PrepareRunDir(b.Private.Dir, dir); err != nil {
		return runner.Result{}, "", err
	}
	token, err := s.users.CreateRunToken(ctx, run.UserID, run.ID)
	if err != nil {
		return runner.Result{}, "", err
	}
	port, err := freePort()
	if err != nil {
		return runner.Result{}, "", err
	}
	env := s.environment(run, b, token, port, dir)
	run.Status = actord.StatusRunning
	run.ContainerURL = "http://127.0.0.1:" + strconv.Itoa(port)
	if err := s.store.RunUpdate(ctx, run); err != nil {
		return runner.Result{}, "", fmt.Errorf("store run: %w", err)
	}
	memBytes := int64(run.Options.MemoryMbytes) << 20
	var timeout time.Duration
	if run.Options.TimeoutSecs > 0 {
		timeout = time.Duration(run.Options.TimeoutSecs) * time.Second
	}
	spec := &runner.Spec{RunID: run.ID, Dir: dir, Command: b.Private.Command, Env: env, MemoryMbytes: run.Options.MemoryMbytes,
		Timeout: timeout, Output: log, Hide: s.cfg.Hide, ReadOnly: append([]string{b.Private.Dir}, s.cfg.Visible...)}
	log.Printf("ACTOR: Starting %s, build %s (memory %d MB, timeout %s).", run.Private.ActorFullName, b.BuildNumber, run.Options.MemoryMbytes, describeTimeout(timeout))
	// The events socket is served before the process starts: the SDK
	// connects once, early, and never again.
	s.hub.Register(run.ID, memBytes, func() events.Usage {
		s.mu.Lock()
		p := ar.proc
		s.mu.Unlock()
		if p == nil {
			return events.Usage{}
		}
		return usageOf(p)
	})
	s.mu.Lock()
	if ar.aborting {
		s.mu.Unlock()
		s.hub.Unregister(run.ID)
		return runner.Result{ExitCode: -1, Aborted: true}, "", nil
	}
	proc, err := s.runner.Start(ctx, spec)
	if err != nil {
		s.mu.Unlock()
		s.hub.Unregister(run.ID)
		return runner.Result{}, "", err
	}
	ar.proc = proc
	s.mu.Unlock()
	limits := proc.Limits()
	log.Printf("ACTOR: %s", limits)
	if strings.Contains(limits, "not enforced") {
		s.logger.Warn("run limits not fully enforced", "run_id", run.ID, "limits", limits)
		msg := "Limits: " + limits
		s.setStatusMessage(ctx, run.ID, msg)
	}
	res := proc.Wait()
	s.mu.Lock()
	ar.proc = nil
	s.mu.Unlock()
	if st, ok := s.hub.Stats(run.ID); ok {
		run.Stats.MemAvgBytes, run.Stats.MemMaxBytes = st.MemAvgBytes, st.MemMaxBytes
		run.Stats.CPUAvgUsage, run.Stats.CPUMaxUsage = st.CPUAvgUsage, st.CPUMaxUsage
	}
	s.hub.Unregister(run.ID)
	why := ""
	if res.OutOfMemory {
		why = fmt.Sprintf("The Actor ran out of memory (limit %d MB) and was stopped.", run.Options.MemoryMbytes)
		log.Printf("ACTOR: %s", why)
	}
	return res, why, nil
}

func describeTimeout(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}

// environment is exactly what the run's process gets: actor-runtime.md §2.
// No variable is ever set to "" (an empty ACTOR_RUN_ID crashes the SDK).
func (s *Runs) environment(run *actord.Run, b *actord.Build, token string, port int, dir string) []string {
	var env []string
	set := func(value string, names ...string) {
		if value == "" {
			return
		}
		for _, n := range names {
			env = append(env, n+"="+value)
		}
	}
	storages, _ := json.Marshal(run.StorageIDs)
	started := actord.Timestamp(run.StartedAt.Time)
	path := filepath.Join(dir, "node_modules", ".bin") + ":" + s.cfg.Path
	set(path, "PATH")
	set(dir, "HOME")
	set("C.UTF-8", "LANG")
	set("1", "APIFY_IS_AT_HOME", "APIFY_HEADLESS")
	set(token, "APIFY_TOKEN")
	set(s.cfg.APIURL, "APIFY_API_BASE_URL", "APIFY_CLIENT_BASE_URL")
	set(s.cfg.PublicURL, "APIFY_API_PUBLIC_BASE_URL")
	set(run.ID, "ACTOR_RUN_ID", "APIFY_ACTOR_RUN_ID")
	set(run.ActID, "ACTOR_ID", "APIFY_ACTOR_ID")
	set(run.Private.ActorFullName, "ACTOR_FULL_NAME")
	if run.ActorTaskID != nil {
		set(*run.ActorTaskID, "ACTOR_TASK_ID", "APIFY_ACTOR_TASK_ID")
	}
	set(b.ID, "ACTOR_BUILD_ID", "APIFY_ACTOR_BUILD_ID")
	set(b.BuildNumber, "ACTOR_BUILD_NUMBER", "APIFY_ACTOR_BUILD_NUMBER")
	set(b.Private.Tag, "ACTOR_BUILD_TAGS")
	set(run.DefaultDatasetID, "ACTOR_DEFAULT_DATASET_ID", "APIFY_DEFAULT_DATASET_ID")
	set(run.DefaultKeyValueStoreID, "ACTOR_DEFAULT_KEY_VALUE_STORE_ID", "APIFY_DEFAULT_KEY_VALUE_STORE_ID")
	set(run.DefaultRequestQueueID, "ACTOR_DEFAULT_REQUEST_QUEUE_ID", "APIFY_DEFAULT_REQUEST_QUEUE_ID")
	set(string(storages), "ACTOR_STORAGES_JSON")
	set(run.Private.InputKey, "ACTOR_INPUT_KEY", "APIFY_INPUT_KEY")
	set(strconv.Itoa(run.Options.MemoryMbytes), "ACTOR_MEMORY_MBYTES", "APIFY_MEMORY_MBYTES")
	set(started, "ACTOR_STARTED_AT", "APIFY_STARTED_AT")
	if run.Options.TimeoutSecs > 0 {
		set(actord.Timestamp(s.now().Add(time.Duration(run.Options.TimeoutSecs)*time.Second)), "ACTOR_TIMEOUT_AT", "APIFY_TIMEOUT_AT")
	}
	wsURL := strings.Replace(s.cfg.APIURL, "http", "ws", 1) + "/v2/actor-runs/" + run.ID + "/events?token=" + url.QueryEscape(token)
	set(wsURL, "ACTOR_EVENTS_WEBSOCKET_URL", "APIFY_ACTOR_EVENTS_WS_URL")
	set(strconv.Itoa(port), "ACTOR_WEB_SERVER_PORT", "APIFY_CONTAINER_PORT")
	set(run.ContainerURL, "ACTOR_WEB_SERVER_URL", "APIFY_CONTAINER_URL")
	if run.Options.MaxTotalChargeUsd != nil {
		set(strconv.FormatFloat(*run.Options.MaxTotalChargeUsd, 'f', -1, 64), "ACTOR_MAX_TOTAL_CHARGE_USD")
	}
	if run.Options.MaxItems != nil {
		set(strconv.FormatInt(*run.Options.MaxItems, 10), "ACTOR_MAX_PAID_DATASET_ITEMS")
	}
	if run.Options.RestartOnError {
		set("1", "ACTOR_RESTART_ON_ERROR")
	}
	set(run.UserID, "APIFY_USER_ID")
	set(run.Meta.Origin, "APIFY_META_ORIGIN")
	set(strconv.FormatFloat(events.CPUShare(int64(run.Options.MemoryMbytes)<<20), 'f', -1, 64), "APIFY_DEDICATED_CPUS")
	if b.Private.Runtime == "node" {
		// Node's heap gets three quarters of the run's memory, so it
		// reports "heap out of memory" before the memory limit kills it.
		set("--max-old-space-size="+strconv.Itoa(run.Options.MemoryMbytes*3/4)+" --max-http-header-size=80000", "NODE_OPTIONS")
	}
	for _, e := range b.Private.EnvVars {
		if isReserved(e.Name) {
			continue
		}
		set(e.Value, e.Name)
	}
	return env
}

// isReserved tells variables the platform sets, which an actor's own
// variables may not override.
func isReserved(name string) bool {
	return strings.HasPrefix(name, "ACTOR_") || strings.HasPrefix(name, "APIFY_") || name == "PATH" || name == "HOME"
}

// end records how the run ended, frees its capacity and wakes waiters.
func (s *Runs) end(ctx context.Context, run *actord.Run, ar *activeRun, log *JobLog, res runner.Result, why string) {
	cur, err := s.store.RunGet(ctx, run.ID)
	if err == nil {
		// Keep what the actor set meanwhile (status message).
		cur.Stats.MemAvgBytes, cur.Stats.MemMaxBytes = run.Stats.MemAvgBytes, run.Stats.MemMaxBytes
		cur.Stats.CPUAvgUsage, cur.Stats.CPUMaxUsage = run.Stats.CPUAvgUsage, run.Stats.CPUMaxUsage
		run = cur
	}
	s.mu.Lock()
	aborted := ar.aborting
	s.mu.Unlock()
	status := actord.StatusFailed
	switch {
	case aborted || res.Aborted:
		status = actord.StatusAborted
	case res.TimedOut:
		status = actord.StatusTimedOut
	case res.ExitCode == 0 && why == "":
		status = actord.StatusSucceeded
	}
	now := s.now()
	run.Status, run.FinishedAt = status, actord.AtPtr(now)
	code := res.ExitCode
	run.ExitCode = &code
	run.Stats.DurationMillis = now.Sub(run.StartedAt.Time).Milliseconds()
	run.Stats.RunTimeSecs = now.Sub(run.StartedAt.Time).Seconds()
	terminal := run.IsStatusMessageTerminal != nil && *run.IsStatusMessageTerminal
	var msg string
	switch {
	case why != "":
		msg = why
	case status == actord.StatusAborted:
		msg = "The Actor run was aborted."
	case status == actord.StatusTimedOut:
		msg = fmt.Sprintf("The Actor run timed out after %d seconds.", run.Options.TimeoutSecs)
	case terminal:
	case status == actord.StatusFailed:
		msg = fmt.Sprintf("The Actor process exited with code %d.", res.ExitCode)
	case run.StatusMessage == nil:
		msg = "Actor finished with exit code 0."
	}
	if msg != "" {
		t := true
		run.StatusMessage, run.IsStatusMessageTerminal = &msg, &t
	}
	if log != nil {
		log.Printf("ACTOR: The run ended: %s (exit code %d).", status, res.ExitCode)
	}
	if err := s.store.RunFinish(context.WithoutCancel(ctx), run); err != nil {
		s.logger.Error("store run end", "run_id", run.ID, "err", err)
	}
	s.mu.Lock()
	delete(s.active, run.ID)
	s.used -= ar.memory
	s.mu.Unlock()
	s.logger.Info("run ended", "run_id", run.ID, "status", status, "exit_code", res.ExitCode)
	s.ends.fire(run.ID)
	s.schedule()
}

// Get returns a run the caller owns.
func (s *Runs) Get(ctx context.Context, caller *actord.User, id string) (*actord.Run, error) {
	r, err := s.store.RunGet(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (caller == nil || r.UserID != caller.ID)) {
		return nil, actord.NotFound("Actor run")
	}
	if err != nil {
		return nil, fmt.Errorf("get run: %w", err)
	}
	return r, nil
}

// Wait long-polls run id until it ends or wait passes.
func (s *Runs) Wait(ctx context.Context, caller *actord.User, id string, wait time.Duration) (*actord.Run, error) {
	return waitEnd(ctx, &s.ends, id, wait, func() (*actord.Run, error) { return s.Get(ctx, caller, id) },
		func(r *actord.Run) bool { return actord.IsTerminal(r.Status) })
}

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

// Abort ends a run: a READY run at once; a running one gets the aborting
// event, then SIGTERM, then SIGKILL after a grace period. gracefully gives
// the actor time to exit by itself first.
func (s *Runs) Abort(ctx context.Context, run *actord.Run, gracefully bool) (*actord.Run, error) {
	s.mu.Lock()
	if run.Status == actord.StatusReady {
		if _, queued := s.queues[run.UserID]; queued {
			s.dequeueLocked(run.UserID, run.ID)
		}
		if _, running := s.active[run.ID]; !running {
			s.mu.Unlock()
			now := s.now()
			msg, t := "The Actor run was aborted before it started.", true
			run.Status, run.FinishedAt, run.StatusMessage, run.IsStatusMessageTerminal = actord.StatusAborted, actord.AtPtr(now), &msg, &t
			if err := s.store.RunUpdate(ctx, run); err != nil {
				return nil, fmt.Errorf("abort run: %w", err)
			}
			s.ends.fire(run.ID)
			return run, nil
		}
	}
	ar := s.active[run.ID]
	if ar == nil || ar.aborting {
		s.mu.Unlock()
		return s.Wait(ctx, &actord.User{ID: run.UserID}, run.ID, 10*time.Second)
	}
	ar.aborting, ar.graceful = true, gracefully
	proc := ar.proc
	s.mu.Unlock()
	run.Status = actord.StatusAborting
	if err := s.store.RunUpdate(ctx, run); err != nil {
		return nil, fmt.Errorf("abort run: %w", err)
	}
	if gracefully {
		s.hub.Send(run.ID, "persistState", map[string]any{"isMigrating": false})
	}
	s.hub.Send(run.ID, "aborting", map[string]any{})
	if proc != nil {
		if gracefully {
			go func() {
				select {
				case <-s.ends.channel(run.ID):
				case <-time.After(s.cfg.GracefulAbortWait):
					proc.Abort(s.cfg.AbortGrace)
				}
			}()
		} else {
			proc.Abort(s.cfg.AbortGrace)
		}
	}
	if gracefully {
		return s.Get(ctx, &actord.User{ID: run.UserID}, run.ID)
	}
	return s.Wait(ctx, &actord.User{ID: run.UserID}, run.ID, 10*time.Second)
}

// Reboot restarts a running run's process with the same storages.
func (s *Runs) Reboot(ctx context.Context, run *actord.Run) (*actord.Run, error) {
	s.mu.Lock()
	ar := s.active[run.ID]
	if ar == nil || ar.proc == nil || ar.aborting {
		s.mu.Unlock()
		return nil, actord.Errorf(actord.ErrInvalidRequest, "Only a running Actor run can be rebooted (status %s).", run.Status)
	}
	ar.rebooting = true
	proc := ar.proc
	s.mu.Unlock()
	proc.Abort(s.cfg.AbortGrace)
	return s.Get(ctx, &actord.User{ID: run.UserID}, run.ID)
}

// Metamorph replaces a running run's actor with another one: the same run
// and storages, the new input stored as INPUT-METAMORPH-n.
func (s *Runs) Metamorph(ctx context.Context, run *actord.Run, target *actord.Actor, build string, input []byte, contentType string) (*actord.Run, error) {
	b, err := s.builds.Find(ctx, target, build)
	if err != nil {
		return nil, err
	}
	in, ct, err := prepareInput(b, input, contentType)
	if err != nil {
		return nil, err
	}
	key := "INPUT-METAMORPH-" + strconv.Itoa(len(run.Metamorphs)+1)
	if in != nil {
		kv, err := s.store.StorageGet(ctx, actord.KindKeyValueStore, run.DefaultKeyValueStoreID)
		if err != nil {
			return nil, fmt.Errorf("metamorph: %w", err)
		}
		if err := s.storages.PutRecord(ctx, kv, &actord.Record{Key: key, ContentType: ct, Value: in}); err != nil {
			return nil, fmt.Errorf("metamorph: store input: %w", err)
		}
	}
	s.mu.Lock()
	ar := s.active[run.ID]
	if ar == nil || ar.proc == nil || ar.aborting {
		s.mu.Unlock()
		return nil, actord.Errorf(actord.ErrInvalidRequest, "Only a running Actor run can be metamorphed (status %s).", run.Status)
	}
	ar.metamorph = &metamorphTarget{actor: target, build: b, inputKey: key}
	proc := ar.proc
	s.mu.Unlock()
	proc.Abort(s.cfg.AbortGrace)
	return s.Get(ctx, &actord.User{ID: run.UserID}, run.ID)
}

// Resurrect starts a finished run again with its storages.
func (s *Runs) Resurrect(ctx context.Context, run *actord.Run, a *actord.Actor, o StartOptions) (*actord.Run, error) {
	if !actord.IsTerminal(run.Status) {
		return nil, actord.Errorf(actord.ErrInvalidRequest, "Only a finished Actor run can be resurrected (status %s).", run.Status)
	}
	if o.Build != "" {
		b, err := s.builds.Find(ctx, a, o.Build)
		if err != nil {
			return nil, err
		}
		run.BuildID, run.BuildNumber = b.ID, b.BuildNumber
	}
	b, err := s.store.BuildGet(ctx, run.BuildID)
	if err != nil {
		return nil, fmt.Errorf("resurrect: %w", err)
	}
	if o.MemoryMbytes != 0 || o.TimeoutSecs != nil || o.MaxItems != nil || o.MaxTotalChargeUsd != nil || o.RestartOnError != nil {
		keep := a.DefaultRunOptions
		a.DefaultRunOptions = actord.DefaultRunOptions{Build: run.Options.Build, TimeoutSecs: run.Options.TimeoutSecs,
			MemoryMbytes: run.Options.MemoryMbytes, RestartOnError: run.Options.RestartOnError, MaxItems: run.Options.MaxItems}
		opts, err := s.runOptions(a, b, o)
		a.DefaultRunOptions = keep
		if err != nil {
			return nil, err
		}
		run.Options = opts
	}
	run.Status, run.FinishedAt, run.ExitCode = actord.StatusReady, nil, nil
	run.StatusMessage, run.IsStatusMessageTerminal = nil, nil
	run.Stats.ResurrectCount++
	if err := s.store.RunUpdate(ctx, run); err != nil {
		return nil, fmt.Errorf("resurrect: %w", err)
	}
	s.enqueue(run)
	return s.Get(ctx, &actord.User{ID: run.UserID}, run.ID)
}

// RunUpdate is the body of PUT /v2/actor-runs/{id}.
type RunUpdate struct {
	StatusMessage           *string `json:"statusMessage"`
	IsStatusMessageTerminal *bool   `json:"isStatusMessageTerminal"`
	GeneralAccess           *string `json:"generalAccess"`
}

// Update sets a run's status message or general access.
func (s *Runs) Update(ctx context.Context, run *actord.Run, body []byte) (*actord.Run, error) {
	var u RunUpdate
	if err := decodeJSON(body, &u); err != nil {
		return nil, err
	}
	if u.GeneralAccess != nil && !actord.ValidGeneralAccess(*u.GeneralAccess) {
		return nil, actord.Errorf(actord.ErrInvalidValue, "generalAccess %q is not valid.", *u.GeneralAccess)
	}
	s.mu.Lock() // status messages race the run's end otherwise
	defer s.mu.Unlock()
	cur, err := s.store.RunGet(ctx, run.ID)
	if err != nil {
		return nil, fmt.Errorf("update run: %w", err)
	}
	if u.StatusMessage != nil {
		cur.StatusMessage = u.StatusMessage
		cur.IsStatusMessageTerminal = u.IsStatusMessageTerminal
	}
	if u.GeneralAccess != nil {
		cur.GeneralAccess = *u.GeneralAccess
	}
	if err := s.store.RunUpdate(ctx, cur); err != nil {
		return nil, fmt.Errorf("update run: %w", err)
	}
	return cur, nil
}

func (s *Runs) setStatusMessage(ctx context.Context, id, msg string) {
	body, _ := json.Marshal(RunUpdate{StatusMessage: &msg})
	if _, err := s.Update(ctx, &actord.Run{ID: id}, body); err != nil {
		s.logger.Error("set status message", "run_id", id, "err", err)
	}
}

// Charge records a pay-per-event charge. With maxTotalChargeUsd, events
// that would exceed it are not charged: only as many as fit are counted.
func (s *Runs) Charge(ctx context.Context, run *actord.Run, body []byte) error {
	var c struct {
		EventName string `json:"eventName"`
		Count     *int64 `json:"count"`
	}
	if err := decodeJSON(body, &c); err != nil {
		return err
	}
	if c.EventName == "" {
		return actord.Errorf(actord.ErrInvalidValue, "eventName is required.")
	}
	count := int64(1)
	if c.Count != nil {
		count = *c.Count
	}
	if count < 1 {
		return actord.Errorf(actord.ErrInvalidValue, "count must be at least 1.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.store.RunGet(ctx, run.ID)
	if err != nil {
		return fmt.Errorf("charge run: %w", err)
	}
	if actord.IsTerminal(cur.Status) {
		return actord.Errorf(actord.ErrInvalidRequest, "The Actor run has finished; it can no longer be charged.")
	}
	price := eventPrice(cur.PricingInfo, c.EventName)
	if max := cur.Options.MaxTotalChargeUsd; max != nil && price > 0 {
		fit := int64((*max - cur.UsageTotalUsd + 1e-9) / price)
		if fit < count {
			count = fit
		}
		if count <= 0 {
			return actord.Errorf("max-total-charge-exceeded", "Charging %s would exceed the run's maxTotalChargeUsd (%v USD).", c.EventName, *max)
		}
	}
	if cur.ChargedEventCounts == nil {
		cur.ChargedEventCounts = map[string]float64{}
	}
	cur.ChargedEventCounts[c.EventName] += float64(count)
	cur.UsageTotalUsd += price * float64(count)
	if err := s.store.RunUpdate(ctx, cur); err != nil {
		return fmt.Errorf("charge run: %w", err)
	}
	return nil
}

// eventPrice reads pricingPerEvent.actorChargeEvents[name].eventPriceUsd
// of a PAY_PER_EVENT pricing info.
func eventPrice(info json.RawMessage, name string) float64 {
	var p struct {
		PricingPerEvent struct {
			ActorChargeEvents map[string]struct {
				EventPriceUsd float64 `json:"eventPriceUsd"`
			} `json:"actorChargeEvents"`
		} `json:"pricingPerEvent"`
	}
	if json.Unmarshal(info, &p) != nil {
		return 0
	}
	return p.PricingPerEvent.ActorChargeEvents[name].EventPriceUsd
}

// Recover resolves the runs a previous server process left unfinished:
// READY runs queue again; a RUNNING run restarts when it has
// restartOnError and is marked FAILED otherwise; ABORTING and TIMING-OUT
// runs become ABORTED and TIMED-OUT. No run stays RUNNING forever.
func (s *Runs) Recover(ctx context.Context) error {
	runs, err := s.store.RunsWithStatus(ctx, actord.StatusReady, actord.StatusRunning, actord.StatusAborting, actord.StatusTimingOut)
	if err != nil {
		return fmt.Errorf("recover runs: %w", err)
	}
	for _, run := range runs {
		s.store.RunTokensDelete(ctx, run.ID)
		os.RemoveAll(filepath.Join(s.cfg.Dir, run.ID))
		var msg string
		switch run.Status {
		case actord.StatusReady:
		case actord.StatusRunning:
			if run.Options.RestartOnError {
				run.Status = actord.StatusReady
				run.Stats.RestartCount++
				break
			}
			run.Status, msg = actord.StatusFailed, "The server stopped while the Actor run was running."
		case actord.StatusAborting:
			run.Status, msg = actord.StatusAborted, "The Actor run was aborted."
		case actord.StatusTimingOut:
			run.Status, msg = actord.StatusTimedOut, "The Actor run timed out."
		}
		if msg != "" {
			now := s.now()
			t := true
			run.FinishedAt, run.StatusMessage, run.IsStatusMessageTerminal = actord.AtPtr(now), &msg, &t
		}
		if err := s.store.RunUpdate(ctx, run); err != nil {
			return fmt.Errorf("recover run %s: %w", run.ID, err)
		}
		s.logger.Warn("recovered run left by a previous process", "run_id", run.ID, "status", run.Status)
		if run.Status == actord.StatusReady {
			s.enqueue(run)
		}
	}
	return nil
}

// Events serves the events websocket of a running run.
func (s *Runs) Events() *events.Hub { return s.hub }

// Close stops every run (they end ABORTED... or are recovered at the next
// start) and waits for them.
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

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
