// Package sqlite is the embedded storage driver: one SQLite database file in
// WAL mode, written through a single connection (SQLite allows one writer)
// and read through a pool of read-only connections.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/actord/actord/storage"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a storage.Store on one SQLite file.
type DB struct {
	w *sql.DB // the single writer connection
	r *sql.DB // read-only pool
}

var _ storage.Store = (*DB)(nil)

// Open opens (creating when needed) the database at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolve database path: %w", err)
	}
	// synchronous(FULL): a write is acknowledged only after the WAL is
	// fsynced, so it survives kill -9 and power loss alike.
	pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	base := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + pragmas
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	db := &DB{w: w}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	// Actor runs execute on this host: the database is the server's alone
	// (SQLite gives its -wal and -shm files the database's mode).
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Chmod(abs+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.Close()
			return nil, fmt.Errorf("protect database file: %w", err)
		}
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db.r = r
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", name, err)
		}
	}
	return nil
}

// tx runs fn in one write transaction (BEGIN IMMEDIATE, see Open).
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return interpretError(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return interpretError(err)
	}
	return interpretError(tx.Commit())
}

// interpretError maps SQLite errors to the storage sentinels.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", storage.ErrConflict, se.Error())
		}
	}
	return err
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// placeholders returns "?,?,…" with n marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// columnFilter is one "column = value" condition of a list; an empty
// value does not filter.
type columnFilter struct{ col, val string }

// page runs a filtered, paged query ordered by timeCol (then rowid) and
// returns the total that matched; limit <= 0 means no limit.
func (db *DB) page(ctx context.Context, table, columns, timeCol string, filter []columnFilter, offset, limit int64, desc bool, scan func(*sql.Rows) error) (int64, error) {
	var where []string
	var args []any
	for _, f := range filter {
		if f.val != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.val)
		}
	}
	clause := ""
	if len(where) > 0 {
		clause = " WHERE " + strings.Join(where, " AND ")
	}
	var total int64
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table+clause, args...).Scan(&total); err != nil {
		return 0, interpretError(err)
	}
	order := "ASC"
	if desc {
		order = "DESC"
	}
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+columns+` FROM `+table+clause+
		` ORDER BY `+timeCol+` `+order+`, rowid `+order+` LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return 0, interpretError(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return 0, err
		}
	}
	return total, interpretError(rows.Err())
}
