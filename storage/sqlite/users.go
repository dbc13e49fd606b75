package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/actord/actord"
)

func (db *DB) UserInsert(ctx context.Context, u *actord.User) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO users (id, username, created_at) VALUES (?, ?, ?)`,
		u.ID, u.Username, ms(u.CreatedAt))
	return interpretError(err)
}

func (db *DB) UserGet(ctx context.Context, id string) (*actord.User, error) {
	return scanUser(db.r.QueryRowContext(ctx, `SELECT id, username, created_at FROM users WHERE id = ?`, id))
}

func (db *DB) UserGetByName(ctx context.Context, username string) (*actord.User, error) {
	return scanUser(db.r.QueryRowContext(ctx, `SELECT id, username, created_at FROM users WHERE username = ?`, username))
}

func (db *DB) UserCount(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, interpretError(err)
}

func (db *DB) TokenInsert(ctx context.Context, userID string, hash []byte, createdAt time.Time) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO tokens (hash, user_id, created_at) VALUES (?, ?, ?)`,
		hash, userID, ms(createdAt))
	return interpretError(err)
}

func (db *DB) UserGetByTokenHash(ctx context.Context, hash []byte) (*actord.User, error) {
	return scanUser(db.r.QueryRowContext(ctx, `
		SELECT u.id, u.username, u.created_at FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = ?`, hash))
}

func scanUser(row *sql.Row) (*actord.User, error) {
	var u actord.User
	var created int64
	if err := row.Scan(&u.ID, &u.Username, &created); err != nil {
		return nil, interpretError(err)
	}
	u.CreatedAt = fromMS(created)
	return &u, nil
}
