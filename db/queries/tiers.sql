-- name: ListTiers :many
SELECT * FROM tiers
WHERE sqlc.narg(after_rank)::integer IS NULL OR (rank, code) > (sqlc.narg(after_rank), sqlc.narg(after_code)::text)
ORDER BY rank, code LIMIT sqlc.arg(lim);

-- name: GetTier :one
SELECT * FROM tiers WHERE code = $1;

-- name: ListDiscountPolicies :many
SELECT * FROM discount_policies
WHERE sqlc.narg(after_tier)::text IS NULL OR (tier, product_category) > (sqlc.narg(after_tier), sqlc.narg(after_category)::text)
ORDER BY tier, product_category LIMIT sqlc.arg(lim);

-- name: LockTier :one
SELECT * FROM tiers WHERE code = $1 FOR UPDATE;

-- name: CreateTier :one
INSERT INTO tiers (code, name, rank, visit_cadence, ticket_response_within, ticket_resolve_within,
    greeting_occasions, gift, min_annual_revenue, min_active_months)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *;

-- name: UpdateTier :one
UPDATE tiers SET name = $2, rank = $3, visit_cadence = $4, ticket_response_within = $5, ticket_resolve_within = $6,
    greeting_occasions = $7, gift = $8, min_annual_revenue = $9, min_active_months = $10, updated_at = now()
WHERE code = $1 RETURNING *;

-- name: InsertTierHistory :exec
INSERT INTO tier_history (tier, staff_id, field, old_value, new_value) VALUES ($1, $2, $3, $4, $5);

-- name: ListTierHistory :many
SELECT h.*, s.name AS staff_name FROM tier_history h LEFT JOIN staff s ON s.id = h.staff_id
WHERE h.tier = sqlc.arg(tier) AND (sqlc.narg(after)::bigint IS NULL OR h.id > sqlc.narg(after))
ORDER BY h.id LIMIT sqlc.arg(lim);

-- name: AllTiers :many
SELECT * FROM tiers ORDER BY rank, code;

-- name: CustomersInTier :many
SELECT id FROM customers WHERE tier = $1 AND status = 'active' AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
ORDER BY id LIMIT sqlc.arg(lim);

