-- +goose Up
-- SPEC §3: a replay is the first answer, its headers too (ETag, Location,
-- Content-Type). They are kept with the outcome as
-- {"completed_at": ..., "fields": {"Etag": ["..."], ...}}, stamped with the
-- completed_at of the outcome they belong to: a build before this one neither
-- writes nor clears them when it takes an expired key again, so headers whose
-- stamp is not the row's completed_at belong to an earlier outcome and are
-- not replayed. Only added, nullable and without a default: a previous build
-- keeps working beside this one during a rolling upgrade.
ALTER TABLE idempotency_keys ADD COLUMN headers jsonb;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN headers;
