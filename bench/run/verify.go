package main

import (
	"context"
	"fmt"

	"github.com/actord/actord/bench/internal/runkit"
)

// verify checks that every run's dataset holds exactly the pushed item,
// and that the direct dataset holds one item per successful start.
func verify(ctx context.Context, c *runkit.Client, runs []*runkit.RunResult, d *runkit.Direct) (string, error) {
	for i, r := range runs {
		n, err := c.ItemCount(ctx, r.DatasetID)
		if err != nil {
			return "", fmt.Errorf("verify run %s: %w", r.ID, err)
		}
		if n != 1 {
			return "", fmt.Errorf("verify: run %s's dataset %s has itemCount %d, want 1", r.ID, r.DatasetID, n)
		}
		if i%100 == 0 { // and the item itself, now and then
			b, err := c.Items(ctx, r.DatasetID)
			if err != nil {
				return "", fmt.Errorf("verify run %s: %w", r.ID, err)
			}
			if err := runkit.CheckItems(b); err != nil {
				return "", fmt.Errorf("verify: run %s's dataset: %w", r.ID, err)
			}
		}
	}
	n, err := c.ItemCount(ctx, d.DatasetID)
	if err != nil {
		return "", fmt.Errorf("verify direct dataset: %w", err)
	}
	if want := d.Pushed.Load(); n != want {
		return "", fmt.Errorf("verify: the direct dataset has itemCount %d, want %d (one per successful start)", n, want)
	}
	return fmt.Sprintf("ok: each of the %d runs' datasets has itemCount 1 (every 100th item read back); the direct dataset has %d items, one per start", len(runs), n), nil
}
