package storagetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

func newWebhook(t *testing.T, s storage.Store, owner *actord.User, at time.Time, cond actord.WebhookCondition, key string) *actord.Webhook {
	t.Helper()
	w := actord.NewWebhook(owner.ID, at)
	w.EventTypes, w.Condition, w.RequestURL = []string{actord.EventRunSucceeded}, cond, "http://127.0.0.1:9/hook"
	if key != "" {
		w.IdempotencyKey = &key
	}
	if err := s.WebhookInsert(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func ids[T any](list []T, id func(T) string) []string {
	var out []string
	for _, v := range list {
		out = append(out, id(v))
	}
	return out
}

func webhookIDs(list []*actord.Webhook) []string {
	return ids(list, func(w *actord.Webhook) string { return w.ID })
}

func testWebhooks(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u, other := newUser(t, s), newUser(t, s)
	onActor := newWebhook(t, s, u, now, actord.WebhookCondition{ActorID: "A"}, "k1")
	onTask := newWebhook(t, s, u, now.Add(time.Second), actord.WebhookCondition{ActorTaskID: "T"}, "")
	onRun := newWebhook(t, s, u, now.Add(2*time.Second), actord.WebhookCondition{ActorRunID: "R"}, "")
	theirs := newWebhook(t, s, other, now, actord.WebhookCondition{ActorID: "A"}, "k1") // same key, other user

	dup := actord.NewWebhook(u.ID, now)
	key := "k1"
	dup.IdempotencyKey, dup.Condition = &key, actord.WebhookCondition{ActorID: "A"}
	if err := s.WebhookInsert(ctx, dup); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("same idempotency key for the same user: %v, want ErrConflict", err)
	}
	if got, err := s.WebhookGetByIdempotencyKey(ctx, u.ID, "k1"); err != nil || got.ID != onActor.ID {
		t.Fatalf("by idempotency key: %+v, %v", got, err)
	}
	if got, err := s.WebhookGetByIdempotencyKey(ctx, other.ID, "k1"); err != nil || got.ID != theirs.ID {
		t.Fatalf("other user's by idempotency key: %+v, %v", got, err)
	}
	if _, err := s.WebhookGetByIdempotencyKey(ctx, u.ID, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}

	for _, tt := range []struct {
		name string
		p    storage.WebhookListParams
		want []string
	}{
		{"user", storage.WebhookListParams{UserID: u.ID}, []string{onActor.ID, onTask.ID, onRun.ID}},
		{"user desc", storage.WebhookListParams{UserID: u.ID, Desc: true}, []string{onRun.ID, onTask.ID, onActor.ID}},
		{"user paged", storage.WebhookListParams{UserID: u.ID, Offset: 1, Limit: 1}, []string{onTask.ID}},
		{"actor", storage.WebhookListParams{UserID: u.ID, ActID: "A"}, []string{onActor.ID}},
		{"actor, any user", storage.WebhookListParams{ActID: "A"}, []string{onActor.ID, theirs.ID}},
		{"task", storage.WebhookListParams{UserID: u.ID, TaskID: "T"}, []string{onTask.ID}},
		{"run", storage.WebhookListParams{RunID: "R"}, []string{onRun.ID}},
		{"other user", storage.WebhookListParams{UserID: other.ID}, []string{theirs.ID}},
	} {
		list, total, err := s.WebhookList(ctx, &tt.p)
		got := webhookIDs(list)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v (total %d), %v; want %v", tt.name, got, total, err, tt.want)
		}
		if tt.p.Limit == 0 && total != int64(len(tt.want)) {
			t.Errorf("%s: total %d, want %d", tt.name, total, len(tt.want))
		}
	}

	desc := "moved"
	onTask.Condition, onTask.Description = actord.WebhookCondition{ActorID: "B"}, &desc
	if err := s.WebhookUpdate(ctx, onTask); err != nil {
		t.Fatal(err)
	}
	if list, _, err := s.WebhookList(ctx, &storage.WebhookListParams{ActID: "B"}); err != nil || !slices.Equal(webhookIDs(list), []string{onTask.ID}) ||
		*list[0].Description != "moved" {
		t.Fatalf("after update: %v, %v", webhookIDs(list), err)
	}
	if err := s.WebhookDelete(ctx, onRun.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WebhookGet(ctx, onRun.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if err := s.WebhookDelete(ctx, onRun.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := s.WebhookUpdate(ctx, onRun); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("update deleted: %v", err)
	}
}

func newDispatch(t *testing.T, s storage.Store, w *actord.Webhook, at time.Time, next *time.Time) *actord.WebhookDispatch {
	t.Helper()
	d := &actord.WebhookDispatch{ID: actord.NewID(), UserID: w.UserID, WebhookID: w.ID, CreatedAt: actord.At(at),
		Status: actord.DispatchActive, EventType: actord.EventRunSucceeded, EventData: []byte(`{"actorId":"A","actorRunId":"R"}`),
		Private: actord.WebhookDispatchPrivate{Body: []byte(`{"x":1}`), NextAttemptAt: next}}
	if err := s.WebhookDispatchInsert(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

func dispatchIDs(list []*actord.WebhookDispatch) []string {
	return ids(list, func(d *actord.WebhookDispatch) string { return d.ID })
}

func testWebhookDispatches(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u, other := newUser(t, s), newUser(t, s)
	w1 := newWebhook(t, s, u, now, actord.WebhookCondition{ActorID: "A"}, "")
	w2 := newWebhook(t, s, u, now, actord.WebhookCondition{ActorID: "B"}, "")
	w3 := newWebhook(t, s, other, now, actord.WebhookCondition{ActorID: "A"}, "")
	at := func(secs int) *time.Time { t := now.Add(time.Duration(secs) * time.Second); return &t }
	d1 := newDispatch(t, s, w1, now, at(10))
	d2 := newDispatch(t, s, w2, now.Add(time.Second), at(5))
	d3 := newDispatch(t, s, w1, now.Add(2*time.Second), at(30))
	d4 := newDispatch(t, s, w3, now, at(1))

	got, err := s.WebhookGet(ctx, w1.ID)
	if err != nil || got.Stats.TotalDispatches != 2 || got.LastDispatch == nil || got.LastDispatch.Status != actord.DispatchActive ||
		got.LastDispatch.FinishedAt != nil {
		t.Fatalf("webhook after two dispatches: %+v, %v", got, err)
	}
	for _, tt := range []struct {
		name  string
		p     storage.WebhookDispatchListParams
		want  []string
		total int64
	}{
		{"user", storage.WebhookDispatchListParams{UserID: u.ID}, []string{d1.ID, d2.ID, d3.ID}, 3},
		{"user desc", storage.WebhookDispatchListParams{UserID: u.ID, Desc: true}, []string{d3.ID, d2.ID, d1.ID}, 3},
		{"user paged", storage.WebhookDispatchListParams{UserID: u.ID, Offset: 1, Limit: 5, Desc: true}, []string{d2.ID, d1.ID}, 3},
		{"webhook", storage.WebhookDispatchListParams{UserID: u.ID, WebhookID: w1.ID}, []string{d1.ID, d3.ID}, 2},
		{"other user", storage.WebhookDispatchListParams{UserID: other.ID}, []string{d4.ID}, 1},
	} {
		list, total, err := s.WebhookDispatchList(ctx, &tt.p)
		if err != nil || !slices.Equal(dispatchIDs(list), tt.want) || total != tt.total {
			t.Errorf("%s: %v (total %d), %v; want %v", tt.name, dispatchIDs(list), total, err, tt.want)
		}
	}

	due, err := s.WebhookDispatchesDue(ctx, now.Add(10*time.Second))
	if err != nil || !slices.Equal(dispatchIDs(due), []string{d4.ID, d2.ID, d1.ID}) {
		t.Fatalf("due: %v, %v", dispatchIDs(due), err)
	}

	// The newest dispatch of w1 (d3) ends: the webhook shows it. An older
	// one (d1) ending does not overwrite it.
	code := 200
	d3.Status, d3.Private.NextAttemptAt, d3.Private.Attempts = actord.DispatchSucceeded, nil, 1
	d3.Calls = []actord.WebhookCall{{StartedAt: actord.At(now), FinishedAt: actord.At(now.Add(time.Second)), ResponseStatus: &code}}
	if err := s.WebhookDispatchUpdate(ctx, d3); err != nil {
		t.Fatal(err)
	}
	d1.Status, d1.Private.NextAttemptAt = actord.DispatchFailed, nil
	if err := s.WebhookDispatchUpdate(ctx, d1); err != nil {
		t.Fatal(err)
	}
	got, err = s.WebhookGet(ctx, w1.ID)
	if err != nil || got.LastDispatch.Status != actord.DispatchSucceeded || got.LastDispatch.FinishedAt == nil ||
		!got.LastDispatch.FinishedAt.Equal(now.Add(time.Second)) {
		t.Fatalf("last dispatch: %+v, %v", got.LastDispatch, err)
	}
	back, err := s.WebhookDispatchGet(ctx, d3.ID)
	if err != nil || back.Status != actord.DispatchSucceeded || len(back.Calls) != 1 || *back.Calls[0].ResponseStatus != 200 ||
		back.Private.Attempts != 1 || string(back.Private.Body) != `{"x":1}` || string(back.EventData) != `{"actorId":"A","actorRunId":"R"}` {
		t.Fatalf("dispatch read back: %+v, %v", back, err)
	}
	due, err = s.WebhookDispatchesDue(ctx, now.Add(time.Hour))
	if err != nil || !slices.Equal(dispatchIDs(due), []string{d4.ID, d2.ID}) {
		t.Fatalf("due after two ended: %v, %v", dispatchIDs(due), err)
	}

	// Deleting a webhook deletes its dispatches.
	if err := s.WebhookDelete(ctx, w2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WebhookDispatchGet(ctx, d2.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("dispatch of a deleted webhook: %v", err)
	}
	if err := s.WebhookDispatchUpdate(ctx, d2); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("update of a deleted dispatch: %v", err)
	}
}
