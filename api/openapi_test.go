package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/content"
	oaerrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi/datamodel"

	"github.com/actord/actord/api/apitest"
)

// openAPISpecDir is Apify's published OpenAPI spec (multi-file, OpenAPI
// 3.1), relative to this package's directory: the repository is checked out
// next to ../shared.
const openAPISpecDir = "../../shared/apify-openapi"

// openAPISpecPatches are the only corrections made to Apify's spec before
// validating, each for a place where the spec contradicts itself or the
// real API. The text is replaced in a temporary copy; a patch whose old text
// is no longer in the spec fails the test, so a fixed spec gets its patch
// removed instead of carried along.
var openAPISpecPatches = []struct {
	file, old, new, why string
}{
	{
		file: "components/schemas/datasets/DatasetListItem.yaml",
		old:  "  name:\n    type: string\n",
		new:  "  name:\n    type: [string, \"null\"]\n",
		// GET /v2/datasets?unnamed=true lists unnamed datasets, whose name
		// is null on api.apify.com. The spec's own Dataset schema (GET
		// /v2/datasets/{id}) and the key-value store list item
		// (KeyValueStore) say [string, "null"]; DatasetListItem says string.
		why: "unnamed datasets have a null name in lists too",
	},
	{
		file: "components/schemas/request-queues/RequestQueueShort.yaml",
		old:  "  name:\n    type: string\n",
		new:  "  name:\n    type: [string, \"null\"]\n",
		// The same for GET /v2/request-queues?unnamed=true: RequestQueue
		// (GET /v2/request-queues/{id}) has [string, "null"], the list item
		// RequestQueueShort has string.
		why: "unnamed request queues have a null name in lists too",
	},
}

// loadOpenAPIValidator builds a validator from a patched copy of the spec,
// or skips the test when the spec is not checked out.
func loadOpenAPIValidator(t *testing.T) validator.Validator {
	t.Helper()
	src, err := filepath.Abs(openAPISpecDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(src, "openapi.yaml")); os.IsNotExist(err) {
		if os.Getenv("CI") != "" {
			t.Fatalf("Apify OpenAPI spec not found at %s; CI must validate responses against it", src)
		}
		t.Skipf("Apify OpenAPI spec not found at %s (expected ../shared/apify-openapi next to the repository); skipping response validation", src)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatalf("copy spec: %v", err)
	}
	for _, p := range openAPISpecPatches {
		path := filepath.Join(dir, filepath.FromSlash(p.file))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("spec patch (%s): %v", p.why, err)
		}
		if n := bytes.Count(b, []byte(p.old)); n != 1 {
			t.Fatalf("spec patch (%s): %s has its text %d times, want once; has the spec changed? Re-check the patch:\n%s", p.why, p.file, n, p.old)
		}
		if err := os.WriteFile(path, bytes.Replace(b, []byte(p.old), []byte(p.new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.ReadFile(filepath.Join(dir, "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocumentWithConfiguration(root, &datamodel.DocumentConfiguration{
		BasePath:            dir,
		SpecFilePath:        "openapi.yaml",
		AllowFileReferences: true,
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	// Responses with a status the operation does not declare fail
	// (ValidateResponseStatus is on by default); formats (date-time, uri)
	// are asserted too.
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions(),
		config.WithBodyDecoder("application/jsonl", jsonlDecoder))
	if len(errs) > 0 {
		t.Fatalf("build validator: %v", errs)
	}
	return v
}

// jsonlDecoder reads dataset items as JSON lines. The spec's schema for
// application/jsonl is a string, but the library decodes every media type
// containing "json" as a single JSON document, which JSON lines are not;
// this decoder checks each line is a JSON object and yields the body as
// the string the schema wants.
var jsonlDecoder = content.DecoderFunc(func(in *content.DecodeInput) (any, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return "", nil // an empty dataset
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if !json.Valid(line) || line[0] != '{' {
			return nil, fmt.Errorf("line %d is not a JSON object: %q", i+1, line)
		}
	}
	return string(b), nil
})

// openAPIOp is one API call whose response is checked against the spec.
type openAPIOp struct {
	name   string
	method string
	// path and body may hold {name} placeholders filled from vars.
	path    string
	body    string
	headers []string // alternating name, value; Content-Type defaults to application/json when there is a body
	token   string   // "" is the admin token; "none" sends none; "bad" sends an invalid one
	status  int
	// anyBody is set where the spec declares no schema for the response
	// body (a record's raw value is "*/*": {}) or only "type: string" (the
	// csv, html, xlsx, xml and rss item formats: only the media type is
	// checked), so the check that the validator rejects a wrong body is
	// skipped.
	anyBody bool
	// offSpecRequest is why the request itself deliberately breaks the spec
	// (to provoke an error response); others must be valid requests.
	offSpecRequest string
	// capture names the var that gets data.id or data.requestId.
	capture string
}

func TestOpenAPIResponses(t *testing.T) {
	v := loadOpenAPIValidator(t)
	s := apitest.New(t)

	vars := map[string]string{}
	var me struct {
		Data struct{ ID string } `json:"data"`
	}
	s.Do("GET", "/v2/users/me", s.NewUser("alice"), nil).JSON(t, &me)
	vars["alice"] = me.Data.ID

	const ck = "clientKey=oa-client"
	ops := []openAPIOp{
		{name: "users me", method: "GET", path: "/v2/users/me", status: 200},
		{name: "users get", method: "GET", path: "/v2/users/{alice}", status: 200},

		{name: "datasets create", method: "POST", path: "/v2/datasets?name=oa-ds", status: 201, capture: "ds"},
		{name: "datasets get-or-create existing", method: "POST", path: "/v2/datasets?name=oa-ds", status: 200},
		{name: "datasets create unnamed", method: "POST", path: "/v2/datasets", status: 201, capture: "dsUnnamed"},
		{name: "dataset push items", method: "POST", path: "/v2/datasets/{ds}/items", body: `[{"a":1},{"b":"x","c":[1,2]}]`, status: 201},
		{name: "dataset push one item", method: "POST", path: "/v2/datasets/{ds}/items", body: `{"d":null}`, status: 201},
		{name: "dataset list items", method: "GET", path: "/v2/datasets/{ds}/items", status: 200},
		{name: "dataset list items paged", method: "GET", path: "/v2/datasets/{ds}/items?offset=1&limit=1&desc=true", status: 200},
		{name: "dataset list items empty", method: "GET", path: "/v2/datasets/{dsUnnamed}/items", status: 200},
		{name: "dataset list items empty jsonl", method: "GET", path: "/v2/datasets/{dsUnnamed}/items?format=jsonl", status: 200},
		{name: "dataset list items jsonl", method: "GET", path: "/v2/datasets/{ds}/items?format=jsonl", status: 200},
		{name: "dataset head items", method: "HEAD", path: "/v2/datasets/{ds}/items", status: 200},
		{name: "dataset items csv", method: "GET", path: "/v2/datasets/{ds}/items?format=csv&fields=a%2Cc&bom=0", status: 200, anyBody: true},
		{name: "dataset items html", method: "GET", path: "/v2/datasets/{ds}/items?format=html&clean=1", status: 200, anyBody: true},
		{name: "dataset items xlsx", method: "GET", path: "/v2/datasets/{ds}/items?format=xlsx&attachment=1", status: 200, anyBody: true},
		{name: "dataset items xml", method: "GET", path: "/v2/datasets/{ds}/items?format=xml&xmlRoot=rows&xmlRow=row&unwind=c", status: 200, anyBody: true},
		{name: "dataset items rss", method: "GET", path: "/v2/datasets/{ds}/items?format=rss&feedTitle=T&feedDescription=D", status: 200, anyBody: true},
		{name: "dataset items json transformed", method: "GET", path: "/v2/datasets/{ds}/items?fields=c%2Ca&omit=a&flatten=c&skipEmpty=1&skipHidden=1&skipFailedPages=1", status: 200},
		{name: "dataset items bad format", method: "GET", path: "/v2/datasets/{ds}/items?format=pdf", status: 400},
		{name: "dataset get", method: "GET", path: "/v2/datasets/{ds}", status: 200},
		{name: "dataset update", method: "PUT", path: "/v2/datasets/{ds}", body: `{"name":"oa-ds-renamed"}`, status: 200},
		{name: "dataset statistics", method: "GET", path: "/v2/datasets/{ds}/statistics", status: 200},
		{name: "datasets list", method: "GET", path: "/v2/datasets", status: 200},
		{name: "datasets list unnamed", method: "GET", path: "/v2/datasets?unnamed=true&desc=true&limit=10", status: 200},
		{name: "dataset delete", method: "DELETE", path: "/v2/datasets/{dsUnnamed}", status: 204},

		{name: "kvs create", method: "POST", path: "/v2/key-value-stores?name=oa-kvs", status: 201, capture: "kvs"},
		{name: "kvs get-or-create existing", method: "POST", path: "/v2/key-value-stores?name=oa-kvs", status: 200},
		{name: "kvs create unnamed", method: "POST", path: "/v2/key-value-stores", status: 201, capture: "kvsUnnamed"},
		{name: "kvs get", method: "GET", path: "/v2/key-value-stores/{kvs}", status: 200},
		{name: "kvs update", method: "PUT", path: "/v2/key-value-stores/{kvs}", body: `{"name":"oa-kvs-renamed"}`, status: 200},
		{name: "kvs list", method: "GET", path: "/v2/key-value-stores", status: 200},
		{name: "kvs list unnamed", method: "GET", path: "/v2/key-value-stores?unnamed=true", status: 200},
		{name: "kvs put record json", method: "PUT", path: "/v2/key-value-stores/{kvs}/records/INPUT", body: `{"hello":"world"}`, status: 201},
		{name: "kvs put record text", method: "PUT", path: "/v2/key-value-stores/{kvs}/records/note", body: "plain text",
			headers: []string{"Content-Type", "text/plain; charset=utf-8"}, status: 201},
		{name: "kvs post record", method: "POST", path: "/v2/key-value-stores/{kvs}/records/posted", body: `{"posted":true}`, status: 201},
		{name: "kvs get record json", method: "GET", path: "/v2/key-value-stores/{kvs}/records/INPUT", status: 200},
		// The spec gives a JSON record the RecordResponse schema (an
		// object); other values fall under "*/*" with no schema.
		{name: "kvs get record text", method: "GET", path: "/v2/key-value-stores/{kvs}/records/note", status: 200, anyBody: true},
		{name: "kvs get record attachment", method: "GET", path: "/v2/key-value-stores/{kvs}/records/note?attachment=true", status: 200, anyBody: true},
		{name: "kvs head record", method: "HEAD", path: "/v2/key-value-stores/{kvs}/records/INPUT", status: 200},
		{name: "kvs list keys", method: "GET", path: "/v2/key-value-stores/{kvs}/keys", status: 200},
		{name: "kvs list keys paged", method: "GET", path: "/v2/key-value-stores/{kvs}/keys?limit=1&exclusiveStartKey=INPUT", status: 200},
		{name: "kvs records zip", method: "GET", path: "/v2/key-value-stores/{kvs}/records", status: 200, anyBody: true},
		{name: "kvs delete record", method: "DELETE", path: "/v2/key-value-stores/{kvs}/records/note", status: 204},
		{name: "kvs get deleted record 404", method: "GET", path: "/v2/key-value-stores/{kvs}/records/note", status: 404},
		{name: "kvs delete store", method: "DELETE", path: "/v2/key-value-stores/{kvsUnnamed}", status: 204},

		{name: "rq create", method: "POST", path: "/v2/request-queues?name=oa-rq", status: 201, capture: "rq"},
		{name: "rq get-or-create existing", method: "POST", path: "/v2/request-queues?name=oa-rq", status: 200},
		{name: "rq create unnamed", method: "POST", path: "/v2/request-queues", status: 201, capture: "rqUnnamed"},
		{name: "rq get", method: "GET", path: "/v2/request-queues/{rq}", status: 200},
		{name: "rq update", method: "PUT", path: "/v2/request-queues/{rq}", body: `{"name":"oa-rq-renamed"}`, status: 200},
		{name: "rq list", method: "GET", path: "/v2/request-queues", status: 200},
		{name: "rq list unnamed", method: "GET", path: "/v2/request-queues?unnamed=true", status: 200},
		{name: "rq add request", method: "POST", path: "/v2/request-queues/{rq}/requests?" + ck,
			body: `{"url":"https://example.com/a","uniqueKey":"https://example.com/a","method":"GET"}`, status: 201, capture: "req"},
		{name: "rq add request again", method: "POST", path: "/v2/request-queues/{rq}/requests?forefront=true&" + ck,
			body: `{"url":"https://example.com/a","uniqueKey":"https://example.com/a"}`, status: 201},
		{name: "rq batch add", method: "POST", path: "/v2/request-queues/{rq}/requests/batch?" + ck,
			body: `[{"url":"https://example.com/b","uniqueKey":"b","method":"GET"},{"url":"https://example.com/c","uniqueKey":"c","method":"POST","payload":"x","userData":{"label":"L"}}]`, status: 201},
		{name: "rq get request", method: "GET", path: "/v2/request-queues/{rq}/requests/{req}", status: 200},
		{name: "rq update request", method: "PUT", path: "/v2/request-queues/{rq}/requests/{req}?" + ck,
			body: `{"id":"{req}","url":"https://example.com/a","uniqueKey":"https://example.com/a","method":"GET","userData":{"label":"x"}}`, status: 200},
		{name: "rq list head", method: "GET", path: "/v2/request-queues/{rq}/head?limit=10&" + ck, status: 200},
		{name: "rq head lock", method: "POST", path: "/v2/request-queues/{rq}/head/lock?lockSecs=60&limit=2&" + ck, status: 201},
		{name: "rq list head with locks", method: "GET", path: "/v2/request-queues/{rq}/head?" + ck, status: 200},
		{name: "rq prolong lock", method: "PUT", path: "/v2/request-queues/{rq}/requests/{req}/lock?lockSecs=120&" + ck, status: 200},
		{name: "rq delete lock", method: "DELETE", path: "/v2/request-queues/{rq}/requests/{req}/lock?" + ck, status: 204},
		{name: "rq unlock", method: "POST", path: "/v2/request-queues/{rq}/requests/unlock?" + ck, status: 200},
		{name: "rq list requests", method: "GET", path: "/v2/request-queues/{rq}/requests", status: 200},
		{name: "rq list requests paged", method: "GET", path: "/v2/request-queues/{rq}/requests?limit=1", status: 200},
		{name: "rq batch delete", method: "DELETE", path: "/v2/request-queues/{rq}/requests/batch?" + ck,
			body: `[{"uniqueKey":"b"},{"id":"{req}"}]`, status: 200},
		{name: "rq delete request", method: "DELETE", path: "/v2/request-queues/{rq}/requests/{req}?" + ck, status: 204},
		{name: "rq delete", method: "DELETE", path: "/v2/request-queues/{rqUnnamed}", status: 204},

		{name: "actor create", method: "POST", path: "/v2/actors", body: `{"name":"oa-actor","title":"OA","versions":[{"versionNumber":"0.1","sourceType":"SOURCE_FILES","buildTag":"latest","envVars":[{"name":"SECRET","value":"s3","isSecret":true}],"sourceFiles":[{"name":"Dockerfile","format":"TEXT","content":"FROM scratch\nCMD [\"/bin/sh\", \"-c\", \"echo hello from the actor\"]\n"}]}],"defaultRunOptions":{"build":"latest","memoryMbytes":256,"timeoutSecs":60}}`, status: 201, capture: "act"},
		{name: "actor get", method: "GET", path: "/v2/actors/{act}", status: 200},
		{name: "actor get by name", method: "GET", path: "/v2/actors/admin~oa-actor", status: 200},
		{name: "actor update", method: "PUT", path: "/v2/actors/{act}", body: `{"description":"validated","isPublic":false}`, status: 200},
		{name: "actors list", method: "GET", path: "/v2/actors?my=1&desc=1", status: 200},
		{name: "actor versions list", method: "GET", path: "/v2/actors/{act}/versions", status: 200},
		{name: "actor version create", method: "POST", path: "/v2/actors/{act}/versions", body: `{"versionNumber":"0.2","sourceType":"GIT_REPO","gitRepoUrl":"https://example.com/repo.git"}`, status: 201},
		{name: "actor version get", method: "GET", path: "/v2/actors/{act}/versions/0.2", status: 200},
		{name: "actor version update", method: "PUT", path: "/v2/actors/{act}/versions/0.2", body: `{"buildTag":"beta"}`, status: 200},
		{name: "actor env vars list", method: "GET", path: "/v2/actors/{act}/versions/0.1/env-vars", status: 200},
		{name: "actor env var create", method: "POST", path: "/v2/actors/{act}/versions/0.1/env-vars", body: `{"name":"PLAIN","value":"v"}`, status: 201},
		{name: "actor env var get", method: "GET", path: "/v2/actors/{act}/versions/0.1/env-vars/PLAIN", status: 200},
		{name: "actor env var update", method: "PUT", path: "/v2/actors/{act}/versions/0.1/env-vars/PLAIN", body: `{"name":"PLAIN","value":"w","isSecret":false}`, status: 200},
		{name: "actor env var delete", method: "DELETE", path: "/v2/actors/{act}/versions/0.1/env-vars/PLAIN", status: 204},
		{name: "actor version delete", method: "DELETE", path: "/v2/actors/{act}/versions/0.2", status: 204},
		{name: "actor build", method: "POST", path: "/v2/actors/{act}/builds?version=0.1&waitForFinish=60", status: 201, capture: "build"},
		{name: "build get", method: "GET", path: "/v2/actor-builds/{build}?waitForFinish=60", status: 200},
		{name: "actor builds list", method: "GET", path: "/v2/actors/{act}/builds", status: 200},
		{name: "builds list", method: "GET", path: "/v2/actor-builds?desc=true", status: 200},
		{name: "actor default build", method: "GET", path: "/v2/actors/{act}/builds/default", status: 200},
		{name: "build log", method: "GET", path: "/v2/logs/{build}", status: 200, anyBody: true},
		{name: "actor run", method: "POST", path: "/v2/actors/{act}/runs?waitForFinish=60&memory=256&timeout=30", body: `{"hello":"world"}`, status: 201, capture: "run"},
		{name: "run get", method: "GET", path: "/v2/actor-runs/{run}?waitForFinish=60", status: 200},
		{name: "actor runs list", method: "GET", path: "/v2/actors/{act}/runs?status=SUCCEEDED", status: 200},
		{name: "runs list", method: "GET", path: "/v2/actor-runs?desc=1&limit=5", status: 200},
		{name: "actor last run", method: "GET", path: "/v2/actors/{act}/runs/last?status=SUCCEEDED", status: 200},
		{name: "actor last run dataset", method: "GET", path: "/v2/actors/{act}/runs/last/dataset", status: 200},
		{name: "actor run-sync-get-dataset-items", method: "POST", path: "/v2/actors/{act}/run-sync-get-dataset-items?memory=256&timeout=30", body: `{"a":1}`, status: 201},
		{name: "actor run-sync-get-dataset-items GET", method: "GET", path: "/v2/actors/{act}/run-sync-get-dataset-items?fields=a&limit=5", status: 201},
		{name: "actor run-sync-get-dataset-items bad format", method: "POST", path: "/v2/actors/{act}/run-sync-get-dataset-items?format=pdf", body: `{}`, status: 400},
		{name: "actor run-sync", method: "POST", path: "/v2/actors/{act}/run-sync?build=latest&outputRecordKey=INPUT", body: `{"a":1}`, status: 201},
		{name: "run update", method: "PUT", path: "/v2/actor-runs/{run}", body: `{"statusMessage":"checked","isStatusMessageTerminal":true}`, status: 200},
		{name: "run log", method: "GET", path: "/v2/actor-runs/{run}/log", status: 200, anyBody: true},
		{name: "run dataset items", method: "GET", path: "/v2/actor-runs/{run}/dataset/items", status: 200},
		{name: "run input record", method: "GET", path: "/v2/actor-runs/{run}/key-value-store/records/INPUT", status: 200},
		{name: "run request queue", method: "GET", path: "/v2/actor-runs/{run}/request-queue", status: 200},
		{name: "run resurrect", method: "POST", path: "/v2/actor-runs/{run}/resurrect", status: 200},
		{name: "run abort", method: "POST", path: "/v2/actor-runs/{run}/abort", status: 200},
		{name: "task create", method: "POST", path: "/v2/actor-tasks", body: `{"actId":"{act}","name":"oa-task","title":"OA task","options":{"build":"latest","memoryMbytes":256,"timeoutSecs":30,"restartOnError":false},"input":{"hello":"task","n":1}}`, status: 201, capture: "task"},
		{name: "task create duplicate name", method: "POST", path: "/v2/actor-tasks", body: `{"actId":"{act}","name":"oa-task"}`, status: 409},
		{name: "tasks list", method: "GET", path: "/v2/actor-tasks?desc=1&limit=10", status: 200},
		{name: "task get", method: "GET", path: "/v2/actor-tasks/{task}", status: 200},
		{name: "task get by name", method: "GET", path: "/v2/actor-tasks/admin~oa-task", status: 200},
		{name: "task update", method: "PUT", path: "/v2/actor-tasks/{task}", body: `{"title":null,"options":{"memoryMbytes":128,"maxItems":10}}`, status: 200},
		{name: "task input get", method: "GET", path: "/v2/actor-tasks/{task}/input", status: 200},
		{name: "task input update", method: "PUT", path: "/v2/actor-tasks/{task}/input", body: `{"n":2,"added":true}`, status: 200},
		{name: "task run", method: "POST", path: "/v2/actor-tasks/{task}/runs?waitForFinish=60&memory=256", body: `{"hello":"override"}`, status: 201, capture: "taskRun"},
		// Not here: the task run-sync-get-dataset-items routes, whose 201
		// body the spec types as an object; it is the items array, as for
		// actors (TestRunSyncTask checks it against the dataset's items).
		{name: "task run-sync", method: "POST", path: "/v2/actor-tasks/{task}/run-sync?outputRecordKey=INPUT", body: `{"hello":"sync"}`, status: 201},
		{name: "task run-sync GET", method: "GET", path: "/v2/actor-tasks/{task}/run-sync?outputRecordKey=INPUT", status: 201},
		{name: "task runs list", method: "GET", path: "/v2/actor-tasks/{task}/runs?desc=1&status=SUCCEEDED", status: 200},
		{name: "task last run", method: "GET", path: "/v2/actor-tasks/{task}/runs/last?status=SUCCEEDED", status: 200},
		{name: "task last run dataset", method: "GET", path: "/v2/actor-tasks/{task}/runs/last/dataset", status: 200},
		{name: "task last run dataset items", method: "GET", path: "/v2/actor-tasks/{task}/runs/last/dataset/items", status: 200},
		{name: "task last run key-value store", method: "GET", path: "/v2/actor-tasks/{task}/runs/last/key-value-store", status: 200},
		{name: "task last run log", method: "GET", path: "/v2/actor-tasks/{task}/runs/last/log", status: 200, anyBody: true},
		{name: "404 task", method: "GET", path: "/v2/actor-tasks/nonexistent", status: 404},
		{name: "task webhook create", method: "POST", path: "/v2/webhooks", body: `{"eventTypes":["ACTOR.RUN.FAILED"],"condition":{"actorTaskId":"admin~oa-task"},"requestUrl":"http://127.0.0.1:9/task-hook"}`, status: 201},
		{name: "task webhooks list", method: "GET", path: "/v2/actor-tasks/{task}/webhooks", status: 200},
		{name: "webhook for another's task", method: "POST", path: "/v2/webhooks", body: `{"eventTypes":["ACTOR.RUN.FAILED"],"condition":{"actorTaskId":"nonexistent"},"requestUrl":"http://127.0.0.1:9/x"}`, status: 404},
		{name: "task delete", method: "DELETE", path: "/v2/actor-tasks/{task}", status: 204},
		{name: "webhook create", method: "POST", path: "/v2/webhooks", body: `{"eventTypes":["ACTOR.RUN.SUCCEEDED","TEST"],"condition":{"actorId":"{act}"},"requestUrl":"http://127.0.0.1:9/hook","payloadTemplate":"{\"id\": {{resource.id}}}","headersTemplate":"{\"X-A\": \"b\"}","description":"oa","idempotencyKey":"oa-key","doNotRetry":true}`, status: 201, capture: "hook"},
		{name: "webhook create ad-hoc", method: "POST", path: "/v2/webhooks", body: `{"isAdHoc":true,"eventTypes":["ACTOR.RUN.SUCCEEDED"],"condition":{"actorRunId":"{run}"},"requestUrl":"https://example.com/hook"}`, status: 201},
		{name: "webhook create invalid", method: "POST", path: "/v2/webhooks", body: `{"eventTypes":["ACTOR.RUN.SUCCEEDED"],"condition":{"actorId":"{act}"},"requestUrl":"http://example.com","payloadTemplate":"{\"a\": {{nope}}}"}`, status: 400},
		{name: "webhook get", method: "GET", path: "/v2/webhooks/{hook}", status: 200},
		{name: "webhook update", method: "PUT", path: "/v2/webhooks/{hook}", body: `{"description":"updated","eventTypes":["TEST"],"shouldInterpolateStrings":true}`, status: 200},
		{name: "webhooks list", method: "GET", path: "/v2/webhooks?desc=1&limit=10", status: 200},
		{name: "actor webhooks list", method: "GET", path: "/v2/actors/{act}/webhooks", status: 200},
		{name: "webhook test", method: "POST", path: "/v2/webhooks/{hook}/test", status: 201, capture: "dispatch"},
		{name: "webhook dispatches list", method: "GET", path: "/v2/webhooks/{hook}/dispatches", status: 200},
		{name: "webhook dispatches all", method: "GET", path: "/v2/webhook-dispatches?desc=1", status: 200},
		{name: "webhook dispatch get", method: "GET", path: "/v2/webhook-dispatches/{dispatch}", status: 200},
		{name: "webhook delete", method: "DELETE", path: "/v2/webhooks/{hook}", status: 204},
		{name: "404 webhook", method: "GET", path: "/v2/webhooks/{hook}", status: 404},
		{name: "404 webhook dispatch", method: "GET", path: "/v2/webhook-dispatches/nonexistent", status: 404},
		{name: "404 actor", method: "GET", path: "/v2/actors/nonexistent", status: 404},
		{name: "404 run", method: "GET", path: "/v2/actor-runs/nonexistent", status: 404},
		{name: "actor delete", method: "DELETE", path: "/v2/actors/{act}", status: 204},

		{name: "401 no token", method: "GET", path: "/v2/datasets", token: "none", status: 401,
			offSpecRequest: "sends no token, which the security requirement demands"},
		{name: "401 bad token", method: "GET", path: "/v2/key-value-stores", token: "bad", status: 401},
		{name: "401 bad token on item push", method: "POST", path: "/v2/datasets/{ds}/items", body: `[{}]`, token: "bad", status: 401},
		{name: "404 dataset", method: "GET", path: "/v2/datasets/nonexistent", status: 404},
		{name: "404 kvs record", method: "GET", path: "/v2/key-value-stores/{kvs}/records/missing", status: 404},
		{name: "404 kvs keys of deleted store", method: "GET", path: "/v2/key-value-stores/{kvsUnnamed}/keys", status: 404},
		{name: "404 kvs head record", method: "HEAD", path: "/v2/key-value-stores/{kvs}/records/missing", status: 404},
		{name: "404 request", method: "GET", path: "/v2/request-queues/{rq}/requests/nonexistent0", status: 404},
		{name: "400 head lock without lockSecs", method: "POST", path: "/v2/request-queues/{rq}/head/lock?" + ck, status: 400,
			offSpecRequest: "omits the required lockSecs"},
	}

	expand := func(s string) string {
		for k, val := range vars {
			s = strings.ReplaceAll(s, "{"+k+"}", val)
		}
		return s
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			path, body := expand(o.path), expand(o.body)
			// newRequest builds the request afresh: sending consumes the
			// body, and validation reads it again.
			newRequest := func(base string) *http.Request {
				var rd io.Reader
				if body != "" {
					rd = strings.NewReader(body)
				}
				req, err := http.NewRequest(o.method, base+path, rd)
				if err != nil {
					t.Fatal(err)
				}
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				for i := 0; i+1 < len(o.headers); i += 2 {
					req.Header.Set(o.headers[i], o.headers[i+1])
				}
				switch o.token {
				case "":
					req.Header.Set("Authorization", "Bearer "+s.AdminToken)
				case "bad":
					req.Header.Set("Authorization", "Bearer not-a-valid-token")
				}
				return req
			}

			res, err := http.DefaultClient.Do(newRequest(s.URL))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != o.status {
				t.Fatalf("%s %s: status %d, want %d; body: %s", o.method, path, res.StatusCode, o.status, got)
			}
			if o.capture != "" {
				var out struct {
					Data struct {
						ID        string `json:"id"`
						RequestID string `json:"requestId"`
					} `json:"data"`
				}
				if err := json.Unmarshal(got, &out); err != nil {
					t.Fatalf("decode %s: %v", got, err)
				}
				vars[o.capture] = out.Data.ID + out.Data.RequestID
			}

			// The spec's server is https://api.apify.com; the validator
			// matches on the path alone, but use Apify's origin anyway.
			const apify = "https://api.apify.com"
			validate := func(body []byte) []*oaerrors.ValidationError {
				r := &http.Response{StatusCode: res.StatusCode, Header: res.Header.Clone(),
					Body: io.NopCloser(bytes.NewReader(body)), Request: newRequest(apify)}
				_, errs := v.ValidateHttpResponse(r.Request, r)
				return errs
			}
			if errs := validate(got); len(errs) > 0 {
				t.Errorf("%s %s (%d): response does not match Apify's OpenAPI spec:%s\nbody: %s",
					o.method, o.path, res.StatusCode, formatOpenAPIErrors(errs), got)
			}
			// Guard against validation that checks nothing (an operation
			// or schema the loader failed to resolve): a JSON body of the
			// wrong shape must be rejected.
			if len(got) > 0 && !o.anyBody {
				if errs := validate([]byte(`"not an Apify response"`)); len(errs) == 0 {
					t.Errorf("%s %s (%d): the validator accepts any body here; is the operation's schema resolved?", o.method, o.path, res.StatusCode)
				}
			}
			// The requests themselves follow the spec, so each response is
			// checked against the operation a real client call would hit.
			if o.offSpecRequest == "" {
				if ok, errs := v.ValidateHttpRequest(newRequest(apify)); !ok {
					t.Errorf("%s %s: the test's request does not match the spec:%s", o.method, o.path, formatOpenAPIErrors(errs))
				}
			}
		})
	}
}

func formatOpenAPIErrors(errs []*oaerrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  - %s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s: %s", f.FieldPath, f.Reason)
		}
	}
	return b.String()
}
