package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

const webhookColumns = `data, total_dispatches, last_dispatch`

func (db *DB) WebhookInsert(ctx context.Context, w *actord.Webhook) error {
	data, err := encodeWebhook(w)
	if err != nil {
		return err
	}
	var key any
	if w.IdempotencyKey != nil {
		key = *w.IdempotencyKey
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO webhooks (id, user_id, act_id, task_id, run_id, idempotency_key, created_at, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, w.ID, w.UserID, w.Condition.ActorID, w.Condition.ActorTaskID, w.Condition.ActorRunID,
		key, ms(w.CreatedAt.Time), data)
	return interpretError(err)
}

func (db *DB) WebhookGet(ctx context.Context, id string) (*actord.Webhook, error) {
	return scanWebhook(db.r.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
}

func (db *DB) WebhookGetByIdempotencyKey(ctx context.Context, userID, key string) (*actord.Webhook, error) {
	return scanWebhook(db.r.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE user_id = ? AND idempotency_key = ?`, userID, key))
}

func (db *DB) WebhookList(ctx context.Context, p *storage.WebhookListParams) ([]*actord.Webhook, int64, error) {
	var out []*actord.Webhook
	filter := []columnFilter{{"user_id", p.UserID}, {"act_id", p.ActID}, {"task_id", p.TaskID}, {"run_id", p.RunID}}
	total, err := db.page(ctx, "webhooks", webhookColumns, "created_at", filter, p.Offset, p.Limit, p.Desc, func(rows *sql.Rows) error {
		w, err := scanWebhook(rows)
		if err == nil {
			out = append(out, w)
		}
		return err
	})
	return out, total, err
}

func (db *DB) WebhookUpdate(ctx context.Context, w *actord.Webhook) error {
	data, err := encodeWebhook(w)
	if err != nil {
		return err
	}
	return db.updateOne(ctx, `UPDATE webhooks SET act_id = ?, task_id = ?, run_id = ?, data = ? WHERE id = ?`,
		w.Condition.ActorID, w.Condition.ActorTaskID, w.Condition.ActorRunID, data, w.ID)
}

func (db *DB) WebhookDelete(ctx context.Context, id string) error {
	return db.updateOne(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
}

func (db *DB) WebhookDispatchInsert(ctx context.Context, d *actord.WebhookDispatch) error {
	data, private, err := encodeJob(d, &d.Private)
	if err != nil {
		return err
	}
	last, err := lastDispatch(d)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_dispatches (id, webhook_id, user_id, status, created_at, next_attempt_at, data, private)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.WebhookID, d.UserID, d.Status, ms(d.CreatedAt.Time), nextAttempt(d), data, private); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET total_dispatches = total_dispatches + 1, last_dispatch_id = ?, last_dispatch = ?
			WHERE id = ?`, d.ID, last, d.WebhookID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
}

func (db *DB) WebhookDispatchGet(ctx context.Context, id string) (*actord.WebhookDispatch, error) {
	return scanDispatch(db.r.QueryRowContext(ctx, `SELECT data, private FROM webhook_dispatches WHERE id = ?`, id))
}

func (db *DB) WebhookDispatchList(ctx context.Context, p *storage.WebhookDispatchListParams) ([]*actord.WebhookDispatch, int64, error) {
	var out []*actord.WebhookDispatch
	filter := []columnFilter{{"user_id", p.UserID}, {"webhook_id", p.WebhookID}}
	total, err := db.page(ctx, "webhook_dispatches", "data, private", "created_at", filter, p.Offset, p.Limit, p.Desc, func(rows *sql.Rows) error {
		d, err := scanDispatch(rows)
		if err == nil {
			out = append(out, d)
		}
		return err
	})
	return out, total, err
}

func (db *DB) WebhookDispatchUpdate(ctx context.Context, d *actord.WebhookDispatch) error {
	data, private, err := encodeJob(d, &d.Private)
	if err != nil {
		return err
	}
	last, err := lastDispatch(d)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_dispatches SET status = ?, next_attempt_at = ?, data = ?, private = ? WHERE id = ?`,
			d.Status, nextAttempt(d), data, private, d.ID)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhooks SET last_dispatch = ? WHERE id = ? AND last_dispatch_id = ?`, last, d.WebhookID, d.ID)
		return err
	})
}

func (db *DB) WebhookDispatchesDue(ctx context.Context, before time.Time) ([]*actord.WebhookDispatch, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT data, private FROM webhook_dispatches
		WHERE status = 'ACTIVE' AND next_attempt_at <= ? ORDER BY next_attempt_at, rowid`, ms(before))
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []*actord.WebhookDispatch
	for rows.Next() {
		d, err := scanDispatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, interpretError(rows.Err())
}

// encodeWebhook is the webhook's JSON without the parts that have columns
// of their own.
func encodeWebhook(w *actord.Webhook) ([]byte, error) {
	c := *w
	c.Stats, c.LastDispatch = actord.WebhookStats{}, nil
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("encode webhook: %w", err)
	}
	return b, nil
}

func scanWebhook(row interface{ Scan(...any) error }) (*actord.Webhook, error) {
	var data, last []byte
	var w actord.Webhook
	if err := row.Scan(&data, &w.Stats.TotalDispatches, &last); err != nil {
		return nil, interpretError(err)
	}
	total := w.Stats.TotalDispatches
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("decode webhook: %w", err)
	}
	w.Stats.TotalDispatches = total
	w.LastDispatch = nil
	if last != nil {
		w.LastDispatch = &actord.WebhookLastDispatch{}
		if err := json.Unmarshal(last, w.LastDispatch); err != nil {
			return nil, fmt.Errorf("decode webhook: %w", err)
		}
	}
	return &w, nil
}

func scanDispatch(row interface{ Scan(...any) error }) (*actord.WebhookDispatch, error) {
	var d actord.WebhookDispatch
	if err := scanJob(row, &d, &d.Private); err != nil {
		return nil, err
	}
	return &d, nil
}

// lastDispatch is a dispatch as its webhook's lastDispatch shows it: the
// status, and when the last call ended once the dispatch has.
func lastDispatch(d *actord.WebhookDispatch) ([]byte, error) {
	last := actord.WebhookLastDispatch{Status: d.Status}
	if d.Status != actord.DispatchActive && len(d.Calls) > 0 {
		last.FinishedAt = &d.Calls[len(d.Calls)-1].FinishedAt
	}
	b, err := json.Marshal(last)
	if err != nil {
		return nil, fmt.Errorf("encode last dispatch: %w", err)
	}
	return b, nil
}

// nextAttempt is the next_attempt_at column: set only while ACTIVE.
func nextAttempt(d *actord.WebhookDispatch) any {
	if d.Status != actord.DispatchActive || d.Private.NextAttemptAt == nil {
		return nil
	}
	return ms(*d.Private.NextAttemptAt)
}
