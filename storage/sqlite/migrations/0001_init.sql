-- Users and their API tokens (stored as SHA-256 hashes).
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    username   TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE tokens (
    hash       BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Datasets, key-value stores and request queues share one metadata table.
CREATE TABLE storages (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users(id),
    name           TEXT,
    general_access TEXT NOT NULL,
    act_id         TEXT NOT NULL DEFAULT '',
    act_run_id     TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    modified_at    INTEGER NOT NULL,
    accessed_at    INTEGER NOT NULL,
    item_count     INTEGER NOT NULL DEFAULT 0,
    storage_bytes  INTEGER NOT NULL DEFAULT 0,
    total_requests   INTEGER NOT NULL DEFAULT 0,
    handled_requests INTEGER NOT NULL DEFAULT 0,
    -- Request queues: the next queue-order number, the first client key seen
    -- and whether a second one has been seen.
    rq_seq         INTEGER NOT NULL DEFAULT 0,
    rq_first_client TEXT,
    rq_multi       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX storages_name ON storages(kind, user_id, name) WHERE name IS NOT NULL;
CREATE INDEX storages_user ON storages(kind, user_id, created_at);

-- Dataset items are stored a pushed batch per row: the compact JSON items
-- joined by '\n' (compact JSON never holds a raw newline). first_idx is the
-- 0-based index of the batch's first item, so an offset is one index seek.
CREATE TABLE dataset_chunks (
    dataset_id TEXT NOT NULL,
    first_idx  INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    data       BLOB NOT NULL
);
CREATE UNIQUE INDEX dataset_chunks_idx ON dataset_chunks(dataset_id, first_idx);

CREATE TABLE kv_records (
    store_id     TEXT NOT NULL,
    key          TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    value        BLOB NOT NULL,
    PRIMARY KEY (store_id, key)
);

CREATE TABLE rq_requests (
    queue_id     TEXT NOT NULL,
    id           TEXT NOT NULL,
    unique_key   TEXT NOT NULL,
    url          TEXT NOT NULL,
    method       TEXT NOT NULL,
    retry_count  INTEGER NOT NULL,
    -- Queue order: forefront requests get negative numbers, the newest first.
    sort_key     INTEGER NOT NULL,
    handled_at   INTEGER,
    lock_client  TEXT,
    lock_expires INTEGER,
    data         BLOB NOT NULL,
    PRIMARY KEY (queue_id, id)
);
CREATE UNIQUE INDEX rq_requests_unique ON rq_requests(queue_id, unique_key);
CREATE INDEX rq_requests_head ON rq_requests(queue_id, sort_key) WHERE handled_at IS NULL;
CREATE INDEX rq_requests_locked ON rq_requests(queue_id, lock_expires) WHERE lock_expires IS NOT NULL;
