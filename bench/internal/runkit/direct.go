package runkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Direct starts the pusher the way a user would without actord: as a
// child process of this program, with the environment a run gets,
// pushing to a real dataset of the same server.
type Direct struct {
	pusher    string
	dir       string
	env       []string
	DatasetID string
	Pushed    atomic.Int64 // successful starts, so items in the dataset
}

// NewDirect creates the direct side's storages and its environment, with
// token (a token of the same user as the runs').
func NewDirect(ctx context.Context, cl *Client, token, pusher, tmp string, memory int, actorName string) (*Direct, error) {
	d := &Direct{pusher: pusher, dir: filepath.Join(tmp, "direct")}
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, kind := range []string{"datasets", "key-value-stores", "request-queues"} {
		id, err := cl.CreateStorage(ctx, kind, actorName+"-direct")
		if err != nil {
			return nil, err
		}
		ids[kind] = id
	}
	d.DatasetID = ids["datasets"]
	d.env = runEnv(cl.Srv.Base, token, ids, d.dir, memory, actorName)
	return d, nil
}

// CreateToken makes another API token of the admin user with `actord
// token create`, as an operator would (the server's own admin token stays
// inside benchkit).
func CreateToken(ctx context.Context, actordBin, dataDir string) (string, error) {
	out, err := exec.CommandContext(ctx, actordBin, "token", "create", "--user", "admin", "--data-dir", dataDir).Output()
	if err != nil {
		return "", fmt.Errorf("actord token create: %w", err)
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(out, &tok); err != nil || tok.Token == "" {
		return "", fmt.Errorf("actord token create printed %q", out)
	}
	return tok.Token, nil
}

// runEnv is the environment a run of the actor gets (the variables of
// actor-runtime.md §2 that actord sets), for the direct starts.
func runEnv(base, token string, ids map[string]string, dir string, memory int, actorName string) []string {
	now := time.Now().UTC()
	storages, _ := json.Marshal(map[string]map[string]string{
		"datasets": {"default": ids["datasets"]}, "keyValueStores": {"default": ids["key-value-stores"]}, "requestQueues": {"default": ids["request-queues"]},
	})
	runID := "benchRunDirect000"
	env := []string{
		"PATH=" + filepath.Join(dir, "node_modules", ".bin") + ":" + os.Getenv("PATH"),
		"HOME=" + dir,
		"LANG=C.UTF-8",
		"APIFY_IS_AT_HOME=1", "APIFY_HEADLESS=1",
		"APIFY_TOKEN=" + token,
		"APIFY_API_BASE_URL=" + base, "APIFY_CLIENT_BASE_URL=" + base, "APIFY_API_PUBLIC_BASE_URL=" + base,
		"ACTOR_RUN_ID=" + runID, "APIFY_ACTOR_RUN_ID=" + runID,
		"ACTOR_ID=benchRunDirectAct", "APIFY_ACTOR_ID=benchRunDirectAct",
		"ACTOR_FULL_NAME=admin/" + actorName,
		"ACTOR_BUILD_ID=benchRunDirectBld", "APIFY_ACTOR_BUILD_ID=benchRunDirectBld",
		"ACTOR_BUILD_NUMBER=0.1.1", "APIFY_ACTOR_BUILD_NUMBER=0.1.1", "ACTOR_BUILD_TAGS=latest",
		"ACTOR_DEFAULT_DATASET_ID=" + ids["datasets"], "APIFY_DEFAULT_DATASET_ID=" + ids["datasets"],
		"ACTOR_DEFAULT_KEY_VALUE_STORE_ID=" + ids["key-value-stores"], "APIFY_DEFAULT_KEY_VALUE_STORE_ID=" + ids["key-value-stores"],
		"ACTOR_DEFAULT_REQUEST_QUEUE_ID=" + ids["request-queues"], "APIFY_DEFAULT_REQUEST_QUEUE_ID=" + ids["request-queues"],
		"ACTOR_STORAGES_JSON=" + string(storages),
		"ACTOR_INPUT_KEY=INPUT", "APIFY_INPUT_KEY=INPUT",
		"ACTOR_MEMORY_MBYTES=" + strconv.Itoa(memory), "APIFY_MEMORY_MBYTES=" + strconv.Itoa(memory),
		"ACTOR_STARTED_AT=" + now.Format("2006-01-02T15:04:05.000Z"), "APIFY_STARTED_AT=" + now.Format("2006-01-02T15:04:05.000Z"),
		"ACTOR_TIMEOUT_AT=" + now.Add(time.Hour).Format("2006-01-02T15:04:05.000Z"), "APIFY_TIMEOUT_AT=" + now.Add(time.Hour).Format("2006-01-02T15:04:05.000Z"),
		"ACTOR_EVENTS_WEBSOCKET_URL=" + strings.Replace(base, "http", "ws", 1) + "/v2/actor-runs/" + runID + "/events?token=" + token,
		"APIFY_ACTOR_EVENTS_WS_URL=" + strings.Replace(base, "http", "ws", 1) + "/v2/actor-runs/" + runID + "/events?token=" + token,
		"ACTOR_WEB_SERVER_PORT=4321", "APIFY_CONTAINER_PORT=4321",
		"ACTOR_WEB_SERVER_URL=http://127.0.0.1:4321", "APIFY_CONTAINER_URL=http://127.0.0.1:4321",
		"APIFY_USER_ID=benchRunDirectUsr", "APIFY_META_ORIGIN=API", "APIFY_DEDICATED_CPUS=0.03125",
	}
	return env
}

// Start runs the pusher once and returns the time from just before the
// fork to just after it was reaped and its output read.
func (d *Direct) Start(ctx context.Context) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, d.pusher)
	cmd.Dir = d.dir
	cmd.Env = d.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	lat := time.Since(start)
	if err != nil {
		return lat, fmt.Errorf("%v: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	d.Pushed.Add(1)
	return lat, nil
}
