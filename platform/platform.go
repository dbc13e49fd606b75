package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/actord/actord/events"
	"github.com/actord/actord/runner"
	"github.com/actord/actord/storage"
)

// Config configures the whole platform.
type Config struct {
	// DataDir holds builds, run directories and logs (the database is
	// the store's business). Runs never see it where the runner can hide
	// it.
	DataDir string
	// CacheDir holds installed dependencies shared by builds ("" means
	// DataDir/cache).
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
}

// Platform is every service, wired together.
type Platform struct {
	Users    *Users
	Storages *Storages
	Actors   *Actors
	Builds   *Builds
	Runs     *Runs
	Logs     *Logs
}

// New wires the services over a store and a runner.
func New(cfg Config, store storage.Store, rn runner.Runner, logger *slog.Logger, now func() time.Time) (*Platform, error) {
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(cfg.DataDir, "cache")
	}
	// Runs execute as an unprivileged user: it must be able to pass
	// through the data dir to its build (but not list it).
	if err := os.Chmod(cfg.DataDir, 0o711); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	logs, err := NewLogs(filepath.Join(cfg.DataDir, "logs"), now)
	if err != nil {
		return nil, err
	}
	p := &Platform{Users: NewUsers(store, now), Storages: NewStorages(store, now), Actors: NewActors(store, now), Logs: logs}
	p.Builds, err = NewBuilds(BuildConfig{
		Dir: filepath.Join(cfg.DataDir, "builds"), CacheDir: cfg.CacheDir, Timeout: cfg.BuildTimeout,
		PublicURL: cfg.PublicURL, Env: append([]string{"PATH=" + cfg.Path}, cfg.BuildEnv...),
	}, store, p.Actors, p.Storages, logs, logger, now)
	if err != nil {
		return nil, err
	}
	p.Runs, err = NewRuns(RunConfig{
		Dir: filepath.Join(cfg.DataDir, "runs"), Hide: []string{cfg.DataDir}, Visible: []string{cfg.CacheDir},
		MemoryMbytes: cfg.RunMemoryMbytes, APIURL: cfg.APIURL, PublicURL: cfg.PublicURL, Path: cfg.Path,
	}, store, p.Actors, p.Builds, p.Storages, p.Users, logs, rn, events.NewHub(logger, now), logger, now)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Recover resolves the builds and runs a previous process left unfinished.
func (p *Platform) Recover(ctx context.Context) error {
	if err := p.Builds.Recover(ctx); err != nil {
		return err
	}
	return p.Runs.Recover(ctx)
}

// Close stops builds and runs.
func (p *Platform) Close() {
	p.Builds.Close()
	p.Runs.Close()
}
