-- name: ClaimIdempotencyKey :many
-- A key is free when unused, when its recorded outcome is older than the TTL,
-- or when a claim was left unfinished (a crash) past its lease, unless its
-- request committed a change (committed_claim): a retry would repeat it. The
-- claimed_at returned is the claim's token (Complete, Release, Commit); no
-- row means the key is held.
INSERT INTO idempotency_keys AS k (staff_id, key, request_hash) VALUES (@staff_id, @key, @request_hash)
ON CONFLICT (staff_id, key) DO UPDATE
SET request_hash = EXCLUDED.request_hash, status = NULL, body = NULL, shown = '[]', headers = NULL,
    created_at = now(), claimed_at = now(), completed_at = NULL, committed_claim = NULL
WHERE (k.status IS NOT NULL AND k.completed_at < now() - make_interval(secs => @ttl_seconds::float8))
   OR (k.status IS NULL AND k.claimed_at < now() - make_interval(secs => @lease_seconds::float8)
       AND k.committed_claim IS DISTINCT FROM k.claimed_at)
RETURNING claimed_at;

-- name: CommitIdempotencyClaim :execrows
-- Run by the write's own transaction: the row lock it takes makes a
-- concurrent claim wait for the commit and then find the key committed. No
-- row means the claim was lost (its lease ran out and a retry took it). An
-- outcome already recorded for the same claim still matches: a request's
-- follow-up may write after its answer.
UPDATE idempotency_keys SET committed_claim = claimed_at
WHERE staff_id = @staff_id AND key = @key AND claimed_at = @claimed_at;

-- name: GetIdempotencyKey :one
-- replay_headers are the outcome's headers, or NULL when they were stamped
-- for another outcome (a build before 00038 took the key again and
-- recorded its own outcome without them) or never recorded.
SELECT staff_id, key, request_hash, status, body, created_at, claimed_at, completed_at, shown,
       (CASE WHEN (headers->>'completed_at')::timestamptz = completed_at THEN headers->'fields' END)::jsonb AS replay_headers
FROM idempotency_keys WHERE staff_id = @staff_id AND key = @key;

-- name: CompleteIdempotencyKey :exec
-- The headers are stamped with the completed_at they are recorded with (now()
-- is the same within a statement).
UPDATE idempotency_keys
SET status = @status, body = @body, shown = @shown,
    headers = jsonb_build_object('completed_at', now(), 'fields', @headers::jsonb), completed_at = now()
WHERE staff_id = @staff_id AND key = @key AND claimed_at = @claimed_at AND status IS NULL;

-- name: ReleaseIdempotencyKey :exec
-- Only the claim's own request releases it, and never after it committed.
DELETE FROM idempotency_keys
WHERE staff_id = @staff_id AND key = @key AND claimed_at = @claimed_at AND status IS NULL
  AND committed_claim IS DISTINCT FROM claimed_at;

-- name: PurgeIdempotencyKeys :execrows
-- Outcomes past the TTL, and claims abandoned for as long, are forgotten.
DELETE FROM idempotency_keys
WHERE completed_at < now() - make_interval(secs => @ttl_seconds::float8)
   OR (status IS NULL AND claimed_at < now() - make_interval(secs => @ttl_seconds::float8));
