-- +goose Up
-- A claim whose request committed a change must never be taken again when its
-- lease runs out, or a retry would make the change twice: the write's own
-- transaction stamps committed_claim with the claim's claimed_at. The stamp
-- holds only while it equals claimed_at, so a claim taken afresh (by this
-- build, which clears it, or by a build before this one, which does not know
-- it but moves claimed_at) is not taken for committed. Only added, nullable
-- and without a default: a previous build keeps working beside this one
-- during a rolling upgrade.
ALTER TABLE idempotency_keys ADD COLUMN committed_claim timestamptz;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN committed_claim;
