-- Webhooks and their dispatches. data is the object as clients see it
-- (JSON); the columns are what lookups filter and sort on, and what the
-- server changes on its own (the dispatch counter and the last dispatch),
-- so counting a dispatch is one UPDATE that never rewrites what a client
-- edits. The condition is spread over act_id, task_id and run_id: exactly
-- one of them is set.
CREATE TABLE webhooks (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users(id),
    act_id           TEXT NOT NULL DEFAULT '',
    task_id          TEXT NOT NULL DEFAULT '',
    run_id           TEXT NOT NULL DEFAULT '',
    idempotency_key  TEXT,
    created_at       INTEGER NOT NULL,
    data             BLOB NOT NULL,
    total_dispatches INTEGER NOT NULL DEFAULT 0,
    last_dispatch_id TEXT,
    last_dispatch    BLOB
);
CREATE INDEX webhooks_user ON webhooks(user_id, created_at);
CREATE INDEX webhooks_act ON webhooks(act_id) WHERE act_id <> '';
CREATE INDEX webhooks_task ON webhooks(task_id) WHERE task_id <> '';
CREATE INDEX webhooks_run ON webhooks(run_id) WHERE run_id <> '';
CREATE UNIQUE INDEX webhooks_idempotency ON webhooks(user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- next_attempt_at is set while a dispatch is ACTIVE: the scheduler finds
-- due dispatches through it after a restart.
CREATE TABLE webhook_dispatches (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER,
    data            BLOB NOT NULL,
    private         BLOB NOT NULL
);
CREATE INDEX webhook_dispatches_user ON webhook_dispatches(user_id, created_at);
CREATE INDEX webhook_dispatches_webhook ON webhook_dispatches(webhook_id, created_at);
CREATE INDEX webhook_dispatches_due ON webhook_dispatches(next_attempt_at) WHERE status = 'ACTIVE';
