package storagetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

func newTask(u *actord.User, a *actord.Actor, name, input string, at time.Time) *actord.Task {
	mem := 256
	return &actord.Task{ID: actord.NewID(), UserID: u.ID, ActID: a.ID, Name: name, Username: u.Username,
		CreatedAt: actord.At(at), ModifiedAt: actord.At(at), Options: actord.TaskOptions{MemoryMbytes: &mem}, Input: []byte(input)}
}

func newActor(t *testing.T, s storage.Store, u *actord.User, name string) *actord.Actor {
	t.Helper()
	a := &actord.Actor{ID: actord.NewID(), UserID: u.ID, Username: u.Username, Name: name, CreatedAt: actord.At(now), ModifiedAt: actord.At(now)}
	if err := s.ActorInsert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func testTasks(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u, other := newUser(t, s), newUser(t, s)
	a, b := newActor(t, s, u, "a"), newActor(t, s, other, "b")
	// The input is kept byte for byte: member order, spacing, escapes.
	const input = `{"z": 1, "a":"<&>\u00e9", "n":1.50}`
	task := newTask(u, a, "my-task", input, now)
	if err := s.TaskInsert(ctx, task); err != nil {
		t.Fatal(err)
	}
	if err := s.TaskInsert(ctx, newTask(u, a, "my-task", `{}`, now)); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("same name for the same user: %v, want ErrConflict", err)
	}
	if err := s.TaskInsert(ctx, newTask(other, b, "my-task", `{}`, now)); err != nil {
		t.Fatalf("same name for another user: %v", err)
	}
	got, err := s.TaskGet(ctx, task.ID)
	if err != nil || string(got.Input) != input || got.Name != "my-task" || got.ActID != a.ID || got.Username != u.Username ||
		got.Options.MemoryMbytes == nil || *got.Options.MemoryMbytes != 256 || !got.CreatedAt.Equal(now) {
		t.Fatalf("get: %+v (input %s), %v", got, got.Input, err)
	}
	if byName, err := s.TaskGetByName(ctx, u.ID, "my-task"); err != nil || byName.ID != task.ID {
		t.Fatalf("get by name: %+v, %v", byName, err)
	}
	if _, err := s.TaskGetByName(ctx, u.ID, "missing"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get a missing name: %v", err)
	}
	if _, err := s.TaskGet(ctx, "missing"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get a missing ID: %v", err)
	}

	// Runs with the task's ID count on it, atomically with their creation,
	// and list by task.
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &actord.Run{ID: actord.NewID(), ActID: a.ID, UserID: u.ID, Status: actord.StatusReady, StartedAt: actord.At(now.Add(time.Duration(i) * time.Second))}
			if i%2 == 0 {
				r.ActorTaskID = &task.ID
			}
			if err := s.RunCreate(ctx, r, nil, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	runs, total, err := s.RunList(ctx, &storage.ListParams{UserID: u.ID, TaskID: task.ID, Desc: true})
	if err != nil || total != 3 || len(runs) != 3 || *runs[0].ActorTaskID != task.ID {
		t.Fatalf("runs of the task: %d %v", total, err)
	}
	if got, _ := s.TaskGet(ctx, task.ID); got.Stats.TotalRuns != 3 {
		t.Fatalf("task totalRuns %d, want 3", got.Stats.TotalRuns)
	}

	// An update (read before the runs) does not undo the counter; a name
	// clash is a conflict.
	second := newTask(u, a, "second", `{}`, now.Add(time.Second))
	if err := s.TaskInsert(ctx, second); err != nil {
		t.Fatal(err)
	}
	title := "Renamed"
	task.Name, task.Title, task.Input = "renamed", &title, []byte(`{"b":2}`)
	if err := s.TaskUpdate(ctx, task); err != nil {
		t.Fatal(err)
	}
	got, err = s.TaskGet(ctx, task.ID)
	if err != nil || got.Name != "renamed" || *got.Title != "Renamed" || string(got.Input) != `{"b":2}` || got.Stats.TotalRuns != 3 {
		t.Fatalf("after update: %+v (input %s), %v", got, got.Input, err)
	}
	second.Name = "renamed"
	if err := s.TaskUpdate(ctx, second); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("rename onto a taken name: %v, want ErrConflict", err)
	}
	if err := s.TaskUpdate(ctx, &actord.Task{ID: "missing", Name: "x"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("update of a missing task: %v", err)
	}

	list, total, err := s.TaskList(ctx, &storage.ListParams{UserID: u.ID})
	if err != nil || total != 2 || len(list) != 2 || list[0].ID != task.ID || list[1].ID != second.ID {
		t.Fatalf("list: %d %v %v", total, list, err)
	}
	list, total, err = s.TaskList(ctx, &storage.ListParams{UserID: u.ID, Desc: true, Offset: 1, Limit: 1})
	if err != nil || total != 2 || len(list) != 1 || list[0].ID != task.ID {
		t.Fatalf("list desc page: %d %v %v", total, list, err)
	}

	if err := s.TaskDelete(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.TaskDelete(ctx, second.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	// Deleting the actor deletes its tasks, not other actors'.
	if err := s.ActorDelete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TaskGet(ctx, task.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("task of a deleted actor: %v", err)
	}
	if _, total, _ := s.TaskList(ctx, &storage.ListParams{UserID: other.ID}); total != 1 {
		t.Fatalf("other user's tasks: %d, want 1", total)
	}
}
