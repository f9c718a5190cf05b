-- name: ClaimIdempotencyKey :execrows
-- A key is free when unused, when its recorded outcome is older than the TTL,
-- or when a claim was left unfinished (a crash) past its lease.
INSERT INTO idempotency_keys AS k (staff_id, key, request_hash) VALUES (@staff_id, @key, @request_hash)
ON CONFLICT (staff_id, key) DO UPDATE
SET request_hash = EXCLUDED.request_hash, status = NULL, body = NULL, shown = '[]',
    created_at = now(), claimed_at = now(), completed_at = NULL
WHERE (k.status IS NOT NULL AND k.completed_at < now() - make_interval(secs => @ttl_seconds::float8))
   OR (k.status IS NULL AND k.claimed_at < now() - make_interval(secs => @lease_seconds::float8));

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE staff_id = $1 AND key = $2;

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys SET status = $3, body = $4, shown = $5, completed_at = now() WHERE staff_id = $1 AND key = $2;

-- name: ReleaseIdempotencyKey :exec
DELETE FROM idempotency_keys WHERE staff_id = $1 AND key = $2 AND status IS NULL;

-- name: PurgeIdempotencyKeys :execrows
-- Outcomes past the TTL, and claims abandoned for as long, are forgotten.
DELETE FROM idempotency_keys
WHERE completed_at < now() - make_interval(secs => @ttl_seconds::float8)
   OR (status IS NULL AND claimed_at < now() - make_interval(secs => @ttl_seconds::float8));
