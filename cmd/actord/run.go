package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/actord/actord/api"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/runner/process"
	"github.com/actord/actord/storage/sqlite"
)

// run builds the CLI and executes it with the given arguments, environment
// and output streams, so tests enter exactly where main does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	root := &cobra.Command{
		Use:           "actord",
		Short:         "A self-hosted server for Apify Actors that speaks the Apify API v2",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	dataDir := root.PersistentFlags().String("data-dir", cmp.Or(getenv("ACTORD_DATA_DIR"), "./actord-data"),
		"directory holding all state (env ACTORD_DATA_DIR)")

	serve := &cobra.Command{
		Use:   "serve",
		Short: "Run the API server",
		Args:  cobra.NoArgs,
	}
	listen := serve.Flags().String("listen", cmp.Or(getenv("ACTORD_LISTEN"), "127.0.0.1:8080"), "address to listen on (env ACTORD_LISTEN)")
	publicURL := serve.Flags().String("public-url", getenv("ACTORD_PUBLIC_URL"), "base URL clients reach the server at (env ACTORD_PUBLIC_URL; default http://<listen address>)")
	runMemory := serve.Flags().Int("run-memory", envInt(getenv, "ACTORD_RUN_MEMORY_MBYTES", defaultRunMemory()),
		"megabytes of memory all runs together may use; runs that do not fit wait in READY (env ACTORD_RUN_MEMORY_MBYTES; default: RAM minus a reserve)")
	buildCache := serve.Flags().String("build-cache-dir", getenv("ACTORD_BUILD_CACHE_DIR"),
		"directory of installed dependencies shared by builds (env ACTORD_BUILD_CACHE_DIR; default <data-dir>/cache)")
	workDir := serve.Flags().String("work-dir", getenv("ACTORD_WORK_DIR"),
		"directory of build and run directories (env ACTORD_WORK_DIR; default <data-dir>/work, or a folder of the temp dir when runs, as nobody, could not reach that)")
	isolation := serve.Flags().String("isolation", cmp.Or(getenv("ACTORD_ISOLATION"), process.IsolationAuto),
		"sandbox runs with bubblewrap when it is installed (auto) or never (off) (env ACTORD_ISOLATION)")
	syncTimeout := serve.Flags().Int("sync-timeout", envInt(getenv, "ACTORD_SYNC_TIMEOUT_SECS", int(api.DefaultSyncTimeout/time.Second)),
		"seconds the run-sync routes wait for their run before answering 408 (env ACTORD_SYNC_TIMEOUT_SECS; Apify's is 300)")
	webhookTimeout := serve.Flags().Int("webhook-timeout", envInt(getenv, "ACTORD_WEBHOOK_TIMEOUT_SECS", 120),
		"seconds one webhook request may take (env ACTORD_WEBHOOK_TIMEOUT_SECS)")
	webhookRetries := serve.Flags().Int("webhook-retries", envCount(getenv, "ACTORD_WEBHOOK_MAX_RETRIES", 11),
		"how many times a failed webhook request is retried, with exponential backoff (env ACTORD_WEBHOOK_MAX_RETRIES)")
	webhookRetryBase := serve.Flags().Int("webhook-retry-base", envInt(getenv, "ACTORD_WEBHOOK_RETRY_BASE_SECS", 60),
		"seconds before the first webhook retry; each next one waits twice as long (env ACTORD_WEBHOOK_RETRY_BASE_SECS)")
	serve.RunE = func(cmd *cobra.Command, _ []string) error {
		if *syncTimeout <= 0 {
			return errors.New("--sync-timeout must be positive")
		}
		if *webhookTimeout <= 0 || *webhookRetryBase <= 0 || *webhookRetries < 0 {
			return errors.New("--webhook-timeout and --webhook-retry-base must be positive, --webhook-retries not negative")
		}
		if *isolation != process.IsolationAuto && *isolation != process.IsolationOff {
			return fmt.Errorf("--isolation must be %s or %s", process.IsolationAuto, process.IsolationOff)
		}
		return runServe(cmd.Context(), serveConfig{
			Listen:          *listen,
			DataDir:         *dataDir,
			PublicURL:       *publicURL,
			AdminUsername:   cmp.Or(getenv("ACTORD_ADMIN_USERNAME"), "admin"),
			AdminToken:      getenv("ACTORD_ADMIN_TOKEN"),
			RunMemoryMbytes: *runMemory,
			BuildCacheDir:   *buildCache,
			WorkDir:         *workDir,
			Isolation:       *isolation,
			SyncTimeout:     time.Duration(*syncTimeout) * time.Second,
			Getenv:          getenv,
			Webhooks: webhookSettings{Timeout: time.Duration(*webhookTimeout) * time.Second, MaxRetries: *webhookRetries,
				RetryBase: time.Duration(*webhookRetryBase) * time.Second},
		}, stderr)
	}

	user := &cobra.Command{Use: "user", Short: "Manage users"}
	userCreate := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user with an API token; prints them as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withUsers(cmd.Context(), *dataDir, func(users *platform.Users) error {
				u, err := users.Create(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				token, err := users.CreateToken(cmd.Context(), u.ID, "")
				if err != nil {
					return err
				}
				return json.NewEncoder(stdout).Encode(map[string]string{"id": u.ID, "username": u.Username, "token": token})
			})
		},
	}
	user.AddCommand(userCreate)

	token := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	tokenUser := new(string)
	tokenCreate := &cobra.Command{
		Use:   "create",
		Short: "Create an API token for a user; prints it as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if *tokenUser == "" {
				return errors.New("--user is required")
			}
			return withUsers(cmd.Context(), *dataDir, func(users *platform.Users) error {
				u, err := users.Get(cmd.Context(), *tokenUser)
				if err != nil {
					return err
				}
				t, err := users.CreateToken(cmd.Context(), u.ID, "")
				if err != nil {
					return err
				}
				return json.NewEncoder(stdout).Encode(map[string]string{"userId": u.ID, "username": u.Username, "token": t})
			})
		},
	}
	tokenCreate.Flags().StringVar(tokenUser, "user", "", "username (or user ID) to create the token for")
	token.AddCommand(tokenCreate)

	root.AddCommand(serve, user, token)
	root.AddCommand(newPushCmd(getenv, dataDir, stdout, stderr), newCallCmd(getenv, dataDir, stdout, stderr))
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

type serveConfig struct {
	Listen          string
	DataDir         string
	PublicURL       string
	AdminUsername   string
	AdminToken      string
	RunMemoryMbytes int
	BuildCacheDir   string
	WorkDir         string
	Isolation       string
	SyncTimeout     time.Duration
	Getenv          func(string) string
	Webhooks        webhookSettings
}

// webhookSettings are the webhook delivery flags.
type webhookSettings struct {
	Timeout    time.Duration
	MaxRetries int // 0: none
	RetryBase  time.Duration
}

func openStore(ctx context.Context, dataDir string) (*sqlite.DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(dataDir, "actord.db"))
}

func withUsers(ctx context.Context, dataDir string, fn func(*platform.Users) error) error {
	db, err := openStore(ctx, dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(platform.NewUsers(db, time.Now))
}

func runServe(ctx context.Context, cfg serveConfig, logOut io.Writer) error {
	logger := slog.New(slog.NewJSONHandler(logOut, nil))
	db, err := openStore(ctx, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()

	users := platform.NewUsers(db, time.Now)
	token, err := users.Bootstrap(ctx, cfg.AdminUsername, cfg.AdminToken)
	if err != nil {
		return fmt.Errorf("create first user: %w", err)
	}
	if token != "" && cfg.AdminToken == "" {
		path := filepath.Join(cfg.DataDir, "admin-token")
		if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
			return fmt.Errorf("write admin token: %w", err)
		}
		logger.Info("created first user", "username", cfg.AdminUsername, "token", token, "token_file", path)
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	addr := ln.Addr().String()
	public := cmp.Or(cfg.PublicURL, "http://"+addr)
	p, err := platform.New(platform.Config{
		DataDir: cfg.DataDir, WorkDir: cfg.WorkDir, CacheDir: cfg.BuildCacheDir, APIURL: "http://" + loopback(addr), PublicURL: public,
		RunMemoryMbytes: cfg.RunMemoryMbytes, Path: cfg.Getenv("PATH"), BuildEnv: buildEnv(cfg.Getenv),
		BuildUser:      process.Unprivileged(),
		WebhookTimeout: cfg.Webhooks.Timeout, WebhookMaxRetries: noneAsNegative(cfg.Webhooks.MaxRetries), WebhookRetryBase: cfg.Webhooks.RetryBase,
	}, db, process.New(logger, process.Options{Isolation: cfg.Isolation}), logger, time.Now)
	if err != nil {
		return err
	}
	// Runs end before the HTTP server stops: their actors may still call
	// the API while they are aborted, and the requests waiting for them
	// (run-sync, waitForFinish, log streams) get their answer.
	closePlatform := sync.OnceFunc(p.Close)
	defer closePlatform()
	if err := p.Recover(ctx); err != nil {
		return err
	}
	logger.Info("runs", "memory_mb", cfg.RunMemoryMbytes, "work_dir", p.WorkDir)
	handler := api.NewServer(api.Config{PublicURL: public, SyncTimeout: cfg.SyncTimeout}, logger, api.Services{
		Users: p.Users, Storages: p.Storages, Actors: p.Actors, Tasks: p.Tasks, Builds: p.Builds, Runs: p.Runs, Logs: p.Logs, Webhooks: p.Webhooks,
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", addr, "data_dir", cfg.DataDir)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	closePlatform()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// loopback turns a listen address into one runs can dial: a wildcard host
// becomes 127.0.0.1.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// buildEnv is what build tools (npm, git) get of the server's
// environment besides PATH: where home is, and how to reach registries.
func buildEnv(getenv func(string) string) []string {
	var env []string
	for _, k := range []string{"HOME", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
		"npm_config_cache", "npm_config_registry", "SSL_CERT_FILE", "SSL_CERT_DIR", "LANG"} {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// envCount is envInt that also takes 0.
func envCount(getenv func(string) string, key string, def int) int {
	if n, err := strconv.Atoi(getenv(key)); err == nil && n >= 0 {
		return n
	}
	return def
}

// noneAsNegative turns a count where 0 means none into platform's
// convention (0: the default, negative: none).
func noneAsNegative(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func envInt(getenv func(string) string, key string, def int) int {
	if n, err := strconv.Atoi(getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}

// defaultRunMemory is the machine's memory minus a reserve for the server
// and the system (a quarter, at most 4 GB, at least 1 GB).
func defaultRunMemory() int {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 4096
	}
	var kb int
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "MemTotal:") {
			kb, _ = strconv.Atoi(strings.Fields(line)[1])
		}
	}
	total := kb / 1024
	reserve := min(max(total/4, 1024), 4096)
	return max(total-reserve, 512)
}
