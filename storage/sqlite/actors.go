package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

func (db *DB) RunTokensDelete(ctx context.Context, runID string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM tokens WHERE run_id = ?`, runID)
	return interpretError(err)
}

// actorRow splits an actor into its columns.
func actorRow(a *actord.Actor) (data, versions, tagged []byte, err error) {
	rest := *a
	rest.Versions, rest.TaggedBuilds, rest.Stats = nil, nil, actord.ActorStats{}
	if data, err = json.Marshal(&rest); err != nil {
		return nil, nil, nil, fmt.Errorf("encode actor: %w", err)
	}
	vs := a.Versions
	if vs == nil {
		vs = []*actord.Version{}
	}
	if versions, err = json.Marshal(vs); err != nil {
		return nil, nil, nil, fmt.Errorf("encode actor versions: %w", err)
	}
	tb := a.TaggedBuilds
	if tb == nil {
		tb = map[string]actord.TaggedBuild{}
	}
	if tagged, err = json.Marshal(tb); err != nil {
		return nil, nil, nil, fmt.Errorf("encode tagged builds: %w", err)
	}
	return data, versions, tagged, nil
}

func (db *DB) ActorInsert(ctx context.Context, a *actord.Actor) error {
	data, versions, tagged, err := actorRow(a)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO actors (id, user_id, name, created_at, data, tagged) VALUES (?, ?, ?, ?, ?, ?)`,
			a.ID, a.UserID, a.Name, ms(a.CreatedAt.Time), data, tagged)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO actor_versions (actor_id, versions) VALUES (?, ?)`, a.ID, versions)
		return err
	})
}

// actorColumns reads an actor without (or, with versions, with) its versions.
func actorColumns(versions bool) string {
	cols := `data, tagged, total_builds, total_runs, last_run_at`
	if versions {
		cols += `, (SELECT versions FROM actor_versions WHERE actor_id = id)`
	}
	return cols
}

func (db *DB) ActorGet(ctx context.Context, id string, versions bool) (*actord.Actor, error) {
	return scanActor(db.r.QueryRowContext(ctx, `SELECT `+actorColumns(versions)+` FROM actors WHERE id = ?`, id), versions)
}

func (db *DB) ActorGetByName(ctx context.Context, userID, name string, versions bool) (*actord.Actor, error) {
	return scanActor(db.r.QueryRowContext(ctx, `SELECT `+actorColumns(versions)+` FROM actors WHERE user_id = ? AND name = ?`, userID, name), versions)
}

func (db *DB) ActorList(ctx context.Context, p *storage.ListParams) ([]*actord.Actor, int64, error) {
	var out []*actord.Actor
	total, err := db.list(ctx, "actors", actorColumns(false), p, func(rows *sql.Rows) error {
		a, err := scanActor(rows, false)
		if err == nil {
			out = append(out, a)
		}
		return err
	})
	return out, total, err
}

func (db *DB) ActorUpdate(ctx context.Context, a *actord.Actor) error {
	data, versions, _, err := actorRow(a)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE actors SET name = ?, data = ? WHERE id = ?`, a.Name, data, a.ID)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE actor_versions SET versions = ? WHERE actor_id = ?`, versions, a.ID)
		return err
	})
}

func (db *DB) ActorTagBuild(ctx context.Context, id, tag string, tb actord.TaggedBuild) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var raw []byte
		if err := tx.QueryRowContext(ctx, `SELECT tagged FROM actors WHERE id = ?`, id).Scan(&raw); err != nil {
			return err
		}
		tagged := map[string]actord.TaggedBuild{}
		if err := json.Unmarshal(raw, &tagged); err != nil {
			return fmt.Errorf("decode tagged builds: %w", err)
		}
		tagged[tag] = tb
		raw, err := json.Marshal(tagged)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE actors SET tagged = ? WHERE id = ?`, raw, id)
		return err
	})
}

func (db *DB) ActorCountJob(ctx context.Context, id string, run bool, at time.Time) error {
	if run {
		return db.updateOne(ctx, `UPDATE actors SET total_runs = total_runs + 1, last_run_at = ? WHERE id = ?`, ms(at), id)
	}
	return db.updateOne(ctx, `UPDATE actors SET total_builds = total_builds + 1 WHERE id = ?`, id)
}

func (db *DB) ActorDelete(ctx context.Context, id string) error {
	return db.updateOne(ctx, `DELETE FROM actors WHERE id = ?`, id)
}

func scanActor(row interface{ Scan(...any) error }, versions bool) (*actord.Actor, error) {
	var data, tagged, vs []byte
	var lastRun sql.NullInt64
	var a actord.Actor
	dest := []any{&data, &tagged, &a.Stats.TotalBuilds, &a.Stats.TotalRuns, &lastRun}
	if versions {
		dest = append(dest, &vs)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, interpretError(err)
	}
	stats := a.Stats
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("decode actor: %w", err)
	}
	if err := json.Unmarshal(tagged, &a.TaggedBuilds); err != nil {
		return nil, fmt.Errorf("decode tagged builds: %w", err)
	}
	if versions {
		if err := json.Unmarshal(vs, &a.Versions); err != nil {
			return nil, fmt.Errorf("decode actor versions: %w", err)
		}
	}
	a.Stats = stats
	if t := nullMS(lastRun); t != nil {
		a.Stats.LastRunStartedAt = &actord.Time{Time: *t}
	}
	return &a, nil
}

func (db *DB) BuildInsert(ctx context.Context, b *actord.Build) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var seq int64
		err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM builds WHERE act_id = ? AND version = ?`,
			b.ActID, b.Private.ActVersion).Scan(&seq)
		if err != nil {
			return err
		}
		b.BuildNumber = b.Private.ActVersion + "." + strconv.FormatInt(seq, 10)
		data, private, err := encodeJob(b, &b.Private)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO builds (id, act_id, user_id, status, started_at, version, seq, data, private)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.ID, b.ActID, b.UserID, b.Status, ms(b.StartedAt.Time), b.Private.ActVersion, seq, data, private)
		return err
	})
}

func (db *DB) BuildGet(ctx context.Context, id string) (*actord.Build, error) {
	return scanBuild(db.r.QueryRowContext(ctx, `SELECT data, private FROM builds WHERE id = ?`, id))
}

func (db *DB) BuildList(ctx context.Context, p *storage.ListParams) ([]*actord.Build, int64, error) {
	var out []*actord.Build
	total, err := db.list(ctx, "builds", "data, private", p, func(rows *sql.Rows) error {
		b, err := scanBuild(rows)
		if err == nil {
			out = append(out, b)
		}
		return err
	})
	return out, total, err
}

func (db *DB) BuildUpdate(ctx context.Context, b *actord.Build) error {
	data, private, err := encodeJob(b, &b.Private)
	if err != nil {
		return err
	}
	return db.updateOne(ctx, `UPDATE builds SET status = ?, data = ?, private = ? WHERE id = ?`, b.Status, data, private, b.ID)
}

func scanBuild(row interface{ Scan(...any) error }) (*actord.Build, error) {
	var b actord.Build
	if err := scanJob(row, &b, &b.Private); err != nil {
		return nil, err
	}
	return &b, nil
}

func (db *DB) RunInsert(ctx context.Context, r *actord.Run) error {
	return interpretError(insertRun(ctx, db.w, r))
}

func insertRun(ctx context.Context, ex execer, r *actord.Run) error {
	data, private, err := encodeJob(r, &r.Private)
	if err != nil {
		return err
	}
	_, err = ex.ExecContext(ctx, `
		INSERT INTO runs (id, act_id, task_id, user_id, status, started_at, data, private)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.ActID, deref(r.ActorTaskID), r.UserID, r.Status, ms(r.StartedAt.Time), data, private)
	return err
}

func (db *DB) RunCreate(ctx context.Context, r *actord.Run, storages []*actord.Storage, input *actord.Record) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, st := range storages {
			if err := insertStorage(ctx, tx, st); err != nil {
				return err
			}
		}
		if input != nil {
			if err := putRecord(ctx, tx, input, r.StartedAt.Time); err != nil {
				return err
			}
		}
		if err := insertRun(ctx, tx, r); err != nil {
			return err
		}
		if key := r.Private.IdempotencyKey; key != "" {
			if err := claimIdempotencyKey(ctx, tx, r, key); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE actors SET total_runs = total_runs + 1, last_run_at = ? WHERE id = ?`, ms(r.StartedAt.Time), r.ActID)
		if err != nil || r.ActorTaskID == nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE tasks SET total_runs = total_runs + 1 WHERE id = ?`, *r.ActorTaskID)
		return err
	})
}

// claimIdempotencyKey records that key names run r, unless it names
// another run of the window (*storage.IdempotencyKeyInUse: the whole
// create rolls back, so concurrent starts with one key make one run).
func claimIdempotencyKey(ctx context.Context, tx *sql.Tx, r *actord.Run, key string) error {
	now := r.StartedAt.Time
	cutoff := ms(now.Add(-actord.IdempotencyWindow))
	if _, err := tx.ExecContext(ctx, `DELETE FROM run_idempotency_keys WHERE created_at < ?`, cutoff); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO run_idempotency_keys (user_id, key, run_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, key) DO NOTHING`, r.UserID, key, r.ID, ms(now))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var other string
	if err := tx.QueryRowContext(ctx, `SELECT run_id FROM run_idempotency_keys WHERE user_id = ? AND key = ?`, r.UserID, key).Scan(&other); err != nil {
		return err
	}
	return &storage.IdempotencyKeyInUse{RunID: other}
}

func (db *DB) RunByIdempotencyKey(ctx context.Context, userID, key string, since time.Time) (string, error) {
	var id string
	err := db.r.QueryRowContext(ctx, `SELECT run_id FROM run_idempotency_keys WHERE user_id = ? AND key = ? AND created_at >= ?`,
		userID, key, ms(since)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", storage.ErrNotFound
	}
	return id, err
}

func (db *DB) RunGet(ctx context.Context, id string) (*actord.Run, error) {
	return scanRun(db.r.QueryRowContext(ctx, `SELECT data, private FROM runs WHERE id = ?`, id))
}

func (db *DB) RunList(ctx context.Context, p *storage.ListParams) ([]*actord.Run, int64, error) {
	var out []*actord.Run
	total, err := db.list(ctx, "runs", "data, private", p, func(rows *sql.Rows) error {
		r, err := scanRun(rows)
		if err == nil {
			out = append(out, r)
		}
		return err
	})
	return out, total, err
}

func (db *DB) RunStart(ctx context.Context, r *actord.Run, tokenHash []byte, now time.Time) error {
	data, private, err := encodeJob(r, &r.Private)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, data = ?, private = ? WHERE id = ?`, r.Status, data, private, r.ID)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO tokens (hash, user_id, created_at, run_id) VALUES (?, ?, ?, ?)`,
			tokenHash, r.UserID, ms(now), r.ID)
		return err
	})
}

func (db *DB) RunFinish(ctx context.Context, r *actord.Run) error {
	data, private, err := encodeJob(r, &r.Private)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, started_at = ?, data = ?, private = ? WHERE id = ?`,
			r.Status, ms(r.StartedAt.Time), data, private, r.ID)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE run_id = ?`, r.ID)
		return err
	})
}

func (db *DB) RunUpdate(ctx context.Context, r *actord.Run) error {
	data, private, err := encodeJob(r, &r.Private)
	if err != nil {
		return err
	}
	return db.updateOne(ctx, `UPDATE runs SET status = ?, started_at = ?, data = ?, private = ? WHERE id = ?`,
		r.Status, ms(r.StartedAt.Time), data, private, r.ID)
}

func (db *DB) RunsWithStatus(ctx context.Context, statuses ...string) ([]*actord.Run, error) {
	args := make([]any, len(statuses))
	for i, s := range statuses {
		args[i] = s
	}
	rows, err := db.r.QueryContext(ctx, `SELECT data, private FROM runs WHERE status IN (`+placeholders(len(statuses))+`) ORDER BY rowid`, args...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []*actord.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, interpretError(rows.Err())
}

func scanRun(row interface{ Scan(...any) error }) (*actord.Run, error) {
	var r actord.Run
	if err := scanJob(row, &r, &r.Private); err != nil {
		return nil, err
	}
	return &r, nil
}

// encodeJob encodes a build or run as its public JSON and its private part.
func encodeJob(public, private any) ([]byte, []byte, error) {
	data, err := json.Marshal(public)
	if err != nil {
		return nil, nil, fmt.Errorf("encode job: %w", err)
	}
	priv, err := json.Marshal(private)
	if err != nil {
		return nil, nil, fmt.Errorf("encode job: %w", err)
	}
	return data, priv, nil
}

func scanJob(row interface{ Scan(...any) error }, public, private any) error {
	var data, priv []byte
	if err := row.Scan(&data, &priv); err != nil {
		return interpretError(err)
	}
	if err := json.Unmarshal(data, public); err != nil {
		return fmt.Errorf("decode job: %w", err)
	}
	if err := json.Unmarshal(priv, private); err != nil {
		return fmt.Errorf("decode job: %w", err)
	}
	return nil
}

// list runs a filtered, paged query on actors, tasks, builds or runs and returns
// the total that matched. Actors and tasks are in creation order, jobs in
// start order.
func (db *DB) list(ctx context.Context, table, columns string, p *storage.ListParams, scan func(*sql.Rows) error) (int64, error) {
	timeCol := "started_at"
	if table == "actors" || table == "tasks" {
		timeCol = "created_at"
	}
	filter := []columnFilter{{"user_id", p.UserID}, {"act_id", p.ActID}, {"task_id", p.TaskID}, {"status", p.Status}}
	return db.page(ctx, table, columns, timeCol, filter, p.Offset, p.Limit, p.Desc, scan)
}

// updateOne runs a write that must touch exactly one row.
func (db *DB) updateOne(ctx context.Context, query string, args ...any) error {
	res, err := db.w.ExecContext(ctx, query, args...)
	if err != nil {
		return interpretError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return interpretError(err)
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
