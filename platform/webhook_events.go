package platform

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

// JobEvents is told about the events of runs and builds (webhooks listen
// to them). Calls happen after the event is stored, on the goroutine that
// caused it: implementations persist what they need and return quickly.
type JobEvents interface {
	RunEvent(ctx context.Context, eventType string, run *actord.Run)
	BuildEvent(ctx context.Context, eventType string, b *actord.Build)
}

var _ JobEvents = (*Webhooks)(nil)

// RunEvent dispatches a run event to the matching webhooks: the run's
// actor's, its task's and its own ad-hoc ones, all of the run's owner.
// ACTOR.RUN.CREATED first creates the ad-hoc webhooks the run was started
// with.
func (s *Webhooks) RunEvent(ctx context.Context, eventType string, run *actord.Run) {
	ctx = context.WithoutCancel(ctx)
	if eventType == actord.EventRunCreated && len(run.Private.Webhooks) > 0 {
		s.createAdHoc(ctx, run)
	}
	filters := []storage.WebhookListParams{{UserID: run.UserID, ActID: run.ActID}, {UserID: run.UserID, RunID: run.ID}}
	data := map[string]string{"actorId": run.ActID, "actorRunId": run.ID}
	if run.ActorTaskID != nil && *run.ActorTaskID != "" {
		filters = append(filters, storage.WebhookListParams{UserID: run.UserID, TaskID: *run.ActorTaskID})
		data["actorTaskId"] = *run.ActorTaskID
	}
	s.fire(ctx, eventType, filters, data, run)
}

// BuildEvent dispatches a build event to the webhooks of the build's
// actor.
func (s *Webhooks) BuildEvent(ctx context.Context, eventType string, b *actord.Build) {
	ctx = context.WithoutCancel(ctx)
	filters := []storage.WebhookListParams{{UserID: b.UserID, ActID: b.ActID}}
	s.fire(ctx, eventType, filters, map[string]string{"actorId": b.ActID, "actorBuildId": b.ID}, b)
}

// fire creates a dispatch for each webhook the filters find that listens
// to the event. Failures are logged: the job goes on either way.
func (s *Webhooks) fire(ctx context.Context, eventType string, filters []storage.WebhookListParams, eventData map[string]string, resource any) {
	var hooks []*actord.Webhook
	for i := range filters {
		list, _, err := s.store.WebhookList(ctx, &filters[i])
		if err != nil {
			s.logger.Error("find webhooks", "event", eventType, "err", err)
			return
		}
		hooks = append(hooks, list...)
	}
	if len(hooks) == 0 {
		return
	}
	data, err := json.Marshal(eventData)
	if err != nil {
		s.logger.Error("encode webhook event data", "err", err)
		return
	}
	res, err := json.Marshal(resource)
	if err != nil {
		s.logger.Error("encode webhook resource", "err", err)
		return
	}
	for _, w := range hooks {
		if !w.Fires(eventType) {
			continue
		}
		if _, err := s.newDispatch(ctx, w, eventType, data, res); err != nil {
			s.logger.Error("create webhook dispatch", "webhook_id", w.ID, "event", eventType, "err", err)
		}
	}
}

// createAdHoc creates the ad-hoc webhooks a run was started with (checked
// when the start was requested).
func (s *Webhooks) createAdHoc(ctx context.Context, run *actord.Run) {
	list, err := parseAdHocWebhooks(run.Private.Webhooks)
	if err != nil {
		s.logger.Error("ad-hoc webhooks of run", "run_id", run.ID, "err", err)
		return
	}
	owner := &actord.User{ID: run.UserID}
	adHoc := true
	for _, in := range list {
		in.IsAdHoc, in.Condition = &adHoc, &actord.WebhookCondition{ActorRunID: run.ID}
		if _, err := s.Create(ctx, owner, in); err != nil {
			s.logger.Error("create ad-hoc webhook", "run_id", run.ID, "err", err)
		}
	}
}

// newDispatch renders the request of one event for one webhook and stores
// it as an ACTIVE dispatch due now, then schedules its first attempt. A
// template that fails to render (variables are checked on create, so only
// data can make it fail) makes a FAILED dispatch saying why.
func (s *Webhooks) newDispatch(ctx context.Context, w *actord.Webhook, eventType string, eventData, resource json.RawMessage) (*actord.WebhookDispatch, error) {
	now := s.now()
	created, _ := json.Marshal(actord.At(now))
	userID, _ := json.Marshal(w.UserID)
	evType, _ := json.Marshal(eventType)
	vars := map[string]json.RawMessage{"userId": userID, "createdAt": created, "eventType": evType, "eventData": eventData, "resource": resource}
	if eventData == nil {
		vars["eventData"] = json.RawMessage("null")
	}
	d := &actord.WebhookDispatch{ID: actord.NewID(), UserID: w.UserID, WebhookID: w.ID, CreatedAt: actord.At(now),
		Status: actord.DispatchActive, EventType: eventType, EventData: eventData,
		Webhook: actord.WebhookDispatchSummary{ActionType: w.ActionType, Condition: w.Condition, RequestURL: w.RequestURL, IsAdHoc: w.IsAdHoc},
		Calls:   []actord.WebhookCall{},
		Private: actord.WebhookDispatchPrivate{IgnoreSslErrors: w.IgnoreSslErrors, DoNotRetry: w.DoNotRetry, NextAttemptAt: &now}}
	err := s.render(w, vars, &d.Private)
	if err != nil {
		msg := err.Error()
		d.Status, d.Private.NextAttemptAt = actord.DispatchFailed, nil
		d.Calls = append(d.Calls, actord.WebhookCall{StartedAt: actord.At(now), FinishedAt: actord.At(now), ErrorMessage: &msg})
	}
	if err := s.store.WebhookDispatchInsert(ctx, d); err != nil {
		return nil, fmt.Errorf("store webhook dispatch: %w", err)
	}
	if d.Status == actord.DispatchActive {
		s.schedule(d.ID, now)
	}
	return d, nil
}

// render fills the webhook's templates into the dispatch's request.
func (s *Webhooks) render(w *actord.Webhook, vars map[string]json.RawMessage, p *actord.WebhookDispatchPrivate) error {
	tmpl := DefaultPayloadTemplate
	if w.PayloadTemplate != nil && *w.PayloadTemplate != "" {
		tmpl = *w.PayloadTemplate
	}
	body, err := renderTemplate(tmpl, vars, w.ShouldInterpolateStrings)
	if err != nil {
		return fmt.Errorf("payload template: %w", err)
	}
	p.Body = body
	if w.HeadersTemplate != nil && *w.HeadersTemplate != "" {
		if p.Headers, err = renderHeaders(*w.HeadersTemplate, vars, w.ShouldInterpolateStrings); err != nil {
			return fmt.Errorf("headers template: %w", err)
		}
	}
	return nil
}

// notifyRun and notifyBuild tell events to an optional listener.
func notifyRun(n JobEvents, ctx context.Context, eventType string, run *actord.Run) {
	if n != nil && eventType != "" {
		n.RunEvent(ctx, eventType, run)
	}
}

func notifyBuild(n JobEvents, ctx context.Context, eventType string, b *actord.Build) {
	if n != nil && eventType != "" {
		n.BuildEvent(ctx, eventType, b)
	}
}
