package platform

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

// WebhookConfig configures webhook delivery.
type WebhookConfig struct {
	// Timeout bounds one HTTP attempt (0: 2 minutes, as Apify).
	Timeout time.Duration
	// MaxRetries is how many times a failed delivery is retried after
	// the first attempt (0: Apify's 11; negative: never).
	MaxRetries int
	// RetryBase is the delay before the first retry; each next one waits
	// twice as long (0: 1 minute).
	RetryBase time.Duration
	// OwnURLs are the origins the server itself answers at (its API URL
	// and public URL): delivery to them is refused, so a webhook can never
	// make the server call its own API.
	OwnURLs []string
	// Concurrency bounds the attempts in flight (0: 16).
	Concurrency int
}

// Webhooks manages webhooks and delivers their dispatches: persisted
// before the first attempt, retried with exponential backoff, scheduled
// again after a restart (Recover).
type Webhooks struct {
	cfg    WebhookConfig
	store  storage.Store
	actors *Actors
	tasks  *Tasks // nil: task conditions are not checked
	logger *slog.Logger
	now    func() time.Time
	// clients send webhook requests: one verifies TLS, the other is for
	// webhooks with ignoreSslErrors.
	client, insecureClient *http.Client

	mu       sync.Mutex
	due      map[string]time.Time // dispatch ID → next attempt, not in flight
	inFlight map[string]bool
	wake     chan struct{}
	sem      chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// NewWebhooks returns the webhook service with its delivery scheduler
// running; Close stops it.
func NewWebhooks(cfg WebhookConfig, store storage.Store, actors *Actors, logger *slog.Logger, now func() time.Time) *Webhooks {
	cfg.Timeout = cmp.Or(cfg.Timeout, 2*time.Minute)
	cfg.RetryBase = cmp.Or(cfg.RetryBase, time.Minute)
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 16)
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = 11
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	guard := newOwnAddressGuard(cfg.OwnURLs)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Webhooks{cfg: cfg, store: store, actors: actors, logger: logger, now: now,
		client: newWebhookClient(guard, false), insecureClient: newWebhookClient(guard, true),
		due: map[string]time.Time{}, inFlight: map[string]bool{}, wake: make(chan struct{}, 1),
		sem: make(chan struct{}, cfg.Concurrency), ctx: ctx, cancel: cancel}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.scheduler()
	}()
	return s
}

// WebhookInput is the body of a webhook create or update (and one item of
// the ad-hoc webhooks parameter): absent members are nil.
type WebhookInput struct {
	IsAdHoc                  *bool                    `json:"isAdHoc"`
	EventTypes               []string                 `json:"eventTypes"`
	Condition                *actord.WebhookCondition `json:"condition"`
	IdempotencyKey           *string                  `json:"idempotencyKey"`
	IgnoreSslErrors          *bool                    `json:"ignoreSslErrors"`
	DoNotRetry               *bool                    `json:"doNotRetry"`
	RequestURL               *string                  `json:"requestUrl"`
	PayloadTemplate          *string                  `json:"payloadTemplate"`
	HeadersTemplate          *string                  `json:"headersTemplate"`
	Description              *string                  `json:"description"`
	ShouldInterpolateStrings *bool                    `json:"shouldInterpolateStrings"`
}

// apply copies what the input sets onto w.
func (in *WebhookInput) apply(w *actord.Webhook) {
	setIf(&w.IsAdHoc, in.IsAdHoc)
	if in.EventTypes != nil {
		w.EventTypes = in.EventTypes
	}
	setIf(&w.Condition, in.Condition)
	setIf(&w.IgnoreSslErrors, in.IgnoreSslErrors)
	setIf(&w.DoNotRetry, in.DoNotRetry)
	setIf(&w.RequestURL, in.RequestURL)
	setIf(&w.ShouldInterpolateStrings, in.ShouldInterpolateStrings)
	for _, f := range []struct{ dst, src **string }{{&w.PayloadTemplate, &in.PayloadTemplate},
		{&w.HeadersTemplate, &in.HeadersTemplate}, {&w.Description, &in.Description}} {
		if *f.src != nil {
			*f.dst = *f.src
		}
	}
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// Create creates a webhook of the caller. With an idempotency key the
// caller has used before, it returns that webhook instead. Errors:
// invalid-value for a bad field, record-not-found when the condition
// names an actor or run the caller does not own.
func (s *Webhooks) Create(ctx context.Context, caller *actord.User, in *WebhookInput) (*actord.Webhook, error) {
	if in.IdempotencyKey != nil && *in.IdempotencyKey != "" {
		w, err := s.store.WebhookGetByIdempotencyKey(ctx, caller.ID, *in.IdempotencyKey)
		if err == nil {
			return w, nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("find webhook by idempotency key: %w", err)
		}
	}
	w := actord.NewWebhook(caller.ID, s.now())
	in.apply(w)
	if in.IdempotencyKey != nil && *in.IdempotencyKey != "" {
		w.IdempotencyKey = in.IdempotencyKey
	}
	if err := s.check(ctx, caller, w); err != nil {
		return nil, err
	}
	if err := s.store.WebhookInsert(ctx, w); err != nil {
		if errors.Is(err, storage.ErrConflict) && w.IdempotencyKey != nil {
			// A concurrent create with the same key won.
			return s.store.WebhookGetByIdempotencyKey(ctx, caller.ID, *w.IdempotencyKey)
		}
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

// Get returns a webhook the caller owns (record-not-found otherwise).
func (s *Webhooks) Get(ctx context.Context, caller *actord.User, id string) (*actord.Webhook, error) {
	w, err := s.store.WebhookGet(ctx, id)
	return owned(w, err, caller, func(w *actord.Webhook) string { return w.UserID }, "Webhook")
}

// Update changes the fields the input sets.
func (s *Webhooks) Update(ctx context.Context, caller *actord.User, id string, in *WebhookInput) (*actord.Webhook, error) {
	w, err := s.Get(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	in.apply(w)
	w.ModifiedAt = actord.At(s.now())
	if err := s.check(ctx, caller, w); err != nil {
		return nil, err
	}
	if err := s.store.WebhookUpdate(ctx, w); err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	return w, nil
}

// Delete deletes a webhook and its dispatches.
func (s *Webhooks) Delete(ctx context.Context, caller *actord.User, id string) error {
	if _, err := s.Get(ctx, caller, id); err != nil {
		return err
	}
	if err := s.store.WebhookDelete(ctx, id); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}

// List returns a page of the caller's webhooks.
func (s *Webhooks) List(ctx context.Context, caller *actord.User, offset, limit int64, desc bool) ([]*actord.Webhook, int64, error) {
	return s.list(ctx, &storage.WebhookListParams{UserID: caller.ID, Offset: offset, Limit: limit, Desc: desc})
}

// ListForActor returns a page of the caller's webhooks of an actor (the
// caller's access to the actor is checked by whoever resolved it).
func (s *Webhooks) ListForActor(ctx context.Context, caller *actord.User, actID string, offset, limit int64, desc bool) ([]*actord.Webhook, int64, error) {
	return s.list(ctx, &storage.WebhookListParams{UserID: caller.ID, ActID: actID, Offset: offset, Limit: limit, Desc: desc})
}

// ListForTask returns a page of the caller's webhooks of a task (the
// caller's access to the task is checked by whoever resolved it).
func (s *Webhooks) ListForTask(ctx context.Context, caller *actord.User, taskID string, offset, limit int64, desc bool) ([]*actord.Webhook, int64, error) {
	return s.list(ctx, &storage.WebhookListParams{UserID: caller.ID, TaskID: taskID, Offset: offset, Limit: limit, Desc: desc})
}

func (s *Webhooks) list(ctx context.Context, p *storage.WebhookListParams) ([]*actord.Webhook, int64, error) {
	list, total, err := s.store.WebhookList(ctx, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list webhooks: %w", err)
	}
	return list, total, nil
}

// GetDispatch returns a dispatch the caller owns.
func (s *Webhooks) GetDispatch(ctx context.Context, caller *actord.User, id string) (*actord.WebhookDispatch, error) {
	d, err := s.store.WebhookDispatchGet(ctx, id)
	return owned(d, err, caller, func(d *actord.WebhookDispatch) string { return d.UserID }, "Webhook dispatch")
}

// ListDispatches returns a page of the caller's dispatches, of one
// webhook when webhookID is not "".
func (s *Webhooks) ListDispatches(ctx context.Context, caller *actord.User, webhookID string, offset, limit int64, desc bool) ([]*actord.WebhookDispatch, int64, error) {
	if webhookID != "" {
		if _, err := s.Get(ctx, caller, webhookID); err != nil {
			return nil, 0, err
		}
	}
	list, total, err := s.store.WebhookDispatchList(ctx, &storage.WebhookDispatchListParams{UserID: caller.ID, WebhookID: webhookID,
		Offset: offset, Limit: limit, Desc: desc})
	if err != nil {
		return nil, 0, fmt.Errorf("list webhook dispatches: %w", err)
	}
	return list, total, nil
}

// Test dispatches the TEST event with a dummy payload and returns the
// dispatch (ACTIVE: delivery goes on in the background).
func (s *Webhooks) Test(ctx context.Context, caller *actord.User, id string) (*actord.WebhookDispatch, error) {
	w, err := s.Get(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	resource := map[string]any{"id": actord.NewID(), "userId": w.UserID, "status": actord.StatusSucceeded}
	if w.Condition.ActorID != "" {
		resource["actId"] = w.Condition.ActorID
	}
	raw, _ := json.Marshal(resource)
	d, err := s.newDispatch(ctx, w, actord.EventTest, nil, raw)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// check validates a webhook and that its condition names an actor, task
// or run the caller owns (IDs or username~name refs, stored as IDs).
func (s *Webhooks) check(ctx context.Context, caller *actord.User, w *actord.Webhook) error {
	if err := validateWebhook(w); err != nil {
		return err
	}
	c := &w.Condition
	switch {
	case c.ActorID != "":
		a, err := s.actors.ResolveRef(ctx, caller, c.ActorID)
		if err != nil {
			return err
		}
		c.ActorID = a.ID
	case c.ActorTaskID != "" && s.tasks != nil:
		t, err := s.tasks.Resolve(ctx, caller, c.ActorTaskID)
		if err != nil {
			return err
		}
		c.ActorTaskID = t.ID
	case c.ActorRunID != "":
		r, err := s.store.RunGet(ctx, c.ActorRunID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && r.UserID != caller.ID) {
			return actord.NotFound("Actor run")
		}
		if err != nil {
			return fmt.Errorf("get run: %w", err)
		}
	}
	return nil
}

// validateWebhook checks a webhook's fields (not whether what its
// condition names exists).
func validateWebhook(w *actord.Webhook) error {
	if err := validateDelivery(w.EventTypes, w.RequestURL, w.PayloadTemplate, w.HeadersTemplate, w.ShouldInterpolateStrings); err != nil {
		return err
	}
	c := w.Condition
	set := 0
	for _, v := range []string{c.ActorID, c.ActorTaskID, c.ActorRunID} {
		if v != "" {
			set++
		}
	}
	switch {
	case w.IsAdHoc && (c.ActorRunID == "" || set != 1):
		return actord.Errorf(actord.ErrInvalidValue, "The condition of an ad-hoc webhook must be {\"actorRunId\": …}.")
	case !w.IsAdHoc && (c.ActorRunID != "" || set != 1):
		return actord.Errorf(actord.ErrInvalidValue, "The condition must name exactly one of actorId and actorTaskId (actorRunId only for ad-hoc webhooks).")
	}
	return nil
}

// validateDelivery checks what every webhook, ad-hoc ones included, must
// have right: known event types, an absolute http(s) URL, templates that
// parse with known variables.
func validateDelivery(eventTypes []string, requestURL string, payload, headers *string, interpolate bool) error {
	if len(eventTypes) == 0 {
		return actord.Errorf(actord.ErrInvalidValue, "Field \"eventTypes\" must be a non-empty array of event types.")
	}
	for _, e := range eventTypes {
		if !actord.ValidEventType(e) {
			return actord.Errorf(actord.ErrInvalidValue, "Field \"eventTypes\" contains an unknown event type %q.", e)
		}
	}
	u, err := url.Parse(requestURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return actord.Errorf(actord.ErrInvalidValue, "Field \"requestUrl\" must be an absolute http or https URL.")
	}
	if payload != nil && *payload != "" {
		if _, err := renderTemplate(*payload, nil, interpolate); err != nil {
			return templateError("payloadTemplate", err)
		}
	}
	if headers != nil && *headers != "" {
		if _, err := renderHeaders(*headers, nil, interpolate); err != nil {
			return templateError("headersTemplate", err)
		}
	}
	return nil
}

func templateError(field string, err error) error {
	return actord.Errorf(actord.ErrInvalidValue, "Field %q is not a valid template: %v", field, err)
}

// ValidateAdHocWebhooks checks the ad-hoc webhooks a run is started with
// (the decoded JSON of the base64 "webhooks" parameter), so a bad one is
// a 400 before the run exists. Errors: invalid-parameter.
func ValidateAdHocWebhooks(raw json.RawMessage) error {
	_, err := parseAdHocWebhooks(raw)
	return err
}

func parseAdHocWebhooks(raw json.RawMessage) ([]*WebhookInput, error) {
	var list []*WebhookInput
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, actord.Errorf(actord.ErrInvalidParameter, "Parameter \"webhooks\" must be a base64-encoded JSON array of webhooks: %v", err)
	}
	for i, in := range list {
		if in == nil {
			return nil, actord.Errorf(actord.ErrInvalidParameter, "Parameter \"webhooks\": item %d is not a webhook object.", i)
		}
		err := validateDelivery(in.EventTypes, deref(in.RequestURL), in.PayloadTemplate, in.HeadersTemplate, deref(in.ShouldInterpolateStrings))
		if err != nil {
			msg := err.Error()
			var e *actord.Error
			if errors.As(err, &e) {
				msg = e.Message
			}
			return nil, actord.Errorf(actord.ErrInvalidParameter, "Parameter \"webhooks\": item %d: %s", i, strings.TrimSuffix(msg, "."))
		}
	}
	return list, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
