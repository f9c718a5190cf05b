-- name: CreateTicket :one
INSERT INTO tickets (id, customer_id, kind, subject, body, priority, opened_by, respond_by, resolve_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: GetTicket :one
SELECT t.* FROM tickets t JOIN customers c ON c.id = t.customer_id
WHERE t.id = sqlc.arg(id) AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id));

-- name: LockTicket :one
SELECT t.* FROM tickets t JOIN customers c ON c.id = t.customer_id
WHERE t.id = sqlc.arg(id) AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
FOR UPDATE OF t;

-- name: ListTickets :many
-- Art. 17: key accounts first — by priority (tier, then kind), then the due time.
SELECT t.* FROM tickets t JOIN customers c ON c.id = t.customer_id
WHERE (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
  AND (sqlc.narg(status)::text IS NULL
       OR (sqlc.narg(status) = 'open' AND t.status IN ('open','acknowledged'))
       OR t.status = sqlc.narg(status))
  AND (sqlc.narg(customer_id)::uuid IS NULL OR t.customer_id = sqlc.narg(customer_id))
  -- Keyset: the page after the last row's (priority, due time, id).
  AND (sqlc.narg(after_priority)::integer IS NULL
       OR (t.priority, CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, t.id)
          > (sqlc.narg(after_priority), sqlc.narg(after_due)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY t.priority, CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, t.id
LIMIT sqlc.arg(lim);

-- name: SetTicketStatus :one
-- Every handling record is a change of the ticket its answer shows, a note
-- too (its status unchanged): the version moves here, once, not by the
-- trigger's comparison of the row.
UPDATE tickets SET status = $2, acknowledged_at = $3, resolved_at = $4, closed_at = $5, resolve_by = $6, updated_at = now(),
    version = version + 1
WHERE id = $1 RETURNING *;

-- name: InsertTicketEvent :one
INSERT INTO ticket_events (ticket_id, type, staff_id, note) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: ListTicketEvents :many
SELECT * FROM ticket_events WHERE ticket_id = sqlc.arg(ticket_id)
  AND (sqlc.narg(after)::bigint IS NULL OR id > sqlc.narg(after))
ORDER BY id LIMIT sqlc.arg(lim);

-- name: CountTicketReopens :one
SELECT count(*)::int FROM ticket_events WHERE ticket_id = $1 AND type = 'reopen';

-- name: MarkTicketBreach :one
-- The SLA run records a breach once; the escalation goes with it.
UPDATE tickets SET
    response_breached = response_breached OR sqlc.arg(response)::boolean,
    resolution_breached = resolution_breached OR sqlc.arg(resolution)::boolean,
    escalated = true, updated_at = now()
WHERE id = sqlc.arg(id) RETURNING *;

-- name: TicketEventExists :one
SELECT EXISTS (SELECT 1 FROM ticket_events WHERE ticket_id = $1 AND type = $2 AND note = $3);

