package api

import (
	"bytes"
	"net/http"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
)

// actor resolves the {actorId} path segment to an actor the caller owns.
func (s *Server) actor(r *http.Request) (*actord.Actor, error) {
	u, err := requireCaller(r)
	if err != nil {
		return nil, err
	}
	return s.actors.Resolve(r.Context(), u, r.PathValue("actorId"))
}

// actorRef is actor without the versions (and their source files), for
// routes that need only the actor's identity, options and tags.
func (s *Server) actorRef(r *http.Request) (*actord.Actor, error) {
	u, err := requireCaller(r)
	if err != nil {
		return nil, err
	}
	return s.actors.ResolveRef(r.Context(), u, r.PathValue("actorId"))
}

func (s *Server) handleActorList() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		q := newQuery(r)
		p := q.page(1000)
		q.bool("my", false) // every listed actor is the caller's own
		if q.err != nil {
			return q.err
		}
		list, total, err := s.actors.List(r.Context(), u, p.Offset, p.Limit, p.Desc)
		if err != nil {
			return err
		}
		items := make([]any, len(list))
		for i, a := range list {
			items[i] = actorShort(a)
		}
		writeData(w, http.StatusOK, newPage(total, p, items))
		return nil
	}
}

// actorShort is an actor in a list (Apify's ActorShort).
func actorShort(a *actord.Actor) any {
	return struct {
		ID         string            `json:"id"`
		CreatedAt  actord.Time       `json:"createdAt"`
		ModifiedAt actord.Time       `json:"modifiedAt"`
		Name       string            `json:"name"`
		Username   string            `json:"username"`
		Title      *string           `json:"title"`
		Stats      actord.ActorStats `json:"stats"`
	}{a.ID, a.CreatedAt, a.ModifiedAt, a.Name, a.Username, a.Title, a.Stats}
}

func (s *Server) handleActorCreate() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		body, err := readJSONObjectBody(r)
		if err != nil {
			return err
		}
		a, err := s.actors.Create(r.Context(), u, body)
		if err != nil {
			return err
		}
		s.writeCreated(w, "/v2/acts/"+a.ID, platform.Redacted(a))
		return nil
	}
}

func (s *Server) handleActorGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, platform.Redacted(a))
		return nil
	}
}

func (s *Server) handleActorUpdate() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		body, err := readJSONObjectBody(r)
		if err != nil {
			return err
		}
		a, err = s.actors.Update(r.Context(), a, body)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, platform.Redacted(a))
		return nil
	}
}

func (s *Server) handleActorDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actorRef(r)
		if err != nil {
			return err
		}
		if err := s.actors.Delete(r.Context(), a); err != nil {
			return err
		}
		writeNoContent(w)
		return nil
	}
}

func (s *Server) handleVersionList() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, struct {
			Total int               `json:"total"`
			Items []*actord.Version `json:"items"`
		}{len(a.Versions), platform.Redacted(a).Versions})
		return nil
	}
}

func (s *Server) handleVersionGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		v := a.Version(r.PathValue("versionNumber"))
		if v == nil {
			return actord.NotFound("Actor version")
		}
		writeData(w, http.StatusOK, platform.RedactedVersion(v))
		return nil
	}
}

// handleVersionPut creates (POST …/versions) or updates (PUT
// …/versions/{versionNumber}) a version.
func (s *Server) handleVersionPut(create bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		body, err := readJSONObjectBody(r)
		if err != nil {
			return err
		}
		v, err := s.actors.PutVersion(r.Context(), a, r.PathValue("versionNumber"), body, create)
		if err != nil {
			return err
		}
		if create {
			s.writeCreated(w, "/v2/acts/"+a.ID+"/versions/"+v.VersionNumber, platform.RedactedVersion(v))
			return nil
		}
		writeData(w, http.StatusOK, platform.RedactedVersion(v))
		return nil
	}
}

func (s *Server) handleVersionDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		if err := s.actors.DeleteVersion(r.Context(), a, r.PathValue("versionNumber")); err != nil {
			return err
		}
		writeNoContent(w)
		return nil
	}
}

func (s *Server) handleEnvVarList() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		v := a.Version(r.PathValue("versionNumber"))
		if v == nil {
			return actord.NotFound("Actor version")
		}
		writeData(w, http.StatusOK, struct {
			Total int             `json:"total"`
			Items []actord.EnvVar `json:"items"`
		}{len(v.EnvVars), platform.RedactedEnvVars(v.EnvVars)})
		return nil
	}
}

func (s *Server) handleEnvVarGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		v := a.Version(r.PathValue("versionNumber"))
		if v == nil {
			return actord.NotFound("Actor version")
		}
		for _, e := range platform.RedactedEnvVars(v.EnvVars) {
			if e.Name == r.PathValue("envVarName") {
				writeData(w, http.StatusOK, e)
				return nil
			}
		}
		return actord.NotFound("Environment variable")
	}
}

func (s *Server) handleEnvVarPut(create bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		body, err := readJSONObjectBody(r)
		if err != nil {
			return err
		}
		e, err := s.actors.PutEnvVar(r.Context(), a, r.PathValue("versionNumber"), r.PathValue("envVarName"), body, create)
		if err != nil {
			return err
		}
		out := platform.RedactedEnvVars([]actord.EnvVar{*e})[0]
		if create {
			s.writeCreated(w, "/v2/acts/"+a.ID+"/versions/"+r.PathValue("versionNumber")+"/env-vars/"+e.Name, out)
			return nil
		}
		writeData(w, http.StatusOK, out)
		return nil
	}
}

func (s *Server) handleEnvVarDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		if err := s.actors.DeleteEnvVar(r.Context(), a, r.PathValue("versionNumber"), r.PathValue("envVarName")); err != nil {
			return err
		}
		writeNoContent(w)
		return nil
	}
}

// readJSONObjectBody reads a JSON object request body (nil when empty).
func readJSONObjectBody(r *http.Request) ([]byte, error) {
	b, err := readJSONBody(r)
	if err != nil || b == nil {
		return nil, err
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, actord.Errorf(actord.ErrInvalidRequest, "The request body must be a JSON object.")
	}
	return b, nil
}

// writeNoContent answers 204 as Apify's actor routes do: declared as JSON,
// with no body (a 204 has none).
func writeNoContent(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusNoContent)
}
