-- +goose Up
-- SPEC §5: a replayed answer shows its accounts again, so the replay is
-- registered too. The accounts (and sections) the first request registered
-- are kept with its outcome: [{"customer_ids": [...], "sections": [...]}].
ALTER TABLE idempotency_keys ADD COLUMN shown jsonb NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN shown;
