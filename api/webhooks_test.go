package api_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actord/actord/api/apitest"
)

// receiver is a webhook target that records requests and answers each
// with the next status of its script (200 once the script is used up).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	got    []receivedCall
	ch     chan receivedCall
}

type receivedCall struct {
	header http.Header
	body   []byte
	status int
}

func newReceiver(t *testing.T, script ...int) *receiver {
	rc := &receiver{script: script, ch: make(chan receivedCall, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		status := http.StatusOK
		if len(rc.script) > 0 {
			status, rc.script = rc.script[0], rc.script[1:]
		}
		c := receivedCall{header: r.Header.Clone(), body: body, status: status}
		rc.got = append(rc.got, c)
		rc.mu.Unlock()
		w.WriteHeader(status)
		w.Write([]byte("answer " + http.StatusText(status)))
		rc.ch <- c
	}))
	t.Cleanup(rc.Close)
	return rc
}

// next waits for the next request.
func (rc *receiver) next(t *testing.T) receivedCall {
	t.Helper()
	select {
	case c := <-rc.ch:
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver got no request")
		return receivedCall{}
	}
}

// none checks no request comes within a short while.
func (rc *receiver) none(t *testing.T) {
	t.Helper()
	select {
	case c := <-rc.ch:
		t.Fatalf("unexpected webhook request: %s", c.body)
	case <-time.After(300 * time.Millisecond):
	}
}

type dispatchView struct {
	ID        string
	Status    string
	EventType string
	WebhookID string
	Calls     []struct {
		ErrorMessage   *string
		ResponseStatus *int
		ResponseBody   *string
	}
}

// dispatchEnd waits until the dispatch is no longer ACTIVE.
func dispatchEnd(t *testing.T, s *apitest.Server, token, id string) dispatchView {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var v struct{ Data dispatchView }
		s.Do("GET", "/v2/webhook-dispatches/"+id, token, nil).JSON(t, &v)
		if v.Data.Status != "ACTIVE" || time.Now().After(deadline) {
			return v.Data
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dataID(t *testing.T, r *apitest.Response) string {
	t.Helper()
	var v struct{ Data struct{ ID string } }
	r.JSON(t, &v)
	if v.Data.ID == "" {
		t.Fatalf("no data.id in %d %s", r.Status, r.Body)
	}
	return v.Data.ID
}

// builtActor creates and builds a shell actor.
func builtActor(t *testing.T, s *apitest.Server, token, name, script string) string {
	t.Helper()
	act := dataID(t, s.Do("POST", "/v2/acts", token, shellActor(name, script)))
	if r := s.Do("POST", "/v2/acts/"+act+"/builds?version=0.1&waitForFinish=60", token, nil); !strings.Contains(string(r.Body), `"SUCCEEDED"`) {
		t.Fatalf("build: %s", r.Body)
	}
	return act
}

// TestWebhookRunSucceeded: an actor's webhook gets ACTOR.RUN.SUCCEEDED
// with Apify's default payload and headers, and the dispatch shows the
// call.
func TestWebhookRunSucceeded(t *testing.T) {
	s := apitest.New(t)
	token := s.AdminToken
	rc := newReceiver(t)
	act := builtActor(t, s, token, "hooked", "echo hi")
	var me struct{ Data struct{ ID string } }
	s.Do("GET", "/v2/users/me", token, nil).JSON(t, &me)

	created := s.Do("POST", "/v2/webhooks", token, []byte(`{"eventTypes":["ACTOR.RUN.SUCCEEDED","ACTOR.RUN.FAILED"],`+
		`"condition":{"actorId":"`+act+`"},"requestUrl":"`+rc.URL+`/hook","headersTemplate":"{\"X-Custom\": \"yes\", \"Content-Type\": \"text/plain\"}"}`))
	if created.Status != 201 || !strings.HasSuffix(created.Header.Get("Location"), "/v2/webhooks/"+dataID(t, created)) {
		t.Fatalf("create: %d %s %v", created.Status, created.Body, created.Header)
	}
	hook := dataID(t, created)
	run := dataID(t, s.Do("POST", "/v2/acts/"+act+"/runs?waitForFinish=60", token, []byte(`{}`)))

	c := rc.next(t)
	var payload struct {
		UserID, CreatedAt, EventType string
		EventData                    map[string]string
		Resource                     struct{ ID, Status, ActID string }
	}
	if err := json.Unmarshal(c.body, &payload); err != nil {
		t.Fatalf("payload %s: %v", c.body, err)
	}
	if payload.UserID != me.Data.ID || payload.EventType != "ACTOR.RUN.SUCCEEDED" || payload.EventData["actorRunId"] != run ||
		payload.EventData["actorId"] != act || payload.Resource.ID != run || payload.Resource.Status != "SUCCEEDED" || payload.CreatedAt == "" {
		t.Fatalf("payload: %s", c.body)
	}
	if c.header.Get("Content-Type") != "application/json" || c.header.Get("X-Apify-Webhook") != hook ||
		c.header.Get("X-Apify-Webhook-Dispatch-Id") == "" || c.header.Get("X-Apify-Request-Origin") != "WEBHOOK" ||
		c.header.Get("X-Custom") != "yes" || c.header.Get("Authorization") != "" {
		t.Fatalf("headers: %v", c.header)
	}
	d := dispatchEnd(t, s, token, c.header.Get("X-Apify-Webhook-Dispatch-Id"))
	if d.Status != "SUCCEEDED" || len(d.Calls) != 1 || *d.Calls[0].ResponseStatus != 200 || d.WebhookID != hook {
		t.Fatalf("dispatch: %+v", d)
	}
	var w struct {
		Data struct {
			Stats        struct{ TotalDispatches int }
			LastDispatch struct{ Status string }
		}
	}
	s.Do("GET", "/v2/webhooks/"+hook, token, nil).JSON(t, &w)
	if w.Data.Stats.TotalDispatches != 1 || w.Data.LastDispatch.Status != "SUCCEEDED" {
		t.Fatalf("webhook after the dispatch: %+v", w.Data)
	}
	rc.none(t) // one terminal event, and no RUN.CREATED (not subscribed)
}

// TestWebhookRetries: a receiver that fails twice gets the third attempt;
// the dispatch has three calls and SUCCEEDED. With doNotRetry, one failed
// call ends it.
func TestWebhookRetries(t *testing.T) {
	s := apitest.New(t)
	token := s.AdminToken
	act := builtActor(t, s, token, "retried", "echo hi")
	for _, tt := range []struct {
		name       string
		doNotRetry bool
		script     []int
		want       string
		calls      int
	}{
		{"retried until it succeeds", false, []int{500, 503}, "SUCCEEDED", 3},
		{"doNotRetry", true, []int{500}, "FAILED", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, tt.script...)
			hook := dataID(t, s.Do("POST", "/v2/webhooks", token, []byte(`{"eventTypes":["TEST"],"condition":{"actorId":"`+act+`"},`+
				`"requestUrl":"`+rc.URL+`","doNotRetry":`+map[bool]string{true: "true", false: "false"}[tt.doNotRetry]+`}`)))
			test := s.Do("POST", "/v2/webhooks/"+hook+"/test", token, nil)
			if test.Status != 201 {
				t.Fatalf("test: %d %s", test.Status, test.Body)
			}
			d := dispatchEnd(t, s, token, dataID(t, test))
			if d.Status != tt.want || len(d.Calls) != tt.calls || d.EventType != "TEST" {
				t.Fatalf("dispatch: %+v", d)
			}
			if *d.Calls[0].ResponseStatus != 500 || d.Calls[0].ErrorMessage == nil || *d.Calls[0].ResponseBody != "answer Internal Server Error" {
				t.Fatalf("first call: %+v", d.Calls[0])
			}
			for range tt.calls {
				rc.next(t)
			}
			rc.none(t)
		})
	}
}

// TestAdHocWebhooks: the base64 webhooks parameter of a run start fires
// once, for that run only; a bad one is a 400 and creates no run.
func TestAdHocWebhooks(t *testing.T) {
	s := apitest.New(t)
	token := s.AdminToken
	rc := newReceiver(t)
	act := builtActor(t, s, token, "adhoc", "echo hi")
	param := base64.StdEncoding.EncodeToString([]byte(`[{"eventTypes":["ACTOR.RUN.SUCCEEDED"],"requestUrl":"` + rc.URL +
		`","payloadTemplate":"{\"run\": {{resource.id}}, \"status\": {{resource.status}}, \"event\": {{eventType}}}"}]`))
	run := dataID(t, s.Do("POST", "/v2/acts/"+act+"/runs?waitForFinish=60&webhooks="+param, token, []byte(`{}`)))
	c := rc.next(t)
	if string(c.body) != `{"run":"`+run+`","status":"SUCCEEDED","event":"ACTOR.RUN.SUCCEEDED"}` {
		t.Fatalf("payload: %s", c.body)
	}
	var list struct {
		Data struct {
			Total int
			Items []struct {
				IsAdHoc   bool
				Condition struct{ ActorRunID string }
			}
		}
	}
	s.Do("GET", "/v2/webhooks", token, nil).JSON(t, &list)
	if list.Data.Total != 1 || !list.Data.Items[0].IsAdHoc || list.Data.Items[0].Condition.ActorRunID != run {
		t.Fatalf("webhooks: %+v", list.Data)
	}
	// Another run of the same actor does not fire it.
	s.Do("POST", "/v2/acts/"+act+"/runs?waitForFinish=60", token, []byte(`{}`))
	rc.none(t)

	for name, bad := range map[string]string{
		"not base64":        "!!!",
		"unknown event":     base64.StdEncoding.EncodeToString([]byte(`[{"eventTypes":["ACTOR.RUN.EXPLODED"],"requestUrl":"http://example.com"}]`)),
		"relative URL":      base64.StdEncoding.EncodeToString([]byte(`[{"eventTypes":["ACTOR.RUN.SUCCEEDED"],"requestUrl":"/hook"}]`)),
		"unknown variable":  base64.StdEncoding.EncodeToString([]byte(`[{"eventTypes":["ACTOR.RUN.SUCCEEDED"],"requestUrl":"http://example.com","payloadTemplate":"{\"a\": {{run}}}"}]`)),
		"no event types":    base64.StdEncoding.EncodeToString([]byte(`[{"requestUrl":"http://example.com"}]`)),
		"not a list of one": base64.StdEncoding.EncodeToString([]byte(`[1]`)),
	} {
		r := s.Do("POST", "/v2/acts/"+act+"/runs?webhooks="+bad, token, []byte(`{}`))
		if r.Status != 400 || r.ErrorType() != "invalid-parameter" {
			t.Errorf("%s: %d %s, want 400 invalid-parameter", name, r.Status, r.Body)
		}
	}
	var runs struct{ Data struct{ Total int } }
	s.Do("GET", "/v2/acts/"+act+"/runs", token, nil).JSON(t, &runs)
	if runs.Data.Total != 2 {
		t.Fatalf("runs: %d", runs.Data.Total)
	}
}

// TestWebhookOwnAddressRefused: delivery to the server's own API is
// refused whatever the host is called, and not retried.
func TestWebhookOwnAddressRefused(t *testing.T) {
	s := apitest.New(t)
	token := s.AdminToken
	act := dataID(t, s.Do("POST", "/v2/acts", token, shellActor("self", "echo hi")))
	port := s.URL[strings.LastIndex(s.URL, ":")+1:]
	for _, target := range []string{s.URL + "/v2/users/me", "http://localhost:" + port + "/v2/datasets", "http://0.0.0.0:" + port + "/"} {
		hook := dataID(t, s.Do("POST", "/v2/webhooks", token, []byte(`{"eventTypes":["TEST"],"condition":{"actorId":"`+act+`"},"requestUrl":"`+target+`"}`)))
		d := dispatchEnd(t, s, token, dataID(t, s.Do("POST", "/v2/webhooks/"+hook+"/test", token, nil)))
		if d.Status != "FAILED" || len(d.Calls) != 1 || d.Calls[0].ErrorMessage == nil ||
			!strings.Contains(*d.Calls[0].ErrorMessage, "own address") || d.Calls[0].ResponseStatus != nil {
			t.Errorf("%s: %+v", target, d)
		}
	}
}

// TestWebhookValidation: bad bodies are 400s with Apify's error types.
func TestWebhookValidation(t *testing.T) {
	s := apitest.New(t)
	token := s.AdminToken
	act := dataID(t, s.Do("POST", "/v2/acts", token, shellActor("valid", "echo hi")))
	ok := `"requestUrl":"http://example.com/x"`
	for _, tt := range []struct{ name, body, typ string }{
		{"no event types", `{"eventTypes":[],"condition":{"actorId":"` + act + `"},` + ok + `}`, "invalid-value"},
		{"unknown event", `{"eventTypes":["NOPE"],"condition":{"actorId":"` + act + `"},` + ok + `}`, "invalid-value"},
		{"no condition", `{"eventTypes":["TEST"],` + ok + `}`, "invalid-value"},
		{"two conditions", `{"eventTypes":["TEST"],"condition":{"actorId":"` + act + `","actorTaskId":"x"},` + ok + `}`, "invalid-value"},
		{"run condition without isAdHoc", `{"eventTypes":["TEST"],"condition":{"actorRunId":"x"},` + ok + `}`, "invalid-value"},
		{"ftp URL", `{"eventTypes":["TEST"],"condition":{"actorId":"` + act + `"},"requestUrl":"ftp://example.com"}`, "invalid-value"},
		{"unknown variable", `{"eventTypes":["TEST"],"condition":{"actorId":"` + act + `"},` + ok + `,"payloadTemplate":"{\"a\": {{nope}}}"}`, "invalid-value"},
		{"invalid JSON template", `{"eventTypes":["TEST"],"condition":{"actorId":"` + act + `"},` + ok + `,"payloadTemplate":"{\"a\": "}`, "invalid-value"},
		{"headers not an object", `{"eventTypes":["TEST"],"condition":{"actorId":"` + act + `"},` + ok + `,"headersTemplate":"[1]"}`, "invalid-value"},
		{"unknown actor", `{"eventTypes":["TEST"],"condition":{"actorId":"nope"},` + ok + `}`, "record-not-found"},
		{"not JSON", `nope`, "invalid-request"},
	} {
		r := s.Do("POST", "/v2/webhooks", token, []byte(tt.body))
		if r.ErrorType() != tt.typ {
			t.Errorf("%s: %d %s, want %s", tt.name, r.Status, r.Body, tt.typ)
		}
	}
	// The idempotency key returns the webhook created first.
	body := []byte(`{"eventTypes":["TEST"],"condition":{"actorId":"` + act + `"},` + ok + `,"idempotencyKey":"once"}`)
	first, again := dataID(t, s.Do("POST", "/v2/webhooks", token, body)), dataID(t, s.Do("POST", "/v2/webhooks", token, body))
	if first != again {
		t.Fatalf("idempotency key: %s then %s", first, again)
	}
	var list struct{ Data struct{ Total int } }
	s.Do("GET", "/v2/acts/"+act+"/webhooks", token, nil).JSON(t, &list)
	if list.Data.Total != 1 {
		t.Fatalf("actor's webhooks: %d", list.Data.Total)
	}
}

// TestWebhookIsolation: another user gets 404 on every webhook route.
func TestWebhookIsolation(t *testing.T) {
	s := apitest.New(t)
	admin, bob := s.AdminToken, s.NewUser("bob")
	rc := newReceiver(t)
	act := dataID(t, s.Do("POST", "/v2/acts", admin, shellActor("mine", "echo hi")))
	hook := dataID(t, s.Do("POST", "/v2/webhooks", admin, []byte(`{"eventTypes":["TEST"],"condition":{"actorId":"`+act+`"},"requestUrl":"`+rc.URL+`"}`)))
	dispatch := dataID(t, s.Do("POST", "/v2/webhooks/"+hook+"/test", admin, nil))
	rc.next(t)
	for _, route := range []struct{ method, path string }{
		{"GET", "/v2/webhooks/" + hook},
		{"PUT", "/v2/webhooks/" + hook},
		{"DELETE", "/v2/webhooks/" + hook},
		{"POST", "/v2/webhooks/" + hook + "/test"},
		{"GET", "/v2/webhooks/" + hook + "/dispatches"},
		{"GET", "/v2/webhook-dispatches/" + dispatch},
		{"GET", "/v2/acts/" + act + "/webhooks"},
		{"GET", "/v2/actors/" + act + "/webhooks"},
	} {
		var body []byte
		if route.method == "PUT" {
			body = []byte(`{"description":"mine now"}`)
		}
		if r := s.Do(route.method, route.path, bob, body); r.Status != 404 || r.ErrorType() != "record-not-found" {
			t.Errorf("bob %s %s: %d %s", route.method, route.path, r.Status, r.Body)
		}
	}
	for _, list := range []string{"/v2/webhooks", "/v2/webhook-dispatches"} {
		if r := s.Do("GET", list, bob, nil); !strings.Contains(string(r.Body), `"total":0`) {
			t.Errorf("bob's %s: %s", list, r.Body)
		}
	}
	// Bob cannot point a webhook at admin's actor either.
	if r := s.Do("POST", "/v2/webhooks", bob, []byte(`{"eventTypes":["TEST"],"condition":{"actorId":"`+act+`"},"requestUrl":"`+rc.URL+`"}`)); r.Status != 404 {
		t.Errorf("bob's webhook on admin's actor: %d %s", r.Status, r.Body)
	}
	if r := s.Do("GET", "/v2/webhooks/"+hook, admin, nil); r.Status != 200 || strings.Contains(string(r.Body), "mine now") {
		t.Fatalf("owner's webhook: %d %s", r.Status, r.Body)
	}
}
