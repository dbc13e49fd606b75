package api_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/actord/actord"
	"github.com/actord/actord/api/apitest"
)

// maxBody is Apify's request body limit after decompression (contract §6).
const maxBody = 9_437_184

// badInputCase is one malformed request, the answer it must get, and an
// optional check beyond the snapshot comparison every case gets.
type badInputCase struct {
	name    string
	method  string
	path    string // {ds}, {kv}, {rq}, {req}, {key} are the fixture's
	auth    string // "" admin's token; "none"; "invalid"
	headers []string
	body    []byte
	status  int
	errType string
	check   func(t *testing.T, s *apitest.Server, f *storageFixture, r *apitest.Response)
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func deflated(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// requestsJSON returns a JSON array of n distinct valid requests.
func requestsJSON(n int, prefix string) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"uniqueKey":"https://%s.example/%d","url":"https://%s.example/%d"}`, prefix, i, prefix, i)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// noItem checks that no dataset item contains marker.
func noItem(marker string) func(*testing.T, *apitest.Server, *storageFixture, *apitest.Response) {
	return func(t *testing.T, s *apitest.Server, f *storageFixture, _ *apitest.Response) {
		t.Helper()
		r := s.Do("GET", "/v2/datasets/"+f.DS+"/items", s.AdminToken, nil)
		if bytes.Contains(r.Body, []byte(marker)) {
			t.Errorf("an item with %s was stored: %s", marker, r.Body)
		}
	}
}

// noRequest checks that the queue has no request whose JSON contains marker.
func noRequest(marker string) func(*testing.T, *apitest.Server, *storageFixture, *apitest.Response) {
	return func(t *testing.T, s *apitest.Server, f *storageFixture, _ *apitest.Response) {
		t.Helper()
		r := s.Do("GET", "/v2/request-queues/"+f.RQ+"/requests", s.AdminToken, nil)
		if bytes.Contains(r.Body, []byte(marker)) {
			t.Errorf("a request with %s was stored: %s", marker, r.Body)
		}
	}
}

// noRecord checks that the store has no record with that key.
func noRecord(key string) func(*testing.T, *apitest.Server, *storageFixture, *apitest.Response) {
	return func(t *testing.T, s *apitest.Server, f *storageFixture, _ *apitest.Response) {
		t.Helper()
		if r := s.Do("GET", "/v2/key-value-stores/"+f.KV+"/records/"+key, s.AdminToken, nil); r.Status != http.StatusNotFound {
			t.Errorf("record %q: status %d, want 404 (not stored)", key, r.Status)
		}
	}
}

// allowHeader checks a 405's Allow header and message.
func allowHeader(want ...string) func(*testing.T, *apitest.Server, *storageFixture, *apitest.Response) {
	return func(t *testing.T, _ *apitest.Server, _ *storageFixture, r *apitest.Response) {
		t.Helper()
		allow := r.Header.Get("Allow")
		for _, m := range want {
			if !strings.Contains(allow, m) {
				t.Errorf("Allow %q lacks %s", allow, m)
			}
		}
		if !bytes.Contains(r.Body, []byte("following HTTP methods")) {
			t.Errorf("405 message does not list the allowed methods: %s", r.Body)
		}
	}
}

func badInputCases() []badInputCase {
	const (
		push   = "/v2/datasets/{ds}/items"
		record = "/v2/key-value-stores/{kv}/records/"
		add    = "/v2/request-queues/{rq}/requests"
		batch  = "/v2/request-queues/{rq}/requests/batch"
		lock   = "/v2/request-queues/{rq}/head/lock"
		ok     = `{"uniqueKey":"https://ok.example/","url":"https://ok.example/"}`
	)
	// A gzip bomb: ~10 KiB on the wire, one byte over the limit inflated,
	// and valid JSON, so it would be stored if the limit were not applied.
	bombJSON := []byte(`[{"bomb":"` + strings.Repeat("a", maxBody-len(`[{"bomb":""}]`)+1) + `"}]`)
	bomb := gzipped(bombJSON)
	bombRequest := gzipped([]byte(`{"uniqueKey":"https://bomb.example/","url":"https://bomb.example/","userData":{"pad":"` +
		strings.Repeat("a", maxBody) + `"}}`))
	bigRecord := bytes.Repeat([]byte("x"), maxBody+1)
	truncatedGzip := gzipped([]byte(`[{"truncated":"gzip","pad":"` + strings.Repeat("ab", 500) + `"}]`))
	truncatedGzip = truncatedGzip[:len(truncatedGzip)/2]
	otherID := actord.RequestIDFromUniqueKey("https://ok.example/")
	long := strings.Repeat("k", 257)
	key33 := strings.Repeat("c", 33)

	return []badInputCase{
		// --- Dataset push: bad JSON and wrong shapes (all or nothing). ---
		{name: "push invalid JSON", method: "POST", path: push, body: []byte(`{a:1}`), status: 400, errType: "invalid-request"},
		{name: "push JSON string", method: "POST", path: push, body: []byte(`"hello"`), status: 400, errType: "invalid-request", check: noItem("hello")},
		{name: "push JSON number", method: "POST", path: push, body: []byte(`42`), status: 400, errType: "invalid-request"},
		{name: "push JSON null", method: "POST", path: push, body: []byte(`null`), status: 400, errType: "invalid-request"},
		{name: "push JSON true", method: "POST", path: push, body: []byte(`true`), status: 400, errType: "invalid-request"},
		{name: "push array with a number after a valid item", method: "POST", path: push, body: []byte(`[{"first":1}, 2]`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push array with null after a valid item", method: "POST", path: push, body: []byte(`[{"first":1}, null]`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push array with a nested array", method: "POST", path: push, body: []byte(`[{"first":1}, [{"inner":2}]]`), status: 400, errType: "invalid-request", check: noItem(`"inner"`)},
		{name: "push array with a string", method: "POST", path: push, body: []byte(`[{"first":1}, "x"]`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push truncated array", method: "POST", path: push, body: []byte(`[{"first":1},{"second":`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push truncated object", method: "POST", path: push, body: []byte(`{"first":1`), status: 400, errType: "invalid-request"},
		{name: "push unclosed array", method: "POST", path: push, body: []byte(`[{"first":1}`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push trailing garbage", method: "POST", path: push, body: []byte(`{"first":1} garbage`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push two objects", method: "POST", path: push, body: []byte(`{"first":1}{"second":2}`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push array then extra bracket", method: "POST", path: push, body: []byte(`[{"first":1}]]`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push invalid UTF-8", method: "POST", path: push, body: []byte("[{\"first\":\"\xff\xfe\"}]"), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push trailing comma", method: "POST", path: push, body: []byte(`[{"first":1},]`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		// Contract silent; Apify rejects a body that is not an object or
		// array of objects, and an empty body is neither.
		{name: "push empty body", method: "POST", path: push, body: []byte{}, status: 400, errType: "invalid-request"},

		// --- Sizes and encodings (contract §1, §6). ---
		{name: "push gzip bomb over 9 MiB inflated", method: "POST", path: push, headers: []string{"Content-Encoding", "gzip"}, body: bomb, status: 413, errType: "request-too-large", check: noItem(`"bomb"`)},
		{name: "push raw body one byte over 9 MiB", method: "POST", path: push, body: bombJSON, status: 413, errType: "request-too-large", check: noItem(`"bomb"`)},
		// Contract silent on undecodable bodies; a body that cannot be read
		// is a bad request.
		{name: "push corrupt gzip", method: "POST", path: push, headers: []string{"Content-Encoding", "gzip"}, body: []byte(`[{"first":"not gzip"}]`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push truncated gzip", method: "POST", path: push, headers: []string{"Content-Encoding", "gzip"}, body: truncatedGzip, status: 400, errType: "invalid-request", check: noItem(`"truncated"`)},
		{name: "push corrupt deflate", method: "POST", path: push, headers: []string{"Content-Encoding", "deflate"}, body: []byte(`[{"first":"not deflate"}]`), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push corrupt brotli", method: "POST", path: push, headers: []string{"Content-Encoding", "br"}, body: []byte("\xff\xff\xff\xff not brotli at all"), status: 400, errType: "invalid-request"},
		{name: "push gzip body labelled deflate", method: "POST", path: push, headers: []string{"Content-Encoding", "deflate"}, body: gzipped([]byte(`[{"first":1}]`)), status: 400, errType: "invalid-request", check: noItem(`"first"`)},
		{name: "push Content-Encoding compress", method: "POST", path: push, headers: []string{"Content-Encoding", "compress"}, body: []byte(`[{"first":1}]`), status: 415, errType: "unsupported-content-encoding", check: noItem(`"first"`)},
		{name: "push Content-Encoding zstd", method: "POST", path: push, headers: []string{"Content-Encoding", "zstd"}, body: []byte(`[{"first":1}]`), status: 415, errType: "unsupported-content-encoding", check: noItem(`"first"`)},
		{name: "push Content-Encoding gzip, compress", method: "POST", path: push, headers: []string{"Content-Encoding", "gzip, compress"}, body: gzipped([]byte(`[{"first":1}]`)), status: 415, errType: "unsupported-content-encoding", check: noItem(`"first"`)},
		{name: "record PUT Content-Encoding compress", method: "PUT", path: record + "enc-key", headers: []string{"Content-Encoding", "compress"}, body: []byte(`{"v":1}`), status: 415, errType: "unsupported-content-encoding", check: noRecord("enc-key")},
		{name: "RQ add Content-Encoding compress", method: "POST", path: add, headers: []string{"Content-Encoding", "compress"}, body: []byte(ok), status: 415, errType: "unsupported-content-encoding", check: noRequest("ok.example")},
		// KV records are bounded by the body limit, whose 413 type is
		// request-too-large (spec: key-value-store-record.yaml → PayloadTooLarge).
		{name: "record PUT one byte over 9 MiB", method: "PUT", path: record + "big-key", headers: []string{"Content-Type", "application/octet-stream"}, body: bigRecord, status: 413, errType: "request-too-large", check: noRecord("big-key")},
		{name: "record PUT gzip bomb", method: "PUT", path: record + "bomb-key", headers: []string{"Content-Encoding", "gzip"}, body: bomb, status: 413, errType: "request-too-large", check: noRecord("bomb-key")},
		{name: "record POST corrupt gzip", method: "POST", path: record + "gz-key", headers: []string{"Content-Encoding", "gzip"}, body: []byte("not gzip"), status: 400, errType: "invalid-request", check: noRecord("gz-key")},
		{name: "RQ add gzip bomb", method: "POST", path: add, headers: []string{"Content-Encoding", "gzip"}, body: bombRequest, status: 413, errType: "request-too-large", check: noRequest("bomb.example")},

		// --- Query parameters (contract §1: booleans 1/0/true/false; §2.1). ---
		// Contract silent on malformed paging values; actord answers 400
		// invalid-parameter rather than guessing.
		{name: "items offset=abc", method: "GET", path: push + "?offset=abc", status: 400, errType: "invalid-parameter"},
		{name: "items limit=-1", method: "GET", path: push + "?limit=-1", status: 400, errType: "invalid-parameter"},
		{name: "items offset=-5", method: "GET", path: push + "?offset=-5", status: 400, errType: "invalid-parameter"},
		{name: "items limit=1.5", method: "GET", path: push + "?limit=1.5", status: 400, errType: "invalid-parameter"},
		{name: "items desc=maybe", method: "GET", path: push + "?desc=maybe", status: 400, errType: "invalid-parameter"},
		// Item parameters (export-semantics §1): refused before any body byte.
		{name: "items format=pdf", method: "GET", path: push + "?format=pdf", status: 400, errType: "invalid-parameter"},
		{name: "items format empty-ish", method: "GET", path: push + "?format=%20", status: 400, errType: "invalid-parameter"},
		{name: "items outputFields without fields", method: "GET", path: push + "?outputFields=a", status: 400, errType: "parameter-required"},
		{name: "items outputFields count mismatch", method: "GET", path: push + "?fields=a,b&outputFields=x", status: 400, errType: "parameters-mismatched"},
		{name: "items view without schema", method: "GET", path: push + "?view=overview", status: 400, errType: "dataset-does-not-have-schema"},
		{name: "items csv delimiter two chars", method: "GET", path: push + "?format=csv&delimiter=ab", status: 400, errType: "invalid-parameter"},
		{name: "items csv delimiter quote", method: "GET", path: push + "?format=csv&delimiter=%22", status: 400, errType: "invalid-parameter"},
		{name: "items xmlRoot invalid", method: "GET", path: push + "?format=xml&xmlRoot=a%20b", status: 400, errType: "invalid-parameter"},
		{name: "items xmlRow invalid", method: "GET", path: push + "?format=xml&xmlRow=1x", status: 400, errType: "invalid-parameter"},
		{name: "items clean=yes", method: "GET", path: push + "?clean=yes", status: 400, errType: "invalid-parameter"},
		{name: "items bom=2", method: "GET", path: push + "?format=csv&bom=2", status: 400, errType: "invalid-parameter"},
		{name: "items attachment=x", method: "GET", path: push + "?attachment=x", status: 400, errType: "invalid-parameter"},
		{name: "items skipHeaderRow=x", method: "GET", path: push + "?format=csv&skipHeaderRow=x", status: 400, errType: "invalid-parameter"},
		{name: "items limit too large", method: "GET", path: push + "?limit=9007199254740992", status: 400, errType: "invalid-parameter"},
		{name: "HEAD items format=pdf", method: "HEAD", path: push + "?format=pdf", status: 400},
		{name: "items format=bogus", method: "GET", path: push + "?format=bogus", status: 400, errType: "invalid-parameter"},
		{name: "HEAD items limit=-1", method: "HEAD", path: push + "?limit=-1", status: 400},
		{name: "dataset list limit=-1", method: "GET", path: "/v2/datasets?limit=-1", status: 400, errType: "invalid-parameter"},
		{name: "KV list offset=abc", method: "GET", path: "/v2/key-value-stores?offset=abc", status: 400, errType: "invalid-parameter"},
		{name: "RQ list desc=maybe", method: "GET", path: "/v2/request-queues?desc=maybe", status: 400, errType: "invalid-parameter"},
		{name: "dataset list unnamed=maybe", method: "GET", path: "/v2/datasets?unnamed=maybe", status: 400, errType: "invalid-parameter"},
		{name: "KV keys limit=abc", method: "GET", path: "/v2/key-value-stores/{kv}/keys?limit=abc", status: 400, errType: "invalid-parameter"},
		{name: "RQ requests filter=bogus", method: "GET", path: add + "?filter=bogus", status: 400, errType: "invalid-parameter"},
		{name: "RQ requests limit=-3", method: "GET", path: add + "?limit=-3", status: 400, errType: "invalid-parameter"},
		{name: "RQ head limit=abc", method: "GET", path: "/v2/request-queues/{rq}/head?limit=abc", status: 400, errType: "invalid-parameter"},
		{name: "RQ add forefront=maybe", method: "POST", path: add + "?forefront=maybe", body: []byte(ok), status: 400, errType: "invalid-parameter", check: noRequest("ok.example")},
		{name: "record GET attachment=maybe", method: "GET", path: record + "{key}?attachment=maybe", status: 400, errType: "invalid-parameter"},

		// --- Record keys (contract §4.1). ---
		{name: "record PUT key a/b (encoded)", method: "PUT", path: record + "a%2Fb", body: []byte(`{"v":1}`), status: 400, errType: "invalid-record-key"},
		{name: "record PUT key with space", method: "PUT", path: record + "a%20b", body: []byte(`{"v":1}`), status: 400, errType: "invalid-record-key"},
		{name: "record PUT key of 257 chars", method: "PUT", path: record + long, body: []byte(`{"v":1}`), status: 400, errType: "invalid-record-key", check: noRecord(long[:256])},
		{name: "record PUT non-ASCII key", method: "PUT", path: record + "%C3%A9t%C3%A9", body: []byte(`{"v":1}`), status: 400, errType: "invalid-record-key"},
		{name: "record POST key with tilde", method: "POST", path: record + "a~b", body: []byte(`{"v":1}`), status: 400, errType: "invalid-record-key"},
		{name: "record GET invalid key", method: "GET", path: record + "a%20b", status: 400, errType: "invalid-record-key"},
		{name: "record DELETE invalid key", method: "DELETE", path: record + "a%20b", status: 400, errType: "invalid-record-key"},

		// --- Storage create and update (contract §4.1: names ≤ 63; §5). ---
		{name: "create dataset with invalid name", method: "POST", path: "/v2/datasets?name=bad%20name!", status: 400, errType: "invalid-value"},
		{name: "create KV store with 64-char name", method: "POST", path: "/v2/key-value-stores?name=" + strings.Repeat("n", 64), status: 400, errType: "invalid-value"},
		{name: "create RQ with name starting with -", method: "POST", path: "/v2/request-queues?name=-queue", status: 400, errType: "invalid-value"},
		{name: "create RQ with body name a number", method: "POST", path: "/v2/request-queues", body: []byte(`{"name":5}`), status: 400, errType: "invalid-value"},
		{name: "create dataset with body an array", method: "POST", path: "/v2/datasets", body: []byte(`[{"name":"array-ds"}]`), status: 400, errType: "invalid-request"},
		{name: "create dataset with trailing garbage", method: "POST", path: "/v2/datasets", body: []byte(`{"name":"garbage-ds"} garbage`), status: 400, errType: "invalid-request"},
		{name: "update name a number", method: "PUT", path: "/v2/datasets/{ds}", body: []byte(`{"name":5}`), status: 400, errType: "invalid-value"},
		{name: "update invalid name", method: "PUT", path: "/v2/datasets/{ds}", body: []byte(`{"name":"bad name!"}`), status: 400, errType: "invalid-value"},
		{name: "update name of 64 chars", method: "PUT", path: "/v2/request-queues/{rq}", body: []byte(`{"name":"` + strings.Repeat("n", 64) + `"}`), status: 400, errType: "invalid-value"},
		{name: "update generalAccess NOPE", method: "PUT", path: "/v2/key-value-stores/{kv}", body: []byte(`{"generalAccess":"NOPE"}`), status: 400, errType: "invalid-value"},
		{name: "update generalAccess a boolean", method: "PUT", path: "/v2/request-queues/{rq}", body: []byte(`{"generalAccess":true}`), status: 400, errType: "invalid-value"},
		// Contract §5: "POST data must be a JSON object" is invalid-request.
		{name: "update body an array", method: "PUT", path: "/v2/datasets/{ds}", body: []byte(`[{"name":"renamed"}]`), status: 400, errType: "invalid-request"},
		{name: "update truncated JSON", method: "PUT", path: "/v2/datasets/{ds}", body: []byte(`{"name":"renamed"`), status: 400, errType: "invalid-request"},
		{name: "update trailing garbage", method: "PUT", path: "/v2/datasets/{ds}", body: []byte(`{"name":"renamed"} garbage`), status: 400, errType: "invalid-request"},
		{name: "update valid name but invalid access", method: "PUT", path: "/v2/datasets/{ds}", body: []byte(`{"name":"renamed","generalAccess":"NOPE"}`), status: 400, errType: "invalid-value"},
		// Contract §5: 409 name-not-unique, "Record with the given name
		// already exists." (Apify's storage rename conflict).
		{name: "rename to an existing name", method: "PUT", path: "/v2/datasets/{ds}", body: []byte(`{"name":"fx-dataset-2"}`), status: 409, errType: "name-not-unique"},
		{name: "update malformed Content-Type", method: "PUT", path: "/v2/datasets/{ds}", headers: []string{"Content-Type", "application/json; charset"}, body: []byte(`{"name":"renamed"}`), status: 400, errType: "invalid-content-type-header"},
		// Contract §1: JSON bodies require application/json. Contract
		// silent on the type; actord says invalid-request.
		{name: "update Content-Type application/xml", method: "PUT", path: "/v2/datasets/{ds}", headers: []string{"Content-Type", "application/xml"}, body: []byte(`{"name":"renamed"}`), status: 400, errType: "invalid-request"},
		{name: "RQ add malformed Content-Type", method: "POST", path: add, headers: []string{"Content-Type", "/"}, body: []byte(ok), status: 400, errType: "invalid-content-type-header", check: noRequest("ok.example")},

		// --- Request-queue requests (contract §4.1, §7.11). ---
		{name: "RQ add without url", method: "POST", path: add, body: []byte(`{"uniqueKey":"https://nourl.example/"}`), status: 400, errType: "invalid-value", check: noRequest("nourl.example")},
		{name: "RQ add without uniqueKey", method: "POST", path: add, body: []byte(`{"url":"https://nokey.example/"}`), status: 400, errType: "invalid-value", check: noRequest("nokey.example")},
		{name: "RQ add empty uniqueKey", method: "POST", path: add, body: []byte(`{"uniqueKey":"","url":"https://emptykey.example/"}`), status: 400, errType: "invalid-value", check: noRequest("emptykey.example")},
		{name: "RQ add url a number", method: "POST", path: add, body: []byte(`{"uniqueKey":"https://numurl.example/","url":5}`), status: 400, errType: "invalid-value", check: noRequest("numurl.example")},
		{name: "RQ add retryCount a string", method: "POST", path: add, body: []byte(`{"uniqueKey":"https://retry.example/","url":"https://retry.example/","retryCount":"x"}`), status: 400, errType: "invalid-value", check: noRequest("retry.example")},
		{name: "RQ add handledAt not a date", method: "POST", path: add, body: []byte(`{"uniqueKey":"https://handled.example/","url":"https://handled.example/","handledAt":"yesterday"}`), status: 400, errType: "invalid-value", check: noRequest("handled.example")},
		// Contract §12: method is one of GET|HEAD|POST|PUT|DELETE|CONNECT|
		// OPTIONS|TRACE|PATCH; Apify validates the request object.
		{name: "RQ add unknown method", method: "POST", path: add, body: []byte(`{"uniqueKey":"https://method.example/","url":"https://method.example/","method":"FOO"}`), status: 400, errType: "invalid-value", check: noRequest("method.example")},
		{name: "RQ add id not matching uniqueKey", method: "POST", path: add, body: []byte(`{"id":"AAAAAAAAAAAAAAA","uniqueKey":"https://badid.example/","url":"https://badid.example/"}`), status: 400, errType: "request-id-invalid", check: noRequest("badid.example")},
		// Contract §5: a body that must be an object but is not is
		// invalid-request ("POST data must be a JSON object").
		{name: "RQ add body an array", method: "POST", path: add, body: []byte(`[` + ok + `]`), status: 400, errType: "invalid-request", check: noRequest("ok.example")},
		{name: "RQ add invalid JSON", method: "POST", path: add, body: []byte(`{uniqueKey:1}`), status: 400, errType: "invalid-request"},
		{name: "RQ add trailing garbage", method: "POST", path: add, body: []byte(`{"uniqueKey":"https://garbage.example/","url":"https://garbage.example/"} garbage`), status: 400, errType: "invalid-request", check: noRequest("garbage.example")},
		{name: "RQ add two objects", method: "POST", path: add, body: []byte(`{"uniqueKey":"https://two.example/","url":"https://two.example/"}{"a":1}`), status: 400, errType: "invalid-request", check: noRequest("two.example")},
		{name: "RQ add invalid UTF-8", method: "POST", path: add, body: []byte("{\"uniqueKey\":\"https://utf.example/\xff\",\"url\":\"https://utf.example/\"}"), status: 400, errType: "invalid-request", check: noRequest("utf.example")},
		{name: "RQ add empty body", method: "POST", path: add, body: []byte{}, status: 400, errType: "invalid-request"},
		{name: "RQ add clientKey of 33 chars", method: "POST", path: add + "?clientKey=" + key33, body: []byte(ok), status: 400, errType: "invalid-client-key", check: noRequest("ok.example")},
		{name: "RQ batch add 26 requests", method: "POST", path: batch, body: requestsJSON(26, "batch26"), status: 400, errType: "invalid-value", check: noRequest("batch26.example")},
		{name: "RQ batch add body an object", method: "POST", path: batch, body: []byte(ok), status: 400, errType: "invalid-request", check: noRequest("ok.example")},
		{name: "RQ batch add array with a number", method: "POST", path: batch, body: []byte(`[` + ok + `, 2]`), status: 400, errType: "invalid-request", check: noRequest("ok.example")},
		{name: "RQ batch add one invalid request", method: "POST", path: batch, body: []byte(`[` + ok + `, {"uniqueKey":"https://nourl.example/"}]`), status: 400, errType: "invalid-value", check: noRequest("ok.example")},
		{name: "RQ batch add one bad id", method: "POST", path: batch, body: []byte(`[` + ok + `, {"id":"AAAAAAAAAAAAAAA","uniqueKey":"https://badid.example/","url":"https://badid.example/"}]`), status: 400, errType: "request-id-invalid", check: noRequest("ok.example")},
		{name: "RQ batch add truncated", method: "POST", path: batch, body: []byte(`[` + ok + `,`), status: 400, errType: "invalid-request", check: noRequest("ok.example")},
		{name: "RQ batch add clientKey of 33 chars", method: "POST", path: batch + "?clientKey=" + key33, body: []byte(`[` + ok + `]`), status: 400, errType: "invalid-client-key", check: noRequest("ok.example")},
		{name: "RQ batch delete body an object", method: "DELETE", path: batch, body: []byte(`{"id":"{req}"}`), status: 400, errType: "invalid-request"},
		{name: "RQ batch delete entry without id or uniqueKey", method: "DELETE", path: batch, body: []byte(`[{"id":"{req}"},{}]`), status: 400, errType: "invalid-value"},
		{name: "RQ batch delete 26 entries", method: "DELETE", path: batch, body: []byte(`[{"id":"{req}"}` + strings.Repeat(`,{"uniqueKey":"x"}`, 25) + `]`), status: 400, errType: "invalid-value"},
		// --- Locks. ---
		{name: "head/lock without lockSecs", method: "POST", path: lock, status: 400, errType: "invalid-parameter"},
		{name: "head/lock lockSecs=abc", method: "POST", path: lock + "?lockSecs=abc", status: 400, errType: "invalid-parameter"},
		{name: "head/lock lockSecs=-1", method: "POST", path: lock + "?lockSecs=-1", status: 400, errType: "invalid-parameter"},
		{name: "head/lock limit=abc", method: "POST", path: lock + "?lockSecs=60&limit=abc", status: 400, errType: "invalid-parameter"},
		{name: "head/lock clientKey of 33 chars", method: "POST", path: lock + "?lockSecs=60&clientKey=" + key33, status: 400, errType: "invalid-client-key"},
		{name: "request lock PUT without lockSecs", method: "PUT", path: add + "/{req}/lock", status: 400, errType: "invalid-parameter"},
		{name: "request lock PUT clientKey of 33 chars", method: "PUT", path: add + "/{req}/lock?lockSecs=60&clientKey=" + key33, status: 400, errType: "invalid-client-key"},

		// --- Bad IDs (contract §5: GET-by-ID misses are 404 record-not-found). ---
		{name: "GET unknown request ID", method: "GET", path: add + "/NoSuchRequest01", status: 404, errType: "record-not-found"},
		{name: "PUT unknown request", method: "PUT", path: add + "/" + otherID, body: []byte(ok), status: 404, errType: "record-not-found", check: noRequest("ok.example")},
		{name: "PUT request with uniqueKey of another ID", method: "PUT", path: add + "/{req}", body: []byte(ok), status: 400, errType: "request-id-invalid", check: noRequest("ok.example")},
		{name: "PUT request body an array", method: "PUT", path: add + "/{req}", body: []byte(`[` + ok + `]`), status: 400, errType: "invalid-request"},
		{name: "prolong lock of unknown request", method: "PUT", path: add + "/NoSuchRequest01/lock?lockSecs=60", status: 404, errType: "record-not-found"},
		{name: "GET unknown record", method: "GET", path: record + "no-such-key", status: 404, errType: "record-not-found"},
		{name: "HEAD unknown record", method: "HEAD", path: record + "no-such-key", status: 404},
		{name: "GET unknown dataset ID", method: "GET", path: "/v2/datasets/NoSuchDataset0001", status: 404, errType: "record-not-found"},
		{name: "push to unknown dataset ID", method: "POST", path: "/v2/datasets/NoSuchDataset0001/items", body: []byte(`{"first":1}`), status: 404, errType: "record-not-found"},
		{name: "record PUT to unknown store", method: "PUT", path: "/v2/key-value-stores/NoSuchStore000001/records/k", body: []byte(`1`), status: 404, errType: "record-not-found"},
		{name: "RQ add to unknown queue", method: "POST", path: "/v2/request-queues/NoSuchQueue000001/requests", body: []byte(ok), status: 404, errType: "record-not-found"},
		{name: "GET store of unknown user by name", method: "GET", path: "/v2/key-value-stores/nobody~fx-store", status: 404, errType: "record-not-found"},
		{name: "GET own queue by unknown ~name", method: "GET", path: "/v2/request-queues/~no-such-queue", status: 404, errType: "record-not-found"},
		{name: "DELETE unknown dataset", method: "DELETE", path: "/v2/datasets/NoSuchDataset0001", status: 404, errType: "record-not-found"},

		// --- Routes and methods (contract §1). ---
		{name: "unknown route", method: "GET", path: "/v2/no-such-thing", status: 404, errType: "page-not-found"},
		{name: "unknown sub-route of a dataset", method: "GET", path: "/v2/datasets/{ds}/no-such-thing", status: 404, errType: "page-not-found"},
		{name: "PATCH a dataset", method: "PATCH", path: "/v2/datasets/{ds}", body: []byte(`{"name":"patched"}`), status: 405, errType: "method-not-allowed", check: allowHeader("GET", "PUT", "DELETE")},
		{name: "POST dataset statistics", method: "POST", path: "/v2/datasets/{ds}/statistics", body: []byte(`{}`), status: 405, errType: "method-not-allowed", check: allowHeader("GET")},
		{name: "PUT the dataset collection", method: "PUT", path: "/v2/datasets", body: []byte(`{"name":"x"}`), status: 405, errType: "method-not-allowed", check: allowHeader("GET", "POST")},
		{name: "method override to PATCH", method: "GET", path: "/v2/datasets/{ds}?method=PATCH", status: 405, errType: "method-not-allowed"},

		// --- Authentication (contract §3). ---
		{name: "Authorization Basic", method: "POST", path: push, auth: "none", headers: []string{"Authorization", "Basic eA=="}, body: []byte(`{"first":1}`), status: 401, errType: "invalid-token", check: noItem(`"first"`)},
		{name: "Authorization Bearer without token", method: "GET", path: "/v2/datasets", auth: "none", headers: []string{"Authorization", "Bearer"}, status: 401, errType: "invalid-token"},
		{name: "invalid token on a write", method: "POST", path: push, auth: "invalid", body: []byte(`{"first":1}`), status: 401, errType: "invalid-token", check: noItem(`"first"`)},
		{name: "invalid ?token= on a list", method: "GET", path: "/v2/datasets?token=nope", auth: "none", status: 401, errType: "invalid-token"},
		{name: "no token on a write", method: "POST", path: push, auth: "none", body: []byte(`{"first":1}`), status: 401, errType: "token-not-provided", check: noItem(`"first"`)},
		{name: "no token on create", method: "POST", path: "/v2/datasets?name=anonymous", auth: "none", status: 401, errType: "token-not-provided"},
	}
}

// TestBadInput sends malformed requests and checks each answer and that
// admin's storages are exactly as before.
func TestBadInput(t *testing.T) {
	s := apitest.New(t)
	f := newStorageFixture(t, s)
	s.Create("datasets", "fx-dataset-2", s.AdminToken) // target of the rename conflict
	cases := badInputCases()
	if len(cases) < 35 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := takeSnapshot(t, s, f)
			token := s.AdminToken
			switch c.auth {
			case "none":
				token = ""
			case "invalid":
				token = "not-a-valid-token"
			}
			body := c.body
			if body != nil && len(body) < 4096 {
				body = []byte(f.expand(string(body)))
			}
			r := s.Do(c.method, f.expand(c.path), token, body, c.headers...)
			if r.Status != c.status {
				t.Errorf("status %d, want %d; body %.300s", r.Status, c.status, r.Body)
			}
			if c.method == "HEAD" {
				if len(r.Body) != 0 {
					t.Errorf("HEAD answered with a body: %.300s", r.Body)
				}
			} else if got := r.ErrorType(); got != c.errType {
				t.Errorf("error type %q, want %q; body %.300s", got, c.errType, r.Body)
			}
			if c.check != nil {
				c.check(t, s, f, r)
			}
			assertUnchanged(t, before, takeSnapshot(t, s, f))
		})
	}
}
