package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/actorjson"
	"github.com/actord/actord/builder"
	"github.com/actord/actord/storage"
)

// BuildConfig configures the build service.
type BuildConfig struct {
	// Dir holds one immutable directory per successful build.
	Dir string
	// CacheDir holds installed dependencies, shared by builds with the
	// same lockfile.
	CacheDir string
	// Timeout ends a build that takes longer (Apify: 1800 s).
	Timeout time.Duration
	// PublicURL is the server's own origin: tarball URLs pointing at its
	// own key-value store records are read from storage directly.
	PublicURL string
	// Env is the environment of build tools (npm, git): PATH, HOME, ….
	Env []string
	// User is who npm (and packages' install scripts) run as; nil: the
	// server's own user.
	User *syscall.Credential
}

// Builds builds actor versions into runnable directories.
type Builds struct {
	cfg      BuildConfig
	store    storage.Store
	actors   *Actors
	storages *Storages
	logs     *Logs
	logger   *slog.Logger
	now      func() time.Time
	ends     signals
	// jobEvents hears of build events (webhooks); nil: nobody.
	jobEvents JobEvents

	mu      sync.Mutex
	cancels map[string]context.CancelCauseFunc // builds in progress
	wg      sync.WaitGroup
}

// NewBuilds returns the build service.
func NewBuilds(cfg BuildConfig, store storage.Store, actors *Actors, storages *Storages, logs *Logs, logger *slog.Logger, now func() time.Time) (*Builds, error) {
	for _, d := range []string{cfg.Dir, cfg.CacheDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create build dir: %w", err)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 1800 * time.Second
	}
	return &Builds{cfg: cfg, store: store, actors: actors, storages: storages, logs: logs, logger: logger, now: now,
		cancels: map[string]context.CancelCauseFunc{}}, nil
}

var (
	errBuildAborted = errors.New("build aborted")
	errServerStop   = errors.New("server stopped")
)

// Start starts building a version of the actor and returns the new
// build (RUNNING). tag "" means the version's build tag.
func (s *Builds) Start(ctx context.Context, a *actord.Actor, version, tag string, useCache bool, origin string) (*actord.Build, error) {
	v := a.Version(version)
	if v == nil {
		if version == "" {
			return nil, actord.Errorf(actord.ErrParameterRequired, "The \"version\" parameter is required.")
		}
		return nil, actord.Errorf(actord.ErrRecordNotFound, "Actor version %s was not found", version)
	}
	if tag == "" {
		tag = v.BuildTag
	}
	now := s.now()
	b := &actord.Build{
		ID: actord.NewID(), ActID: a.ID, UserID: a.UserID, StartedAt: actord.At(now), Status: actord.StatusRunning,
		Meta:    actord.JobMeta{Origin: origin},
		Options: actord.BuildOptions{UseCache: useCache, MemoryMbytes: 4096, DiskMbytes: 8192},
		Private: actord.BuildPrivate{ActVersion: v.VersionNumber, Tag: tag, EnvVars: v.EnvVars},
	}
	if err := s.store.BuildInsert(ctx, b); err != nil {
		return nil, fmt.Errorf("create build: %w", err)
	}
	if err := s.actors.CountJob(ctx, a.ID, false, now); err != nil {
		s.logger.Error("count build", "err", err)
	}
	notifyBuild(s.jobEvents, ctx, actord.EventBuildCreated, b)
	log, err := s.logs.Open(b.ID)
	if err != nil {
		return nil, err
	}
	bctx, cancel := context.WithCancelCause(context.Background())
	s.mu.Lock()
	s.cancels[b.ID] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.run(bctx, b, v, log)
	}()
	return b, nil
}

// run builds b and records how it ended.
func (s *Builds) run(ctx context.Context, b *actord.Build, v *actord.Version, log *JobLog) {
	defer log.Close()
	ctx, cancel := context.WithTimeoutCause(ctx, s.cfg.Timeout, context.DeadlineExceeded)
	defer cancel()
	log.Printf("ACTOR: Building version %s of the actor (build %s, number %s).", v.VersionNumber, b.ID, b.BuildNumber)
	err := s.build(ctx, b, v, log)
	s.mu.Lock()
	delete(s.cancels, b.ID)
	s.mu.Unlock()
	now := s.now()
	b.FinishedAt = actord.AtPtr(now)
	b.Stats.DurationMillis = now.Sub(b.StartedAt.Time).Milliseconds()
	b.Stats.RunTimeSecs = now.Sub(b.StartedAt.Time).Seconds()
	switch cause := context.Cause(ctx); {
	case err == nil:
		b.Status = actord.StatusSucceeded
		log.Printf("ACTOR: Build finished (%s).", b.BuildNumber)
	case errors.Is(cause, errBuildAborted):
		b.Status = actord.StatusAborted
		log.Printf("ACTOR: Build was aborted.")
	case errors.Is(cause, context.DeadlineExceeded):
		b.Status = actord.StatusTimedOut
		log.Printf("ACTOR: Build timed out after %s.", s.cfg.Timeout)
	default:
		b.Status = actord.StatusFailed
		log.Printf("ACTOR: Build failed: %v", err)
	}
	if b.Status != actord.StatusSucceeded {
		os.RemoveAll(b.Private.Dir)
		b.Private.Dir = ""
	}
	sctx := context.WithoutCancel(ctx)
	if err := s.store.BuildUpdate(sctx, b); err != nil {
		s.logger.Error("store build result", "build_id", b.ID, "err", err)
	}
	if b.Status == actord.StatusSucceeded && b.Private.Tag != "" {
		if err := s.actors.TagBuild(sctx, b.ActID, b.Private.Tag, b); err != nil {
			s.logger.Error("tag build", "build_id", b.ID, "err", err)
		}
	}
	s.logger.Info("build ended", "build_id", b.ID, "actor_id", b.ActID, "number", b.BuildNumber, "status", b.Status)
	notifyBuild(s.jobEvents, sctx, actord.TerminalEvent("BUILD", b.Status), b)
	s.ends.fire(b.ID)
}

// build writes the source into the build's directory, reads its
// actor.json, finds the start command and installs dependencies.
func (s *Builds) build(ctx context.Context, b *actord.Build, v *actord.Version, log *JobLog) error {
	tmp := filepath.Join(s.cfg.Dir, b.ID+".tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("create build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	switch v.SourceType {
	case actord.SourceFiles:
		log.Printf("ACTOR: Writing %d source files.", len(v.SourceFiles))
		if err := builder.WriteSourceFiles(tmp, v.SourceFiles); err != nil {
			return err
		}
	case actord.SourceTarball:
		log.Printf("ACTOR: Downloading the source from %s.", redactURL(v.TarballURL))
		body, err := s.fetchTarball(ctx, b.UserID, v.TarballURL)
		if err != nil {
			return err
		}
		err = builder.ExtractArchive(body, tmp)
		body.Close()
		if err != nil {
			return err
		}
	case actord.SourceGitRepo, actord.SourceGist:
		u := v.GitRepoURL
		if v.SourceType == actord.SourceGist {
			u = v.GitHubGistURL
		}
		log.Printf("ACTOR: Cloning %s.", redactURL(u))
		if err := builder.CloneGit(ctx, u, tmp, log); err != nil {
			return err
		}
	}
	m, err := actorjson.Load(tmp)
	if err != nil {
		return err
	}
	dockerfile := ""
	if m != nil {
		dockerfile = m.Dockerfile
		b.Private.Definition = m.Raw
		b.Private.InputSchema = m.InputSchema
		b.Private.DatasetSchema = m.DatasetSchema
		b.Private.Readme = m.Readme
		b.Private.MinMemoryMbytes, b.Private.MaxMemoryMbytes, b.Private.DefaultMemoryMbytes = m.MinMemoryMbytes, m.MaxMemoryMbytes, m.DefaultMemoryMbytes
		if m.InputSchema != nil {
			if _, err := actorjson.CompileInputSchema(m.InputSchema); err != nil {
				return fmt.Errorf("input schema: %w", err)
			}
		}
		if m.DatasetSchema != nil {
			if _, err := actorjson.CompileDatasetSchema(m.DatasetSchema); err != nil {
				return fmt.Errorf("dataset schema: %w", err)
			}
		}
	}
	plan, err := builder.DetectStart(tmp, dockerfile)
	if err != nil {
		return err
	}
	b.Private.Command, b.Private.Runtime = plan.Command, plan.Runtime
	log.Printf("ACTOR: Start command: %s", strings.Join(plan.Command, " "))
	if plan.NeedsNpmInstall {
		log.Printf("ACTOR: Installing npm dependencies.")
		cached, err := builder.InstallNodeAs(ctx, tmp, filepath.Join(s.cfg.CacheDir, "node_modules"), s.cfg.Env, s.cfg.User, log)
		if err != nil {
			return err
		}
		if cached {
			log.Printf("ACTOR: Dependencies were taken from the cache.")
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Join(s.cfg.Dir, b.ID)
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("finish build directory: %w", err)
	}
	b.Private.Dir = dir
	return nil
}

// ownRecordPath matches a key-value store record URL of this server (what
// `apify push` uploads large sources to).
var ownRecordPath = regexp.MustCompile(`^/v2/key-value-stores/([^/]+)/records/([^/]+)$`)

func (s *Builds) fetchTarball(ctx context.Context, userID, raw string) (io.ReadCloser, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("tarball URL %q is not an http(s) URL", raw)
	}
	if own, _ := url.Parse(s.cfg.PublicURL); own != nil && own.Host == u.Host {
		if m := ownRecordPath.FindStringSubmatch(u.EscapedPath()); m != nil {
			owner, err := s.store.UserGet(ctx, userID)
			if err != nil {
				return nil, fmt.Errorf("read tarball: %w", err)
			}
			key, _ := url.PathUnescape(m[2])
			st, err := s.storages.Resolve(ctx, owner, actord.KindKeyValueStore, m[1], Read)
			if err != nil {
				return nil, fmt.Errorf("read tarball %s: %w", raw, err)
			}
			rec, err := s.storages.GetRecord(ctx, st, key)
			if err != nil {
				return nil, fmt.Errorf("read tarball %s: %w", raw, err)
			}
			return io.NopCloser(bytes.NewReader(rec.Value)), nil
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, fmt.Errorf("download tarball: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download tarball: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("download tarball %s: HTTP %d", raw, res.StatusCode)
	}
	return res.Body, nil
}

// Get returns a build the caller owns.
func (s *Builds) Get(ctx context.Context, caller *actord.User, id string) (*actord.Build, error) {
	b, err := s.store.BuildGet(ctx, id)
	return owned(b, err, caller, func(b *actord.Build) string { return b.UserID }, "Actor build")
}

// Wait long-polls build id until it ends or wait passes.
func (s *Builds) Wait(ctx context.Context, caller *actord.User, id string, wait time.Duration) (*actord.Build, error) {
	return waitEnd(ctx, &s.ends, id, min(wait, MaxWaitForFinish), func() (*actord.Build, error) { return s.Get(ctx, caller, id) },
		func(b *actord.Build) bool { return actord.IsTerminal(b.Status) })
}

// List returns a page of builds: of one actor, or all of the caller's.
func (s *Builds) List(ctx context.Context, p *storage.ListParams) ([]*actord.Build, int64, error) {
	return s.store.BuildList(ctx, p)
}

// Abort stops a running build.
func (s *Builds) Abort(ctx context.Context, b *actord.Build) (*actord.Build, error) {
	s.mu.Lock()
	cancel := s.cancels[b.ID]
	s.mu.Unlock()
	if cancel == nil || actord.IsTerminal(b.Status) {
		return b, nil
	}
	cancel(errBuildAborted)
	return s.Wait(ctx, &actord.User{ID: b.UserID}, b.ID, MaxWaitForFinish)
}

// Find returns the build a run option names: a tag of the actor, or a
// build number ("0.1.3"); "" means the actor's default build.
func (s *Builds) Find(ctx context.Context, a *actord.Actor, tagOrNumber string) (*actord.Build, error) {
	if tagOrNumber == "" {
		tagOrNumber = a.DefaultRunOptions.Build
	}
	if tagOrNumber == "" {
		tagOrNumber = DefaultBuildTag
	}
	if tb, ok := a.TaggedBuilds[tagOrNumber]; ok {
		b, err := s.store.BuildGet(ctx, tb.BuildID)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("find build: %w", err)
		}
	}
	builds, _, err := s.store.BuildList(ctx, &storage.ListParams{ActID: a.ID, Status: actord.StatusSucceeded, Desc: true})
	if err != nil {
		return nil, fmt.Errorf("find build: %w", err)
	}
	for _, b := range builds {
		if b.BuildNumber == tagOrNumber || b.ID == tagOrNumber {
			return b, nil
		}
	}
	return nil, actord.Errorf(actord.ErrRecordNotFound, "Actor build with tag or number %q was not found. Build the actor first.", tagOrNumber)
}

// Recover marks builds that a previous server process left running as
// failed: their build process is gone.
func (s *Builds) Recover(ctx context.Context) error {
	builds, _, err := s.store.BuildList(ctx, &storage.ListParams{Status: actord.StatusRunning})
	if err != nil {
		return fmt.Errorf("recover builds: %w", err)
	}
	for _, b := range builds {
		now := s.now()
		b.Status, b.FinishedAt = actord.StatusFailed, actord.AtPtr(now)
		if err := s.store.BuildUpdate(ctx, b); err != nil {
			return fmt.Errorf("recover build %s: %w", b.ID, err)
		}
		os.RemoveAll(filepath.Join(s.cfg.Dir, b.ID+".tmp"))
		s.logger.Warn("build failed: the server stopped while it ran", "build_id", b.ID)
		notifyBuild(s.jobEvents, ctx, actord.EventBuildFailed, b)
	}
	return nil
}

// Close stops running builds and waits for them.
func (s *Builds) Close() {
	s.mu.Lock()
	for _, cancel := range s.cancels {
		cancel(errServerStop)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// redactURL hides credentials and query parameters (signatures, tokens) of
// a source URL for the build log.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	if u.User != nil {
		u.User = url.User("***")
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.String()
}
