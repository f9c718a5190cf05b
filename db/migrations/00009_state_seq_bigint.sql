-- +goose Up
-- The approval run's save order is now (history length, counter): wider than int.
ALTER TABLE discount_requests ALTER COLUMN state_seq TYPE bigint;

-- +goose Down
ALTER TABLE discount_requests ALTER COLUMN state_seq TYPE integer;
