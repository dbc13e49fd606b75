package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/actorjson"
	"github.com/actord/actord/storage"
)

// Tasks manages actor tasks: an actor with saved input and run options.
// Only a task's owner sees it (anyone else gets "not found"), and a task
// can only be made for an actor its owner owns.
type Tasks struct {
	store  storage.Store
	actors *Actors
	now    func() time.Time
}

// NewTasks returns the task service.
func NewTasks(store storage.Store, actors *Actors, now func() time.Time) *Tasks {
	return &Tasks{store: store, actors: actors, now: now}
}

// Resolve finds the task a path segment names (ID, "username~name",
// "~name" or the caller's bare name) and checks that the caller owns it.
// A task that does not exist or is someone else's is the same
// record-not-found error ("Actor task was not found"); no caller is
// token-not-provided.
func (s *Tasks) Resolve(ctx context.Context, caller *actord.User, segment string) (*actord.Task, error) {
	notFound := actord.NotFound("Actor task")
	if caller == nil {
		return nil, actord.Errorf(actord.ErrTokenNotProvided, "Authentication token was not provided")
	}
	ref := actord.ParseRef(segment)
	var t *actord.Task
	var err error
	if ref.IsName() {
		if ref.Username != "" && ref.Username != "me" && ref.Username != caller.Username {
			return nil, notFound
		}
		t, err = s.store.TaskGetByName(ctx, caller.ID, ref.Name)
	} else {
		t, err = s.store.TaskGet(ctx, ref.ID)
		if errors.Is(err, storage.ErrNotFound) {
			t, err = s.store.TaskGetByName(ctx, caller.ID, ref.ID)
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("resolve task %s: %w", segment, err)
	}
	if t.UserID != caller.ID {
		return nil, notFound
	}
	return t, nil
}

// taskBody is a create or update request body (Apify's CreateTaskRequest
// and UpdateTaskRequest). The nullable members stay raw to tell a member
// set to null from one that is absent.
type taskBody struct {
	ActID        *string         `json:"actId"`
	Name         *string         `json:"name"`
	Title        json.RawMessage `json:"title"`
	Description  json.RawMessage `json:"description"`
	Options      json.RawMessage `json:"options"`
	Input        json.RawMessage `json:"input"`
	ActorStandby json.RawMessage `json:"actorStandby"`
}

// Create makes a task of owner from a create request body. actId (an ID or
// "username~name") must name an actor the owner owns; a missing name
// becomes "<actor name>-task" (with a number when taken). A name the owner
// has already is a name-not-unique error.
func (s *Tasks) Create(ctx context.Context, owner *actord.User, body []byte) (*actord.Task, error) {
	var b taskBody
	if err := decodeJSON(body, &b); err != nil {
		return nil, err
	}
	if b.ActID == nil || *b.ActID == "" {
		return nil, actord.Errorf(actord.ErrInvalidValue, "Field actId is required.")
	}
	a, err := s.actors.ResolveRef(ctx, owner, *b.ActID)
	if err != nil {
		return nil, err
	}
	now := actord.At(s.now())
	t := &actord.Task{ID: actord.NewID(), UserID: owner.ID, Username: owner.Username, ActID: a.ID,
		CreatedAt: now, ModifiedAt: now, Input: []byte("{}"), Name: defaultTaskName(a.Name, 1)}
	if err := applyTaskBody(t, &b); err != nil {
		return nil, err
	}
	// Without a name, take the first free one of a.Name-task, a.Name-task-2, …
	for n := 2; ; n++ {
		err := s.insert(ctx, t)
		if err == nil {
			return t, nil
		}
		if b.Name != nil || actord.ErrorType(err) != actord.ErrNameNotUnique || n > 100 {
			return nil, err
		}
		t.Name = defaultTaskName(a.Name, n)
	}
}

// defaultTaskName is the nth name tried for an unnamed task of an actor,
// shortened to stay a valid name.
func defaultTaskName(actorName string, n int) string {
	suffix := "-task"
	if n > 1 {
		suffix += "-" + strconv.Itoa(n)
	}
	if max := 63 - len(suffix); len(actorName) > max {
		actorName = actorName[:max]
	}
	return actorName + suffix
}

func (s *Tasks) insert(ctx context.Context, t *actord.Task) error {
	if err := s.store.TaskInsert(ctx, t); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return taskNameTaken(t.Name)
		}
		return fmt.Errorf("create task: %w", err)
	}
	return nil
}

func taskNameTaken(name string) error {
	return actord.Errorf(actord.ErrNameNotUnique, "Actor task with name %q already exists.", name)
}

// Update applies an update request body: members present replace the
// task's (options and input as a whole; use UpdateInput to merge input).
// A task's actor cannot change.
func (s *Tasks) Update(ctx context.Context, t *actord.Task, body []byte) (*actord.Task, error) {
	var b taskBody
	if err := decodeJSON(body, &b); err != nil {
		return nil, err
	}
	next := *t
	if err := applyTaskBody(&next, &b); err != nil {
		return nil, err
	}
	next.ModifiedAt = actord.At(s.now())
	if err := s.save(ctx, &next); err != nil {
		return nil, err
	}
	return &next, nil
}

// Delete removes a task. Its runs stay listed under their IDs.
func (s *Tasks) Delete(ctx context.Context, t *actord.Task) error {
	if err := s.store.TaskDelete(ctx, t.ID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return actord.NotFound("Actor task")
		}
		return fmt.Errorf("delete task: %w", err)
	}
	return nil
}

// List returns a page of the owner's tasks, oldest first unless desc.
func (s *Tasks) List(ctx context.Context, owner *actord.User, offset, limit int64, desc bool) ([]*actord.Task, int64, error) {
	list, total, err := s.store.TaskList(ctx, &storage.ListParams{UserID: owner.ID, Offset: offset, Limit: limit, Desc: desc})
	if err != nil {
		return nil, 0, fmt.Errorf("list tasks: %w", err)
	}
	return list, total, nil
}

// Input returns the task's saved input: a raw JSON object.
func (s *Tasks) Input(t *actord.Task) []byte {
	if len(t.Input) == 0 {
		return []byte("{}")
	}
	return t.Input
}

// UpdateInput merges body's top-level members into the saved input (see
// actorjson.MergeInput: replaced members keep their place, new ones come
// last), saves it and returns the merged input.
func (s *Tasks) UpdateInput(ctx context.Context, t *actord.Task, body []byte) ([]byte, error) {
	merged, err := actorjson.MergeInput(s.Input(t), body)
	if err != nil {
		return nil, err
	}
	next := *t
	next.Input, next.ModifiedAt = merged, actord.At(s.now())
	if err := s.save(ctx, &next); err != nil {
		return nil, err
	}
	*t = next
	return merged, nil
}

// StartOptions turns a start request of the task (o: what the request
// gave) into the actor and the options Runs.Start takes:
//
//   - the actor is the task's, checked to be the caller's;
//   - TaskID is the task's, so the run has actorTaskId and counts on the
//     task;
//   - the input is the task's saved input when the request has no body
//     (GET run-sync, POST without body), else the saved input shallow-
//     merged with the body's top-level members (a body member replaces the
//     saved one of that name, in its place; members the saved input lacks
//     come last; see actorjson.MergeInput). The body must be a JSON
//     object whatever its Content-Type (400 invalid-input otherwise); the
//     run's input is application/json, and Runs.Start adds the input
//     schema's defaults for what is still missing;
//   - each run option the request did not set (build, timeout, memory,
//     maxItems, maxTotalChargeUsd, restartOnError) is the task's, when the
//     task has it; what neither sets Runs.Start takes from the actor's
//     default run options.
func (s *Tasks) StartOptions(ctx context.Context, caller *actord.User, task *actord.Task, o StartOptions) (*actord.Actor, StartOptions, error) {
	a, err := s.actors.ResolveRef(ctx, caller, task.ActID)
	if err != nil {
		return nil, o, err
	}
	o.TaskID = task.ID
	input := s.Input(task)
	if len(bytes.TrimSpace(o.Input)) > 0 {
		if input, err = actorjson.MergeInput(input, o.Input); err != nil {
			return nil, o, err
		}
	}
	o.Input, o.ContentType = input, "application/json"
	opt := task.Options
	if o.Build == "" && opt.Build != nil {
		o.Build = *opt.Build
	}
	if o.TimeoutSecs == nil {
		o.TimeoutSecs = opt.TimeoutSecs
	}
	if o.MemoryMbytes == 0 && opt.MemoryMbytes != nil {
		o.MemoryMbytes = *opt.MemoryMbytes
	}
	if o.MaxItems == nil {
		o.MaxItems = opt.MaxItems
	}
	if o.MaxTotalChargeUsd == nil {
		o.MaxTotalChargeUsd = opt.MaxTotalChargeUsd
	}
	if o.RestartOnError == nil {
		o.RestartOnError = opt.RestartOnError
	}
	return a, o, nil
}

func (s *Tasks) save(ctx context.Context, t *actord.Task) error {
	if err := s.store.TaskUpdate(ctx, t); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return taskNameTaken(t.Name)
		}
		if errors.Is(err, storage.ErrNotFound) {
			return actord.NotFound("Actor task")
		}
		return fmt.Errorf("save task: %w", err)
	}
	return nil
}
