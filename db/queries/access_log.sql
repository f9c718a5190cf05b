-- name: AppendAccess :exec
-- One row per account touched; a single nil UUID stands for requests that
-- name no account (a denied list, say) and is stored as NULL.
INSERT INTO access_log (staff_id, staff_role, customer_id, action, sections, request_id, purpose, route)
SELECT sqlc.narg(staff_id)::uuid, sqlc.narg(staff_role)::text,
       NULLIF(c, '00000000-0000-0000-0000-000000000000'::uuid), sqlc.arg(action)::text,
       sqlc.arg(sections)::text[], sqlc.arg(request_id)::text, sqlc.arg(purpose)::text, sqlc.arg(route)::text
FROM unnest(sqlc.arg(customer_ids)::uuid[]) AS c;

-- name: ListAccessLog :many
SELECT * FROM access_log
WHERE (sqlc.narg(staff_id)::uuid IS NULL OR staff_id = sqlc.narg(staff_id))
  AND (sqlc.narg(customer_id)::uuid IS NULL OR customer_id = sqlc.narg(customer_id))
  AND (sqlc.narg(since)::timestamptz IS NULL OR at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR at < sqlc.narg(until))
  AND (sqlc.narg(action)::text IS NULL OR action = sqlc.narg(action))
  AND (sqlc.narg(before)::bigint IS NULL OR seq < sqlc.narg(before))
ORDER BY seq DESC
LIMIT sqlc.arg(lim);

-- name: UnsealedAccess :many
SELECT * FROM access_log WHERE chain_pos IS NULL ORDER BY seq LIMIT sqlc.arg(lim);

-- name: ChainHead :one
SELECT chain_pos, hash FROM access_log WHERE chain_pos IS NOT NULL ORDER BY chain_pos DESC LIMIT 1;

-- name: SealAccess :exec
UPDATE access_log SET chain_pos = $2, prev_hash = $3, hash = $4 WHERE seq = $1 AND chain_pos IS NULL;

-- name: ChainPage :many
SELECT * FROM access_log WHERE chain_pos > sqlc.arg(after)::bigint ORDER BY chain_pos LIMIT sqlc.arg(lim);

-- name: CountAccess :one
SELECT count(*) AS total, count(chain_pos) AS sealed FROM access_log;

-- name: LockSealer :exec
-- One sealer at a time across replicas; released at commit.
SELECT pg_advisory_xact_lock(727001);
