package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

const storageColumns = `s.id, s.kind, s.user_id, u.username, s.name, s.general_access, s.act_id, s.act_run_id,
	s.created_at, s.modified_at, s.accessed_at, s.item_count, s.storage_bytes,
	s.total_requests, s.handled_requests, s.rq_multi, s.schema`

const storageFrom = ` FROM storages s JOIN users u ON u.id = s.user_id `

func (db *DB) StorageInsert(ctx context.Context, s *actord.Storage) error {
	return interpretError(insertStorage(ctx, db.w, s))
}

// execer is a connection or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertStorage(ctx context.Context, ex execer, s *actord.Storage) error {
	_, err := ex.ExecContext(ctx, `
		INSERT INTO storages (id, kind, user_id, name, general_access, act_id, act_run_id, created_at, modified_at, accessed_at, schema)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, string(s.Kind), s.UserID, nullString(s.Name), s.GeneralAccess, s.ActID, s.ActRunID,
		ms(s.CreatedAt), ms(s.ModifiedAt), ms(s.AccessedAt), s.Schema)
	return err
}

func (db *DB) StorageGet(ctx context.Context, kind actord.StorageKind, id string) (*actord.Storage, error) {
	return scanStorage(db.r.QueryRowContext(ctx, `SELECT `+storageColumns+storageFrom+`WHERE s.id = ? AND s.kind = ?`, id, string(kind)))
}

func (db *DB) StorageGetByName(ctx context.Context, kind actord.StorageKind, userID, name string) (*actord.Storage, error) {
	return scanStorage(db.r.QueryRowContext(ctx, `SELECT `+storageColumns+storageFrom+`WHERE s.kind = ? AND s.user_id = ? AND s.name = ?`,
		string(kind), userID, name))
}

func (db *DB) StorageList(ctx context.Context, p *storage.StorageListParams) (*storage.StorageList, error) {
	where := `WHERE s.kind = ? AND s.user_id = ?`
	if !p.Unnamed {
		where += ` AND s.name IS NOT NULL`
	}
	args := []any{string(p.Kind), p.UserID}
	list := &storage.StorageList{}
	if err := db.r.QueryRowContext(ctx, `SELECT count(*)`+storageFrom+where, args...).Scan(&list.Total); err != nil {
		return nil, interpretError(err)
	}
	order := "ASC"
	if p.Desc {
		order = "DESC"
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+storageColumns+storageFrom+where+
		` ORDER BY s.created_at `+order+`, s.id `+order+` LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanStorage(rows)
		if err != nil {
			return nil, err
		}
		list.Items = append(list.Items, s)
	}
	return list, interpretError(rows.Err())
}

func (db *DB) StorageUpdate(ctx context.Context, p *storage.StorageUpdateParams) (*actord.Storage, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if p.Name != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE storages SET name = ? WHERE id = ? AND kind = ?`, nullString(*p.Name), p.ID, string(p.Kind)); err != nil {
				return err
			}
		}
		if p.GeneralAccess != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE storages SET general_access = ? WHERE id = ? AND kind = ?`, *p.GeneralAccess, p.ID, string(p.Kind)); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE storages SET modified_at = ?, accessed_at = ? WHERE id = ? AND kind = ?`,
			ms(p.Now), ms(p.Now), p.ID, string(p.Kind))
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return nil, err
	}
	return db.storageGetW(ctx, p.Kind, p.ID)
}

// storageGetW reads through the writer so the caller sees its own write.
func (db *DB) storageGetW(ctx context.Context, kind actord.StorageKind, id string) (*actord.Storage, error) {
	return scanStorage(db.w.QueryRowContext(ctx, `SELECT `+storageColumns+storageFrom+`WHERE s.id = ? AND s.kind = ?`, id, string(kind)))
}

func (db *DB) StorageDelete(ctx context.Context, kind actord.StorageKind, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM storages WHERE id = ? AND kind = ?`, id, string(kind))
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		var content string
		switch kind {
		case actord.KindDataset:
			content = `DELETE FROM dataset_chunks WHERE dataset_id = ?`
		case actord.KindKeyValueStore:
			content = `DELETE FROM kv_records WHERE store_id = ?`
		case actord.KindRequestQueue:
			content = `DELETE FROM rq_requests WHERE queue_id = ?`
		default:
			return fmt.Errorf("unknown storage kind %q", kind)
		}
		_, err = tx.ExecContext(ctx, content, id)
		return err
	})
}

type scanner interface{ Scan(dest ...any) error }

func scanStorage(row scanner) (*actord.Storage, error) {
	var s actord.Storage
	var kind string
	var name sql.NullString
	var created, modified, accessed int64
	err := row.Scan(&s.ID, &kind, &s.UserID, &s.Username, &name, &s.GeneralAccess, &s.ActID, &s.ActRunID,
		&created, &modified, &accessed, &s.ItemCount, &s.StorageBytes,
		&s.TotalRequestCount, &s.HandledRequestCount, &s.HadMultipleClients, &s.Schema)
	if err != nil {
		return nil, interpretError(err)
	}
	s.Kind = actord.StorageKind(kind)
	s.Name = name.String
	s.CreatedAt, s.ModifiedAt, s.AccessedAt = fromMS(created), fromMS(modified), fromMS(accessed)
	return &s, nil
}

func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
