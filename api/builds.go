package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

// buildJSON is a build as clients see it.
func buildJSON(b *actord.Build) any {
	var schema *string
	if b.Private.InputSchema != nil {
		s := string(b.Private.InputSchema)
		schema = &s
	}
	return struct {
		*actord.Build
		InputSchema     *string         `json:"inputSchema"`
		Readme          *string         `json:"readme"`
		ActorDefinition json.RawMessage `json:"actorDefinition,omitempty"`
	}{b, schema, nullable(b.Private.Readme), b.Private.Definition}
}

// waitParam reads waitForFinish (seconds, capped at 60).
func waitParam(q *query) time.Duration {
	return time.Duration(q.int("waitForFinish", 0, 1<<31)) * time.Second
}

func (s *Server) handleBuildStart() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		q := newQuery(r)
		useCache := q.bool("useCache", true)
		wait := waitParam(q)
		q.bool("betaPackages", false)
		if q.err != nil {
			return q.err
		}
		b, err := s.builds.Start(r.Context(), a, q.str("version"), q.str("tag"), useCache, origin(r))
		if err != nil {
			return err
		}
		if wait > 0 {
			if b, err = s.builds.Wait(r.Context(), caller(r), b.ID, wait); err != nil {
				return err
			}
		}
		s.writeCreated(w, "/v2/actor-builds/"+b.ID, buildJSON(b))
		return nil
	}
}

// handleBuildList lists the builds of the {actorId} actor, or all of the
// caller's builds (actor false).
func (s *Server) handleBuildList(actor bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, pp, err := s.jobList(r, actor)
		if err != nil {
			return err
		}
		list, total, err := s.builds.List(r.Context(), p)
		if err != nil {
			return err
		}
		items := make([]any, len(list))
		for i, b := range list {
			items[i] = struct {
				ID            string         `json:"id"`
				ActID         string         `json:"actId"`
				Status        string         `json:"status"`
				StartedAt     actord.Time    `json:"startedAt"`
				FinishedAt    *actord.Time   `json:"finishedAt"`
				BuildNumber   string         `json:"buildNumber"`
				Meta          actord.JobMeta `json:"meta"`
				UsageTotalUsd float64        `json:"usageTotalUsd"`
			}{b.ID, b.ActID, b.Status, b.StartedAt, b.FinishedAt, b.BuildNumber, b.Meta, 0}
		}
		writeData(w, http.StatusOK, newPage(total, pp, items))
		return nil
	}
}

func (s *Server) handleBuildGet() handlerFunc {
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
		b, err := s.builds.Wait(r.Context(), u, r.PathValue("buildId"), wait)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, buildJSON(b))
		return nil
	}
}

// handleBuildDefault returns the build the actor's default run options name.
func (s *Server) handleBuildDefault() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actorRef(r)
		if err != nil {
			return err
		}
		q := newQuery(r)
		wait := waitParam(q)
		if q.err != nil {
			return q.err
		}
		b, err := s.builds.Find(r.Context(), a, "")
		if err != nil {
			return err
		}
		if b, err = s.builds.Wait(r.Context(), caller(r), b.ID, wait); err != nil {
			return err
		}
		writeData(w, http.StatusOK, buildJSON(b))
		return nil
	}
}

func (s *Server) handleBuildAbort() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		b, err := s.builds.Get(r.Context(), u, r.PathValue("buildId"))
		if err != nil {
			return err
		}
		if b, err = s.builds.Abort(r.Context(), b); err != nil {
			return err
		}
		writeData(w, http.StatusOK, buildJSON(b))
		return nil
	}
}

// origin is the meta.origin of a job started by this request.
func origin(r *http.Request) string {
	if r.Header.Get("X-Actord-Origin") == actord.OriginCLI {
		return actord.OriginCLI
	}
	return actord.OriginAPI
}

// jobList reads what a build or run list selects: the caller's jobs, of
// the {actorId} actor when actor is set, a page of them, and the status
// (runs).
func (s *Server) jobList(r *http.Request, actor bool) (*storage.ListParams, *pageParams, error) {
	u, err := requireCaller(r)
	if err != nil {
		return nil, nil, err
	}
	p := &storage.ListParams{UserID: u.ID}
	if actor {
		a, err := s.actorRef(r)
		if err != nil {
			return nil, nil, err
		}
		p.ActID = a.ID
	}
	q := newQuery(r)
	pp := q.page(1000)
	p.Offset, p.Limit, p.Desc = pp.Offset, pp.Limit, pp.Desc
	p.Status = q.str("status")
	if p.Status != "" && !actord.ValidStatus(p.Status) {
		q.fail("status", "must be one of READY, RUNNING, SUCCEEDED, FAILED, TIMING-OUT, TIMED-OUT, ABORTING, ABORTED")
	}
	return p, pp, q.err
}
