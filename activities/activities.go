// Package activities holds kam's Temporal activities: the thin, idempotent
// steps through which workflows read and write the record. Each one is safe
// to retry; Temporal retries them.
package activities

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"kam"
	"kam/db/store"
)

// Activities carries the dependencies of every activity; it is registered once.
type Activities struct {
	Store   *store.Store
	Webhook Webhook
	Log     *slog.Logger
	// Runs starts the runs the reconciler finds missing.
	Runs Runs
}

// Webhook is the optional outbound copy of every notification (SPEC §6, §7).
// Notify only queues the copy when URL is set; the Deliverer posts it.
type Webhook struct {
	URL string
}

// ArchiveStatus is what an onboarding workflow needs to know of an archive.
type ArchiveStatus struct {
	Exists  bool
	Active  bool
	Missing []string
}

// CheckArchive reads which Art. 7 sections of an account are still empty.
func (a *Activities) CheckArchive(ctx context.Context, customerID uuid.UUID) (ArchiveStatus, error) {
	ar, err := a.Store.GetArchive(ctx, store.Scope{}, customerID)
	if errors.Is(err, kam.ErrNotFound) {
		return ArchiveStatus{}, nil
	}
	if err != nil {
		return ArchiveStatus{}, err
	}
	return ArchiveStatus{Exists: true, Active: ar.Customer.Status == "active", Missing: ar.Missing}, nil
}

// Notice is one event to put in people's inboxes. EventKey must be the same
// on every retry of the same event: it is what makes delivery exactly-once.
type Notice struct {
	EventKey   string
	Kind       string
	Title      string
	Body       string
	CustomerID *uuid.UUID
	Roles      []string
	StaffIDs   []uuid.UUID
	// ToAccountManager adds the account manager of CustomerID.
	ToAccountManager bool
}

// Notify delivers a notice to the inbox of every recipient, once, and, when a
// webhook is configured, queues its copy in the same transaction. It never
// waits on the webhook (SPEC §7): a hanging receiver must not hold up the
// process that notifies. It returns the recipients' count.
func (a *Activities) Notify(ctx context.Context, n Notice) (int, error) {
	if n.EventKey == "" {
		return 0, temporal.NewNonRetryableApplicationError("notice without an event key", "bad_notice", nil)
	}
	staff := n.StaffIDs
	if n.ToAccountManager && n.CustomerID != nil {
		ar, err := a.Store.GetArchive(ctx, store.Scope{}, *n.CustomerID)
		if err != nil && !errors.Is(err, kam.ErrNotFound) {
			return 0, err
		}
		if err == nil && ar.Customer.AccountManagerID != nil {
			staff = append(slices.Clone(staff), *ar.Customer.AccountManagerID)
		}
	}
	recipients, err := a.Store.Recipients(ctx, n.Roles, staff)
	if err != nil {
		return 0, err
	}
	entry := store.Notification{
		EventKey: n.EventKey, Kind: n.Kind, Title: n.Title, Body: n.Body, CustomerID: n.CustomerID,
	}
	if a.Webhook.URL != "" {
		if entry.Webhook, err = webhookPayload(n, recipients); err != nil {
			return 0, err
		}
	}
	if _, err := a.Store.Deliver(ctx, recipients, entry); err != nil {
		return 0, err
	}
	return len(recipients), nil
}
