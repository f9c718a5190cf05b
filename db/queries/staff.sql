-- name: CreateStaff :one
INSERT INTO staff (id, name, email, role) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: GetStaff :one
SELECT * FROM staff WHERE id = $1;

-- name: ListStaff :many
SELECT * FROM staff
WHERE (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
  AND (sqlc.narg(role)::text IS NULL OR role = sqlc.narg(role))
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: ActiveStaffByRole :many
SELECT * FROM staff WHERE role = $1 AND active ORDER BY id;

-- name: CountStaff :one
SELECT count(*) FROM staff;

-- name: CreateToken :one
INSERT INTO api_tokens (id, staff_id, token_hash, expires_at) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: RevokeToken :execrows
UPDATE api_tokens SET revoked_at = now()
WHERE id = $1 AND staff_id = $2 AND revoked_at IS NULL;

-- name: GetToken :one
SELECT * FROM api_tokens WHERE id = $1 AND staff_id = $2;

-- name: Authenticate :one
-- A token authenticates while it is neither revoked nor expired and its staff is active.
SELECT s.* FROM api_tokens t JOIN staff s ON s.id = t.staff_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > now()) AND s.active;

-- name: LockBootstrap :exec
-- Two replicas starting at once must not both create a first admin.
SELECT pg_advisory_xact_lock(727002);
