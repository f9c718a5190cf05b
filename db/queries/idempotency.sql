-- name: ClaimIdempotencyKey :execrows
INSERT INTO idempotency_keys (staff_id, key, request_hash) VALUES ($1, $2, $3)
ON CONFLICT (staff_id, key) DO NOTHING;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE staff_id = $1 AND key = $2;

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys SET status = $3, body = $4 WHERE staff_id = $1 AND key = $2;

-- name: ReleaseIdempotencyKey :exec
DELETE FROM idempotency_keys WHERE staff_id = $1 AND key = $2 AND status IS NULL;
