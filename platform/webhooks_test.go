package platform_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
)

// waitDispatch reads a dispatch from the store until ok accepts it.
func (e *env) waitDispatch(id string, ok func(*actord.WebhookDispatch) bool) *actord.WebhookDispatch {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := e.db.WebhookDispatchGet(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("dispatch %s: status %s, %d calls", id, d.Status, len(d.Calls))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWebhookDeliverySurvivesRestart: a dispatch waiting for its retry when
// the service stops is delivered by the next service over the same store.
func TestWebhookDeliverySurvivesRestart(t *testing.T) {
	e := newEnv(t, 1024)
	ctx := context.Background()
	u := e.user("alice")
	a := e.actor(u, "hooked", "true", "")
	var calls atomic.Int32
	got := make(chan struct{}, 10)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
		got <- struct{}{}
	}))
	defer rc.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := platform.WebhookConfig{RetryBase: 500 * time.Millisecond}

	first := platform.NewWebhooks(cfg, e.db, e.p.Actors, logger, time.Now)
	w, err := first.Create(ctx, u, &platform.WebhookInput{EventTypes: []string{actord.EventTest},
		Condition: &actord.WebhookCondition{ActorID: a.ID}, RequestURL: &rc.URL})
	if err != nil {
		t.Fatal(err)
	}
	d, err := first.Test(ctx, u, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	<-got
	e.waitDispatch(d.ID, func(d *actord.WebhookDispatch) bool { return len(d.Calls) == 1 })
	first.Close()
	pending := e.waitDispatch(d.ID, func(*actord.WebhookDispatch) bool { return true })
	if pending.Status != actord.DispatchActive || pending.Private.NextAttemptAt == nil || len(pending.Calls) != 1 {
		t.Fatalf("after the first service stopped: %+v", pending)
	}

	second := platform.NewWebhooks(cfg, e.db, e.p.Actors, logger, time.Now)
	defer second.Close()
	if err := second.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the restarted service did not deliver")
	}
	done := e.waitDispatch(d.ID, func(d *actord.WebhookDispatch) bool { return d.Status != actord.DispatchActive })
	if done.Status != actord.DispatchSucceeded || len(done.Calls) != 2 || *done.Calls[1].ResponseStatus != 200 {
		t.Fatalf("after the restart: %+v", done)
	}
}

// TestWebhookEventsOfJobs: an actor's webhook hears its builds' and runs'
// events; a task's webhook only the runs of that task.
func TestWebhookEventsOfJobs(t *testing.T) {
	e := newEnv(t, 1024)
	ctx := context.Background()
	u := e.user("alice")
	a := e.actor(u, "jobs", "exit 3", "")
	events := make(chan string, 20)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		events <- r.Header.Get("X-Apify-Webhook") + " " + readEvent(r)
	}))
	defer rc.Close()
	create := func(cond actord.WebhookCondition, types ...string) string {
		w, err := e.p.Webhooks.Create(ctx, u, &platform.WebhookInput{EventTypes: types, Condition: &cond, RequestURL: &rc.URL,
			PayloadTemplate: ptr(`{"e": {{eventType}}}`)})
		if err != nil {
			t.Fatal(err)
		}
		return w.ID
	}
	// expect receives one event for each of want, in any order.
	expect := func(want map[string]bool) {
		t.Helper()
		for range want {
			select {
			case ev := <-events:
				if !want[ev] {
					t.Fatalf("unexpected event %q", ev)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("missing events")
			}
		}
	}
	onActor := create(actord.WebhookCondition{ActorID: a.ID}, actord.EventRunCreated, actord.EventRunFailed, actord.EventRunSucceeded)
	task, err := e.p.Tasks.Create(ctx, u, []byte(`{"actId":"`+a.ID+`","name":"jobs-task"}`))
	if err != nil {
		t.Fatal(err)
	}
	onTask := create(actord.WebhookCondition{ActorTaskID: "alice~jobs-task"}, actord.EventRunFailed)

	run := e.start(u, a, platform.StartOptions{})
	e.wait(u, run.ID)
	want := map[string]bool{onActor + " ACTOR.RUN.CREATED": true, onActor + " ACTOR.RUN.FAILED": true}
	expect(want)
	taskRun := e.start(u, a, platform.StartOptions{TaskID: task.ID})
	e.wait(u, taskRun.ID)
	want = map[string]bool{onActor + " ACTOR.RUN.CREATED": true, onActor + " ACTOR.RUN.FAILED": true, onTask + " ACTOR.RUN.FAILED": true}
	expect(want)
	list, total, err := e.p.Webhooks.ListForTask(ctx, u, task.ID, 0, 10, false)
	if err != nil || total != 1 || list[0].ID != onTask {
		t.Fatalf("ListForTask: %v %d %v", list, total, err)
	}
	select {
	case ev := <-events:
		t.Fatalf("unexpected event %q", ev)
	case <-time.After(200 * time.Millisecond):
	}
}

func readEvent(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	s := string(b)
	// {"e":"ACTOR.RUN.CREATED"}
	if len(s) > 8 {
		return s[6 : len(s)-2]
	}
	return s
}

func ptr[T any](v T) *T { return &v }
