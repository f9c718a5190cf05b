-- +goose Up
-- Idempotency keys expire: a recorded outcome is kept for KAM_IDEMPOTENCY_TTL
-- after it was completed, and a claim left unfinished (a crash mid-request)
-- can be taken again once its lease (KAM_IDEMPOTENCY_LEASE) has run out.
ALTER TABLE idempotency_keys
    ADD COLUMN claimed_at   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN completed_at timestamptz;
UPDATE idempotency_keys SET claimed_at = created_at,
    completed_at = CASE WHEN status IS NOT NULL THEN created_at END;
CREATE INDEX idempotency_keys_completed_idx ON idempotency_keys (completed_at);

-- +goose Down
DROP INDEX idempotency_keys_completed_idx;
ALTER TABLE idempotency_keys DROP COLUMN completed_at, DROP COLUMN claimed_at;
