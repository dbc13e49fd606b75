package api_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/actord/actord/api/apitest"
)

// TestActordOpenAPIExtension checks the sync routes' answers, with
// actord's additions (X-Actord-Run-Id, error.data, Idempotency-Key,
// stream=1), against docs/openapi-actord.yaml, the document that describes
// them.
func TestActordOpenAPIExtension(t *testing.T) {
	spec, err := os.ReadFile("../docs/openapi-actord.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatalf("load docs/openapi-actord.yaml: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("build validator: %v", errs)
	}
	s := apitest.New(t, apitest.SyncTimeout(time.Second))
	tok := s.AdminToken
	act := newItemsActor(t, s, tok, "extension")

	for _, tt := range []struct {
		name, method, path, body string
		headers                  []string
		status                   int
	}{
		{"items", "POST", "/v2/acts/" + act + "/run-sync-get-dataset-items", `{"count":2}`, []string{"Idempotency-Key", "ext-1"}, 201},
		{"items again with the key", "POST", "/v2/acts/" + act + "/run-sync-get-dataset-items", `{"count":2}`, []string{"Idempotency-Key", "ext-1"}, 201},
		{"run failed", "POST", "/v2/acts/" + act + "/run-sync-get-dataset-items", `{"exitCode":2}`, nil, 400},
		{"past the wall", "POST", "/v2/acts/" + act + "/run-sync-get-dataset-items", `{"sleepMs":1500}`, nil, 408},
		{"output", "POST", "/v2/acts/" + act + "/run-sync", `{"count":1}`, []string{"Idempotency-Key", "ext-2"}, 201},
		{"async start with a key", "POST", "/v2/acts/" + act + "/runs", `{"count":1}`, []string{"Idempotency-Key", "ext-3"}, 201},
	} {
		t.Run(tt.name, func(t *testing.T) {
			newRequest := func() *http.Request {
				req, _ := http.NewRequest(tt.method, s.URL+tt.path, strings.NewReader(tt.body))
				req.Header.Set("Content-Type", "application/json")
				for i := 0; i+1 < len(tt.headers); i += 2 {
					req.Header.Set(tt.headers[i], tt.headers[i+1])
				}
				return req
			}
			req := newRequest()
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", res.StatusCode, body, tt.status)
			}
			if id := res.Header.Get("X-Actord-Run-Id"); tt.status != 201 || !strings.HasSuffix(tt.path, "/runs") {
				if len(id) != 17 {
					t.Errorf("X-Actord-Run-Id %q", id)
				}
			}
			if ok, errs := v.ValidateHttpRequest(newRequest()); !ok {
				t.Errorf("request does not match the extension: %v", errs)
			}
			res.Body = io.NopCloser(bytes.NewReader(body))
			if _, errs := v.ValidateHttpResponse(newRequest(), res); len(errs) > 0 {
				for _, e := range errs {
					t.Errorf("response does not match the extension: %s %s %v", e.Message, e.Reason, e.SchemaValidationErrors)
				}
				t.Logf("body: %s", body)
			}
			// The validator must check something: a body of the wrong shape
			// is rejected (the async start's answer is not described here).
			if !strings.HasSuffix(tt.path, "/runs") && !strings.HasSuffix(tt.path, "/run-sync") {
				res.Body = io.NopCloser(strings.NewReader(`"not it"`))
				if _, errs := v.ValidateHttpResponse(newRequest(), res); len(errs) == 0 {
					t.Error("the extension accepts any body here")
				}
			}
		})
	}
}
