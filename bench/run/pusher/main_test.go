package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPush(t *testing.T) {
	var got struct{ method, path, auth, ctype, body string }
	status := http.StatusCreated
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.path, got.auth, got.ctype, got.body = r.Method, r.URL.EscapedPath(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)
		w.WriteHeader(status)
		io.WriteString(w, `{"error":{"type":"x","message":"no"}}`)
	}))
	defer ts.Close()
	env := map[string]string{"APIFY_API_BASE_URL": ts.URL + "/", "APIFY_TOKEN": "tok", "ACTOR_DEFAULT_DATASET_ID": "ds1"}
	getenv := func(k string) string { return env[k] }
	if err := push(getenv); err != nil {
		t.Fatal(err)
	}
	if got.method != "POST" || got.path != "/v2/datasets/ds1/items" || got.auth != "Bearer tok" || got.ctype != "application/json" || got.body != `{"hello":"world"}` {
		t.Errorf("request %+v", got)
	}
	status = http.StatusForbidden
	if err := push(getenv); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("403: %v", err)
	}
	delete(env, "ACTOR_DEFAULT_DATASET_ID")
	if err := push(getenv); err == nil {
		t.Error("no dataset ID: no error")
	}
}
