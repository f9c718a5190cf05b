-- name: CreateStaff :one
INSERT INTO staff (id, name, email, role, locale) VALUES ($1, $2, $3, $4, $5) RETURNING *;

-- name: GetStaff :one
SELECT * FROM staff WHERE id = $1;

-- name: LockStaff :one
-- A change of a staff row (deactivation, role) holds it until commit.
SELECT * FROM staff WHERE id = $1 FOR UPDATE;

-- name: ShareLockStaff :one
-- Whoever relies on a person staying active until commit (an assignment, a
-- new token, a handover target) holds this, so a deactivation waits for it
-- and then sees what it did.
SELECT * FROM staff WHERE id = $1 FOR SHARE;

-- name: UpdateStaff :one
UPDATE staff SET name = $2, email = $3, role = $4, active = $5, locale = $6, version = version + 1
WHERE id = $1
RETURNING *;

-- name: ListStaff :many
SELECT * FROM staff
WHERE (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
  AND (sqlc.narg(role)::text IS NULL OR role = sqlc.narg(role))
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: CountStaff :one
SELECT count(*) FROM staff;

-- name: LockAdmins :exec
-- Changes that take an admin away run one at a time, so two admins cannot
-- deactivate each other and leave nobody to manage staff.
SELECT pg_advisory_xact_lock(727003);

-- name: CountOtherActiveAdmins :one
SELECT count(*) FROM staff WHERE role = 'admin' AND active AND id <> $1;

-- name: CountAssignedAccounts :one
SELECT count(*) FROM customers WHERE account_manager_id = $1;

-- name: CreateToken :one
INSERT INTO api_tokens (id, staff_id, token_hash, expires_at) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: RevokeToken :execrows
UPDATE api_tokens SET revoked_at = now()
WHERE id = $1 AND staff_id = $2 AND revoked_at IS NULL;

-- name: RevokeStaffTokens :execrows
-- Deactivation revokes every token of the person at once.
UPDATE api_tokens SET revoked_at = now()
WHERE staff_id = $1 AND revoked_at IS NULL;

-- name: GetToken :one
SELECT * FROM api_tokens WHERE id = $1 AND staff_id = $2;

-- name: ListTokens :many
-- What a token list may show: never the hash.
SELECT id, staff_id, created_at, expires_at, last_used_at, revoked_at, version FROM api_tokens
WHERE staff_id = sqlc.arg(staff_id)
  AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: Authenticate :one
-- A token authenticates while it is neither revoked nor expired and its staff is active.
-- stale says whether last_used_at is due a new stamp (by the database's clock).
SELECT sqlc.embed(s), t.id AS token_id, t.expires_at,
       (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')::boolean AS stale
FROM api_tokens t JOIN staff s ON s.id = t.staff_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > now()) AND s.active;

-- name: TouchToken :exec
-- last_used_at is stamped at most once a minute per token: authentication
-- stays a read on almost every request.
UPDATE api_tokens SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: LockBootstrap :exec
-- Two replicas starting at once must not both create a first admin.
SELECT pg_advisory_xact_lock(727002);

-- name: StaffLocales :many
-- The locale of each of these staff members, to word their notices in it.
SELECT id, locale FROM staff WHERE id = ANY(sqlc.arg(ids)::uuid[]);

-- name: ListenAuth :exec
-- Changes to tokens and staff are announced here (migration 00026).
LISTEN kam_auth;
