-- name: ListTiers :many
SELECT * FROM tiers ORDER BY rank, code;

-- name: GetTier :one
SELECT * FROM tiers WHERE code = $1;

-- name: ListDiscountPolicies :many
SELECT * FROM discount_policies ORDER BY tier, product_category;
