package api

import (
	"context"
	"net/http"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
)

// webhookPage reads offset/limit/desc of a webhook or dispatch list.
func webhookPage(r *http.Request) (*pageParams, error) {
	q := newQuery(r)
	p := q.page(1000)
	return p, q.err
}

func (s *Server) handleWebhookList() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		p, err := webhookPage(r)
		if err != nil {
			return err
		}
		list, total, err := s.webhooks.List(r.Context(), u, p.Offset, p.Limit, p.Desc)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, newPage(total, p, list))
		return nil
	}
}

// handleActorWebhookList lists the webhooks of the {actorId} actor.
func (s *Server) handleActorWebhookList() handlerFunc {
	return s.handleWebhookListOf(func(r *http.Request) (string, string, error) {
		a, err := s.actorRef(r)
		if err != nil {
			return "", "", err
		}
		return "actor", a.ID, nil
	})
}

// handleTaskWebhookList lists the webhooks of the {actorTaskId} task.
func (s *Server) handleTaskWebhookList() handlerFunc {
	return s.handleWebhookListOf(func(r *http.Request) (string, string, error) {
		t, err := s.task(r)
		if err != nil {
			return "", "", err
		}
		return "task", t.ID, nil
	})
}

// handleWebhookListOf lists the webhooks whose condition names the actor
// or task of the path, which of resolves (the caller's own, or 404).
func (s *Server) handleWebhookListOf(of func(r *http.Request) (kind, id string, err error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		kind, id, err := of(r)
		if err != nil {
			return err
		}
		p, err := webhookPage(r)
		if err != nil {
			return err
		}
		list := s.webhooks.ListForActor
		if kind == "task" {
			list = s.webhooks.ListForTask
		}
		hooks, total, err := list(r.Context(), caller(r), id, p.Offset, p.Limit, p.Desc)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, newPage(total, p, hooks))
		return nil
	}
}

func (s *Server) handleWebhookCreate() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		var in platform.WebhookInput
		if err := decodeJSONObject(r, &in); err != nil {
			return err
		}
		hook, err := s.webhooks.Create(r.Context(), u, &in)
		if err != nil {
			return err
		}
		s.writeCreated(w, "/v2/webhooks/"+hook.ID, hook)
		return nil
	}
}

// serveByID serves a route that reads the caller's resource named by a
// path parameter through get and writes it with status.
func serveByID[T any](param string, status int, get func(context.Context, *actord.User, string) (T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		v, err := get(r.Context(), u, r.PathValue(param))
		if err != nil {
			return err
		}
		writeData(w, status, v)
		return nil
	}
}

func (s *Server) handleWebhookGet() handlerFunc {
	return serveByID("webhookId", http.StatusOK, s.webhooks.Get)
}

func (s *Server) handleWebhookUpdate() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		var in platform.WebhookInput
		if err := decodeJSONObject(r, &in); err != nil {
			return err
		}
		hook, err := s.webhooks.Update(r.Context(), u, r.PathValue("webhookId"), &in)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, hook)
		return nil
	}
}

func (s *Server) handleWebhookDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		if err := s.webhooks.Delete(r.Context(), u, r.PathValue("webhookId")); err != nil {
			return err
		}
		writeNoContent(w)
		return nil
	}
}

func (s *Server) handleWebhookTest() handlerFunc {
	return serveByID("webhookId", http.StatusCreated, s.webhooks.Test)
}

// handleWebhookDispatchList lists the caller's dispatches, or those of the
// {webhookId} webhook.
func (s *Server) handleWebhookDispatchList(ofWebhook bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		p, err := webhookPage(r)
		if err != nil {
			return err
		}
		var webhookID string
		if ofWebhook {
			webhookID = r.PathValue("webhookId")
		}
		list, total, err := s.webhooks.ListDispatches(r.Context(), u, webhookID, p.Offset, p.Limit, p.Desc)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, newPage(total, p, list))
		return nil
	}
}

func (s *Server) handleWebhookDispatchGet() handlerFunc {
	return serveByID("dispatchId", http.StatusOK, s.webhooks.GetDispatch)
}
