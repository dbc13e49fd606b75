-- A dataset's schema (raw JSON from the actor's dataset schema: fields and
-- views); NULL when it has none.
ALTER TABLE storages ADD COLUMN schema BLOB;
