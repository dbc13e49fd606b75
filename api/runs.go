package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/actord/actord"
	"github.com/actord/actord/events"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/storage"
)

// startOptions reads the run options of a start request: query parameters
// and the body, which becomes the run's input with its Content-Type.
func startOptions(r *http.Request) (platform.StartOptions, *query, error) {
	q := newQuery(r)
	o := platform.StartOptions{Build: q.str("build"), Origin: origin(r), UserAgent: r.UserAgent()}
	if q.has("timeout") {
		t := q.int("timeout", 0, 1<<53)
		o.TimeoutSecs = &t
	}
	if q.has("memory") {
		o.MemoryMbytes = int(q.int("memory", 0, 1<<20))
	}
	if q.has("maxItems") {
		n := q.int("maxItems", 0, 1<<53)
		o.MaxItems = &n
	}
	if q.has("maxTotalChargeUsd") {
		v, err := strconv.ParseFloat(q.str("maxTotalChargeUsd"), 64)
		if err != nil || v < 0 {
			q.fail("maxTotalChargeUsd", "must be a non-negative number")
		}
		o.MaxTotalChargeUsd = &v
	}
	if q.has("restartOnError") {
		b := q.bool("restartOnError", false)
		o.RestartOnError = &b
	}
	if w := q.str("webhooks"); w != "" {
		raw, err := base64.StdEncoding.DecodeString(w)
		if err != nil {
			raw, err = base64.URLEncoding.DecodeString(w)
		}
		var list []json.RawMessage
		if err != nil || json.Unmarshal(raw, &list) != nil {
			q.fail("webhooks", "must be a base64-encoded JSON array of webhooks")
		} else if err := platform.ValidateAdHocWebhooks(raw); err != nil && q.err == nil {
			q.err = err
		}
		o.Webhooks = raw
	}
	if q.err != nil {
		return o, q, q.err
	}
	body, err := readBody(r, MaxBodyBytes)
	if err != nil {
		return o, q, err
	}
	if len(body) > 0 {
		o.Input, o.ContentType = body, r.Header.Get("Content-Type")
		if mt := strings.ToLower(o.ContentType); mt == "" || strings.HasPrefix(mt, "application/x-www-form-urlencoded") {
			o.ContentType = "application/json"
		}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		o.ClientIP = host
	}
	return o, q, nil
}

func (s *Server) handleRunStart() handlerFunc { return s.handleStart(s.actorTarget) }

// actorTarget runs the {actorId} actor with the request's input.
func (s *Server) actorTarget(r *http.Request, o platform.StartOptions) (*actord.Actor, platform.StartOptions, error) {
	a, err := s.actorRef(r)
	return a, o, err
}

// startTarget resolves what a start request runs: the actor, and the
// request's options as that actor (or task) completes them.
type startTarget func(r *http.Request, o platform.StartOptions) (*actord.Actor, platform.StartOptions, error)

// handleStart starts a run of what target resolves, waiting for its end
// when the request asks (waitForFinish).
func (s *Server) handleStart(target startTarget) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := requireCaller(r); err != nil {
			return err
		}
		o, q, err := startOptions(r)
		if err != nil {
			return err
		}
		if o.IdempotencyKey, err = idempotencyKey(r); err != nil {
			return err
		}
		wait := waitParam(q)
		if q.err != nil {
			return q.err
		}
		a, o, err := target(r, o)
		if err != nil {
			return err
		}
		run, err := s.runs.Start(r.Context(), caller(r), a, o)
		if err != nil {
			return err
		}
		if wait > 0 {
			if run, err = s.runs.Wait(r.Context(), caller(r), run.ID, wait); err != nil {
				return err
			}
		}
		s.writeCreated(w, "/v2/actor-runs/"+run.ID, run)
		return nil
	}
}

// handleRunList lists the runs of the {actorId} actor, or all the caller's.
func (s *Server) handleRunList(actor bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, pp, err := s.jobList(r, actor)
		if err != nil {
			return err
		}
		list, total, err := s.runs.List(r.Context(), p)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, newPage(total, pp, list))
		return nil
	}
}

// run resolves {runId} to a run the caller owns.
func (s *Server) run(r *http.Request) (*actord.Run, error) {
	u, err := requireCaller(r)
	if err != nil {
		return nil, err
	}
	return s.runs.Get(r.Context(), u, r.PathValue("runId"))
}

func (s *Server) handleRunGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		q := newQuery(r)
		wait := waitParam(q)
		if q.err != nil {
			return q.err
		}
		run, err := s.runs.Wait(r.Context(), u, r.PathValue("runId"), wait)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, run)
		return nil
	}
}

// handleActorRunRoute serves /v2/acts/{actorId}/runs/{runId}… as
// /v2/actor-runs/{runId}…, where runId "last" is the actor's newest run
// (with the status the query asks for).
func (s *Server) handleActorRunRoute() handlerFunc {
	return s.handleScopedRunRoute(func(r *http.Request) (*runScope, error) {
		a, err := s.actorRef(r)
		if err != nil {
			return nil, err
		}
		return &runScope{last: storage.ListParams{UserID: a.UserID, ActID: a.ID},
			has: func(run *actord.Run) bool { return run.ActID == a.ID }}, nil
	})
}

// runScope is the actor or task whose runs a …/runs/{runId} route serves:
// the filter that finds its runs, and whether a run is one of them.
type runScope struct {
	last storage.ListParams
	has  func(*actord.Run) bool
}

// handleScopedRunRoute serves <scope>/runs/{runId}… (a route of six
// segments before the rest: /v2/<collection>/{id}/runs/{runId}) as
// /v2/actor-runs/{runId}…, where runId "last" is the scope's newest run
// (with the status the query asks for). A run outside the scope is not
// found.
func (s *Server) handleScopedRunRoute(scope func(r *http.Request) (*runScope, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		sc, err := scope(r)
		if err != nil {
			return err
		}
		var run *actord.Run
		if id := r.PathValue("runId"); id == "last" {
			status := r.URL.Query().Get("status")
			if status != "" && !actord.ValidStatus(status) {
				return actord.Errorf(actord.ErrInvalidParameter, "Parameter \"status\" must be a job status.")
			}
			p := sc.last
			p.Status = status
			run, err = s.runs.Last(r.Context(), &p)
		} else {
			run, err = s.runs.Get(r.Context(), caller(r), id)
			if err == nil && !sc.has(run) {
				err = actord.NotFound("Actor run")
			}
		}
		if err != nil {
			return err
		}
		// Split the escaped path, so an escaped "/" inside a segment (a
		// record key) stays in its segment.
		rest := ""
		if parts := strings.SplitN(r.URL.EscapedPath(), "/", 7); len(parts) == 7 {
			rest = "/" + parts[6]
		}
		s.reroute(w, r, "/v2/actor-runs/"+run.ID+rest)
		return nil
	}
}

// handleRunStorageRoute serves /v2/actor-runs/{runId}/dataset… (and
// key-value-store…, request-queue…) as the storage routes of the run's
// default storage.
func (s *Server) handleRunStorageRoute(sub string, k storageKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		run, err := s.run(r)
		if err != nil {
			return err
		}
		id := map[actord.StorageKind]string{
			actord.KindDataset: run.DefaultDatasetID, actord.KindKeyValueStore: run.DefaultKeyValueStoreID,
			actord.KindRequestQueue: run.DefaultRequestQueueID,
		}[k.kind]
		path := r.URL.EscapedPath()
		i := strings.Index(path, "/"+sub)
		s.reroute(w, r, k.path+"/"+id+path[i+len(sub)+1:])
		return nil
	}
}

// reroute serves the request as if it had been made to escapedPath.
func (s *Server) reroute(w http.ResponseWriter, r *http.Request, escapedPath string) {
	r2 := r.Clone(r.Context())
	r2.URL.RawPath = escapedPath
	if p, err := urlPathUnescape(escapedPath); err == nil {
		r2.URL.Path = p
	}
	r2.RequestURI = r2.URL.RequestURI()
	s.mux.ServeHTTP(w, r2)
}

// handleRunAction answers a request on the {runId} run with the run that
// act makes of it.
func (s *Server) handleRunAction(act func(r *http.Request, run *actord.Run) (*actord.Run, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		run, err := s.run(r)
		if err != nil {
			return err
		}
		if run, err = act(r, run); err != nil {
			return err
		}
		writeData(w, http.StatusOK, run)
		return nil
	}
}

func (s *Server) handleRunUpdate() handlerFunc {
	return s.handleRunAction(func(r *http.Request, run *actord.Run) (*actord.Run, error) {
		body, err := readJSONObjectBody(r)
		if err != nil {
			return nil, err
		}
		// Actor.exit() sends its final status message and exits a
		// millisecond later: apply it even when the client is gone.
		return s.runs.Update(context.WithoutCancel(r.Context()), run, body)
	})
}

func (s *Server) handleRunAbort() handlerFunc {
	return s.handleRunAction(func(r *http.Request, run *actord.Run) (*actord.Run, error) {
		q := newQuery(r)
		graceful := q.bool("gracefully", false)
		if q.err != nil {
			return nil, q.err
		}
		if actord.IsTerminal(run.Status) {
			return run, nil
		}
		return s.runs.Abort(context.WithoutCancel(r.Context()), run, graceful)
	})
}

func (s *Server) handleRunReboot() handlerFunc {
	return s.handleRunAction(func(r *http.Request, run *actord.Run) (*actord.Run, error) {
		return s.runs.Reboot(r.Context(), run)
	})
}

func (s *Server) handleRunMetamorph() handlerFunc {
	return s.handleRunAction(func(r *http.Request, run *actord.Run) (*actord.Run, error) {
		q := newQuery(r)
		target := q.str("targetActorId")
		if target == "" {
			return nil, actord.Errorf(actord.ErrParameterRequired, "The \"targetActorId\" parameter is required.")
		}
		a, err := s.actors.ResolveRef(r.Context(), caller(r), target)
		if err != nil {
			return nil, err
		}
		body, err := readBody(r, MaxBodyBytes)
		if err != nil {
			return nil, err
		}
		return s.runs.Metamorph(r.Context(), run, a, q.str("build"), body, r.Header.Get("Content-Type"))
	})
}

func (s *Server) handleRunResurrect() handlerFunc {
	return s.handleRunAction(func(r *http.Request, run *actord.Run) (*actord.Run, error) {
		o, _, err := startOptions(r)
		if err != nil {
			return nil, err
		}
		a, err := s.actors.ResolveRef(r.Context(), caller(r), run.ActID)
		if err != nil {
			return nil, err
		}
		return s.runs.Resurrect(r.Context(), run, a, o)
	})
}

func (s *Server) handleRunCharge() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		run, err := s.run(r)
		if err != nil {
			return err
		}
		body, err := readJSONObjectBody(r)
		if err != nil {
			return err
		}
		if err := s.runs.Charge(r.Context(), run, body); err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	}
}

func (s *Server) handleRunDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, err := s.run(r)
		if err != nil {
			return err
		}
		return actord.Errorf(actord.ErrInvalidRequest, "Deleting runs is not supported; their storages can be deleted.")
	}
}

// handleRunEvents serves the run's platform events websocket
// (ACTOR_EVENTS_WEBSOCKET_URL).
func (s *Server) handleRunEvents() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		run, err := s.run(r)
		if err != nil {
			return err
		}
		err = s.runs.Events().Serve(w, r, run.ID)
		if errors.Is(err, events.ErrUnknownRun) {
			return actord.Errorf(actord.ErrRecordNotFound, "The Actor run is not running.")
		}
		if err != nil {
			s.logger.Debug("events socket", "run_id", run.ID, "err", err)
		}
		return nil
	}
}
