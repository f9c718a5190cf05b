-- name: UpdateTier :one
UPDATE tiers SET name = $2, visit_cadence = $3, ticket_response_within = $4, ticket_resolve_within = $5,
    greeting_occasions = $6, gift = $7, updated_at = now()
WHERE code = $1 RETURNING *;

-- name: CustomersInTier :many
SELECT id FROM customers WHERE tier = $1 AND status = 'active' AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
ORDER BY id LIMIT sqlc.arg(lim);

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
UPDATE tickets SET status = $2, acknowledged_at = $3, resolved_at = $4, closed_at = $5, resolve_by = $6, updated_at = now()
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

-- name: VisitPlanFacts :one
SELECT c.status, c.tier, t.visit_cadence, c.account_manager_id FROM customers c JOIN tiers t ON t.code = c.tier WHERE c.id = $1;

-- name: PlanVisit :exec
INSERT INTO visits (id, customer_id, status, due_at) VALUES ($1, $2, 'planned', $3)
ON CONFLICT (customer_id, due_at) WHERE due_at IS NOT NULL DO NOTHING;

-- name: GetVisitByDue :one
SELECT * FROM visits WHERE customer_id = $1 AND due_at = $2;

-- name: GetVisit :one
SELECT * FROM visits WHERE id = $1;

-- name: MarkVisitMissed :one
UPDATE visits SET status = 'missed', completed_at = now() WHERE id = $1 AND status = 'planned' RETURNING *;

-- name: CancelVisit :exec
UPDATE visits SET status = 'cancelled', completed_at = now() WHERE id = $1 AND status = 'planned';

-- name: CancelPlannedVisits :exec
UPDATE visits SET status = 'cancelled', completed_at = now() WHERE customer_id = $1 AND status = 'planned';

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
SELECT * FROM visits WHERE customer_id = sqlc.arg(customer_id)
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(after_at)::timestamptz IS NULL OR (coalesce(due_at, created_at), id) < (sqlc.narg(after_at), sqlc.narg(after_id)::uuid))
ORDER BY coalesce(due_at, created_at) DESC, id DESC LIMIT sqlc.arg(lim);

-- name: CountKeyPersonsOf :one
SELECT count(*) FROM key_persons WHERE customer_id = $1 AND id = ANY(sqlc.arg(ids)::uuid[]);

-- name: CreateHoliday :one
INSERT INTO holidays (id, name, on_date) VALUES ($1, $2, $3) RETURNING *;

-- name: ListHolidays :many
SELECT * FROM holidays WHERE (sqlc.narg(year)::int IS NULL OR extract(year FROM on_date) = sqlc.narg(year))
  AND (sqlc.narg(after_on)::date IS NULL OR (on_date, name, id) > (sqlc.narg(after_on), sqlc.narg(after_name)::text, sqlc.narg(after_id)::uuid))
ORDER BY on_date, name, id LIMIT sqlc.arg(lim);

-- name: DeleteHoliday :execrows
DELETE FROM holidays WHERE id = $1;

-- name: SweepGreetings :many
-- Art. 19: every occasion inside [today, today + lead_days] that the
-- account's tier greets becomes one task for its account manager; the
-- dedupe key makes a re-run or a retry add nothing. A 29 February birthday
-- is greeted on 28 February in other years.
WITH days AS (
    SELECT d::date AS d FROM generate_series(sqlc.arg(today)::date, sqlc.arg(today)::date + sqlc.arg(lead_days)::int, interval '1 day') d
), accounts AS (
    SELECT c.id, c.name, c.founded_on, c.account_manager_id, t.greeting_occasions, t.gift
    FROM customers c JOIN tiers t ON t.code = c.tier
    WHERE c.status = 'active' AND (sqlc.narg(customer_id)::uuid IS NULL OR c.id = sqlc.narg(customer_id))
), occasions AS (
    SELECT 'birthday/' || k.id || '/' || days.d AS dedupe_key, a.id AS customer_id, 'birthday' AS occasion, days.d AS occasion_on,
           k.id AS key_person_id, NULL::uuid AS holiday_id, 'Birthday of ' || k.name || ' (' || a.name || ')' AS title, a.gift, a.account_manager_id
    FROM accounts a JOIN key_persons k ON k.customer_id = a.id JOIN days ON
         (extract(month FROM k.birthday) = extract(month FROM days.d) AND extract(day FROM k.birthday) = extract(day FROM days.d))
      OR (extract(month FROM k.birthday) = 2 AND extract(day FROM k.birthday) = 29
          AND extract(month FROM days.d) = 2 AND extract(day FROM days.d) = 28 AND extract(month FROM days.d + 1) = 3)
    WHERE 'birthday' = ANY(a.greeting_occasions) AND k.birthday IS NOT NULL
  UNION ALL
    SELECT 'anniversary/' || a.id || '/' || days.d, a.id, 'anniversary', days.d, NULL, NULL,
           'Anniversary of ' || a.name || ' (founded ' || a.founded_on || ')', a.gift, a.account_manager_id
    FROM accounts a JOIN days ON
         (extract(month FROM a.founded_on) = extract(month FROM days.d) AND extract(day FROM a.founded_on) = extract(day FROM days.d))
      OR (extract(month FROM a.founded_on) = 2 AND extract(day FROM a.founded_on) = 29
          AND extract(month FROM days.d) = 2 AND extract(day FROM days.d) = 28 AND extract(month FROM days.d + 1) = 3)
    WHERE 'anniversary' = ANY(a.greeting_occasions) AND a.founded_on IS NOT NULL AND a.founded_on < days.d
  UNION ALL
    SELECT 'holiday/' || h.id || '/' || a.id, a.id, 'holiday', h.on_date, NULL, h.id, h.name || ' greetings to ' || a.name, a.gift, a.account_manager_id
    FROM accounts a JOIN holidays h ON h.on_date IN (SELECT d FROM days)
    WHERE 'holiday' = ANY(a.greeting_occasions) AND (sqlc.narg(holiday_id)::uuid IS NULL OR h.id = sqlc.narg(holiday_id))
)
INSERT INTO greetings (id, dedupe_key, customer_id, occasion, occasion_on, key_person_id, holiday_id, title, gift, account_manager_id)
SELECT gen_random_uuid(), o.dedupe_key, o.customer_id, o.occasion, o.occasion_on, o.key_person_id, o.holiday_id, o.title, o.gift, o.account_manager_id
FROM occasions o
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING *;

-- name: ListGreetings :many
SELECT g.* FROM greetings g JOIN customers c ON c.id = g.customer_id
WHERE g.occasion_on = sqlc.arg(on_date)
  AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
ORDER BY g.occasion, g.customer_id, g.id;

-- name: ListGreetingsPage :many
-- The greeting list of the API, paged by keyset on its order.
SELECT g.* FROM greetings g JOIN customers c ON c.id = g.customer_id
WHERE g.occasion_on = sqlc.arg(on_date)
  AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
  AND (sqlc.narg(after_occasion)::text IS NULL
       OR (g.occasion, g.customer_id, g.id) > (sqlc.narg(after_occasion), sqlc.narg(after_customer)::uuid, sqlc.narg(after_id)::uuid))
ORDER BY g.occasion, g.customer_id, g.id LIMIT sqlc.arg(lim);

-- name: CompleteGreeting :one
UPDATE greetings g SET status = 'done', done_at = coalesce(g.done_at, now())
FROM customers c
WHERE g.id = sqlc.arg(id) AND c.id = g.customer_id
  AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
RETURNING g.*;
