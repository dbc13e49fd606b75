package actord

import (
	"encoding/json"
	"time"
)

// Webhook event types (Apify's WEBHOOK_EVENT_TYPES). Event names spell
// TIMED_OUT with an underscore where job statuses have TIMED-OUT.
const (
	EventRunCreated     = "ACTOR.RUN.CREATED"
	EventRunSucceeded   = "ACTOR.RUN.SUCCEEDED"
	EventRunFailed      = "ACTOR.RUN.FAILED"
	EventRunAborted     = "ACTOR.RUN.ABORTED"
	EventRunTimedOut    = "ACTOR.RUN.TIMED_OUT"
	EventRunResurrected = "ACTOR.RUN.RESURRECTED"
	EventBuildCreated   = "ACTOR.BUILD.CREATED"
	EventBuildSucceeded = "ACTOR.BUILD.SUCCEEDED"
	EventBuildFailed    = "ACTOR.BUILD.FAILED"
	EventBuildAborted   = "ACTOR.BUILD.ABORTED"
	EventBuildTimedOut  = "ACTOR.BUILD.TIMED_OUT"
	EventTest           = "TEST"
)

const (
	webhookActionHTTP = "HTTP_REQUEST"
	jobEventPrefix    = "ACTOR."
)

// ValidEventType reports whether s is one of the webhook event types.
func ValidEventType(s string) bool {
	switch s {
	case EventRunCreated, EventRunSucceeded, EventRunFailed, EventRunAborted, EventRunTimedOut, EventRunResurrected,
		EventBuildCreated, EventBuildSucceeded, EventBuildFailed, EventBuildAborted, EventBuildTimedOut, EventTest:
		return true
	}
	return false
}

// TerminalEvent is the event a job's terminal status fires: "RUN" or
// "BUILD" and SUCCEEDED, FAILED, ABORTED or TIMED-OUT; "" for any other
// status.
func TerminalEvent(job, status string) string {
	switch status {
	case StatusSucceeded:
		return jobEventPrefix + job + ".SUCCEEDED"
	case StatusFailed:
		return jobEventPrefix + job + ".FAILED"
	case StatusAborted:
		return jobEventPrefix + job + ".ABORTED"
	case StatusTimedOut:
		return jobEventPrefix + job + ".TIMED_OUT"
	}
	return ""
}

// Webhook is an HTTP request the platform sends when an event of an
// actor, a task or (ad hoc) a single run happens. Its JSON form is Apify's
// Webhook object; the list form (WebhookShort) adds isApifyIntegration,
// isEnabled and actionType, which are constant here and always sent.
type Webhook struct {
	ID                       string               `json:"id"`
	CreatedAt                Time                 `json:"createdAt"`
	ModifiedAt               Time                 `json:"modifiedAt"`
	UserID                   string               `json:"userId"`
	IsAdHoc                  bool                 `json:"isAdHoc"`
	IsApifyIntegration       bool                 `json:"isApifyIntegration"`
	IsEnabled                bool                 `json:"isEnabled"`
	ActionType               string               `json:"actionType"`
	ShouldInterpolateStrings bool                 `json:"shouldInterpolateStrings"`
	EventTypes               []string             `json:"eventTypes"`
	Condition                WebhookCondition     `json:"condition"`
	IgnoreSslErrors          bool                 `json:"ignoreSslErrors"`
	DoNotRetry               bool                 `json:"doNotRetry"`
	RequestURL               string               `json:"requestUrl"`
	PayloadTemplate          *string              `json:"payloadTemplate"`
	HeadersTemplate          *string              `json:"headersTemplate"`
	Description              *string              `json:"description"`
	IdempotencyKey           *string              `json:"idempotencyKey,omitempty"`
	LastDispatch             *WebhookLastDispatch `json:"lastDispatch"`
	Stats                    WebhookStats         `json:"stats"`
}

// NewWebhook returns a webhook with the fields every webhook has set.
func NewWebhook(userID string, now time.Time) *Webhook {
	return &Webhook{ID: NewID(), UserID: userID, CreatedAt: At(now), ModifiedAt: At(now), IsEnabled: true,
		ActionType: webhookActionHTTP}
}

// Fires reports whether the webhook is subscribed to the event type.
func (w *Webhook) Fires(eventType string) bool {
	for _, e := range w.EventTypes {
		if e == eventType {
			return true
		}
	}
	return false
}

// WebhookCondition says whose events fire a webhook: exactly one of an
// actor (all its runs and builds), a task (its runs) or, for ad-hoc
// webhooks, one run.
type WebhookCondition struct {
	ActorID     string `json:"actorId,omitempty"`
	ActorTaskID string `json:"actorTaskId,omitempty"`
	ActorRunID  string `json:"actorRunId,omitempty"`
}

// WebhookLastDispatch is the state of a webhook's newest dispatch.
type WebhookLastDispatch struct {
	Status     string `json:"status"`
	FinishedAt *Time  `json:"finishedAt"`
}

// WebhookStats are a webhook's counters.
type WebhookStats struct {
	TotalDispatches int64 `json:"totalDispatches"`
}

// Webhook dispatch statuses.
const (
	DispatchActive    = "ACTIVE"
	DispatchSucceeded = "SUCCEEDED"
	DispatchFailed    = "FAILED"
)

// WebhookDispatch is one event delivered (or being delivered) by one
// webhook, with every HTTP attempt in Calls. The fields after Calls are
// actord's own: persisted, never sent to clients.
type WebhookDispatch struct {
	ID        string                 `json:"id"`
	UserID    string                 `json:"userId"`
	WebhookID string                 `json:"webhookId"`
	CreatedAt Time                   `json:"createdAt"`
	Status    string                 `json:"status"`
	EventType string                 `json:"eventType"`
	EventData json.RawMessage        `json:"eventData"`
	Webhook   WebhookDispatchSummary `json:"webhook"`
	Calls     []WebhookCall          `json:"calls"`
	Private   WebhookDispatchPrivate `json:"-"`
}

// WebhookDispatchSummary is the webhook a dispatch was made by, as it was
// when the event happened.
type WebhookDispatchSummary struct {
	ActionType string           `json:"actionType"`
	Condition  WebhookCondition `json:"condition"`
	RequestURL string           `json:"requestUrl"`
	IsAdHoc    bool             `json:"isAdHoc"`
}

// WebhookCall is one HTTP attempt of a dispatch.
type WebhookCall struct {
	StartedAt      Time    `json:"startedAt"`
	FinishedAt     Time    `json:"finishedAt"`
	ErrorMessage   *string `json:"errorMessage"`
	ResponseStatus *int    `json:"responseStatus"`
	ResponseBody   *string `json:"responseBody"`
}

// WebhookDispatchPrivate is the request a dispatch sends, rendered once
// when the event happened (so a retry after a restart sends the same
// bytes), and its retry state.
type WebhookDispatchPrivate struct {
	Body            json.RawMessage `json:"body"`
	Headers         [][2]string     `json:"headers,omitempty"`
	IgnoreSslErrors bool            `json:"ignoreSslErrors,omitempty"`
	DoNotRetry      bool            `json:"doNotRetry,omitempty"`
	// Attempts is the number of calls made; NextAttemptAt when the next
	// one is due (nil once the dispatch has ended).
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
}
