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

func newUser(t *testing.T, s storage.Store) *actord.User {
	t.Helper()
	u := &actord.User{ID: actord.NewID(), Username: "u" + actord.RandomString(6), CreatedAt: now}
	if err := s.UserInsert(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func testActors(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u, other := newUser(t, s), newUser(t, s)
	title := "Hello"
	a := &actord.Actor{ID: actord.NewID(), UserID: u.ID, Username: u.Username, Name: "hello", Title: &title, CreatedAt: actord.At(now), ModifiedAt: actord.At(now),
		Versions:     []*actord.Version{{VersionNumber: "0.1", SourceType: actord.SourceFiles, BuildTag: "latest", EnvVars: []actord.EnvVar{{Name: "K", Value: "s", IsSecret: true}}}},
		TaggedBuilds: map[string]actord.TaggedBuild{}}
	if err := s.ActorInsert(ctx, a); err != nil {
		t.Fatal(err)
	}
	clash := *a
	clash.ID = actord.NewID()
	if err := s.ActorInsert(ctx, &clash); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("same name for the same user: %v, want ErrConflict", err)
	}
	clash.UserID = other.ID
	if err := s.ActorInsert(ctx, &clash); err != nil {
		t.Fatalf("same name for another user: %v", err)
	}
	got, err := s.ActorGetByName(ctx, u.ID, "hello", true)
	if err != nil || got.ID != a.ID || *got.Title != "Hello" || got.Versions[0].EnvVars[0].Value != "s" {
		t.Fatalf("get by name: %+v, %v", got, err)
	}
	if lite, err := s.ActorGet(ctx, a.ID, false); err != nil || lite.Versions != nil || *lite.Title != "Hello" {
		t.Fatalf("get without versions: %+v, %v", lite, err)
	}

	// Counters and tags change atomically: concurrent run starts and
	// builds lose no count, and an edit does not undo a tag.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.ActorCountJob(ctx, a.ID, i%2 == 0, now); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	fin := actord.At(now)
	if err := s.ActorTagBuild(ctx, a.ID, "latest", actord.TaggedBuild{BuildID: "B", BuildNumber: "0.1.1", FinishedAt: &fin}); err != nil {
		t.Fatal(err)
	}
	if err := s.ActorUpdate(ctx, got); err != nil { // got was read before the tag
		t.Fatal(err)
	}
	got, err = s.ActorGet(ctx, a.ID, true)
	if err != nil || got.Stats.TotalRuns != 10 || got.Stats.TotalBuilds != 10 || got.Stats.LastRunStartedAt == nil ||
		got.TaggedBuilds["latest"].BuildID != "B" {
		t.Fatalf("counters and tags: %+v %+v, %v", got.Stats, got.TaggedBuilds, err)
	}
	got.Name = "renamed"
	if err := s.ActorUpdate(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActorGetByName(ctx, u.ID, "hello", false); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("old name after rename: %v", err)
	}
	list, total, err := s.ActorList(ctx, &storage.ListParams{UserID: u.ID})
	if err != nil || total != 1 || len(list) != 1 || list[0].Name != "renamed" {
		t.Fatalf("list: %d %v %v", total, list, err)
	}
	if err := s.ActorDelete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActorGet(ctx, a.ID, false); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := s.ActorDelete(ctx, a.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func testBuilds(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u := newUser(t, s)
	actID := actord.NewID()
	var numbers []string
	for i, version := range []string{"0.1", "0.1", "1.0", "0.1"} {
		b := &actord.Build{ID: actord.NewID(), ActID: actID, UserID: u.ID, Status: actord.StatusRunning,
			StartedAt: actord.At(now.Add(time.Duration(i) * time.Second)), Private: actord.BuildPrivate{ActVersion: version, Dir: "/x", Command: []string{"node", "main.js"}}}
		if err := s.BuildInsert(ctx, b); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, b.BuildNumber)
	}
	want := []string{"0.1.1", "0.1.2", "1.0.1", "0.1.3"}
	for i := range want {
		if numbers[i] != want[i] {
			t.Fatalf("build numbers %v, want %v", numbers, want)
		}
	}
	list, total, err := s.BuildList(ctx, &storage.ListParams{ActID: actID, Desc: true, Limit: 2})
	if err != nil || total != 4 || len(list) != 2 || list[0].BuildNumber != "0.1.3" {
		t.Fatalf("list: %d %v", total, err)
	}
	b := list[0]
	if b.Private.Dir != "/x" || len(b.Private.Command) != 2 {
		t.Fatalf("private part lost: %+v", b.Private)
	}
	b.Status = actord.StatusSucceeded
	if err := s.BuildUpdate(ctx, b); err != nil {
		t.Fatal(err)
	}
	ok, total, err := s.BuildList(ctx, &storage.ListParams{ActID: actID, Status: actord.StatusSucceeded})
	if err != nil || total != 1 || ok[0].ID != b.ID {
		t.Fatalf("status filter: %d %v", total, err)
	}
}

func testRuns(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u, other := newUser(t, s), newUser(t, s)
	var ids []string
	for i, st := range []string{actord.StatusReady, actord.StatusRunning, actord.StatusSucceeded, actord.StatusReady} {
		owner := u
		if i == 3 {
			owner = other
		}
		r := &actord.Run{ID: actord.NewID(), ActID: "A", UserID: owner.ID, Status: st, StartedAt: actord.At(now.Add(time.Duration(i) * time.Second)),
			Private: actord.RunPrivate{InputKey: "INPUT"}}
		if err := s.RunInsert(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	open, err := s.RunsWithStatus(ctx, actord.StatusReady, actord.StatusRunning)
	if err != nil || len(open) != 3 || open[0].ID != ids[0] || open[1].ID != ids[1] || open[2].ID != ids[3] {
		t.Fatalf("runs with status: %v, %v", open, err)
	}
	mine, total, err := s.RunList(ctx, &storage.ListParams{UserID: u.ID, Desc: true})
	if err != nil || total != 3 || mine[0].ID != ids[2] {
		t.Fatalf("list: %d %v", total, err)
	}
	r := open[0]
	if r.Private.InputKey != "INPUT" {
		t.Fatalf("private part lost: %+v", r.Private)
	}
	msg := "done"
	r.Status, r.StatusMessage = actord.StatusSucceeded, &msg
	if err := s.RunUpdate(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.RunGet(ctx, r.ID)
	if err != nil || got.Status != actord.StatusSucceeded || *got.StatusMessage != "done" {
		t.Fatalf("get after update: %+v, %v", got, err)
	}
	if err := s.RunUpdate(ctx, &actord.Run{ID: "missing"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("update of a missing run: %v", err)
	}

	// A run's token authenticates as the owner until the run's tokens go.
	hash := []byte("0123456789abcdef0123456789abcdef")
	r.Status = actord.StatusRunning
	if err := s.RunStart(ctx, r, hash, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RunGet(ctx, r.ID); got.Status != actord.StatusRunning {
		t.Fatalf("started run: %s", got.Status)
	}
	if who, err := s.UserGetByTokenHash(ctx, hash); err != nil || who.ID != u.ID {
		t.Fatalf("run token: %v, %v", who, err)
	}
	if err := s.RunTokensDelete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserGetByTokenHash(ctx, hash); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("run token after the run: %v", err)
	}
}

func testRunCreate(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u := newUser(t, s)
	a := &actord.Actor{ID: actord.NewID(), UserID: u.ID, Username: u.Username, Name: "a", CreatedAt: actord.At(now), ModifiedAt: actord.At(now)}
	if err := s.ActorInsert(ctx, a); err != nil {
		t.Fatal(err)
	}
	r := &actord.Run{ID: actord.NewID(), ActID: a.ID, UserID: u.ID, Status: actord.StatusReady, StartedAt: actord.At(now)}
	var sts []*actord.Storage
	for _, kind := range []actord.StorageKind{actord.KindDataset, actord.KindKeyValueStore, actord.KindRequestQueue} {
		sts = append(sts, &actord.Storage{ID: actord.NewID(), Kind: kind, UserID: u.ID, ActRunID: r.ID, GeneralAccess: actord.AccessRestricted,
			CreatedAt: now, ModifiedAt: now, AccessedAt: now})
	}
	input := &actord.Record{StoreID: sts[1].ID, Key: "INPUT", ContentType: "application/json", Value: []byte(`{"a":1}`)}

	// A failing part (the run's ID is taken) leaves nothing behind.
	taken := *r
	taken.ID = actord.NewID()
	if err := s.RunInsert(ctx, &taken); err != nil {
		t.Fatal(err)
	}
	dup := *r
	dup.ID = taken.ID
	if err := s.RunCreate(ctx, &dup, sts, input); err == nil {
		t.Fatal("RunCreate with a taken run ID succeeded")
	}
	if _, err := s.StorageGet(ctx, actord.KindDataset, sts[0].ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("storage of a failed RunCreate: %v", err)
	}

	if err := s.RunCreate(ctx, r, sts, input); err != nil {
		t.Fatal(err)
	}
	rec, err := s.RecordGet(ctx, sts[1].ID, "INPUT")
	if err != nil || string(rec.Value) != `{"a":1}` || rec.ContentType != "application/json" {
		t.Fatalf("input record: %v %v", rec, err)
	}
	if got, _ := s.ActorGet(ctx, a.ID, false); got.Stats.TotalRuns != 1 {
		t.Fatalf("actor totalRuns %d, want 1", got.Stats.TotalRuns)
	}
	hash := []byte("run-token-hash-run-token-hash-xx")
	r.Status = actord.StatusRunning
	if err := s.RunStart(ctx, r, hash, now); err != nil {
		t.Fatal(err)
	}
	r.Status = actord.StatusSucceeded
	if err := s.RunFinish(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RunGet(ctx, r.ID); got.Status != actord.StatusSucceeded {
		t.Fatalf("finished run: %s", got.Status)
	}
	if _, err := s.UserGetByTokenHash(ctx, hash); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("token after RunFinish: %v", err)
	}
}

// testRunIdempotencyKey: a run's idempotency key names it for the window;
// a second create with the key creates nothing and names the first run.
func testRunIdempotencyKey(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u := newUser(t, s)
	a := &actord.Actor{ID: actord.NewID(), UserID: u.ID, Username: u.Username, Name: "a", CreatedAt: actord.At(now), ModifiedAt: actord.At(now)}
	if err := s.ActorInsert(ctx, a); err != nil {
		t.Fatal(err)
	}
	newRun := func(at time.Time, key string) (*actord.Run, []*actord.Storage) {
		r := &actord.Run{ID: actord.NewID(), ActID: a.ID, UserID: u.ID, Status: actord.StatusReady, StartedAt: actord.At(at)}
		r.Private.IdempotencyKey = key
		st := &actord.Storage{ID: actord.NewID(), Kind: actord.KindDataset, UserID: u.ID, ActRunID: r.ID, GeneralAccess: actord.AccessRestricted,
			CreatedAt: at, ModifiedAt: at, AccessedAt: at}
		return r, []*actord.Storage{st}
	}
	if _, err := s.RunByIdempotencyKey(ctx, u.ID, "k", now.Add(-actord.IdempotencyWindow)); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	first, sts := newRun(now, "k")
	if err := s.RunCreate(ctx, first, sts, nil); err != nil {
		t.Fatal(err)
	}
	if id, err := s.RunByIdempotencyKey(ctx, u.ID, "k", now.Add(-actord.IdempotencyWindow)); err != nil || id != first.ID {
		t.Fatalf("key: %q %v, want %s", id, err, first.ID)
	}
	second, sts2 := newRun(now.Add(time.Hour), "k")
	var inUse *storage.IdempotencyKeyInUse
	if err := s.RunCreate(ctx, second, sts2, nil); !errors.As(err, &inUse) || inUse.RunID != first.ID {
		t.Fatalf("second create with the key: %v", err)
	}
	if _, err := s.RunGet(ctx, second.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the refused run exists: %v", err)
	}
	if _, err := s.StorageGet(ctx, actord.KindDataset, sts2[0].ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the refused run's storage exists: %v", err)
	}
	// After the window the key is free again.
	later := now.Add(actord.IdempotencyWindow + time.Minute)
	if _, err := s.RunByIdempotencyKey(ctx, u.ID, "k", later.Add(-actord.IdempotencyWindow)); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("expired key: %v", err)
	}
	third, sts3 := newRun(later, "k")
	if err := s.RunCreate(ctx, third, sts3, nil); err != nil {
		t.Fatalf("create with an expired key: %v", err)
	}
	if id, _ := s.RunByIdempotencyKey(ctx, u.ID, "k", later.Add(-actord.IdempotencyWindow)); id != third.ID {
		t.Fatalf("key after the window names %q, want %s", id, third.ID)
	}
}
