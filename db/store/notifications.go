package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// Notification is one inbox entry to deliver.
type Notification struct {
	EventKey    string
	Kind        string
	Title, Body string
	// Render, when set, words the entry for each recipient in their locale
	// (SPEC §7 "Language"); Title and Body are then not used for the inbox.
	Render func(locale string) (title, body string)
	// Locales, when the caller has read them (NoticeRecipients), are the
	// recipients' locales; nil: Deliver reads them.
	Locales    map[uuid.UUID]string
	CustomerID *uuid.UUID
}

// QueueWebhookCopies makes every notice delivered from now on queue its
// webhook copy (SPEC §6: KAM_NOTIFY_WEBHOOK_URL set, every notification is
// also POSTed there). It is the store's to decide, not each caller's, so
// that no path into the inbox can leave the copy out.
func (s *Store) QueueWebhookCopies(on bool) { s.webhookCopies = on }

// Deliver writes n into each recipient's inbox once, in one statement: a
// retried delivery of the same event key writes nothing new. It returns how
// many entries are new.
func (s *Store) Deliver(ctx context.Context, recipients []uuid.UUID, n Notification) (int64, error) {
	var created int64
	err := s.inTx(ctx, func(q *dbq.Queries) (err error) {
		created, err = s.deliver(ctx, q, recipients, n)
		return err
	})
	return created, err
}

// deliver is Deliver inside the caller's transaction. The webhook copy, when
// copies are queued, goes into the outbox in the same transaction, for the
// deliverer to post later (SPEC §7: delivery never delays a notice).
func (s *Store) deliver(ctx context.Context, q *dbq.Queries, recipients []uuid.UUID, n Notification) (int64, error) {
	locales := n.Locales
	if locales == nil {
		var err error
		if locales, err = s.localesOf(ctx, q, recipients, n.Render != nil); err != nil {
			return 0, err
		}
	}
	p := dbq.InsertNotificationsParams{
		Ids: make([]uuid.UUID, len(recipients)), RecipientIds: recipients, EventKey: n.EventKey, Kind: n.Kind,
		Titles: make([]string, len(recipients)), Bodies: make([]string, len(recipients)), CustomerID: n.CustomerID,
	}
	for i, r := range recipients {
		p.Ids[i], p.Titles[i], p.Bodies[i] = NewID(), n.Title, n.Body
		if n.Render != nil {
			locale := locales[r]
			if locale == "" {
				locale = s.DefaultLocale()
			}
			p.Titles[i], p.Bodies[i] = n.Render(locale)
		}
	}
	var created int64
	if len(recipients) > 0 {
		k, err := q.InsertNotifications(ctx, p)
		if err != nil {
			return 0, err
		}
		created = k
	}
	if s.webhookCopies {
		payload, err := s.webhookPayload(n, recipients)
		if err != nil {
			return 0, err
		}
		if _, err := q.EnqueueWebhook(ctx, dbq.EnqueueWebhookParams{ID: NewID(), EventKey: n.EventKey, Payload: payload}); err != nil {
			return 0, err
		}
	}
	return created, nil
}

// webhookPayload is the body of n's webhook copy. One copy goes for every
// recipient, whatever each one reads, so its words are in the default locale.
func (s *Store) webhookPayload(n Notification, recipients []uuid.UUID) ([]byte, error) {
	locale, title, body := s.DefaultLocale(), n.Title, n.Body
	if n.Render != nil {
		title, body = n.Render(locale)
	}
	return json.Marshal(map[string]any{
		"event_key": n.EventKey, "kind": n.Kind, "title": title, "body": body, "locale": locale,
		"customer_id": n.CustomerID, "recipients": recipients,
	})
}

// NoticeTo names who hears a notice (activities.Notice says what each
// field means).
type NoticeTo struct {
	StaffIDs         []uuid.UUID
	CustomerID       *uuid.UUID
	ToAccountManager bool
	Roles, OrRoles   []string
	Deputies         bool
}

// NoticeRecipients resolves who hears a notice, each once, and the locale
// each reads it in ("" for someone the staff table does not know), in one
// round trip.
func (s *Store) NoticeRecipients(ctx context.Context, to NoticeTo) ([]uuid.UUID, map[uuid.UUID]string, error) {
	rows, err := s.q.NoticeRecipients(ctx, dbq.NoticeRecipientsParams{
		StaffIds: to.StaffIDs, ToManager: to.ToAccountManager && to.CustomerID != nil, CustomerID: to.CustomerID,
		Roles: to.Roles, OrRoles: to.OrRoles, Deputies: to.Deputies,
	})
	if err != nil {
		return nil, nil, interpret(err)
	}
	ids := make([]uuid.UUID, len(rows))
	locales := make(map[uuid.UUID]string, len(rows))
	for i, r := range rows {
		ids[i], locales[r.ID] = r.ID, r.Locale
	}
	return ids, locales, nil
}

// localesOf reads each recipient's locale (when wanted); one unknown to the
// staff table reads in the default locale.
func (s *Store) localesOf(ctx context.Context, q *dbq.Queries, recipients []uuid.UUID, want bool) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(recipients))
	if !want || len(recipients) == 0 {
		return out, nil
	}
	rows, err := q.StaffLocales(ctx, recipients)
	if err != nil {
		return nil, err
	}
	for _, r := range recipients {
		out[r] = s.DefaultLocale()
	}
	for _, row := range rows {
		out[row.ID] = row.Locale
	}
	return out, nil
}

// WebhookDelivery is one claimed attempt at posting a webhook copy. ID is
// the webhook-id; Attempts counts this attempt.
type WebhookDelivery struct {
	ID       uuid.UUID
	EventKey string
	Payload  []byte
	Attempts int32
}

// ClaimWebhooks takes up to limit due deliveries that have attempts left and
// that no other deliverer holds, and leases them for lease.
func (s *Store) ClaimWebhooks(ctx context.Context, limit int, maxAttempts int32, lease time.Duration) ([]WebhookDelivery, error) {
	rows, err := s.q.ClaimWebhookDeliveries(ctx, dbq.ClaimWebhookDeliveriesParams{
		LeaseMs: lease.Milliseconds(), MaxAttempts: maxAttempts, Lim: int32(limit),
	})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]WebhookDelivery, len(rows))
	for i, r := range rows {
		out[i] = WebhookDelivery{ID: r.ID, EventKey: r.EventKey, Payload: r.Payload, Attempts: r.Attempts}
	}
	return out, nil
}

// WebhookDelivered records that the receiver accepted w.
func (s *Store) WebhookDelivered(ctx context.Context, w WebhookDelivery) error {
	_, err := s.q.MarkWebhookDelivered(ctx, dbq.MarkWebhookDeliveredParams{ID: w.ID, Attempts: w.Attempts})
	return interpret(err)
}

// WebhookFailed records a failed attempt: the next waits backoff, or, when w
// was the last attempt allowed, the delivery is dead (the dead letter).
func (s *Store) WebhookFailed(ctx context.Context, w WebhookDelivery, reason string, backoff time.Duration, maxAttempts int32) (dead bool, err error) {
	rows, err := s.q.MarkWebhookFailed(ctx, dbq.MarkWebhookFailedParams{
		LastError: reason, BackoffMs: backoff.Milliseconds(), MaxAttempts: maxAttempts, ID: w.ID, Attempts: w.Attempts,
	})
	if err != nil {
		return false, interpret(err)
	}
	// No row: the lease ran out and another deliverer holds the delivery now.
	return len(rows) == 1 && rows[0], nil
}

// WebhookRecord is the state of one webhook copy in the outbox.
type WebhookRecord struct {
	ID            uuid.UUID
	EventKey      string
	Payload       []byte
	Attempts      int32
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
	DeadAt        *time.Time
	LastError     *string
}

// BuryAbandonedWebhooks dead-letters deliveries whose last allowed attempt
// never reported back, and answers those it buried (without their payload).
func (s *Store) BuryAbandonedWebhooks(ctx context.Context, maxAttempts int32) ([]WebhookRecord, error) {
	rows, err := s.q.BuryAbandonedWebhooks(ctx, maxAttempts)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]WebhookRecord, len(rows))
	for i, r := range rows {
		out[i] = WebhookRecord{ID: r.ID, EventKey: r.EventKey, Attempts: r.Attempts, LastError: r.LastError}
	}
	return out, nil
}

// WebhookOf reads the outbox copy of the notice with eventKey.
func (s *Store) WebhookOf(ctx context.Context, eventKey string) (WebhookRecord, error) {
	d, err := s.q.WebhookDeliveryByEventKey(ctx, eventKey)
	if err != nil {
		return WebhookRecord{}, interpret(err)
	}
	return WebhookRecord{ID: d.ID, EventKey: d.EventKey, Payload: d.Payload, Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt,
		DeliveredAt: d.DeliveredAt, DeadAt: d.DeadAt, LastError: d.LastError}, nil
}

// InboxEntries counts the inbox entries of the notice with eventKey, across
// recipients.
func (s *Store) InboxEntries(ctx context.Context, eventKey string) (int64, error) {
	n, err := s.q.CountNotifications(ctx, eventKey)
	return n, interpret(err)
}

// PurgeDeliveredWebhooks drops copies delivered longer than keep ago.
func (s *Store) PurgeDeliveredWebhooks(ctx context.Context, keep time.Duration) (int64, error) {
	n, err := s.q.PurgeDeliveredWebhooks(ctx, keep.Milliseconds())
	return n, interpret(err)
}

// Inbox pages through one recipient's notifications, unread first.
func (s *Store) Inbox(ctx context.Context, f kam.InboxQuery) ([]kam.Notification, error) {
	unread := f.UnreadOnly
	rows, err := s.q.ListInbox(ctx, dbq.ListInboxParams{RecipientID: f.RecipientID, UnreadOnly: &unread,
		AfterRead: f.AfterRead, AfterAt: f.AfterAt, AfterID: f.AfterID, Lim: f.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Notification, len(rows))
	for i, n := range rows {
		out[i] = notificationOf(n)
	}
	return out, nil
}

// MarkRead marks one of the recipient's notifications read; another
// person's notification is not found.
func (s *Store) MarkRead(ctx context.Context, id, recipient uuid.UUID) (kam.Notification, error) {
	n, err := s.q.MarkNotificationRead(ctx, dbq.MarkNotificationReadParams{ID: id, RecipientID: recipient})
	if err != nil {
		return kam.Notification{}, interpret(err)
	}
	return notificationOf(n), nil
}

func notificationOf(n dbq.Notification) kam.Notification {
	return kam.Notification{ID: n.ID, RecipientID: n.RecipientID, EventKey: n.EventKey, Kind: n.Kind, Title: n.Title,
		Body: n.Body, CustomerID: n.CustomerID, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt, Version: n.Version}
}
