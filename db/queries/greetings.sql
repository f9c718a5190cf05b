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
-- dedupe key makes a re-run or a retry add nothing. Removed key persons are
-- greeted no more. A 29 February birthday
-- is greeted on 28 February in other years.
-- title keeps what the occasion greets, in no language (the key person's
-- name, the founding date, the holiday's name): each reader's title is
-- worded from it in their locale (SPEC §7 "Language"), and a holiday
-- deleted since still names itself.
WITH days AS (
    SELECT d::date AS d FROM generate_series(sqlc.arg(today)::date, sqlc.arg(today)::date + sqlc.arg(lead_days)::int, interval '1 day') d
), accounts AS (
    SELECT c.id, c.name, c.founded_on, c.account_manager_id, t.greeting_occasions, t.gift
    FROM customers c JOIN tiers t ON t.code = c.tier
    WHERE c.status = 'active' AND (sqlc.narg(customer_id)::uuid IS NULL OR c.id = sqlc.narg(customer_id))
), occasions AS (
    SELECT 'birthday/' || k.id || '/' || days.d AS dedupe_key, a.id AS customer_id, 'birthday' AS occasion, days.d AS occasion_on,
           k.id AS key_person_id, NULL::uuid AS holiday_id, k.name AS title, a.gift, a.account_manager_id
    FROM accounts a JOIN key_persons k ON k.customer_id = a.id JOIN days ON
         (extract(month FROM k.birthday) = extract(month FROM days.d) AND extract(day FROM k.birthday) = extract(day FROM days.d))
      OR (extract(month FROM k.birthday) = 2 AND extract(day FROM k.birthday) = 29
          AND extract(month FROM days.d) = 2 AND extract(day FROM days.d) = 28 AND extract(month FROM days.d + 1) = 3)
    WHERE 'birthday' = ANY(a.greeting_occasions) AND k.birthday IS NOT NULL AND k.removed_at IS NULL
  UNION ALL
    SELECT 'anniversary/' || a.id || '/' || days.d, a.id, 'anniversary', days.d, NULL, NULL,
           to_char(a.founded_on, 'YYYY-MM-DD'), a.gift, a.account_manager_id
    FROM accounts a JOIN days ON
         (extract(month FROM a.founded_on) = extract(month FROM days.d) AND extract(day FROM a.founded_on) = extract(day FROM days.d))
      OR (extract(month FROM a.founded_on) = 2 AND extract(day FROM a.founded_on) = 29
          AND extract(month FROM days.d) = 2 AND extract(day FROM days.d) = 28 AND extract(month FROM days.d + 1) = 3)
    WHERE 'anniversary' = ANY(a.greeting_occasions) AND a.founded_on IS NOT NULL AND a.founded_on < days.d
  UNION ALL
    SELECT 'holiday/' || h.id || '/' || a.id, a.id, 'holiday', h.on_date, NULL, h.id, h.name, a.gift, a.account_manager_id
    FROM accounts a JOIN holidays h ON h.on_date IN (SELECT d FROM days)
    WHERE 'holiday' = ANY(a.greeting_occasions) AND (sqlc.narg(holiday_id)::uuid IS NULL OR h.id = sqlc.narg(holiday_id))
)
INSERT INTO greetings (id, dedupe_key, customer_id, occasion, occasion_on, key_person_id, holiday_id, title, gift, account_manager_id)
SELECT gen_random_uuid(), o.dedupe_key, o.customer_id, o.occasion, o.occasion_on, o.key_person_id, o.holiday_id, o.title, o.gift, o.account_manager_id
FROM occasions o
-- A task cancelled when its key person's birthday was corrected opens again
-- once the birthday is put back; any other task is never made twice.
ON CONFLICT (dedupe_key) DO UPDATE SET status = 'open' WHERE greetings.status = 'cancelled'
RETURNING *;

-- name: ListGreetings :many
-- A task comes with what its title is worded from: the account's name and
-- the subject of its occasion as it stands now (a corrected name shows),
-- or as the task was made when that is gone. Every greeting read below
-- that shows a title reads them through greeting_subject (00035).
-- manager_now is whoever manages the account now: a task made before the
-- account was reassigned is told to them, never to its former manager
-- (Art. 9, 19).
SELECT sqlc.embed(g), c.name AS customer_name, greeting_subject(g.occasion, g.key_person_id, g.holiday_id, c.founded_on, g.title)::text AS subject,
    c.account_manager_id AS manager_now
FROM greetings g JOIN customers c ON c.id = g.customer_id
WHERE g.occasion_on = sqlc.arg(on_date)
  AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
ORDER BY g.occasion, g.customer_id, g.id;

-- name: ListGreetingsPage :many
-- The greeting list of the API, paged by keyset on its order. A cancelled
-- task (its key person removed, or their birthday corrected) is no greeting
-- (SPEC §7): it is listed only when the status asked for is cancelled.
SELECT sqlc.embed(g), c.name AS customer_name, greeting_subject(g.occasion, g.key_person_id, g.holiday_id, c.founded_on, g.title)::text AS subject
FROM greetings g JOIN customers c ON c.id = g.customer_id
WHERE g.occasion_on = sqlc.arg(on_date)
  AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
  AND CASE WHEN sqlc.narg(status)::text IS NULL THEN g.status <> 'cancelled' ELSE g.status = sqlc.narg(status) END
  AND (sqlc.narg(after_occasion)::text IS NULL
       OR (g.occasion, g.customer_id, g.id) > (sqlc.narg(after_occasion), sqlc.narg(after_customer)::uuid, sqlc.narg(after_id)::uuid))
ORDER BY g.occasion, g.customer_id, g.id LIMIT sqlc.arg(lim);

-- name: CompleteGreeting :one
-- A cancelled task (its key person removed) stays cancelled; the store
-- refuses it.
UPDATE greetings g SET status = CASE WHEN g.status = 'cancelled' THEN g.status ELSE 'done' END,
    done_at = CASE WHEN g.status = 'cancelled' THEN g.done_at ELSE coalesce(g.done_at, now()) END
FROM customers c
WHERE g.id = sqlc.arg(id) AND c.id = g.customer_id
  AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
RETURNING g.*;

-- name: GetGreeting :one
SELECT sqlc.embed(g), c.name AS customer_name, greeting_subject(g.occasion, g.key_person_id, g.holiday_id, c.founded_on, g.title)::text AS subject
FROM greetings g JOIN customers c ON c.id = g.customer_id
WHERE g.id = $1;

-- name: FollowAccountManager :exec
-- Art. 19: an open greeting task is the account manager's; reassigning the
-- account (PATCH, import) hands its open tasks to the new manager, as a
-- handover does, or to no one when the account is left without one.
UPDATE greetings g SET account_manager_id = c.account_manager_id
FROM customers c
WHERE c.id = g.customer_id AND g.customer_id = ANY(sqlc.arg(customer_ids)::uuid[]) AND g.status = 'open'
  AND g.account_manager_id IS DISTINCT FROM c.account_manager_id;

-- name: CancelOpenGreetings :exec
-- A churned account leaves no greeting work behind (Art. 19 greets key
-- accounts): its open tasks are withdrawn with the churn.
UPDATE greetings SET status = 'cancelled' WHERE customer_id = $1 AND status = 'open';
