package main

import (
	"fmt"
	"net/http"
	"slices"
)

// verify checks, untimed, every call the program made: each 201's body is
// the pusher's one item, no two calls name the same run, each run's
// dataset has itemCount 1, and the actor's runs on the server are exactly
// the calls' runs (none lost, none extra). The direct dataset must hold one
// item per successful direct start.
func (b *bench) verify() (string, error) {
	ids := runIDs(b.calls)
	seen := make(map[string]bool, len(ids))
	created := 0
	for _, c := range b.calls {
		if c.Status != http.StatusCreated {
			continue
		}
		if err := c.check(); err != nil {
			return "", fmt.Errorf("verify: %w", err)
		}
		created++
	}
	for _, id := range ids {
		if seen[id] {
			return "", fmt.Errorf("verify: two calls were answered with run %s", id)
		}
		seen[id] = true
	}
	runs, err := getRuns(b.ctx, b.Client, ids, 8)
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	for _, id := range ids {
		n, err := b.Client.ItemCount(b.ctx, runs[id].DatasetID)
		if err != nil {
			return "", fmt.Errorf("verify run %s: %w", id, err)
		}
		if n != 1 {
			return "", fmt.Errorf("verify: run %s (%s)'s dataset %s has itemCount %d, want 1", id, runs[id].Status, runs[id].DatasetID, n)
		}
	}
	listed, err := listRuns(b.ctx, b.Client, b.ActorID)
	if err != nil {
		return "", fmt.Errorf("verify: list the actor's runs: %w", err)
	}
	if missing, extra := diffIDs(ids, listed); len(missing) > 0 || len(extra) > 0 || len(listed) != len(b.calls) {
		return "", fmt.Errorf("verify: %d calls, the server lists %d runs of the actor; runs answered but not listed: %v; listed but not answered: %v",
			len(b.calls), len(listed), missing, extra)
	}
	n, err := b.Client.ItemCount(b.ctx, b.Direct.DatasetID)
	if err != nil {
		return "", fmt.Errorf("verify direct dataset: %w", err)
	}
	if want := b.Direct.Pushed.Load(); n != want {
		return "", fmt.Errorf("verify: the direct dataset has itemCount %d, want %d (one per successful start)", n, want)
	}
	return fmt.Sprintf("ok: %d calls, %d answered 201 with exactly [{\"hello\":\"world\"}]; %d distinct runs, each dataset itemCount 1; the server lists exactly these %d runs of the actor; the direct dataset has %d items, one per start",
		len(b.calls), created, len(ids), len(listed), n), nil
}

// diffIDs returns the IDs of want that got lacks and those of got that
// want lacks, each sorted.
func diffIDs(want, got []string) (missing, extra []string) {
	in := func(ids []string) map[string]bool {
		m := make(map[string]bool, len(ids))
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	w, g := in(want), in(got)
	for id := range w {
		if !g[id] {
			missing = append(missing, id)
		}
	}
	for id := range g {
		if !w[id] {
			extra = append(extra, id)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return missing, extra
}
