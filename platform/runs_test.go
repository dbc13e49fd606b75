package platform_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/runner/process"
	"github.com/actord/actord/storage"
	"github.com/actord/actord/storage/sqlite"
)

// env is a platform on a temp SQLite store with the real local-process
// runner, and a built actor whose start command is a shell line.
type env struct {
	t     *testing.T
	p     *platform.Platform
	db    *sqlite.DB
	users []*actord.User
}

func newEnv(t *testing.T, memory int) *env {
	t.Helper()
	dir := t.TempDir()
	// Runs execute as nobody when the tests run as root: it must reach
	// the data dir.
	os.Chmod(filepath.Dir(dir), 0o711)
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "actord.db"))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := platform.New(platform.Config{DataDir: dir, APIURL: "http://127.0.0.1:1", PublicURL: "http://127.0.0.1:1",
		RunMemoryMbytes: memory, Path: os.Getenv("PATH")}, db, process.New(logger, process.Options{}), logger, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		db.Close()
	})
	return &env{t: t, p: p, db: db}
}

func (e *env) user(name string) *actord.User {
	u, err := e.p.Users.Create(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// actor creates an actor of owner with a SUCCEEDED build tagged latest
// that runs script with /bin/sh, and optionally an input schema.
func (e *env) actor(owner *actord.User, name, script string, inputSchema string) *actord.Actor {
	e.t.Helper()
	ctx := context.Background()
	a, err := e.p.Actors.Create(ctx, owner, []byte(`{"name":"`+name+`","defaultRunOptions":{"memoryMbytes":256,"timeoutSecs":60}}`))
	if err != nil {
		e.t.Fatal(err)
	}
	dir := filepath.Join(e.t.TempDir(), "build")
	os.MkdirAll(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(filepath.Dir(filepath.Dir(dir)), 0o711)
	now := time.Now()
	b := &actord.Build{ID: actord.NewID(), ActID: a.ID, UserID: owner.ID, Status: actord.StatusSucceeded, StartedAt: actord.At(now), FinishedAt: actord.AtPtr(now),
		Private: actord.BuildPrivate{ActVersion: "0.1", Tag: "latest", Dir: dir, Command: []string{"/bin/sh", "-c", script}, Runtime: "exec"}}
	if inputSchema != "" {
		b.Private.InputSchema = []byte(inputSchema)
	}
	if err := e.db.BuildInsert(ctx, b); err != nil {
		e.t.Fatal(err)
	}
	if err := e.p.Actors.TagBuild(ctx, a.ID, "latest", b); err != nil {
		e.t.Fatal(err)
	}
	a, err = e.p.Actors.Resolve(ctx, owner, a.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) start(owner *actord.User, a *actord.Actor, o platform.StartOptions) *actord.Run {
	e.t.Helper()
	r, err := e.p.Runs.Start(context.Background(), owner, a, o)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) wait(owner *actord.User, id string) *actord.Run {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := e.p.Runs.Wait(context.Background(), owner, id, 10*time.Second)
		if err != nil {
			e.t.Fatal(err)
		}
		if actord.IsTerminal(r.Status) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("run %s still %s", id, r.Status)
		}
	}
}

func TestRunOutcomes(t *testing.T) {
	e := newEnv(t, 4096)
	u := e.user("alice")
	timeout := int64(1)
	tests := []struct {
		name, script string
		opts         platform.StartOptions
		status       string
		exitCode     int
	}{
		{"success", "echo hi; exit 0", platform.StartOptions{}, actord.StatusSucceeded, 0},
		{"failure", "echo about to fail; exit 3", platform.StartOptions{}, actord.StatusFailed, 3},
		{"timeout", "sleep 30", platform.StartOptions{TimeoutSecs: &timeout}, actord.StatusTimedOut, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.actor(u, "a-"+tt.name, tt.script, "")
			start := time.Now()
			r := e.wait(u, e.start(u, a, tt.opts).ID)
			if r.Status != tt.status {
				t.Fatalf("status %s (%v), want %s", r.Status, deref(r.StatusMessage), tt.status)
			}
			if tt.status != actord.StatusTimedOut && (r.ExitCode == nil || *r.ExitCode != tt.exitCode) {
				t.Fatalf("exit code %v, want %d", r.ExitCode, tt.exitCode)
			}
			if tt.status == actord.StatusTimedOut && time.Since(start) > 10*time.Second {
				t.Fatalf("timed out after %s", time.Since(start))
			}
			if r.FinishedAt == nil || r.StatusMessage == nil {
				t.Fatalf("finished run without finishedAt or status message: %+v", r)
			}
		})
	}
}

func TestAbortRunning(t *testing.T) {
	e := newEnv(t, 4096)
	u := e.user("alice")
	a := e.actor(u, "slow", "sleep 30", "")
	r := e.start(u, a, platform.StartOptions{})
	for r.Status != actord.StatusRunning {
		time.Sleep(20 * time.Millisecond)
		r, _ = e.p.Runs.Get(context.Background(), u, r.ID)
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	r, err := e.p.Runs.Abort(context.Background(), r, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != actord.StatusAborted || time.Since(start) > 2*time.Second {
		t.Fatalf("abort: %s after %s", r.Status, time.Since(start))
	}
}

// TestCapacity starts more runs than fit: never more run at once than the
// memory allows, users take turns, and every run finishes.
func TestCapacity(t *testing.T) {
	e := newEnv(t, 1024) // four runs of 256 MB
	alice, bob := e.user("alice"), e.user("bob")
	aa := e.actor(alice, "work", "sleep 0.4", "")
	ba := e.actor(bob, "work", "sleep 0.4", "")
	var ids []string
	owner := map[string]*actord.User{}
	for range 8 {
		r := e.start(alice, aa, platform.StartOptions{})
		ids, owner[r.ID] = append(ids, r.ID), alice
	}
	for range 4 {
		r := e.start(bob, ba, platform.StartOptions{})
		ids, owner[r.ID] = append(ids, r.ID), bob
	}
	var mu sync.Mutex
	var started []string
	maxRunning := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		seen := map[string]bool{}
		for {
			running, finished := 0, 0
			for _, id := range ids {
				r, err := e.db.RunGet(context.Background(), id)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Status == actord.StatusRunning {
					running++
				}
				if r.Status != actord.StatusReady && !seen[id] {
					seen[id] = true
					mu.Lock()
					started = append(started, id)
					mu.Unlock()
				}
				if actord.IsTerminal(r.Status) {
					finished++
				}
			}
			maxRunning = max(maxRunning, running)
			if finished == len(ids) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("runs did not finish")
	}
	if maxRunning > 4 {
		t.Fatalf("%d runs at once, memory allows 4", maxRunning)
	}
	for _, id := range ids {
		if r := e.wait(owner[id], id); r.Status != actord.StatusSucceeded {
			t.Fatalf("run %s: %s", id, r.Status)
		}
	}
	// Bob's runs were queued after all of Alice's, yet they do not wait
	// for Alice's queue to drain: of the runs started 5th to 8th, Bob has
	// at least two.
	bobs := 0
	for _, id := range started[4:8] {
		if owner[id] == bob {
			bobs++
		}
	}
	if bobs < 2 {
		t.Fatalf("start order %v: bob got %d of the slots 5-8", started, bobs)
	}
	// Within a user, runs start in the order they were created.
	var aliceOrder []string
	for _, id := range started {
		if owner[id] == alice {
			aliceOrder = append(aliceOrder, id)
		}
	}
	if !slices.Equal(aliceOrder, ids[:8]) {
		t.Fatalf("alice's runs started out of order")
	}
}

func TestAbortReady(t *testing.T) {
	e := newEnv(t, 256)
	u := e.user("alice")
	a := e.actor(u, "slow", "sleep 2", "")
	first := e.start(u, a, platform.StartOptions{})
	queued := e.start(u, a, platform.StartOptions{})
	if queued.Status != actord.StatusReady {
		t.Fatalf("second run: %s, want READY", queued.Status)
	}
	r, err := e.p.Runs.Abort(context.Background(), queued, false)
	if err != nil || r.Status != actord.StatusAborted {
		t.Fatalf("abort READY: %v %v", r, err)
	}
	e.wait(u, first.ID)
	if r, _ := e.p.Runs.Get(context.Background(), u, queued.ID); r.Status != actord.StatusAborted || r.ExitCode != nil {
		t.Fatalf("aborted READY run was started: %+v", r)
	}
}

func TestInvalidInputCreatesNothing(t *testing.T) {
	e := newEnv(t, 1024)
	u := e.user("alice")
	schema := `{"title":"x","type":"object","schemaVersion":1,"properties":{"count":{"title":"n","type":"integer","default":3,"editor":"number"}},"required":["count"]}`
	a := e.actor(u, "typed", `test "$(cat /dev/null)" = ""`, schema)
	_, err := e.p.Runs.Start(context.Background(), u, a, platform.StartOptions{Input: []byte(`{"count":"x"}`), ContentType: "application/json"})
	if actord.ErrorType(err) != "invalid-input" {
		t.Fatalf("invalid input: %v", err)
	}
	runs, total, _ := e.p.Runs.List(context.Background(), &storage.ListParams{UserID: u.ID})
	if total != 0 || len(runs) != 0 {
		t.Fatalf("a run exists after invalid input")
	}
	for _, kind := range []actord.StorageKind{actord.KindDataset, actord.KindKeyValueStore, actord.KindRequestQueue} {
		list, _ := e.p.Storages.List(context.Background(), &storage.StorageListParams{Kind: kind, UserID: u.ID, Unnamed: true, Limit: 10})
		if list.Total != 0 {
			t.Fatalf("%d %s storages exist after invalid input", list.Total, kind)
		}
	}
	// Defaults are merged into a valid input.
	r := e.start(u, a, platform.StartOptions{Input: []byte(`{}`), ContentType: "application/json"})
	kv, _ := e.db.StorageGet(context.Background(), actord.KindKeyValueStore, r.DefaultKeyValueStoreID)
	rec, err := e.p.Storages.GetRecord(context.Background(), kv, "INPUT")
	if err != nil || string(rec.Value) != `{"count":3}` {
		t.Fatalf("INPUT: %q %v", rec.Value, err)
	}
	e.wait(u, r.ID)
}

func TestRecover(t *testing.T) {
	e := newEnv(t, 1024)
	u := e.user("alice")
	a := e.actor(u, "quick", "exit 0", "")
	ctx := context.Background()
	// Runs a previous process left behind.
	left := map[string]bool{} // id → restartOnError
	for _, restart := range []bool{false, true} {
		r := e.start(u, a, platform.StartOptions{})
		e.wait(u, r.ID)
		r.Status, r.FinishedAt, r.Options.RestartOnError = actord.StatusRunning, nil, restart
		if err := e.db.RunUpdate(ctx, r); err != nil {
			t.Fatal(err)
		}
		left[r.ID] = restart
	}
	if err := e.p.Runs.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	for id, restart := range left {
		r := e.wait(u, id)
		switch {
		case restart && (r.Status != actord.StatusSucceeded || r.Stats.RestartCount != 1):
			t.Fatalf("restartOnError run: %s, restarts %d", r.Status, r.Stats.RestartCount)
		case !restart && (r.Status != actord.StatusFailed || r.StatusMessage == nil):
			t.Fatalf("left RUNNING run: %s", r.Status)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// running waits until the run is RUNNING.
func (e *env) running(owner *actord.User, id string) *actord.Run {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := e.p.Runs.Get(context.Background(), owner, id)
		if err != nil {
			e.t.Fatal(err)
		}
		if r.Status == actord.StatusRunning {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("run %s is %s, not RUNNING", id, r.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRebootMetamorphResurrect(t *testing.T) {
	e := newEnv(t, 4096)
	u := e.user("alice")
	ctx := context.Background()
	slow := e.actor(u, "slow", "sleep 30", "")
	quick := e.actor(u, "quick", `test "$ACTOR_INPUT_KEY" = INPUT-METAMORPH-1`, "")

	// Reboot: the same run keeps running with a new process.
	r := e.running(u, e.start(u, slow, platform.StartOptions{}).ID)
	if _, err := e.p.Runs.Reboot(ctx, r); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Stats.RebootCount == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		r, _ = e.p.Runs.Get(ctx, u, r.ID)
	}
	if r.Stats.RebootCount != 1 || actord.IsTerminal(r.Status) {
		t.Fatalf("after reboot: %s, rebootCount %d", r.Status, r.Stats.RebootCount)
	}

	// Metamorph: the run becomes the other actor's, with its input under
	// INPUT-METAMORPH-1 (the quick actor checks ACTOR_INPUT_KEY).
	r = e.running(u, r.ID)
	if _, err := e.p.Runs.Metamorph(ctx, r, quick, "", []byte(`{"x":1}`), "application/json"); err != nil {
		t.Fatal(err)
	}
	r = e.wait(u, r.ID)
	if r.Status != actord.StatusSucceeded || r.ActID != quick.ID || len(r.Metamorphs) != 1 || r.Metamorphs[0].InputKey != "INPUT-METAMORPH-1" {
		t.Fatalf("after metamorph: %s, actId %s, metamorphs %+v", r.Status, r.ActID, r.Metamorphs)
	}
	kv, _ := e.db.StorageGet(ctx, actord.KindKeyValueStore, r.DefaultKeyValueStoreID)
	if rec, err := e.p.Storages.GetRecord(ctx, kv, "INPUT-METAMORPH-1"); err != nil || string(rec.Value) != `{"x":1}` {
		t.Fatalf("metamorph input: %v", err)
	}

	// Resurrect: a finished run runs again with its storages.
	again, err := e.p.Runs.Resurrect(ctx, r, quick, platform.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again = e.wait(u, again.ID)
	if again.Status != actord.StatusSucceeded || again.Stats.ResurrectCount != 1 || again.DefaultDatasetID != r.DefaultDatasetID {
		t.Fatalf("after resurrect: %s, resurrectCount %d", again.Status, again.Stats.ResurrectCount)
	}
	if _, err := e.p.Runs.Resurrect(ctx, e.running(u, e.start(u, slow, platform.StartOptions{}).ID), slow, platform.StartOptions{}); actord.ErrorType(err) == "" {
		t.Fatalf("resurrecting a running run: %v", err)
	}
}

func TestChargeRespectsMaxTotal(t *testing.T) {
	e := newEnv(t, 4096)
	u := e.user("alice")
	ctx := context.Background()
	a := e.actor(u, "paid", "sleep 30", "")
	pricing := `{"pricingInfos":[{"pricingModel":"PAY_PER_EVENT","pricingPerEvent":{"actorChargeEvents":{"page":{"eventPriceUsd":0.25,"eventTitle":"Page"}}}}]}`
	a, err := e.p.Actors.Update(ctx, a, []byte(pricing))
	if err != nil {
		t.Fatal(err)
	}
	max := 1.0
	r := e.running(u, e.start(u, a, platform.StartOptions{MaxTotalChargeUsd: &max}).ID)
	tests := []struct {
		body    string
		want    float64 // page events counted after the call
		errType string
	}{
		{`{"eventName":"page","count":3}`, 3, ""},
		{`{"eventName":"page","count":5}`, 4, ""}, // only one more fits in 1 USD
		{`{"eventName":"page"}`, 4, "max-total-charge-exceeded"},
		{`{"count":1}`, 4, "invalid-value"},
	}
	for _, tt := range tests {
		err := e.p.Runs.Charge(ctx, r, []byte(tt.body))
		if actord.ErrorType(err) != tt.errType {
			t.Fatalf("charge %s: %v, want %q", tt.body, err, tt.errType)
		}
		got, _ := e.p.Runs.Get(ctx, u, r.ID)
		if got.ChargedEventCounts["page"] != tt.want {
			t.Fatalf("after %s: %v page events, want %v", tt.body, got.ChargedEventCounts["page"], tt.want)
		}
	}
	e.p.Runs.Abort(ctx, r, false)
}

func TestDatasetSchemaAndMemoryFromBuild(t *testing.T) {
	e := newEnv(t, 4096)
	u := e.user("alice")
	ctx := context.Background()
	a := e.actor(u, "typed", "exit 0", "")
	b, err := e.p.Builds.Find(ctx, a, "")
	if err != nil {
		t.Fatal(err)
	}
	b.Private.DatasetSchema = []byte(`{"actorSpecification":1,"fields":{"type":"object","properties":{"price":{"type":"number"}},"required":["price"]}}`)
	b.Private.MinMemoryMbytes, b.Private.MaxMemoryMbytes, b.Private.DefaultMemoryMbytes = 256, 512, 512
	if err := e.db.BuildUpdate(ctx, b); err != nil {
		t.Fatal(err)
	}
	memory := []struct{ asked, want int }{{0, 512}, {128, 256}, {1024, 512}, {256, 256}}
	for _, m := range memory {
		r := e.start(u, a, platform.StartOptions{MemoryMbytes: m.asked})
		if r.Options.MemoryMbytes != m.want {
			t.Fatalf("memory %d: run got %d, want %d (actor.json bounds 256-512, default 512)", m.asked, r.Options.MemoryMbytes, m.want)
		}
		e.wait(u, r.ID)
	}
	if _, err := e.p.Runs.Start(ctx, u, a, platform.StartOptions{MemoryMbytes: 300}); actord.ErrorType(err) != actord.ErrInvalidValue {
		t.Fatalf("memory 300 (not a power of 2): %v", err)
	}
	r := e.start(u, a, platform.StartOptions{})
	ds, _ := e.db.StorageGet(ctx, actord.KindDataset, r.DefaultDatasetID)
	if _, err := e.p.Storages.PushItems(ctx, ds, []byte(`[{"price":1},{"price":"free"}]`)); actord.ErrorType(err) != "schema-validation-error" {
		t.Fatalf("invalid item: %v", err)
	}
	if n, err := e.p.Storages.PushItems(ctx, ds, []byte(`[{"price":1},{"price":2.5}]`)); err != nil || n != 2 {
		t.Fatalf("valid items: %d %v", n, err)
	}
	e.wait(u, r.ID)
}

// TestRelativeDataDir: a data dir given relative to the working directory
// (the README's ./actord-data) works for runs as nobody too.
func TestRelativeDataDir(t *testing.T) {
	base := t.TempDir()
	os.Chmod(base, 0o755)
	os.Chmod(filepath.Dir(base), 0o711)
	t.Chdir(base)
	os.Mkdir("actord-data", 0o700)
	db, err := sqlite.Open(context.Background(), filepath.Join("actord-data", "actord.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := platform.New(platform.Config{DataDir: "actord-data", APIURL: "http://127.0.0.1:1", PublicURL: "http://127.0.0.1:1",
		RunMemoryMbytes: 1024, Path: os.Getenv("PATH")}, db, process.New(logger, process.Options{}), logger, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	e := &env{t: t, p: p, db: db}
	u := e.user("alice")
	a := e.actor(u, "rel", "echo ok > here.txt && cat here.txt", "")
	if r := e.wait(u, e.start(u, a, platform.StartOptions{}).ID); r.Status != actord.StatusSucceeded {
		t.Fatalf("run in a relative data dir: %s: %s", r.Status, deref(r.StatusMessage))
	}
}

// TestLogStreamOfAQueuedRun: following the log of a READY run waits for it
// to start and ends when it ends, with its output.
func TestLogStreamOfAQueuedRun(t *testing.T) {
	e := newEnv(t, 256)
	u := e.user("alice")
	a := e.actor(u, "talker", "sleep 0.5; echo said-something", "")
	first := e.start(u, a, platform.StartOptions{})
	queued := e.start(u, a, platform.StartOptions{})
	if queued.Status != actord.StatusReady {
		t.Fatalf("second run is %s, want READY", queued.Status)
	}
	var out strings.Builder
	if err := e.p.Logs.Copy(context.Background(), queued.ID, &out, true, nil); err != nil {
		t.Fatal(err)
	}
	r, _ := e.p.Runs.Get(context.Background(), u, queued.ID)
	if !actord.IsTerminal(r.Status) || !strings.Contains(out.String(), " said-something\n") {
		t.Fatalf("stream ended with the run %s; log:\n%s", r.Status, out.String())
	}
	e.wait(u, first.ID)
}
