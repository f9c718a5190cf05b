-- name: VisitPlanFacts :one
SELECT c.status, c.tier, t.visit_cadence, c.account_manager_id FROM customers c JOIN tiers t ON t.code = c.tier WHERE c.id = $1;

-- name: PlanVisit :execrows
-- A visit already there at that due time stays as it is, unless a plan
-- withdrew it (the account churned, its tier changed) and a plan begun
-- since plans it again: then it is planned once more, not left cancelled
-- for the new plan to wait on in vain.
INSERT INTO visits (id, customer_id, status, due_at) VALUES ($1, $2, 'planned', $3)
ON CONFLICT (customer_id, due_at) WHERE due_at IS NOT NULL
DO UPDATE SET status = 'planned', completed_at = NULL WHERE visits.status = 'cancelled';

-- name: GetVisitByDue :one
SELECT * FROM visits WHERE customer_id = $1 AND due_at = $2;

-- name: GetVisit :one
SELECT * FROM visits WHERE id = $1;

-- name: MarkVisitMissed :one
UPDATE visits SET status = 'missed', completed_at = now() WHERE id = $1 AND status = 'planned' RETURNING *;

-- name: CancelVisit :many
-- One row, its account, when a planned visit was withdrawn; none when it
-- was no longer planned (a retry, a visit done or missed).
UPDATE visits SET status = 'cancelled', completed_at = now() WHERE id = $1 AND status = 'planned'
RETURNING customer_id;

-- name: OldestPlannedVisit :one
SELECT * FROM visits WHERE customer_id = $1 AND status = 'planned' ORDER BY due_at LIMIT 1 FOR UPDATE;

-- name: CompleteVisit :one
UPDATE visits SET status = 'done', visited_on = $2, staff_id = $3, key_person_ids = $4, notes = $5, outcome = $6,
    follow_ups = $7, completed_at = now()
WHERE id = $1 RETURNING *;

-- name: InsertDoneVisit :one
INSERT INTO visits (id, customer_id, status, visited_on, staff_id, key_person_ids, notes, outcome, follow_ups, completed_at)
VALUES ($1, $2, 'done', $3, $4, $5, $6, $7, $8, now()) RETURNING *;

-- name: ListVisits :many
-- A visit a plan withdrew (the account churned, its tier changed) is no
-- visit (SPEC §3: planned, done or missed): it is listed only when the
-- status asked for is cancelled.
SELECT * FROM visits WHERE customer_id = sqlc.arg(customer_id)
  AND CASE WHEN sqlc.narg(status)::text IS NULL THEN status <> 'cancelled' ELSE status = sqlc.narg(status) END
  AND (sqlc.narg(after_at)::timestamptz IS NULL OR (coalesce(due_at, created_at), id) < (sqlc.narg(after_at), sqlc.narg(after_id)::uuid))
ORDER BY coalesce(due_at, created_at) DESC, id DESC LIMIT sqlc.arg(lim);

-- name: CountKeyPersonsOf :one
SELECT count(*) FROM key_persons WHERE customer_id = $1 AND id = ANY(sqlc.arg(ids)::uuid[]) AND removed_at IS NULL;

