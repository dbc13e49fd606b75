-- Actors, their builds and runs. Each row keeps the object as JSON (data:
-- what clients see, private: what only the server needs) plus the columns
-- lookups and lists filter and sort on. The parts the server changes on
-- its own (tagged builds, counters) have columns of their own, so a
-- counter is one UPDATE. An actor's versions, with their source files
-- (which can be megabytes), live in a table of their own: SQLite reads and
-- rewrites whole rows, and a run start must touch neither.
CREATE TABLE actors (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    data         BLOB NOT NULL,
    tagged       BLOB NOT NULL,
    total_builds INTEGER NOT NULL DEFAULT 0,
    total_runs   INTEGER NOT NULL DEFAULT 0,
    last_run_at  INTEGER
);
CREATE TABLE actor_versions (
    actor_id TEXT PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
    versions BLOB NOT NULL
);
CREATE UNIQUE INDEX actors_name ON actors(user_id, name);

CREATE TABLE builds (
    id         TEXT PRIMARY KEY,
    act_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    version    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    data       BLOB NOT NULL,
    private    BLOB NOT NULL
);
CREATE INDEX builds_act ON builds(act_id, started_at);
CREATE INDEX builds_user ON builds(user_id, started_at);
CREATE UNIQUE INDEX builds_number ON builds(act_id, version, seq);

CREATE TABLE runs (
    id         TEXT PRIMARY KEY,
    act_id     TEXT NOT NULL,
    task_id    TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    data       BLOB NOT NULL,
    private    BLOB NOT NULL
);
CREATE INDEX runs_act ON runs(act_id, started_at);
CREATE INDEX runs_user ON runs(user_id, started_at);
CREATE INDEX runs_status ON runs(status);

-- A run's own token authenticates as its owner and is deleted when the run ends.
ALTER TABLE tokens ADD COLUMN run_id TEXT;
CREATE INDEX tokens_run ON tokens(run_id) WHERE run_id IS NOT NULL;
