package sqlite

import (
	"context"
	"database/sql"
	"iter"
	"strings"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

func (db *DB) RecordPut(ctx context.Context, r *actord.Record, now time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return putRecord(ctx, tx, r, now) })
}

func putRecord(ctx context.Context, tx *sql.Tx, r *actord.Record, now time.Time) error {
	{
		var old sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT size FROM kv_records WHERE store_id = ? AND key = ?`, r.StoreID, r.Key).Scan(&old)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO kv_records (store_id, key, content_type, size, value) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (store_id, key) DO UPDATE SET content_type = excluded.content_type, size = excluded.size, value = excluded.value`,
			r.StoreID, r.Key, r.ContentType, len(r.Value), r.Value); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE storages SET storage_bytes = storage_bytes + ?, modified_at = ?, accessed_at = ? WHERE id = ? AND kind = 'keyValueStore'`,
			int64(len(r.Value))-old.Int64, ms(now), ms(now), r.StoreID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	}
}

func (db *DB) RecordGet(ctx context.Context, storeID, key string) (*actord.Record, error) {
	r := &actord.Record{StoreID: storeID, Key: key}
	err := db.r.QueryRowContext(ctx, `SELECT content_type, value FROM kv_records WHERE store_id = ? AND key = ?`, storeID, key).
		Scan(&r.ContentType, &r.Value)
	if err != nil {
		return nil, interpretError(err)
	}
	return r, nil
}

func (db *DB) RecordSize(ctx context.Context, storeID, key string) (int64, string, error) {
	var size int64
	var ct string
	err := db.r.QueryRowContext(ctx, `SELECT size, content_type FROM kv_records WHERE store_id = ? AND key = ?`, storeID, key).Scan(&size, &ct)
	return size, ct, interpretError(err)
}

func (db *DB) RecordDelete(ctx context.Context, storeID, key string, now time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var size int64
		if err := tx.QueryRowContext(ctx, `DELETE FROM kv_records WHERE store_id = ? AND key = ? RETURNING size`, storeID, key).Scan(&size); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE storages SET storage_bytes = storage_bytes - ?, modified_at = ?, accessed_at = ? WHERE id = ?`,
			size, ms(now), ms(now), storeID)
		return err
	})
}

func (db *DB) RecordKeys(ctx context.Context, p *storage.RecordKeysParams) (*storage.RecordKeyList, error) {
	q := `SELECT key, size FROM kv_records WHERE store_id = ? AND key > ?`
	args := []any{p.StoreID, p.ExclusiveStartKey}
	if p.Prefix != "" {
		q += ` AND substr(CAST(key AS BLOB), 1, ?) = CAST(? AS BLOB)`
		args = append(args, len(p.Prefix), p.Prefix)
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY key LIMIT ?`, append(args, p.Limit+1)...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	list := &storage.RecordKeyList{}
	for rows.Next() {
		var k actord.RecordKey
		if err := rows.Scan(&k.Key, &k.Size); err != nil {
			return nil, interpretError(err)
		}
		if int64(len(list.Items)) == p.Limit {
			list.IsTruncated = true
			break
		}
		list.Items = append(list.Items, k)
	}
	return list, interpretError(rows.Err())
}

func (db *DB) RecordIter(ctx context.Context, storeID, prefix string) iter.Seq2[*actord.Record, error] {
	return func(yield func(*actord.Record, error) bool) {
		// Page by key so no connection is held while the caller writes.
		after := ""
		for {
			rows, err := db.r.QueryContext(ctx, `SELECT key, content_type, value FROM kv_records WHERE store_id = ? AND key > ? ORDER BY key LIMIT 100`, storeID, after)
			if err != nil {
				yield(nil, interpretError(err))
				return
			}
			var page []*actord.Record
			for rows.Next() {
				r := &actord.Record{StoreID: storeID}
				if err := rows.Scan(&r.Key, &r.ContentType, &r.Value); err != nil {
					rows.Close()
					yield(nil, interpretError(err))
					return
				}
				page = append(page, r)
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				yield(nil, interpretError(err))
				return
			}
			for _, r := range page {
				if strings.HasPrefix(r.Key, prefix) && !yield(r, nil) {
					return
				}
			}
			if len(page) < 100 {
				return
			}
			after = page[len(page)-1].Key
		}
	}
}
