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

-- name: UpdateTier :one
UPDATE tiers SET name = $2, visit_cadence = $3, ticket_response_within = $4, ticket_resolve_within = $5,
    greeting_occasions = $6, gift = $7, updated_at = now()
WHERE code = $1 RETURNING *;

-- name: CustomersInTier :many
SELECT id FROM customers WHERE tier = $1 AND status = 'active' AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
ORDER BY id LIMIT sqlc.arg(lim);

