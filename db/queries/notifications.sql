-- name: InsertNotifications :execrows
-- One notice into every recipient's inbox in one statement (the arrays are
-- zipped: one row per recipient), each in the words of their locale; a
-- retried delivery of the same event to the same person writes nothing.
INSERT INTO notifications (id, recipient_id, event_key, kind, title, body, customer_id)
SELECT unnest(sqlc.arg(ids)::uuid[]), unnest(sqlc.arg(recipient_ids)::uuid[]), sqlc.arg(event_key), sqlc.arg(kind),
    unnest(sqlc.arg(titles)::text[]), unnest(sqlc.arg(bodies)::text[]), sqlc.narg(customer_id)::uuid
ON CONFLICT (recipient_id, event_key) DO NOTHING;

-- name: NoticeRecipients :many
-- Who hears a notice, with their locale, in one round trip: the active
-- members of each role (in the roles' order, then by id), then the named
-- staff and the account's manager when asked; the fallback roles join the
-- roles when neither names anyone; then, when asked, the deputies in force
-- of all of them (SPEC §7). Each person once, where they first appear.
-- An empty locale is someone the staff table does not know.
WITH named AS (
    SELECT n.id, n.ord FROM unnest(sqlc.arg(staff_ids)::uuid[]) WITH ORDINALITY AS n(id, ord)
    UNION ALL
    SELECT c.account_manager_id, 2147483647 FROM customers c
    WHERE sqlc.arg(to_manager)::boolean AND c.id = sqlc.narg(customer_id)::uuid AND c.account_manager_id IS NOT NULL
), asked AS (
    SELECT r.role, r.ord FROM unnest(sqlc.arg(roles)::text[]) WITH ORDINALITY AS r(role, ord)
    UNION ALL
    SELECT r.role, 1000000 + r.ord FROM unnest(sqlc.arg(or_roles)::text[]) WITH ORDINALITY AS r(role, ord)
    WHERE NOT EXISTS (SELECT 1 FROM named)
), heard AS (
    SELECT s.id, 0 AS grp, a.ord FROM asked a JOIN staff s ON s.role = a.role AND s.active
    UNION ALL
    SELECT n.id, 1, n.ord FROM named n
), everyone AS (
    SELECT h.id, h.grp, h.ord FROM heard h
    UNION ALL
    SELECT d.to_staff_id, 2, 0 FROM delegations d JOIN staff t ON t.id = d.to_staff_id
    WHERE sqlc.arg(deputies)::boolean AND d.from_staff_id IN (SELECT id FROM heard)
      AND d.ended_at IS NULL AND d.starts_at <= now() AND d.ends_at > now() AND t.active
), firsts AS (
    SELECT DISTINCT ON (e.id) e.id, e.grp, e.ord FROM everyone e ORDER BY e.id, e.grp, e.ord
)
SELECT f.id::uuid AS id, coalesce(s.locale, '')::text AS locale
FROM firsts f LEFT JOIN staff s ON s.id = f.id
-- An account manager hears of an account only while it is theirs (SPEC §2):
-- a requester moved off the account is not told of its discounts any more.
WHERE sqlc.narg(customer_id)::uuid IS NULL OR s.role IS DISTINCT FROM 'account_manager'
   OR EXISTS (SELECT 1 FROM customers c WHERE c.id = sqlc.narg(customer_id)::uuid AND c.account_manager_id = f.id)
ORDER BY f.grp, f.ord, f.id;

-- name: ListInbox :many
SELECT * FROM notifications
WHERE recipient_id = sqlc.arg(recipient_id)
  AND (sqlc.narg(unread_only)::boolean IS NULL OR NOT sqlc.narg(unread_only) OR read_at IS NULL)
  -- Keyset: unread first, then newest first, after the last row's keys.
  AND (sqlc.narg(after_read)::boolean IS NULL
       OR (read_at IS NOT NULL) > sqlc.narg(after_read)
       OR ((read_at IS NOT NULL) = sqlc.narg(after_read)
           AND (created_at, id) < (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid)))
ORDER BY (read_at IS NOT NULL), created_at DESC, id DESC
LIMIT sqlc.arg(lim);

-- name: MarkNotificationRead :one
UPDATE notifications SET read_at = coalesce(read_at, now())
WHERE id = $1 AND recipient_id = $2
RETURNING *;

-- name: CountNotifications :one
SELECT count(*) FROM notifications WHERE event_key = $1;

-- name: EnqueueWebhook :execrows
-- A retried Notify of the same event queues nothing new: one delivery, one
-- webhook-id per event.
INSERT INTO webhook_deliveries (id, event_key, payload)
VALUES ($1, $2, $3)
ON CONFLICT (event_key) DO NOTHING;

-- name: ClaimWebhookDeliveries :many
-- Takes up to lim due deliveries no other deliverer holds, counts the attempt
-- and leases them for lease_ms: a deliverer that dies mid-post leaves the row
-- to be taken again once the lease ends. Counting at claim time bounds even
-- attempts that never report back.
UPDATE webhook_deliveries d
SET attempts = d.attempts + 1,
    next_attempt_at = now() + sqlc.arg(lease_ms)::bigint * interval '1 millisecond'
WHERE d.id IN (
    SELECT w.id FROM webhook_deliveries w
    WHERE w.delivered_at IS NULL AND w.dead_at IS NULL
      AND w.next_attempt_at <= now() AND w.attempts < sqlc.arg(max_attempts)::integer
    ORDER BY w.next_attempt_at
    LIMIT sqlc.arg(lim)
    FOR UPDATE SKIP LOCKED
)
RETURNING d.id, d.event_key, d.payload, d.attempts;

-- name: MarkWebhookDelivered :execrows
-- Only the holder of the attempt (same attempts count) records its outcome.
UPDATE webhook_deliveries
SET delivered_at = now(), last_error = NULL
WHERE id = $1 AND attempts = $2 AND delivered_at IS NULL AND dead_at IS NULL;

-- name: MarkWebhookFailed :many
-- A failed attempt waits backoff_ms for the next, or is dead when it was the
-- last one allowed.
UPDATE webhook_deliveries
SET last_error = sqlc.arg(last_error)::text,
    next_attempt_at = now() + sqlc.arg(backoff_ms)::bigint * interval '1 millisecond',
    dead_at = CASE WHEN attempts >= sqlc.arg(max_attempts)::integer THEN now() END
WHERE id = sqlc.arg(id) AND attempts = sqlc.arg(attempts)
  AND delivered_at IS NULL AND dead_at IS NULL
RETURNING (dead_at IS NOT NULL)::boolean AS dead;

-- name: BuryAbandonedWebhooks :many
-- A delivery whose last allowed attempt never reported (its deliverer stopped
-- mid-post) is dead once that attempt's lease has ended.
UPDATE webhook_deliveries
SET dead_at = now(),
    last_error = coalesce(last_error, 'the last attempt never reported back')
WHERE delivered_at IS NULL AND dead_at IS NULL
  AND attempts >= sqlc.arg(max_attempts)::integer AND next_attempt_at <= now()
RETURNING id, event_key, attempts, last_error;

-- name: PurgeDeliveredWebhooks :execrows
-- Delivered copies are kept a while for support questions, then dropped;
-- dead letters stay.
DELETE FROM webhook_deliveries
WHERE delivered_at < now() - sqlc.arg(keep_ms)::bigint * interval '1 millisecond';

-- name: WebhookDeliveryByEventKey :one
SELECT * FROM webhook_deliveries WHERE event_key = $1;
