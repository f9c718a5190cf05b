-- name: CreateHandover :one
INSERT INTO staff_handovers (id, from_staff_id, to_staff_id, requested_by, requested_role, request_id, route, purpose)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: RunningHandoverFrom :one
SELECT * FROM staff_handovers WHERE from_staff_id = $1 AND status = 'running';

-- name: CountRunningHandoversTo :one
-- A person who is receiving accounts stays an active account manager until
-- the handover is done.
SELECT count(*) FROM staff_handovers WHERE to_staff_id = $1 AND status = 'running';

-- name: GetHandover :one
SELECT * FROM staff_handovers WHERE id = $1 AND from_staff_id = $2;

-- name: GetHandoverByID :one
SELECT * FROM staff_handovers WHERE id = $1;

-- name: LockHandover :one
-- Batches of one handover run one at a time.
SELECT * FROM staff_handovers WHERE id = $1 FOR UPDATE;

-- name: GetHandoverBatch :one
SELECT * FROM staff_handover_batches WHERE handover_id = $1 AND batch = $2;

-- name: InsertHandoverBatch :exec
INSERT INTO staff_handover_batches (handover_id, batch, customer_ids, request_ids, greetings)
VALUES ($1, $2, $3, $4, $5);

-- name: CountHandoverBatch :exec
UPDATE staff_handovers
SET accounts_moved = accounts_moved + sqlc.arg(accounts)::int, requests_moved = requests_moved + sqlc.arg(requests)::int,
    greetings_moved = greetings_moved + sqlc.arg(greetings)::int, batches = batches + 1
WHERE id = sqlc.arg(id);

-- name: FinishHandover :one
UPDATE staff_handovers SET status = $2, reason = $3, finished_at = now()
WHERE id = $1 AND status = 'running'
RETURNING *;

-- name: LockAssignedAccountsBatch :many
-- The next batch of a person's accounts, locked in id order (the same
-- order everywhere, so two handovers never deadlock).
SELECT * FROM customers WHERE account_manager_id = sqlc.arg(manager_id) ORDER BY id LIMIT sqlc.arg(lim) FOR UPDATE;

-- name: MoveGreetingTasks :many
-- Art. 19: an open greeting task is the account manager's; it follows the
-- account. One row per task moved: its account.
UPDATE greetings SET account_manager_id = sqlc.arg(to_staff_id)
WHERE customer_id = ANY(sqlc.arg(customer_ids)::uuid[]) AND status = 'open'
  AND account_manager_id IS DISTINCT FROM sqlc.arg(to_staff_id)
RETURNING customer_id;

-- name: MovePendingRequests :many
-- Art. 11, 12: a pending discount request of the departing manager on an
-- account that moves is followed up by the new manager (notices, withdrawal).
UPDATE discount_requests SET requester_id = sqlc.arg(to_staff_id), former_requesters = former_requesters || requester_id, updated_at = now()
WHERE customer_id = ANY(sqlc.arg(customer_ids)::uuid[]) AND requester_id = sqlc.arg(from_staff_id) AND state = 'pending'
RETURNING id, customer_id;

-- name: PlannedVisitsOf :many
SELECT * FROM visits WHERE customer_id = ANY(sqlc.arg(customer_ids)::uuid[]) AND status = 'planned' ORDER BY customer_id, due_at;

-- name: OpenGreetingsOf :many
-- With the words of their titles, as ListGreetings reads them.
SELECT sqlc.embed(g), c.name AS customer_name, greeting_subject(g.occasion, g.key_person_id, g.holiday_id, c.founded_on, g.title)::text AS subject
FROM greetings g JOIN customers c ON c.id = g.customer_id
WHERE g.customer_id = ANY(sqlc.arg(customer_ids)::uuid[]) AND g.status = 'open' ORDER BY g.customer_id, g.occasion_on, g.id;
