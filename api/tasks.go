package api

import (
	"net/http"
	"strconv"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/storage"
)

// task resolves the {actorTaskId} path segment to a task the caller owns.
func (s *Server) task(r *http.Request) (*actord.Task, error) {
	u, err := requireCaller(r)
	if err != nil {
		return nil, err
	}
	return s.tasks.Resolve(r.Context(), u, r.PathValue("actorTaskId"))
}

func (s *Server) handleTaskList() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		q := newQuery(r)
		p := q.page(1000)
		if q.err != nil {
			return q.err
		}
		list, total, err := s.tasks.List(r.Context(), u, p.Offset, p.Limit, p.Desc)
		if err != nil {
			return err
		}
		// Each actor is read once, whatever the number of its tasks.
		actors := map[string]*actord.Actor{}
		items := make([]any, len(list))
		for i, t := range list {
			a, ok := actors[t.ActID]
			if !ok {
				if a, err = s.actors.ResolveRef(r.Context(), u, t.ActID); err != nil && actord.ErrorType(err) != actord.ErrRecordNotFound {
					return err
				}
				actors[t.ActID] = a
			}
			items[i] = taskShort(t, a)
		}
		writeData(w, http.StatusOK, newPage(total, p, items))
		return nil
	}
}

// taskShort is a task in a list (Apify's TaskShort); a is its actor, nil
// when it cannot be read.
func taskShort(t *actord.Task, a *actord.Actor) any {
	var actName, actUsername *string
	if a != nil {
		actName, actUsername = &a.Name, &a.Username
	}
	return struct {
		ID          string           `json:"id"`
		UserID      string           `json:"userId"`
		ActID       string           `json:"actId"`
		ActName     *string          `json:"actName"`
		Name        string           `json:"name"`
		Username    string           `json:"username"`
		ActUsername *string          `json:"actUsername"`
		Title       *string          `json:"title"`
		CreatedAt   actord.Time      `json:"createdAt"`
		ModifiedAt  actord.Time      `json:"modifiedAt"`
		Stats       actord.TaskStats `json:"stats"`
	}{t.ID, t.UserID, t.ActID, actName, t.Name, t.Username, actUsername, t.Title, t.CreatedAt, t.ModifiedAt, t.Stats}
}

func (s *Server) handleTaskCreate() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		body, err := readJSONObjectBody(r)
		if err != nil {
			return err
		}
		t, err := s.tasks.Create(r.Context(), u, body)
		if err != nil {
			return err
		}
		s.writeCreated(w, "/v2/actor-tasks/"+t.ID, t)
		return nil
	}
}

func (s *Server) handleTaskGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := s.task(r)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, t)
		return nil
	}
}

func (s *Server) handleTaskUpdate() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := s.task(r)
		if err != nil {
			return err
		}
		body, err := readJSONObjectBody(r)
		if err != nil {
			return err
		}
		if t, err = s.tasks.Update(r.Context(), t, body); err != nil {
			return err
		}
		writeData(w, http.StatusOK, t)
		return nil
	}
}

func (s *Server) handleTaskDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := s.task(r)
		if err != nil {
			return err
		}
		if err := s.tasks.Delete(r.Context(), t); err != nil {
			return err
		}
		writeNoContent(w)
		return nil
	}
}

// handleTaskInput answers GET (the saved input) and PUT (body merged into
// it) …/input with the raw input object, not in a data envelope, as Apify
// does.
func (s *Server) handleTaskInput(update bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := s.task(r)
		if err != nil {
			return err
		}
		input := s.tasks.Input(t)
		if update {
			body, err := readJSONObjectBody(r)
			if err != nil {
				return err
			}
			if input, err = s.tasks.UpdateInput(r.Context(), t, body); err != nil {
				return err
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(input)))
		w.WriteHeader(http.StatusOK)
		w.Write(input)
		return nil
	}
}

// handleTaskRunStart starts a run of the task: its saved input with the
// body's members over it, its options under the request's (see
// platform.Tasks.StartOptions).
func (s *Server) handleTaskRunStart() handlerFunc { return s.handleStart(s.taskTarget) }

// taskTarget runs the {actorTaskId} task's actor with the task's input
// (overridden by the request's) and options.
func (s *Server) taskTarget(r *http.Request, o platform.StartOptions) (*actord.Actor, platform.StartOptions, error) {
	t, err := s.task(r)
	if err != nil {
		return nil, o, err
	}
	return s.tasks.StartOptions(r.Context(), caller(r), t, o)
}

func (s *Server) handleTaskRunList() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := s.task(r)
		if err != nil {
			return err
		}
		p, pp, err := s.jobList(r, false)
		if err != nil {
			return err
		}
		p.TaskID = t.ID
		list, total, err := s.runs.List(r.Context(), p)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, newPage(total, pp, list))
		return nil
	}
}

// handleTaskRunRoute serves /v2/actor-tasks/{actorTaskId}/runs/{runId}…
// (and runs/last…) as /v2/actor-runs/{runId}….
func (s *Server) handleTaskRunRoute() handlerFunc {
	return s.handleScopedRunRoute(func(r *http.Request) (*runScope, error) {
		t, err := s.task(r)
		if err != nil {
			return nil, err
		}
		return &runScope{last: storage.ListParams{UserID: t.UserID, TaskID: t.ID},
			has: func(run *actord.Run) bool { return run.ActorTaskID != nil && *run.ActorTaskID == t.ID }}, nil
	})
}
