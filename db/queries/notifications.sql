-- name: InsertNotification :execrows
-- A retried delivery of the same event to the same person writes nothing.
INSERT INTO notifications (id, recipient_id, event_key, kind, title, body, customer_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (recipient_id, event_key) DO NOTHING;

-- name: ListInbox :many
SELECT * FROM notifications
WHERE recipient_id = sqlc.arg(recipient_id)
  AND (sqlc.narg(unread_only)::boolean IS NULL OR NOT sqlc.narg(unread_only) OR read_at IS NULL)
ORDER BY (read_at IS NOT NULL), created_at DESC, id DESC
LIMIT sqlc.arg(lim) OFFSET sqlc.arg(off);

-- name: MarkNotificationRead :one
UPDATE notifications SET read_at = coalesce(read_at, now())
WHERE id = $1 AND recipient_id = $2
RETURNING *;

-- name: CountNotifications :one
SELECT count(*) FROM notifications WHERE event_key = $1;
