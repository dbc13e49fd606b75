// Package api is actord's HTTP layer: the Apify API v2 routes, request
// decoding, auth and the response envelopes. Platform services do the work.
package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/actord/actord/platform"
)

// Config configures the HTTP API.
type Config struct {
	// PublicURL is the origin clients reach the server at, used in the
	// links the API returns (Location headers, consoleUrl, …).
	PublicURL string
	// SyncTimeout is how long the run-sync routes wait for their run
	// (0: DefaultSyncTimeout, Apify's 300 s).
	SyncTimeout time.Duration
}

// Services are the platform services the API serves.
type Services struct {
	Users    *platform.Users
	Storages *platform.Storages
	Actors   *platform.Actors
	Tasks    *platform.Tasks
	Builds   *platform.Builds
	Runs     *platform.Runs
	Logs     *platform.Logs
	Webhooks *platform.Webhooks
}

// Server routes and serves the API. Build it with NewServer.
type Server struct {
	logger      *slog.Logger
	publicURL   string
	syncTimeout time.Duration
	users       *platform.Users
	storages    *platform.Storages
	actors      *platform.Actors
	tasks       *platform.Tasks
	builds      *platform.Builds
	runs        *platform.Runs
	logs        *platform.Logs
	webhooks    *platform.Webhooks
	mux         *http.ServeMux
}

// NewServer returns the API handler.
func NewServer(cfg Config, logger *slog.Logger, svc Services) http.Handler {
	s := &Server{
		logger:      logger,
		publicURL:   strings.TrimSuffix(cfg.PublicURL, "/"),
		syncTimeout: cfg.SyncTimeout,
		users:       svc.Users,
		storages:    svc.Storages,
		actors:      svc.Actors,
		tasks:       svc.Tasks,
		builds:      svc.Builds,
		runs:        svc.Runs,
		logs:        svc.Logs,
		webhooks:    svc.Webhooks,
		mux:         http.NewServeMux(),
	}
	if s.syncTimeout <= 0 {
		s.syncTimeout = DefaultSyncTimeout
	}
	s.routes()
	var h http.Handler = s.mux
	h = s.authenticate(h)
	h = methodOverride(h)
	h = s.recoverPanics(h)
	return h
}

// handlerFunc is a handler that returns its error for writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}
