-- +goose Up
-- Outbox of the webhook copies of notices (SPEC §7 "Webhooks"). Notify writes
-- a row in the same transaction as the inbox entries and returns; a deliverer
-- in the worker posts it later, so a slow or hanging receiver never holds up
-- an inbox notice or a process. The row id is the Standard Webhooks
-- webhook-id, the same on every attempt, on which receivers de-duplicate.
-- A row is pending, delivered, or dead: dead_at is the dead-letter record of a
-- delivery whose attempts ran out.
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    event_key       text NOT NULL UNIQUE,
    payload         jsonb NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    dead_at         timestamptz,
    last_error      text,
    CONSTRAINT webhook_deliveries_one_outcome CHECK (delivered_at IS NULL OR dead_at IS NULL)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX webhook_deliveries_dead_idx ON webhook_deliveries (dead_at DESC)
    WHERE dead_at IS NOT NULL;

-- +goose Down
DROP TABLE webhook_deliveries;
