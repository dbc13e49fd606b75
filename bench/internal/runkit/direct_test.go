package runkit

import (
	"strings"
	"testing"
)

func TestRunEnv(t *testing.T) {
	ids := map[string]string{"datasets": "ds1", "key-value-stores": "kv1", "request-queues": "rq1"}
	env := runEnv("http://127.0.0.1:1234", "tok", ids, "/tmp/x", 128, "bench-run-pusher")
	seen := map[string]string{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			t.Errorf("%q: no value (an empty variable breaks the SDK)", kv)
		}
		if _, dup := seen[k]; dup {
			t.Errorf("%s set twice", k)
		}
		seen[k] = v
	}
	for k, want := range map[string]string{"APIFY_API_BASE_URL": "http://127.0.0.1:1234", "APIFY_TOKEN": "tok", "ACTOR_DEFAULT_DATASET_ID": "ds1",
		"ACTOR_DEFAULT_KEY_VALUE_STORE_ID": "kv1", "ACTOR_MEMORY_MBYTES": "128", "APIFY_IS_AT_HOME": "1", "HOME": "/tmp/x"} {
		if seen[k] != want {
			t.Errorf("%s=%q, want %q", k, seen[k], want)
		}
	}
}
