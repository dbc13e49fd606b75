package api_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/actord/actord/api/apitest"
)

// taskFixture is admin's built shell actor that pushes its input to its
// dataset, and a task of it.
type taskFixture struct {
	act, task string
}

func newTaskFixture(t *testing.T, s *apitest.Server) *taskFixture {
	t.Helper()
	var v struct {
		Data struct{ ID, Status string } `json:"data"`
	}
	// The run pushes its INPUT record to its dataset (by the API).
	script := `curl -sf -H \\\"Authorization: Bearer $APIFY_TOKEN\\\" $APIFY_API_BASE_URL/v2/key-value-stores/$ACTOR_DEFAULT_KEY_VALUE_STORE_ID/records/INPUT | ` +
		`curl -sf -X POST -H \\\"Authorization: Bearer $APIFY_TOKEN\\\" -H 'Content-Type: application/json' --data-binary @- $APIFY_API_BASE_URL/v2/datasets/$ACTOR_DEFAULT_DATASET_ID/items`
	r := s.Do("POST", "/v2/acts", s.AdminToken, shellActor("echo-input", script))
	mustStatus(t, r, 201)
	r.JSON(t, &v)
	f := &taskFixture{act: v.Data.ID}
	s.Do("POST", "/v2/acts/"+f.act+"/builds?version=0.1&waitForFinish=60", s.AdminToken, nil).JSON(t, &v)
	if v.Data.Status != "SUCCEEDED" {
		t.Fatalf("build: %s", v.Data.Status)
	}
	r = s.Do("POST", "/v2/actor-tasks", s.AdminToken, []byte(`{"actId":"admin~echo-input","name":"my-task","title":"Mine",`+
		`"options":{"memoryMbytes":256,"timeoutSecs":60},"input":{"keep":1, "over":"saved"}}`))
	mustStatus(t, r, 201)
	r.JSON(t, &v)
	f.task = v.Data.ID
	if loc := r.Header.Get("Location"); loc != s.URL+"/v2/actor-tasks/"+f.task {
		t.Fatalf("Location %q", loc)
	}
	return f
}

func TestTaskCRUD(t *testing.T) {
	s := apitest.New(t)
	tok := s.AdminToken
	f := newTaskFixture(t, s)

	r := s.Do("GET", "/v2/actor-tasks/admin~my-task", tok, nil)
	mustStatus(t, r, 200)
	for _, want := range []string{`"id":"` + f.task + `"`, `"actId":"` + f.act + `"`, `"name":"my-task"`, `"username":"admin"`,
		`"title":"Mine"`, `"stats":{"totalRuns":0}`, `"options":{"timeoutSecs":60,"memoryMbytes":256}`, `"input":{"keep":1,"over":"saved"}`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("get by name: no %s in %s", want, r.Body)
		}
	}
	if r := s.Do("GET", "/v2/actor-tasks/~my-task", tok, nil); r.Status != 200 {
		t.Errorf("~name: %d", r.Status)
	}
	r = s.Do("POST", "/v2/actor-tasks", tok, []byte(`{"actId":"`+f.act+`","name":"my-task"}`))
	if r.Status != 409 || r.ErrorType() != "name-not-unique" {
		t.Fatalf("duplicate name: %d %s", r.Status, r.Body)
	}
	r = s.Do("POST", "/v2/actor-tasks", tok, []byte(`{"actId":"`+f.act+`"}`))
	if r.Status != 201 || !strings.Contains(string(r.Body), `"name":"echo-input-task"`) {
		t.Fatalf("unnamed task: %d %s", r.Status, r.Body)
	}
	if r := s.Do("POST", "/v2/actor-tasks", tok, []byte(`{"actId":"nonexistent","name":"x"}`)); r.Status != 404 {
		t.Fatalf("task of a missing actor: %d %s", r.Status, r.Body)
	}
	if r := s.Do("POST", "/v2/actor-tasks", tok, []byte(`{"actId":"`+f.act+`","name":"bad name"}`)); r.Status != 400 {
		t.Fatalf("bad name: %d %s", r.Status, r.Body)
	}
	if r := s.Do("POST", "/v2/actor-tasks", tok, []byte(`{"actId":"`+f.act+`","name":"x","input":[1]}`)); r.Status != 400 {
		t.Fatalf("array input: %d %s", r.Status, r.Body)
	}

	r = s.Do("PUT", "/v2/actor-tasks/"+f.task, tok, []byte(`{"name":"renamed","title":null,"options":{"build":"latest"}}`))
	mustStatus(t, r, 200)
	if b := string(r.Body); !strings.Contains(b, `"title":null`) || !strings.Contains(b, `"options":{"build":"latest"}`) ||
		!strings.Contains(b, `"input":{"keep":1,"over":"saved"}`) {
		t.Fatalf("update: %s", b)
	}
	if r := s.Do("PUT", "/v2/actor-tasks/"+f.task, tok, []byte(`{"name":"echo-input-task"}`)); r.Status != 409 {
		t.Fatalf("rename onto a taken name: %d %s", r.Status, r.Body)
	}
	if r := s.Do("GET", "/v2/actor-tasks/admin~my-task", tok, nil); r.Status != 404 || r.ErrorType() != "record-not-found" ||
		!strings.Contains(string(r.Body), "Actor task was not found") {
		t.Fatalf("old name: %d %s", r.Status, r.Body)
	}

	// The input: raw (no envelope); PUT merges members into it.
	r = s.Do("GET", "/v2/actor-tasks/admin~renamed/input", tok, nil)
	if r.Status != 200 || string(r.Body) != `{"keep":1, "over":"saved"}` {
		t.Fatalf("input: %d %s", r.Status, r.Body)
	}
	r = s.Do("PUT", "/v2/actor-tasks/"+f.task+"/input", tok, []byte(`{"added":true,"over":"put"}`))
	if r.Status != 200 || string(r.Body) != `{"keep":1,"over":"put","added":true}` {
		t.Fatalf("input put: %d %s", r.Status, r.Body)
	}
	if r := s.Do("PUT", "/v2/actor-tasks/"+f.task+"/input", tok, []byte(`[1]`)); r.Status != 400 {
		t.Fatalf("input put of an array: %d %s", r.Status, r.Body)
	}

	r = s.Do("GET", "/v2/actor-tasks?desc=1", tok, nil)
	if b := string(r.Body); !strings.Contains(b, `"total":2`) || !strings.Contains(b, `"actName":"echo-input"`) || !strings.Contains(b, `"actUsername":"admin"`) ||
		strings.Index(b, `"echo-input-task"`) > strings.Index(b, `"renamed"`) {
		t.Fatalf("list: %s", b)
	}

	mustStatus(t, s.Do("DELETE", "/v2/actor-tasks/"+f.task, tok, nil), 204)
	if r := s.Do("GET", "/v2/actor-tasks/"+f.task, tok, nil); r.Status != 404 {
		t.Fatalf("get after delete: %d", r.Status)
	}
	// Deleting the actor deletes its tasks.
	mustStatus(t, s.Do("DELETE", "/v2/acts/"+f.act, tok, nil), 204)
	if r := s.Do("GET", "/v2/actor-tasks", tok, nil); !strings.Contains(string(r.Body), `"total":0`) {
		t.Fatalf("tasks of a deleted actor: %s", r.Body)
	}
}

// TestTaskRun: a task's run starts with its saved input merged with the
// body, carries its ID, counts on it and is served under the task's runs.
func TestTaskRun(t *testing.T) {
	s := apitest.New(t)
	tok := s.AdminToken
	f := newTaskFixture(t, s)
	// A run of the actor itself is not one of the task's.
	mustStatus(t, s.Do("POST", "/v2/acts/"+f.act+"/runs?waitForFinish=60", tok, []byte(`{"direct":1}`)), 201)

	r := s.Do("POST", "/v2/actor-tasks/admin~my-task/runs?waitForFinish=60", tok, []byte(`{"over":"body","new":[1]}`))
	mustStatus(t, r, 201)
	var run struct {
		Data struct {
			ID, Status, ActorTaskID string
			Options                 struct{ MemoryMbytes int }
		} `json:"data"`
	}
	r.JSON(t, &run)
	if run.Data.Status != "SUCCEEDED" || run.Data.ActorTaskID != f.task || run.Data.Options.MemoryMbytes != 256 {
		log := s.Do("GET", "/v2/logs/"+run.Data.ID, tok, nil)
		t.Fatalf("run: %s\nlog: %s", r.Body, log.Body)
	}
	const merged = `{"keep":1,"over":"body","new":[1]}`
	if r := s.Do("GET", "/v2/actor-runs/"+run.Data.ID+"/key-value-store/records/INPUT", tok, nil); string(r.Body) != merged {
		t.Fatalf("INPUT: %s", r.Body)
	}
	for _, path := range []string{
		"/v2/actor-tasks/" + f.task + "/runs/last/dataset/items",
		"/v2/actor-tasks/admin~my-task/runs/last/dataset/items?status=SUCCEEDED",
		"/v2/actor-tasks/" + f.task + "/runs/" + run.Data.ID + "/dataset/items",
	} {
		r := s.Do("GET", path, tok, nil)
		var items bytes.Buffer
		json.Compact(&items, r.Body)
		if r.Status != 200 || items.String() != "["+merged+"]" {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	if r := s.Do("GET", "/v2/actor-tasks/"+f.task+"/runs/last", tok, nil); !strings.Contains(string(r.Body), `"id":"`+run.Data.ID+`"`) {
		t.Errorf("runs/last: %s", r.Body)
	}
	if r := s.Do("GET", "/v2/actor-tasks/"+f.task+"/runs/last?status=FAILED", tok, nil); r.Status != 404 {
		t.Errorf("runs/last?status=FAILED: %d %s", r.Status, r.Body)
	}
	r = s.Do("GET", "/v2/actor-tasks/"+f.task+"/runs", tok, nil)
	if b := string(r.Body); !strings.Contains(b, `"total":1`) || !strings.Contains(b, run.Data.ID) {
		t.Errorf("runs of the task: %s", b)
	}
	if r := s.Do("GET", "/v2/actor-tasks/"+f.task, tok, nil); !strings.Contains(string(r.Body), `"totalRuns":1`) {
		t.Errorf("task stats: %s", r.Body)
	}

	// No body: the saved input as it is.
	r = s.Do("POST", "/v2/actor-tasks/"+f.task+"/runs?waitForFinish=60", tok, nil)
	r.JSON(t, &run)
	if r := s.Do("GET", "/v2/actor-tasks/"+f.task+"/runs/last/key-value-store/records/INPUT", tok, nil); string(r.Body) != `{"keep":1, "over":"saved"}` {
		t.Fatalf("INPUT without a body: %s", r.Body)
	}
	if r := s.Do("POST", "/v2/actor-tasks/"+f.task+"/runs", tok, []byte(`[1,2]`)); r.Status != 400 || r.ErrorType() != "invalid-input" {
		t.Fatalf("array body: %d %s", r.Status, r.Body)
	}
	// A run of the task is not found under another task of its actor.
	mustStatus(t, s.Do("POST", "/v2/actor-tasks", tok, []byte(`{"actId":"`+f.act+`","name":"other"}`)), 201)
	if r := s.Do("GET", "/v2/actor-tasks/admin~other/runs/"+run.Data.ID, tok, nil); r.Status != 404 {
		t.Fatalf("another task's run: %d %s", r.Status, r.Body)
	}
	if r := s.Do("GET", "/v2/actor-tasks/admin~other/runs/last", tok, nil); r.Status != 404 {
		t.Fatalf("last run of a task without runs: %d %s", r.Status, r.Body)
	}
}
