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
