package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actord/actord/api/apitest"
)

// itemsActorJS is a Node actor without dependencies: it reads its input,
// pushes input.count items one request at a time (input.delayMs apart),
// stores OUTPUT, sleeps input.sleepMs and exits with input.exitCode.
const itemsActorJS = `const base = process.env.APIFY_API_BASE_URL.replace(/\/$/, '') + '/v2';
const h = { Authorization: 'Bearer ' + process.env.APIFY_TOKEN, 'Content-Type': 'application/json' };
const kv = base + '/key-value-stores/' + process.env.ACTOR_DEFAULT_KEY_VALUE_STORE_ID + '/records/';
const res = await fetch(kv + 'INPUT', { headers: h });
const input = res.status === 200 ? await res.json() : {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const count = input.count ?? 3;
for (let i = 0; i < count; i++) {
  const item = { i, name: 'item ' + i, tags: ['a', 'b', 'c'].slice(0, i % 3), nested: { x: i * 2, y: i % 2 ? null : 'even' } };
  const r = await fetch(base + '/datasets/' + process.env.ACTOR_DEFAULT_DATASET_ID + '/items', { method: 'POST', headers: h, body: JSON.stringify(item) });
  if (r.status !== 201) throw new Error('push: ' + r.status);
  if (input.delayMs) await sleep(input.delayMs);
}
await fetch(kv + (input.outputKey ?? 'OUTPUT'), { method: 'PUT', headers: h, body: JSON.stringify({ done: true, count }) });
if (input.sleepMs) await sleep(input.sleepMs);
process.exit(input.exitCode ?? 0);
`

// itemsActor is the create body of an actor running itemsActorJS, with an
// input schema (count must be an integer).
func itemsActor(name string) []byte {
	manifest := `{"actorSpecification":1,"name":"` + name + `","version":"0.1","input":{"title":"Input","type":"object","schemaVersion":1,` +
		`"properties":{"count":{"title":"Count","type":"integer","description":"items to push","editor":"number","default":3}}}}`
	files := []map[string]string{
		{"name": "main.mjs", "format": "TEXT", "content": itemsActorJS},
		{"name": ".actor/actor.json", "format": "TEXT", "content": manifest},
	}
	body, _ := json.Marshal(map[string]any{
		"name":              name,
		"versions":          []any{map[string]any{"versionNumber": "0.1", "sourceType": "SOURCE_FILES", "sourceFiles": files}},
		"defaultRunOptions": map[string]any{"memoryMbytes": 256, "timeoutSecs": 60},
	})
	return body
}

// newItemsActor creates and builds an itemsActor and returns its ID.
func newItemsActor(t *testing.T, s *apitest.Server, token, name string) string {
	t.Helper()
	var a struct {
		Data struct{ ID string } `json:"data"`
	}
	r := s.Do("POST", "/v2/acts", token, itemsActor(name))
	if r.Status != http.StatusCreated {
		t.Fatalf("create actor: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &a)
	b := s.Do("POST", "/v2/acts/"+a.Data.ID+"/builds?version=0.1&waitForFinish=60", token, nil)
	if !bytes.Contains(b.Body, []byte(`"SUCCEEDED"`)) {
		t.Fatalf("build: %s", b.Body)
	}
	return a.Data.ID
}

type runInfo struct {
	ID, Status, DefaultDatasetID, DefaultKeyValueStoreID string
	FinishedAt                                           time.Time
}

func getRun(t *testing.T, s *apitest.Server, token, id string) runInfo {
	t.Helper()
	var v struct{ Data runInfo }
	s.Do("GET", "/v2/actor-runs/"+id, token, nil).JSON(t, &v)
	return v.Data
}

func runCount(t *testing.T, s *apitest.Server, token, actor string) int {
	t.Helper()
	var v struct{ Data struct{ Total int } }
	s.Do("GET", "/v2/acts/"+actor+"/runs", token, nil).JSON(t, &v)
	return v.Data.Total
}

// The items answer equals, byte for byte, what the run's dataset gives
// with the same parameters, for GET and POST and both route prefixes.
func TestRunSyncGetDatasetItems(t *testing.T) {
	s := apitest.New(t)
	tok := s.AdminToken
	act := newItemsActor(t, s, tok, "sync-items")
	for i, tt := range []struct{ method, prefix, query, input string }{
		{"POST", "/v2/acts/", "", `{"count":4}`},
		{"GET", "/v2/acts/", "format=jsonl&desc=1&offset=1&limit=2", ""},
		{"POST", "/v2/actors/", "format=csv&fields=nested,i&flatten=nested", `{"count":5}`},
		{"POST", "/v2/acts/", "format=json&unwind=tags&omit=nested&clean=1", `{"count":5}`},
		{"GET", "/v2/actors/", "format=xlsx&attachment=1", ""},
		{"POST", "/v2/acts/", "format=xml&xmlRoot=r&xmlRow=row&skipEmpty=1", `{"count":2}`},
		{"POST", "/v2/acts/", "format=html&skipHeaderRow=1&fields=name", `{"count":2}`},
		{"POST", "/v2/acts/", "format=rss&feedTitle=T&feedDescription=D", `{"count":2}`},
		{"POST", "/v2/acts/", "format=csv&bom=1&delimiter=%3B&skipHidden=1&simplified=0&skipFailedPages=1&outputFields=n&fields=name", `{"count":2}`},
	} {
		var body []byte
		if tt.input != "" {
			body = []byte(tt.input)
		}
		r := s.Do(tt.method, tt.prefix+act+"/run-sync-get-dataset-items?"+tt.query, tok, body)
		answered := time.Now()
		if r.Status != http.StatusCreated {
			t.Fatalf("%d: %s %s: %d %s", i, tt.method, tt.query, r.Status, r.Body)
		}
		id := r.Header.Get("X-Actord-Run-Id")
		run := getRun(t, s, tok, id)
		if run.Status != "SUCCEEDED" {
			t.Fatalf("%d: run %s: %+v", i, id, run)
		}
		// The wait is woken by the run's end, not a poll.
		if lag := answered.Sub(run.FinishedAt); lag > 250*time.Millisecond {
			t.Errorf("%d: answered %s after the run ended", i, lag)
		}
		want := s.Do("GET", "/v2/datasets/"+run.DefaultDatasetID+"/items?"+tt.query, tok, nil)
		if !bytes.Equal(r.Body, want.Body) || len(r.Body) == 0 {
			t.Errorf("%d %s: body\n%q\nwant\n%q", i, tt.query, r.Body, want.Body)
		}
		for _, h := range []string{"Content-Type", "Content-Disposition", "X-Apify-Pagination-Offset", "X-Apify-Pagination-Limit",
			"X-Apify-Pagination-Count", "X-Apify-Pagination-Total", "X-Apify-Pagination-Desc"} {
			if got, w := r.Header.Get(h), want.Header.Get(h); got != w {
				t.Errorf("%d %s: %s %q, want %q", i, tt.query, h, got, w)
			}
		}
	}
}

// run-sync answers with the OUTPUT record (or outputRecordKey).
func TestRunSyncOutput(t *testing.T) {
	s := apitest.New(t)
	act := newItemsActor(t, s, s.AdminToken, "sync-output")
	r := s.Do("POST", "/v2/acts/"+act+"/run-sync", s.AdminToken, []byte(`{"count":2}`))
	if r.Status != http.StatusCreated || string(r.Body) != `{"done":true,"count":2}` || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("run-sync: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	r = s.Do("POST", "/v2/acts/"+act+"/run-sync?outputRecordKey=RESULT", s.AdminToken, []byte(`{"count":1,"outputKey":"RESULT"}`))
	if r.Status != http.StatusCreated || string(r.Body) != `{"done":true,"count":1}` {
		t.Fatalf("run-sync outputRecordKey: %d %q", r.Status, r.Body)
	}
	r = s.Do("GET", "/v2/acts/"+act+"/run-sync?outputRecordKey=NOTHING", s.AdminToken, nil)
	if r.Status != http.StatusCreated || len(r.Body) != 0 || r.Header.Get("X-Actord-Run-Id") == "" {
		t.Fatalf("run-sync without the record: %d %q", r.Status, r.Body)
	}
	if r := s.Do("GET", "/v2/acts/"+act+"/run-sync?outputRecordKey=a%2Fb", s.AdminToken, nil); r.Status != 400 {
		t.Fatalf("bad outputRecordKey: %d %s", r.Status, r.Body)
	}
}

// A run that fails is 400 run-failed naming the run; an invalid input is
// 400 invalid-input and no run; a bad parameter is 400 and no run.
func TestRunSyncErrors(t *testing.T) {
	s := apitest.New(t)
	tok := s.AdminToken
	act := newItemsActor(t, s, tok, "sync-errors")
	for _, route := range []string{"run-sync", "run-sync-get-dataset-items"} {
		r := s.Do("POST", "/v2/acts/"+act+"/"+route, tok, []byte(`{"count":1,"exitCode":3}`))
		id := r.Header.Get("X-Actord-Run-Id")
		want := "Actor run did not succeed (run ID: " + id + ", status: FAILED)"
		if r.Status != 400 || r.ErrorType() != "run-failed" || id == "" || !strings.Contains(string(r.Body), want) {
			t.Fatalf("%s failing: %d %s", route, r.Status, r.Body)
		}
	}
	before := runCount(t, s, tok, act)
	for _, tt := range []struct{ query, body, typ string }{
		{"", `{"count":"many"}`, "invalid-input"},
		{"format=pdf", `{}`, "invalid-parameter"},
		{"memory=100", `{}`, ""},
		{"stream=1&format=json", `{}`, "invalid-parameter"},
		{"stream=1&format=csv&desc=1", `{}`, "invalid-parameter"},
		{"webhooks=notbase64!", `{}`, ""},
	} {
		r := s.Do("POST", "/v2/acts/"+act+"/run-sync-get-dataset-items?"+tt.query, tok, []byte(tt.body))
		if r.Status != 400 || (tt.typ != "" && r.ErrorType() != tt.typ) || r.Header.Get("X-Actord-Run-Id") != "" {
			t.Errorf("%s %s: %d %s", tt.query, tt.body, r.Status, r.Body)
		}
	}
	if n := runCount(t, s, tok, act); n != before {
		t.Errorf("runs after bad requests: %d, want %d", n, before)
	}
	// Another user's actor does not exist for the caller.
	bob := s.NewUser("bob")
	if r := s.Do("POST", "/v2/acts/"+act+"/run-sync-get-dataset-items", bob, nil); r.Status != 404 {
		t.Errorf("other user: %d %s", r.Status, r.Body)
	}
}

// Past the wall: 408 naming the run, which goes on; the same
// Idempotency-Key then answers from that run, and no second run exists.
func TestRunSyncTimeoutAndIdempotencyKey(t *testing.T) {
	s := apitest.New(t, apitest.SyncTimeout(time.Second))
	tok := s.AdminToken
	act := newItemsActor(t, s, tok, "sync-slow")
	key := []string{"Idempotency-Key", "order-42"}
	t0 := time.Now()
	r := s.Do("POST", "/v2/acts/"+act+"/run-sync-get-dataset-items?format=jsonl", tok, []byte(`{"count":2,"sleepMs":2500}`), key...)
	var e struct {
		Error struct {
			Type, Message string
			Data          struct{ RunID, Status string }
		}
	}
	r.JSON(t, &e)
	id := r.Header.Get("X-Actord-Run-Id")
	if r.Status != 408 || e.Error.Type != "run-timeout-exceeded" || e.Error.Data.RunID != id || id == "" ||
		e.Error.Message != "Actor run exceeded the timeout of 1 seconds for this API endpoint" {
		t.Fatalf("408: %d %s", r.Status, r.Body)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("408 after %s", d)
	}
	// The same key while the run goes on: waits for it, then its items.
	r = s.Do("POST", "/v2/acts/"+act+"/run-sync-get-dataset-items?format=jsonl", tok, []byte(`{"count":2,"sleepMs":2500}`), key...)
	for r.Status == 408 {
		r = s.Do("POST", "/v2/acts/"+act+"/run-sync-get-dataset-items?format=jsonl", tok, []byte(`{"count":2,"sleepMs":2500}`), key...)
	}
	if r.Status != 201 || r.Header.Get("X-Actord-Run-Id") != id || strings.Count(string(r.Body), "\n") != 1 {
		t.Fatalf("repeat: %d %s %s", r.Status, r.Header.Get("X-Actord-Run-Id"), r.Body)
	}
	if run := getRun(t, s, tok, id); run.Status != "SUCCEEDED" {
		t.Fatalf("run: %+v", run)
	}
	// Finished: answered from the run at once, in another format too.
	r = s.Do("GET", "/v2/acts/"+act+"/run-sync-get-dataset-items?format=csv", tok, nil, key...)
	if r.Status != 201 || r.Header.Get("X-Actord-Run-Id") != id || r.Header.Get("X-Apify-Pagination-Total") != "2" {
		t.Fatalf("repeat after the end: %d %s", r.Status, r.Body)
	}
	if n := runCount(t, s, tok, act); n != 1 {
		t.Fatalf("%d runs, want 1", n)
	}
	// Concurrent starts with one new key make one run.
	var wg sync.WaitGroup
	ids := make([]string, 4)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.Do("POST", "/v2/acts/"+act+"/runs", tok, []byte(`{"count":1}`), "Idempotency-Key", "burst")
			var v struct{ Data struct{ ID string } }
			json.Unmarshal(r.Body, &v)
			ids[i] = v.Data.ID
		}()
	}
	wg.Wait()
	for _, x := range ids {
		if x == "" || x != ids[0] {
			t.Fatalf("concurrent starts with one key: runs %v", ids)
		}
	}
	if n := runCount(t, s, tok, act); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
	// A key is the user's own: another user's same key is another run.
	bob := s.NewUser("bob")
	bobAct := newItemsActor(t, s, bob, "bobs")
	r = s.Do("POST", "/v2/acts/"+bobAct+"/run-sync-get-dataset-items", bob, []byte(`{"count":1}`), key...)
	if r.Status != 201 || r.Header.Get("X-Actord-Run-Id") == id {
		t.Fatalf("bob with the same key: %d %s", r.Status, r.Body)
	}
	// A key used for another actor's run is refused.
	other := newItemsActor(t, s, tok, "other")
	if r := s.Do("POST", "/v2/acts/"+other+"/run-sync", tok, nil, key...); r.Status != 400 {
		t.Fatalf("key of another actor's run: %d %s", r.Status, r.Body)
	}
}

// stream=1: the first item reaches the client before the run ends, the
// body is the run's items, and the trailer gives the final status.
func TestRunSyncStream(t *testing.T) {
	s := apitest.New(t)
	tok := s.AdminToken
	act := newItemsActor(t, s, tok, "sync-stream")
	// CSV columns come from fields (or the first item), so that a header
	// can go before the last item exists.
	for _, format := range []string{"jsonl", "csv&fields=i,name"} {
		req, _ := http.NewRequest("POST", s.URL+"/v2/acts/"+act+"/run-sync-get-dataset-items?stream=1&format="+format,
			strings.NewReader(`{"count":3,"delayMs":400}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 201 {
			t.Fatalf("%s: %d", format, resp.StatusCode)
		}
		br := bufio.NewReader(resp.Body)
		first, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		firstAt := time.Now()
		var rest bytes.Buffer
		rest.ReadFrom(br)
		resp.Body.Close()
		id := resp.Header.Get("X-Actord-Run-Id")
		run := getRun(t, s, tok, id)
		if !firstAt.Before(run.FinishedAt) {
			t.Errorf("%s: first line at %s, run finished at %s", format, firstAt, run.FinishedAt)
		}
		if got := resp.Trailer.Get("X-Actord-Run-Status"); got != "SUCCEEDED" {
			t.Errorf("%s: trailer %q", format, got)
		}
		want := s.Do("GET", "/v2/datasets/"+run.DefaultDatasetID+"/items?format="+format, tok, nil)
		if got := first + rest.String(); got != string(want.Body) {
			t.Errorf("%s: streamed %q, want %q", format, got, want.Body)
		}
	}
	// With a limit the stream ends at the limit, before the run does; the
	// trailer has the run's status then.
	req, _ := http.NewRequest("POST", s.URL+"/v2/acts/"+act+"/run-sync-get-dataset-items?stream=1&format=jsonl&offset=1&limit=1",
		strings.NewReader(`{"count":3,"delayMs":400}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if body.String() != `{"i":1,"name":"item 1","tags":["a"],"nested":{"x":2,"y":null}}` || resp.Trailer.Get("X-Actord-Run-Status") != "RUNNING" {
		t.Errorf("offset=1&limit=1: %q, trailer %q", body.String(), resp.Trailer.Get("X-Actord-Run-Status"))
	}
}

// The task routes run the task's actor with the saved input (GET) or the
// saved input overridden by the body's fields (POST).
func TestRunSyncTask(t *testing.T) {
	s := apitest.New(t)
	tok := s.AdminToken
	act := newItemsActor(t, s, tok, "sync-task-actor")
	r := s.Do("POST", "/v2/actor-tasks", tok, []byte(`{"actId":"`+act+`","name":"two","input":{"count":2,"outputKey":"SAVED"}}`))
	if r.Status != 201 {
		t.Fatalf("create task: %d %s", r.Status, r.Body)
	}
	for _, tt := range []struct {
		method, path, body string
		items              int
	}{
		{"GET", "/v2/actor-tasks/admin~two/run-sync-get-dataset-items?format=jsonl", "", 2},
		{"POST", "/v2/actor-tasks/admin~two/run-sync-get-dataset-items?format=jsonl&limit=3", `{"count":4}`, 3},
	} {
		var body []byte
		if tt.body != "" {
			body = []byte(tt.body)
		}
		r := s.Do(tt.method, tt.path, tok, body)
		if r.Status != 201 || r.Header.Get("X-Apify-Pagination-Count") != strconv.Itoa(tt.items) {
			t.Fatalf("%s %s: %d %s %s", tt.method, tt.path, r.Status, r.Header.Get("X-Apify-Pagination-Count"), r.Body)
		}
		run := getRun(t, s, tok, r.Header.Get("X-Actord-Run-Id"))
		q := tt.path[strings.Index(tt.path, "?"):]
		if want := s.Do("GET", "/v2/datasets/"+run.DefaultDatasetID+"/items"+q, tok, nil); !bytes.Equal(r.Body, want.Body) {
			t.Errorf("%s: %q, want %q", tt.path, r.Body, want.Body)
		}
	}
	// run-sync of the task: the saved outputKey holds the OUTPUT.
	r = s.Do("POST", "/v2/actor-tasks/admin~two/run-sync?outputRecordKey=SAVED", tok, []byte(`{"count":1}`))
	if r.Status != 201 || string(r.Body) != `{"done":true,"count":1}` {
		t.Fatalf("task run-sync: %d %s", r.Status, r.Body)
	}
	if r := s.Do("POST", "/v2/actor-tasks/admin~two/run-sync", tok, []byte(`[1]`)); r.Status != 400 || r.ErrorType() != "invalid-input" {
		t.Fatalf("task run-sync with an array: %d %s", r.Status, r.Body)
	}
}
