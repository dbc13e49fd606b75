package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

const requestColumns = `id, unique_key, url, method, retry_count, handled_at, lock_expires, data`

func scanRequest(row scanner) (*actord.Request, error) {
	var r actord.Request
	var handled, lock sql.NullInt64
	if err := row.Scan(&r.ID, &r.UniqueKey, &r.URL, &r.Method, &r.RetryCount, &handled, &lock, &r.JSON); err != nil {
		return nil, interpretError(err)
	}
	r.HandledAt = nullMS(handled)
	r.LockExpires = nullMS(lock)
	return &r, nil
}

// queueState is the per-queue bookkeeping a write transaction updates.
type queueState struct {
	id          string
	seq         int64
	firstClient sql.NullString
	multi       bool
	total       int64
	handled     int64
}

func loadQueue(ctx context.Context, tx *sql.Tx, id string) (*queueState, error) {
	q := &queueState{id: id}
	err := tx.QueryRowContext(ctx, `SELECT rq_seq, rq_first_client, rq_multi, total_requests, handled_requests
		FROM storages WHERE id = ? AND kind = 'requestQueue'`, id).Scan(&q.seq, &q.firstClient, &q.multi, &q.total, &q.handled)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// seen records that clientKey used the queue: a second distinct key (a
// missing key counts as one of its own) sets hadMultipleClients.
func (q *queueState) seen(clientKey string) {
	if !q.firstClient.Valid {
		q.firstClient = sql.NullString{String: clientKey, Valid: true}
	} else if q.firstClient.String != clientKey {
		q.multi = true
	}
}

// nextSortKey returns the queue position of a request added now.
func (q *queueState) nextSortKey(forefront bool) int64 {
	q.seq++
	if forefront {
		return -q.seq
	}
	return q.seq
}

func (q *queueState) save(ctx context.Context, tx *sql.Tx, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE storages SET rq_seq = ?, rq_first_client = ?, rq_multi = ?, total_requests = ?,
		handled_requests = ?, modified_at = ?, accessed_at = ? WHERE id = ?`,
		q.seq, q.firstClient, q.multi, q.total, q.handled, ms(now), ms(now), q.id)
	return err
}

// queueTx loads the queue, runs fn and saves the queue in one transaction.
func (db *DB) queueTx(ctx context.Context, queueID, clientKey string, now time.Time, fn func(*sql.Tx, *queueState) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		q, err := loadQueue(ctx, tx, queueID)
		if err != nil {
			return err
		}
		q.seen(clientKey)
		if err := fn(tx, q); err != nil {
			return err
		}
		return q.save(ctx, tx, now)
	})
}

func msPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(*t), Valid: true}
}

func (db *DB) RequestsAdd(ctx context.Context, p *storage.RequestsAddParams) ([]storage.RequestAddResult, error) {
	results := make([]storage.RequestAddResult, 0, len(p.Requests))
	err := db.queueTx(ctx, p.QueueID, p.ClientKey, p.Now, func(tx *sql.Tx, q *queueState) error {
		for _, r := range p.Requests {
			res := storage.RequestAddResult{RequestID: r.ID, UniqueKey: r.UniqueKey}
			var handled sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT id, handled_at FROM rq_requests WHERE queue_id = ? AND unique_key = ?`,
				p.QueueID, r.UniqueKey).Scan(&res.RequestID, &handled)
			switch {
			case err == nil:
				res.WasAlreadyPresent = true
				res.WasAlreadyHandled = handled.Valid
			case err == sql.ErrNoRows:
				if _, err := tx.ExecContext(ctx, `INSERT INTO rq_requests (queue_id, id, unique_key, url, method, retry_count, sort_key, handled_at, data)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					p.QueueID, r.ID, r.UniqueKey, r.URL, r.Method, r.RetryCount, q.nextSortKey(p.Forefront), msPtr(r.HandledAt), r.JSON); err != nil {
					return err
				}
				q.total++
				if r.HandledAt != nil {
					q.handled++
				}
			default:
				return err
			}
			results = append(results, res)
		}
		return nil
	})
	return results, err
}

func (db *DB) RequestGet(ctx context.Context, queueID, id string) (*actord.Request, error) {
	return scanRequest(db.r.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM rq_requests WHERE queue_id = ? AND id = ?`, queueID, id))
}

func (db *DB) RequestUpdate(ctx context.Context, p *storage.RequestUpdateParams) (*storage.RequestAddResult, error) {
	r := p.Request
	res := &storage.RequestAddResult{RequestID: r.ID, UniqueKey: r.UniqueKey, WasAlreadyPresent: true}
	err := db.queueTx(ctx, p.QueueID, p.ClientKey, p.Now, func(tx *sql.Tx, q *queueState) error {
		var handled sql.NullInt64
		var sortKey int64
		if err := tx.QueryRowContext(ctx, `SELECT handled_at, sort_key FROM rq_requests WHERE queue_id = ? AND id = ?`, p.QueueID, r.ID).
			Scan(&handled, &sortKey); err != nil {
			return err
		}
		res.WasAlreadyHandled = handled.Valid
		if p.Forefront {
			sortKey = q.nextSortKey(true)
		}
		switch {
		case handled.Valid && r.HandledAt == nil:
			q.handled--
		case !handled.Valid && r.HandledAt != nil:
			q.handled++
		}
		// A handled request leaves the head, and so its lock.
		_, err := tx.ExecContext(ctx, `UPDATE rq_requests SET url = ?, method = ?, retry_count = ?, sort_key = ?, handled_at = ?, data = ?,
			lock_client = CASE WHEN ? THEN NULL ELSE lock_client END, lock_expires = CASE WHEN ? THEN NULL ELSE lock_expires END
			WHERE queue_id = ? AND id = ?`,
			r.URL, r.Method, r.RetryCount, sortKey, msPtr(r.HandledAt), r.JSON, r.HandledAt != nil, r.HandledAt != nil, p.QueueID, r.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (db *DB) RequestsDelete(ctx context.Context, p *storage.RequestsDeleteParams) ([]string, error) {
	var deleted []string
	err := db.queueTx(ctx, p.QueueID, p.ClientKey, p.Now, func(tx *sql.Tx, q *queueState) error {
		for _, id := range p.IDs {
			var handled sql.NullInt64
			err := tx.QueryRowContext(ctx, `DELETE FROM rq_requests WHERE queue_id = ? AND id = ? RETURNING handled_at`, p.QueueID, id).Scan(&handled)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			q.total--
			if handled.Valid {
				q.handled--
			}
			deleted = append(deleted, id)
		}
		return nil
	})
	return deleted, err
}

func (db *DB) RequestsList(ctx context.Context, p *storage.RequestsListParams) ([]*actord.Request, error) {
	q := `SELECT ` + requestColumns + ` FROM rq_requests WHERE queue_id = ? AND id > ?`
	args := []any{p.QueueID, p.ExclusiveFrom}
	switch {
	case p.Filter.Locked && p.Filter.Pending:
		q += ` AND (handled_at IS NULL OR lock_expires > ?)`
		args = append(args, ms(p.Now))
	case p.Filter.Locked:
		q += ` AND lock_expires > ?`
		args = append(args, ms(p.Now))
	case p.Filter.Pending:
		q += ` AND handled_at IS NULL`
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY id LIMIT ?`, append(args, p.Limit)...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []*actord.Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, interpretError(rows.Err())
}

const headQuery = `SELECT ` + requestColumns + ` FROM rq_requests
	WHERE queue_id = ? AND handled_at IS NULL AND (lock_expires IS NULL OR lock_expires <= ?)
	ORDER BY sort_key LIMIT ?`

func queryRequests(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]*actord.Request, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*actord.Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (db *DB) QueueHead(ctx context.Context, p *storage.QueueHeadParams) (*storage.QueueHead, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, interpretError(err)
	}
	defer tx.Rollback()
	h := &storage.QueueHead{}
	if err := db.headInfo(ctx, tx, p, h); err != nil {
		return nil, err
	}
	h.Items, err = queryRequests(ctx, tx, headQuery, p.QueueID, ms(p.Now), p.Limit)
	if err != nil {
		return nil, interpretError(err)
	}
	tx.Rollback()
	if err := db.noteClient(ctx, p.QueueID, p.ClientKey, h); err != nil {
		return nil, err
	}
	return h, nil
}

// noteClient records a reading client for hadMultipleClients. It writes
// only the first time a queue is read or when a second client appears, so
// reading the head stays a read almost always.
func (db *DB) noteClient(ctx context.Context, queueID, clientKey string, h *storage.QueueHead) error {
	if h.HadMultipleClients {
		return nil
	}
	var first sql.NullString
	if err := db.r.QueryRowContext(ctx, `SELECT rq_first_client FROM storages WHERE id = ?`, queueID).Scan(&first); err != nil {
		return interpretError(err)
	}
	if first.Valid && first.String == clientKey {
		return nil
	}
	_, err := db.w.ExecContext(ctx, `UPDATE storages SET
		rq_multi = CASE WHEN rq_first_client IS NOT NULL AND rq_first_client != ? THEN 1 ELSE rq_multi END,
		rq_first_client = COALESCE(rq_first_client, ?) WHERE id = ?`, clientKey, clientKey, queueID)
	if err != nil {
		return interpretError(err)
	}
	h.HadMultipleClients = first.Valid
	return nil
}

func (db *DB) headInfo(ctx context.Context, tx *sql.Tx, p *storage.QueueHeadParams, h *storage.QueueHead) error {
	var modified int64
	err := tx.QueryRowContext(ctx, `SELECT modified_at, rq_multi,
		EXISTS (SELECT 1 FROM rq_requests WHERE queue_id = s.id AND lock_expires > ?)
		FROM storages s WHERE id = ? AND kind = 'requestQueue'`, ms(p.Now), p.QueueID).
		Scan(&modified, &h.HadMultipleClients, &h.QueueHasLockedRequests)
	h.QueueModifiedAt = fromMS(modified)
	return interpretError(err)
}

func (db *DB) QueueHeadLock(ctx context.Context, p *storage.QueueHeadParams) (*storage.QueueHead, error) {
	h := &storage.QueueHead{}
	expires := p.Now.Add(time.Duration(p.LockSecs) * time.Second)
	err := db.queueTx(ctx, p.QueueID, p.ClientKey, p.Now, func(tx *sql.Tx, q *queueState) error {
		items, err := queryRequests(ctx, tx, headQuery, p.QueueID, ms(p.Now), p.Limit)
		if err != nil {
			return err
		}
		for _, r := range items {
			if _, err := tx.ExecContext(ctx, `UPDATE rq_requests SET lock_client = ?, lock_expires = ? WHERE queue_id = ? AND id = ?`,
				p.ClientKey, ms(expires), p.QueueID, r.ID); err != nil {
				return err
			}
			r.LockExpires = &expires
		}
		h.Items = items
		h.HadMultipleClients = q.multi
		h.QueueModifiedAt = p.Now
		return tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM rq_requests WHERE queue_id = ? AND lock_expires > ?)`,
			p.QueueID, ms(p.Now)).Scan(&h.QueueHasLockedRequests)
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// lockOwner reads a request's lock and fails with ErrConflict when another
// client holds it.
func lockOwner(ctx context.Context, tx *sql.Tx, p *storage.RequestLockParams) error {
	var client sql.NullString
	var expires sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT lock_client, lock_expires FROM rq_requests WHERE queue_id = ? AND id = ?`,
		p.QueueID, p.RequestID).Scan(&client, &expires); err != nil {
		return err
	}
	if expires.Valid && expires.Int64 > ms(p.Now) && client.String != p.ClientKey {
		return storage.ErrConflict
	}
	return nil
}

func (db *DB) RequestLockProlong(ctx context.Context, p *storage.RequestLockParams) (time.Time, error) {
	expires := p.Now.Add(time.Duration(p.LockSecs) * time.Second)
	err := db.queueTx(ctx, p.QueueID, p.ClientKey, p.Now, func(tx *sql.Tx, q *queueState) error {
		if err := lockOwner(ctx, tx, p); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE rq_requests SET lock_client = ?, lock_expires = ? WHERE queue_id = ? AND id = ?`,
			p.ClientKey, ms(expires), p.QueueID, p.RequestID)
		return err
	})
	return expires, err
}

func (db *DB) RequestLockDelete(ctx context.Context, p *storage.RequestLockParams) error {
	return db.queueTx(ctx, p.QueueID, p.ClientKey, p.Now, func(tx *sql.Tx, q *queueState) error {
		if err := lockOwner(ctx, tx, p); err != nil {
			return err
		}
		set := `lock_client = NULL, lock_expires = NULL`
		args := []any{}
		if p.Forefront {
			set += `, sort_key = ?`
			args = append(args, q.nextSortKey(true))
		}
		_, err := tx.ExecContext(ctx, `UPDATE rq_requests SET `+set+` WHERE queue_id = ? AND id = ?`, append(args, p.QueueID, p.RequestID)...)
		return err
	})
}

func (db *DB) QueueUnlock(ctx context.Context, queueID, clientKey string, now time.Time) (int64, error) {
	var n int64
	err := db.queueTx(ctx, queueID, clientKey, now, func(tx *sql.Tx, q *queueState) error {
		res, err := tx.ExecContext(ctx, `UPDATE rq_requests SET lock_client = NULL, lock_expires = NULL
			WHERE queue_id = ? AND lock_client = ? AND lock_expires > ?`, queueID, clientKey, ms(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
