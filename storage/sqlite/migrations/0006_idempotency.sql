-- Idempotency-Key of run starts: for actord.IdempotencyWindow, a user's key
-- names the run it started (a repeated start is that run). Rows older than
-- the window are replaced by the next start with the same key, and removed
-- when any key is recorded.
CREATE TABLE run_idempotency_keys (
    user_id    TEXT NOT NULL,
    key        TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX run_idempotency_keys_created_at ON run_idempotency_keys(created_at);
