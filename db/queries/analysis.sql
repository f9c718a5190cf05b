-- name: InsertSale :one
INSERT INTO sales (id, customer_id, product, product_category, quantity, amount, applied_rate, region, sold_on, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *;

-- name: ListSales :many
SELECT * FROM sales WHERE customer_id = sqlc.arg(customer_id)
  AND (sqlc.narg(from_date)::date IS NULL OR sold_on >= sqlc.narg(from_date))
  AND (sqlc.narg(to_date)::date IS NULL OR sold_on <= sqlc.narg(to_date))
  AND (sqlc.narg(after_on)::date IS NULL OR (sold_on, id) < (sqlc.narg(after_on), sqlc.narg(after_id)::uuid))
ORDER BY sold_on DESC, id DESC LIMIT sqlc.arg(lim);

-- name: InsertSatisfaction :one
INSERT INTO satisfaction (id, customer_id, score, channel, comment, surveyed_on, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *;

-- name: InsertChurn :one
INSERT INTO churns (id, customer_id, reason, reason_text, destination, competitor, effective_on, recorded_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *;

-- name: MarkReactivated :exec
UPDATE churns SET reactivated_at = now(), reactivated_by = $2
WHERE customer_id = $1 AND reactivated_at IS NULL;

-- name: CreateInspection :one
INSERT INTO inspections (id, trigger, requested_by, sample_size, seed) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
RETURNING *;

-- name: GetInspection :one
SELECT * FROM inspections WHERE id = $1;

-- name: ListInspections :many
SELECT * FROM inspections
WHERE sqlc.narg(after_at)::timestamptz IS NULL OR (created_at, id) < (sqlc.narg(after_at), sqlc.narg(after_id)::uuid)
ORDER BY created_at DESC, id DESC LIMIT sqlc.arg(lim);

-- name: SampleGrants :many
-- Reproducible: the same seed over the same grants draws the same sample.
-- Grants in force, and revoked ones until their original valid_to: a revoked
-- discount still applied to later sales is what an inspection looks for.
SELECT id FROM discount_grants WHERE ended_at IS NULL OR (revoked_at IS NOT NULL AND valid_to >= current_date)
ORDER BY md5(id::text || sqlc.arg(seed)::bigint::text), id LIMIT sqlc.arg(lim);

-- name: InspectSales :exec
-- Art. 14: every discounted sale of the sampled grants' accounts is checked
-- against the grants in force on its date: a rate above the grant
-- (rate_above_grant); a date outside every grant of that account and
-- category (outside_validity); a category with no grant at all (no_grant).
INSERT INTO inspection_findings (inspection_id, sale_id, customer_id, grant_id, kind, applied_rate, granted_rate)
SELECT sqlc.arg(inspection_id)::uuid, s.id, s.customer_id, g_in.id,
       CASE WHEN g_in.id IS NOT NULL THEN 'rate_above_grant'
            WHEN EXISTS (SELECT 1 FROM discount_grants x WHERE x.customer_id = s.customer_id AND x.product_category = s.product_category) THEN 'outside_validity'
            ELSE 'no_grant' END,
       s.applied_rate, g_in.rate
FROM sales s
LEFT JOIN LATERAL (
    SELECT g.id, g.rate FROM discount_grants g
    WHERE g.customer_id = s.customer_id AND g.product_category = s.product_category
      AND g.valid_from <= s.sold_on AND g.valid_to >= s.sold_on
      -- A revoked grant covers sales dated up to its revocation's day (a
      -- sale carries a date, not an instant): a later sale is a finding.
      AND (g.revoked_on IS NULL OR g.revoked_on >= s.sold_on)
    ORDER BY g.granted_at DESC, g.id DESC LIMIT 1
) g_in ON true
WHERE s.customer_id IN (SELECT customer_id FROM discount_grants WHERE id = ANY(sqlc.arg(grant_ids)::uuid[]))
  AND s.applied_rate > 0 AND (g_in.id IS NULL OR s.applied_rate > g_in.rate)
ON CONFLICT (inspection_id, sale_id) DO NOTHING;

-- name: CountInspectedSales :one
SELECT count(*)::int FROM sales s
WHERE s.customer_id IN (SELECT customer_id FROM discount_grants WHERE id = ANY(sqlc.arg(grant_ids)::uuid[]));

-- name: FinishInspection :one
UPDATE inspections SET status = 'done', finished_at = coalesce(finished_at, now()), sampled_grants = $2, sales_checked = $3
WHERE id = $1 RETURNING *;

-- name: ListFindings :many
SELECT * FROM inspection_findings WHERE inspection_id = $1 ORDER BY kind, sale_id;

-- name: ListFindingsPage :many
-- A page of an inspection's findings, in ListFindings' order.
SELECT * FROM inspection_findings WHERE inspection_id = sqlc.arg(inspection_id)
  AND (sqlc.narg(after_kind)::text IS NULL OR (kind, sale_id) > (sqlc.narg(after_kind)::text, sqlc.narg(after_sale)::uuid))
ORDER BY kind, sale_id LIMIT sqlc.arg(lim);

-- name: GrantAccounts :many
-- The accounts whose grants an inspection sampled, for the access register.
SELECT DISTINCT customer_id FROM discount_grants WHERE id = ANY(sqlc.arg(grant_ids)::uuid[]) ORDER BY customer_id;

-- name: FindingManagers :many
SELECT DISTINCT c.account_manager_id FROM inspection_findings f JOIN customers c ON c.id = f.customer_id
WHERE f.inspection_id = $1 AND c.account_manager_id IS NOT NULL;

-- name: FindingsByManager :many
-- An inspection's findings counted per manager of the accounts they are on.
SELECT c.account_manager_id::uuid AS manager_id, count(*)::int AS findings
FROM inspection_findings f JOIN customers c ON c.id = f.customer_id
WHERE f.inspection_id = $1 AND c.account_manager_id IS NOT NULL
GROUP BY c.account_manager_id ORDER BY c.account_manager_id;
