package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

// taskRow encodes a task's data column: the task without its input and
// counter, which have columns of their own.
func taskRow(t *actord.Task) ([]byte, error) {
	rest := *t
	rest.Input, rest.Stats = nil, actord.TaskStats{}
	data, err := json.Marshal(&rest)
	if err != nil {
		return nil, fmt.Errorf("encode task: %w", err)
	}
	return data, nil
}

func (db *DB) TaskInsert(ctx context.Context, t *actord.Task) error {
	data, err := taskRow(t)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO tasks (id, user_id, act_id, name, created_at, data, input) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.ActID, t.Name, ms(t.CreatedAt.Time), data, taskInput(t))
	return interpretError(err)
}

const taskColumns = `data, input, total_runs`

func (db *DB) TaskGet(ctx context.Context, id string) (*actord.Task, error) {
	return scanTask(db.r.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id))
}

func (db *DB) TaskGetByName(ctx context.Context, userID, name string) (*actord.Task, error) {
	return scanTask(db.r.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE user_id = ? AND name = ?`, userID, name))
}

func (db *DB) TaskList(ctx context.Context, p *storage.ListParams) ([]*actord.Task, int64, error) {
	var out []*actord.Task
	total, err := db.list(ctx, "tasks", taskColumns, &storage.ListParams{UserID: p.UserID, Offset: p.Offset, Limit: p.Limit, Desc: p.Desc},
		func(rows *sql.Rows) error {
			t, err := scanTask(rows)
			if err == nil {
				out = append(out, t)
			}
			return err
		})
	return out, total, err
}

func (db *DB) TaskUpdate(ctx context.Context, t *actord.Task) error {
	data, err := taskRow(t)
	if err != nil {
		return err
	}
	return db.updateOne(ctx, `UPDATE tasks SET name = ?, data = ?, input = ? WHERE id = ?`, t.Name, data, taskInput(t), t.ID)
}

func (db *DB) TaskDelete(ctx context.Context, id string) error {
	return db.updateOne(ctx, `DELETE FROM tasks WHERE id = ?`, id)
}

// taskInput is the task's input column: its raw input, {} when it has none.
func taskInput(t *actord.Task) []byte {
	if len(t.Input) == 0 {
		return []byte("{}")
	}
	return t.Input
}

func scanTask(row interface{ Scan(...any) error }) (*actord.Task, error) {
	var data, input []byte
	var runs int64
	if err := row.Scan(&data, &input, &runs); err != nil {
		return nil, interpretError(err)
	}
	var t actord.Task
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decode task: %w", err)
	}
	t.Input, t.Stats.TotalRuns = input, runs
	return &t, nil
}
