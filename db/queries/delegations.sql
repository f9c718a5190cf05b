-- name: CreateDelegation :one
INSERT INTO delegations (id, from_staff_id, to_staff_id, starts_at, ends_at, reason, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *;

-- name: GetDelegation :one
SELECT * FROM delegations WHERE id = $1;

-- name: EndDelegation :one
-- DELETE ends a delegation at once; one already over is left alone (no row).
UPDATE delegations SET ended_at = now(), ended_by = sqlc.arg(ended_by)
WHERE id = sqlc.arg(id) AND ended_at IS NULL AND ends_at > now()
RETURNING *;

-- name: EndDelegationsOf :execrows
-- One who no longer decides approvals (deactivated, or moved to a role that
-- decides none) neither delegates nor stands in any more: their
-- delegations end with the change (ended_by stays empty: no one ended them
-- by hand).
UPDATE delegations SET ended_at = now()
WHERE ended_at IS NULL AND ends_at > now() AND (from_staff_id = sqlc.arg(staff_id) OR to_staff_id = sqlc.arg(staff_id));

-- name: ListDelegations :many
-- party_id limits the list to delegations from or to that person (NULL:
-- all); in_force keeps those in force now; newest first.
SELECT * FROM delegations
WHERE (sqlc.narg(party_id)::uuid IS NULL OR from_staff_id = sqlc.narg(party_id) OR to_staff_id = sqlc.narg(party_id))
  AND (NOT sqlc.arg(in_force)::boolean OR (starts_at <= now() AND ends_at > now() AND ended_at IS NULL))
  AND (sqlc.narg(before)::uuid IS NULL OR id < sqlc.narg(before))
ORDER BY id DESC
LIMIT sqlc.arg(lim);

-- name: DelegationsInForceTo :many
-- The delegations a deputy holds now, with each delegator's role; a
-- delegator no longer active delegates nothing.
SELECT d.id, d.from_staff_id, d.to_staff_id, d.starts_at, d.ends_at, f.role AS from_role
FROM delegations d JOIN staff f ON f.id = d.from_staff_id
WHERE d.to_staff_id = $1 AND d.ended_at IS NULL AND d.starts_at <= now() AND d.ends_at > now() AND f.active
ORDER BY d.starts_at, d.id;
