-- Actor tasks. data is the task as clients see it, without its input and
-- counter: the input is the client's JSON object kept byte for byte in a
-- column of its own (data goes through encoding/json, which would compact
-- and re-escape it), and the counter is one UPDATE per run. Deleting an
-- actor deletes its tasks: they could never run again.
CREATE TABLE tasks (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    act_id     TEXT NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    data       BLOB NOT NULL,
    input      BLOB NOT NULL,
    total_runs INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX tasks_name ON tasks(user_id, name);
CREATE INDEX tasks_act ON tasks(act_id);

-- A task's runs and its last run are listed by task.
CREATE INDEX runs_task ON runs(task_id, started_at);
