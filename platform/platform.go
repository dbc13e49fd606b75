package platform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/actord/actord/events"
	"github.com/actord/actord/runner"
	"github.com/actord/actord/storage"
)

// Config configures the whole platform.
type Config struct {
	// DataDir holds logs (the database is the store's business). Runs
	// never see it where the runner can hide it.
	DataDir string
	// WorkDir holds build directories and run working directories ("":
	// see WorkDirFor). Runs may execute as an unprivileged user, who must
	// be able to pass through every folder above it.
	WorkDir string
	// CacheDir holds installed dependencies shared by builds ("" means
	// WorkDir/cache).
	CacheDir string
	// APIURL is the origin runs reach the API at; PublicURL the one links
	// are built from.
	APIURL    string
	PublicURL string
	// RunMemoryMbytes is the memory all runs together may use.
	RunMemoryMbytes int
	// Path is the PATH builds and runs get.
	Path string
	// BuildEnv is the rest of the environment of build tools (HOME,
	// proxies, npm settings).
	BuildEnv []string
	// BuildTimeout ends builds that take longer (0: 1800 s).
	BuildTimeout time.Duration
	// BuildUser is who dependency installs run as (nil: the server's
	// user); with a root server, an unprivileged one, as for runs.
	BuildUser *syscall.Credential
	// Webhook delivery: the timeout of one attempt, the number of retries
	// and the first retry's delay (0: Apify's 2 min, 11 and 1 min; see
	// WebhookConfig).
	WebhookTimeout    time.Duration
	WebhookMaxRetries int
	WebhookRetryBase  time.Duration
}

// Platform is every service, wired together.
type Platform struct {
	Users    *Users
	Storages *Storages
	Actors   *Actors
	Tasks    *Tasks
	Builds   *Builds
	Runs     *Runs
	Logs     *Logs
	Webhooks *Webhooks
	// WorkDir is where builds and runs live.
	WorkDir string
}

// New wires the services over a store and a runner.
func New(cfg Config, store storage.Store, rn runner.Runner, logger *slog.Logger, now func() time.Time) (*Platform, error) {
	for _, d := range []*string{&cfg.DataDir, &cfg.WorkDir, &cfg.CacheDir} {
		if *d != "" {
			abs, err := filepath.Abs(*d)
			if err != nil {
				return nil, fmt.Errorf("resolve %s: %w", *d, err)
			}
			*d = abs
		}
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = WorkDirFor(cfg.DataDir)
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(cfg.WorkDir, "cache")
	}
	// Runs execute as an unprivileged user: it must be able to pass
	// through the work dir to its build (but not list it), and through
	// the data dir when the work dir is inside (what is secret there —
	// the database, the admin token, logs — is the server's alone).
	if rel, err := filepath.Rel(cfg.DataDir, cfg.WorkDir); err == nil && filepath.IsLocal(rel) {
		if err := os.Chmod(cfg.DataDir, 0o711); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o711); err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	if err := os.Chmod(cfg.WorkDir, 0o711); err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	logs, err := NewLogs(filepath.Join(cfg.DataDir, "logs"), now)
	if err != nil {
		return nil, err
	}
	p := &Platform{Users: NewUsers(store, now), Storages: NewStorages(store, now), Actors: NewActors(store, now), Logs: logs, WorkDir: cfg.WorkDir}
	p.Tasks = NewTasks(store, p.Actors, now)
	// Runs and npm execute as BuildUser when there is one: they get the
	// folders of the PATH that user can reach.
	runPath := cfg.Path
	if cfg.BuildUser != nil {
		runPath = reachablePath(cfg.Path)
	}
	p.Builds, err = NewBuilds(BuildConfig{
		Dir: filepath.Join(cfg.WorkDir, "builds"), CacheDir: cfg.CacheDir, Timeout: cfg.BuildTimeout,
		PublicURL: cfg.PublicURL, Env: append([]string{"PATH=" + runPath}, cfg.BuildEnv...), User: cfg.BuildUser,
	}, store, p.Actors, p.Storages, logs, logger, now)
	if err != nil {
		return nil, err
	}
	p.Runs, err = NewRuns(RunConfig{
		Dir: filepath.Join(cfg.WorkDir, "runs"), Hide: []string{cfg.DataDir, cfg.WorkDir}, Visible: []string{cfg.CacheDir},
		MemoryMbytes: cfg.RunMemoryMbytes, APIURL: cfg.APIURL, PublicURL: cfg.PublicURL, Path: runPath,
	}, store, p.Actors, p.Builds, p.Storages, logs, rn, events.NewHub(logger, now), logger, now)
	if err != nil {
		return nil, err
	}
	p.Webhooks = NewWebhooks(WebhookConfig{Timeout: cfg.WebhookTimeout, MaxRetries: cfg.WebhookMaxRetries, RetryBase: cfg.WebhookRetryBase,
		OwnURLs: []string{cfg.APIURL, cfg.PublicURL}}, store, p.Actors, logger, now)
	p.Webhooks.tasks = p.Tasks
	p.Builds.jobEvents, p.Runs.jobEvents = p.Webhooks, p.Webhooks
	return p, nil
}

// Recover resolves the builds and runs a previous process left unfinished
// and resumes its webhook deliveries.
func (p *Platform) Recover(ctx context.Context) error {
	if err := p.Builds.Recover(ctx); err != nil {
		return err
	}
	if err := p.Runs.Recover(ctx); err != nil {
		return err
	}
	return p.Webhooks.Recover(ctx)
}

// Close stops builds and runs, then webhook delivery (what their ends
// dispatched is delivered by the next process).
func (p *Platform) Close() {
	p.Builds.Close()
	p.Runs.Close()
	p.Webhooks.Close()
}

// WorkDirFor is the default work dir of a data dir: DataDir/work, unless
// the server is root (runs then execute as nobody) and some folder above
// the data dir is closed to other users (a checkout under /root, a
// private temp dir); then a folder of the system's temp dir named after
// the data dir, which nobody can reach.
func WorkDirFor(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	if os.Geteuid() != 0 || runner.OthersCanReach(filepath.Dir(abs)) {
		return filepath.Join(abs, "work")
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), "actord-work-"+hex.EncodeToString(sum[:6]))
}

// reachablePath keeps the folders of a PATH that another user can reach
// (a root server's PATH may start with folders under /root, whose
// programs a run as nobody cannot execute).
func reachablePath(path string) string {
	var keep []string
	for _, dir := range filepath.SplitList(path) {
		if dir != "" && runner.OthersCanReach(dir) {
			keep = append(keep, dir)
		}
	}
	return strings.Join(keep, string(filepath.ListSeparator))
}
