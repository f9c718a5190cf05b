-- name: OpenTierReview :one
-- Idempotent: a retried start finds the review it opened.
INSERT INTO tier_reviews (id, trigger, requested_by, as_of, period_from, period_to)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
RETURNING *;

-- name: LockTierReview :one
SELECT * FROM tier_reviews WHERE id = $1 FOR UPDATE;

-- name: GradeFacts :many
-- Art. 2: per active account, its revenue over the period (the sum of its
-- recorded sales) and the calendar months in which it bought anything.
SELECT c.id AS customer_id, c.tier,
       coalesce(sum(s.amount), 0)::numeric AS revenue,
       count(DISTINCT date_trunc('month', s.sold_on))::int AS active_months
FROM customers c
LEFT JOIN sales s ON s.customer_id = c.id
     AND s.sold_on >= sqlc.arg(period_from)::date AND s.sold_on <= sqlc.arg(period_to)::date
WHERE c.status = 'active'
GROUP BY c.id, c.tier
ORDER BY c.id;

-- name: InsertTierProposals :exec
-- An empty code in to_tiers is "no tier" (NULL); revenues are decimal strings.
INSERT INTO tier_review_proposals (review_id, customer_id, from_tier, to_tier, revenue_12m, active_months)
SELECT sqlc.arg(review_id)::uuid, u.customer_id, u.from_tier, NULLIF(u.to_tier, ''), u.revenue::numeric, u.active_months
FROM (SELECT unnest(sqlc.arg(customer_ids)::uuid[]) AS customer_id, unnest(sqlc.arg(from_tiers)::text[]) AS from_tier,
             unnest(sqlc.arg(to_tiers)::text[]) AS to_tier, unnest(sqlc.arg(revenues)::text[]) AS revenue,
             unnest(sqlc.arg(months)::int[]) AS active_months) u
ON CONFLICT (review_id, customer_id) DO NOTHING;

-- name: FinishTierReview :one
UPDATE tier_reviews SET status = 'done', graded = $2, finished_at = coalesce(finished_at, now())
WHERE id = $1 RETURNING *;

-- name: TouchTierReview :exec
-- A decided proposal changes its review's pending_count.
UPDATE tier_reviews SET version = version + 1 WHERE id = $1;

-- name: GetTierReview :one
SELECT r.*,
       (SELECT count(*) FROM tier_review_proposals p WHERE p.review_id = r.id)::int AS proposals,
       (SELECT count(*) FROM tier_review_proposals p WHERE p.review_id = r.id AND p.decision = 'pending')::int AS pending
FROM tier_reviews r WHERE r.id = $1;

-- name: ListTierReviews :many
SELECT r.*,
       (SELECT count(*) FROM tier_review_proposals p WHERE p.review_id = r.id)::int AS proposals,
       (SELECT count(*) FROM tier_review_proposals p WHERE p.review_id = r.id AND p.decision = 'pending')::int AS pending
FROM tier_reviews r
WHERE sqlc.narg(after_at)::timestamptz IS NULL OR (r.created_at, r.id) < (sqlc.narg(after_at), sqlc.narg(after_id)::uuid)
ORDER BY r.created_at DESC, r.id DESC LIMIT sqlc.arg(lim);

-- name: ListTierProposals :many
SELECT * FROM tier_review_proposals
WHERE review_id = sqlc.arg(review_id)
  AND (sqlc.narg(decision)::text IS NULL OR decision = sqlc.narg(decision))
  AND (sqlc.narg(after)::uuid IS NULL OR customer_id > sqlc.narg(after))
ORDER BY customer_id LIMIT sqlc.arg(lim);

-- name: LockTierProposal :one
SELECT * FROM tier_review_proposals WHERE review_id = $1 AND customer_id = $2 FOR UPDATE;

-- name: DecideTierProposal :one
UPDATE tier_review_proposals SET decision = $3, decided_by = $4, decided_at = now(), comment = $5
WHERE review_id = $1 AND customer_id = $2 RETURNING *;
