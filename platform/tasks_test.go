package platform_test

import (
	"context"
	"testing"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
)

// TestTaskStartInput: a start's body is merged over the task's saved
// input member by member; no body runs the saved input.
func TestTaskStartInput(t *testing.T) {
	e := newEnv(t, 4096)
	ctx := context.Background()
	u := e.user("alice")
	if _, err := e.p.Actors.Create(ctx, u, []byte(`{"name":"act"}`)); err != nil {
		t.Fatal(err)
	}
	const saved = `{"b": {"x":1}, "a":"keep", "n":1.50}`
	task, err := e.p.Tasks.Create(ctx, u, []byte(`{"actId":"alice~act","name":"t","input":`+saved+`}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, want, errType string
	}{
		{name: "no body runs the saved input as it is", body: "", want: saved},
		{name: "whitespace only is no body", body: " \n", want: saved},
		{name: "empty object keeps the saved input", body: `{}`, want: saved},
		{name: "a member replaces the saved one in its place", body: `{"a":"new"}`, want: `{"b":{"x":1},"a":"new","n":1.50}`},
		{name: "nested objects are replaced, not merged", body: `{"b":{"y":2}}`, want: `{"b":{"y":2},"a":"keep","n":1.50}`},
		{name: "new members come last in body order", body: `{"z":0,"a":null,"c":[1]}`, want: `{"b":{"x":1},"a":null,"n":1.50,"z":0,"c":[1]}`},
		{name: "a body member given twice: last value", body: `{"a":1,"a":2}`, want: `{"b":{"x":1},"a":2,"n":1.50}`},
		{name: "array body is rejected", body: `[1]`, errType: "invalid-input"},
		{name: "string body is rejected", body: `"x"`, errType: "invalid-input"},
		{name: "invalid JSON is rejected", body: `{"a":`, errType: "invalid-input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, o, err := e.p.Tasks.StartOptions(ctx, u, task, platform.StartOptions{Input: []byte(tt.body), ContentType: "text/plain"})
			if tt.errType != "" {
				if actord.ErrorType(err) != tt.errType {
					t.Fatalf("err = %v, want %s", err, tt.errType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(o.Input) != tt.want || o.ContentType != "application/json" || o.TaskID != task.ID || a.ID != task.ActID {
				t.Fatalf("input %s (%s), task %q, actor %s; want %s", o.Input, o.ContentType, o.TaskID, a.ID, tt.want)
			}
		})
	}
}

// TestTaskStartOptions: options a start leaves unset come from the task;
// what the task lacks too is left for the actor's defaults.
func TestTaskStartOptions(t *testing.T) {
	e := newEnv(t, 4096)
	ctx := context.Background()
	u, bob := e.user("alice"), e.user("bob")
	e.actor(u, "act", "exit 0", "")
	task, err := e.p.Tasks.Create(ctx, u, []byte(`{"actId":"alice~act","name":"t",`+
		`"options":{"build":"beta","memoryMbytes":512,"maxItems":7,"restartOnError":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, o, err := e.p.Tasks.StartOptions(ctx, u, task, platform.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Build != "beta" || o.MemoryMbytes != 512 || *o.MaxItems != 7 || !*o.RestartOnError || o.TimeoutSecs != nil || o.MaxTotalChargeUsd != nil {
		t.Fatalf("from the task: %+v", o)
	}
	timeout, maxItems, restart := int64(5), int64(3), false
	_, o, err = e.p.Tasks.StartOptions(ctx, u, task, platform.StartOptions{Build: "latest", MemoryMbytes: 1024, TimeoutSecs: &timeout, MaxItems: &maxItems, RestartOnError: &restart})
	if err != nil {
		t.Fatal(err)
	}
	if o.Build != "latest" || o.MemoryMbytes != 1024 || *o.TimeoutSecs != 5 || *o.MaxItems != 3 || *o.RestartOnError {
		t.Fatalf("the request's win: %+v", o)
	}

	// A run of a task without options gets the actor's default options,
	// carries the task's ID and counts on the task.
	plain, err := e.p.Tasks.Create(ctx, u, []byte(`{"actId":"alice~act","name":"plain"}`))
	if err != nil {
		t.Fatal(err)
	}
	a, o, err := e.p.Tasks.StartOptions(ctx, u, plain, platform.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.p.Runs.Start(ctx, u, a, o)
	if err != nil {
		t.Fatal(err)
	}
	if run.Options.MemoryMbytes != 256 || run.Options.TimeoutSecs != 60 || run.ActorTaskID == nil || *run.ActorTaskID != plain.ID {
		t.Fatalf("run options %+v, task %v", run.Options, run.ActorTaskID)
	}
	if got, err := e.p.Tasks.Resolve(ctx, u, "alice~plain"); err != nil || got.Stats.TotalRuns != 1 {
		t.Fatalf("task after a run: %+v, %v", got, err)
	}

	// Another user neither sees the task nor makes one for the actor.
	if _, err := e.p.Tasks.Resolve(ctx, bob, task.ID); actord.ErrorType(err) != actord.ErrRecordNotFound {
		t.Fatalf("bob resolves alice's task: %v", err)
	}
	if _, err := e.p.Tasks.Create(ctx, bob, []byte(`{"actId":"`+task.ActID+`","name":"mine"}`)); actord.ErrorType(err) != actord.ErrRecordNotFound {
		t.Fatalf("bob makes a task of alice's actor: %v", err)
	}
}
