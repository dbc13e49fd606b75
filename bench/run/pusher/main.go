// Command pusher is the trivial actor of bench/run: it pushes one item,
// {"hello":"world"}, to the run's default dataset over HTTP and exits 0,
// or exits 1 when the push fails. It reads only what a run's environment
// gives every actor: APIFY_API_BASE_URL, APIFY_TOKEN and
// ACTOR_DEFAULT_DATASET_ID.
//
// bench/run builds it with CGO_ENABLED=0 (a static binary), uploads it as
// the actor's bin/pusher and also starts it directly, as the baseline.
package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	if err := push(os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "pusher:", err)
		os.Exit(1)
	}
}

// item is what every run pushes.
const item = `{"hello":"world"}`

func push(getenv func(string) string) error {
	base, token, dataset := getenv("APIFY_API_BASE_URL"), getenv("APIFY_TOKEN"), getenv("ACTOR_DEFAULT_DATASET_ID")
	if base == "" || dataset == "" {
		return fmt.Errorf("APIFY_API_BASE_URL and ACTOR_DEFAULT_DATASET_ID must be set")
	}
	u := strings.TrimRight(base, "/") + "/v2/datasets/" + url.PathEscape(dataset) + "/items"
	req, err := http.NewRequest("POST", u, strings.NewReader(item))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: HTTP %d: %s", u, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}
