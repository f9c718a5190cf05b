-- name: PutCustomerBudget :one
INSERT INTO ka_budgets (id, year, customer_id, amount) VALUES ($1, $2, $3, $4)
ON CONFLICT (year, customer_id) WHERE customer_id IS NOT NULL DO UPDATE SET amount = EXCLUDED.amount, updated_at = now()
RETURNING *;

-- name: PutTierBudget :one
INSERT INTO ka_budgets (id, year, tier, amount) VALUES ($1, $2, $3, $4)
ON CONFLICT (year, tier) WHERE tier IS NOT NULL DO UPDATE SET amount = EXCLUDED.amount, updated_at = now()
RETURNING *;

-- name: ListBudgets :many
SELECT * FROM ka_budgets WHERE year = $1 ORDER BY tier NULLS LAST, customer_id;

-- name: InsertCost :one
INSERT INTO ka_costs (id, customer_id, category, amount, incurred_on, note, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *;

-- name: ListCosts :many
SELECT * FROM ka_costs WHERE customer_id = sqlc.arg(customer_id)
  AND (sqlc.narg(after_on)::date IS NULL OR (incurred_on, id) < (sqlc.narg(after_on), sqlc.narg(after_id)::uuid))
ORDER BY incurred_on DESC, id DESC LIMIT sqlc.arg(lim);

-- name: BudgetReport :many
-- Art. 21: spend against budget per account for a year; an account without
-- its own budget draws on its tier's. Paged by code (unique), after_code.
SELECT c.id, c.code, c.name, c.tier, c.account_manager_id,
    coalesce(b.amount, 0)::numeric AS budget,
    (b.id IS NOT NULL)::boolean AS own_budget,
    coalesce((SELECT sum(k.amount) FROM ka_costs k WHERE k.customer_id = c.id AND extract(year FROM k.incurred_on) = sqlc.arg(year)::int), 0)::numeric AS spent
FROM customers c
LEFT JOIN ka_budgets b ON b.customer_id = c.id AND b.year = sqlc.arg(year)::int
WHERE (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
  AND (sqlc.narg(after_code)::text IS NULL OR c.code > sqlc.narg(after_code))
ORDER BY c.code LIMIT sqlc.arg(lim);

-- name: TierBudgets :many
SELECT b.tier, b.amount,
    coalesce((SELECT sum(k.amount) FROM ka_costs k JOIN customers c ON c.id = k.customer_id
        WHERE c.tier = b.tier AND extract(year FROM k.incurred_on) = b.year
          AND NOT EXISTS (SELECT 1 FROM ka_budgets o WHERE o.customer_id = c.id AND o.year = b.year)), 0)::numeric AS spent
FROM ka_budgets b WHERE b.year = sqlc.arg(year)::int AND b.tier IS NOT NULL ORDER BY b.tier;

-- name: CreateEvent :one
INSERT INTO ka_events (id, kind, title, held_on, location, notes, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *;

-- name: InviteToEvent :one
INSERT INTO ka_event_invitees (id, event_id, customer_id, key_person_id, staff_id) VALUES ($1, $2, $3, $4, $5) RETURNING *;

-- name: SetAttendance :one
UPDATE ka_event_invitees SET attended = $3 WHERE id = $1 AND event_id = $2 RETURNING *;

-- name: ListEvents :many
-- Newest first. manager_id scopes it to an account manager (Art. 9): the
-- events where one of their accounts, or they themselves, are invited.
SELECT * FROM ka_events e
WHERE (sqlc.narg(from_date)::date IS NULL OR e.held_on >= sqlc.narg(from_date))
  AND (sqlc.narg(to_date)::date IS NULL OR e.held_on <= sqlc.narg(to_date))
  AND (sqlc.narg(kind)::text IS NULL OR e.kind = sqlc.narg(kind))
  AND (sqlc.narg(after_on)::date IS NULL OR (e.held_on, e.id) < (sqlc.narg(after_on)::date, sqlc.narg(after_id)::uuid))
  AND (sqlc.narg(manager_id)::uuid IS NULL OR EXISTS (
      SELECT 1 FROM ka_event_invitees i LEFT JOIN customers c ON c.id = i.customer_id
      WHERE i.event_id = e.id AND (c.account_manager_id = sqlc.narg(manager_id) OR i.staff_id = sqlc.narg(manager_id))))
ORDER BY e.held_on DESC, e.id DESC LIMIT sqlc.arg(lim);

-- name: GetEvent :one
SELECT * FROM ka_events WHERE id = $1;

-- name: ListInvitees :many
-- manager_id scopes the invitees to an account manager's accounts (staff
-- invitees are no account's data and stay).
SELECT i.* FROM ka_event_invitees i LEFT JOIN customers c ON c.id = i.customer_id
WHERE i.event_id = ANY(sqlc.arg(event_ids)::uuid[])
  AND (sqlc.narg(manager_id)::uuid IS NULL OR i.customer_id IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
ORDER BY i.event_id, i.id;
