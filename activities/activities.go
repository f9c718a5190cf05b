// Package activities holds kam's Temporal activities: the thin, idempotent
// steps through which workflows read and write the record. Each one is safe
// to retry; Temporal retries them.
package activities

import (
	"context"
	"errors"
	"log/slog"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"kam"
	"kam/db/store"
	"kam/i18n"
)

// Activities carries the dependencies of every activity; it is registered
// once. Whether notices are copied to the webhook is the Store's setting
// (Store.QueueWebhookCopies), which every delivery obeys.
type Activities struct {
	Store *store.Store
	Log   *slog.Logger
	// Runs starts the runs the reconciler finds missing.
	Runs Runs
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

// Open tells whether the archive still wants its onboarding run: the account
// exists, is active, and a section is empty (Art. 7.1).
func (s ArchiveStatus) Open() bool {
	return s.Exists && s.Active && len(s.Missing) > 0
}

// Notice is one event to put in people's inboxes. EventKey must be the same
// on every retry of the same event: it is what makes delivery exactly-once.
//
// A notice targets the person responsible where there is one (StaffIDs, the
// account's manager) and a role otherwise (OrRoles); Roles are told always
// (an escalation goes to the KA manager or the GM whoever else hears).
//
// The words are a message key and its arguments (TitleMsg, BodyMsg), rendered
// here, per recipient, in each one's locale (SPEC §7 "Language"): never in
// the workflow, which only names them. Title and Body are the literal
// fallback: what notices recorded before the catalogs carry (an old running
// workflow's payload) and what a notice not yet converted says; they are used
// as they are for a message without a key.
type Notice struct {
	EventKey   string
	Kind       string
	Title      string
	Body       string
	TitleMsg   i18n.Message `json:",omitempty"`
	BodyMsg    i18n.Message `json:",omitempty"`
	CustomerID *uuid.UUID
	Roles      []string
	StaffIDs   []uuid.UUID
	// ToAccountManager adds the account manager of CustomerID.
	ToAccountManager bool
	// OrRoles stand in for a responsible person when the notice names none
	// that exists (no StaffIDs, no account manager).
	OrRoles []string
	// Deputies adds the deputies in force of every recipient (SPEC §7:
	// reminders and escalations of approvals reach delegator and deputy).
	Deputies bool
}

// Notify delivers a notice to the inbox of every recipient, once, and, when a
// webhook is configured, queues its copy in the same transaction. It never
// waits on the webhook (SPEC §7): a hanging receiver must not hold up the
// process that notifies. It returns the recipients' count.
func (a *Activities) Notify(ctx context.Context, n Notice) (int, error) {
	d, err := a.delivery(ctx, n)
	if err != nil {
		return 0, err
	}
	if _, err := a.Store.Deliver(ctx, d.Recipients, d.Notification); err != nil {
		return 0, err
	}
	return len(d.Recipients), nil
}

// optionalDelivery is delivery of n, or nil when there is no notice.
func (a *Activities) optionalDelivery(ctx context.Context, n *Notice) (*store.Delivery, error) {
	if n == nil {
		return nil, nil
	}
	d, err := a.delivery(ctx, *n)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// delivery resolves a notice into what Deliver writes: its recipients, with
// the locale of each.
func (a *Activities) delivery(ctx context.Context, n Notice) (store.Delivery, error) {
	if n.EventKey == "" {
		return store.Delivery{}, temporal.NewNonRetryableApplicationError("notice without an event key", "bad_notice", nil)
	}
	recipients, locales, err := a.recipients(ctx, n)
	if err != nil {
		return store.Delivery{}, err
	}
	entry := store.Notification{
		EventKey: n.EventKey, Kind: n.Kind, Title: n.Title, Body: n.Body, CustomerID: n.CustomerID, Render: n.Words, Locales: locales,
	}
	return store.Delivery{Recipients: recipients, Notification: entry}, nil
}

// Words are the notice's title and body in locale: each message rendered
// when it names a key, the literal Title or Body otherwise.
func (n Notice) Words(locale string) (title, body string) {
	title, body = n.Title, n.Body
	if !n.TitleMsg.IsZero() {
		title = n.TitleMsg.Render(locale)
	}
	if !n.BodyMsg.IsZero() {
		body = n.BodyMsg.Render(locale)
	}
	return title, body
}

// recipients resolves a notice's people, and the locale each reads it in:
// the roles, the named staff and the account's manager, the fallback roles
// when none of them exists, and the deputies in force of all of them when
// asked (one query: Store.NoticeRecipients).
func (a *Activities) recipients(ctx context.Context, n Notice) ([]uuid.UUID, map[uuid.UUID]string, error) {
	return a.Store.NoticeRecipients(ctx, store.NoticeTo{
		StaffIDs: n.StaffIDs, CustomerID: n.CustomerID, ToAccountManager: n.ToAccountManager,
		Roles: n.Roles, OrRoles: n.OrRoles, Deputies: n.Deputies,
	})
}

// asProcess tells the store which run a change it makes on the process's own
// account belongs to, so the change's register row names it (Art. 9).
func asProcess(ctx context.Context) context.Context {
	if !activity.IsActivity(ctx) {
		return ctx
	}
	i := activity.GetInfo(ctx)
	return store.WithProcess(ctx, store.Process{Workflow: i.WorkflowType.Name, ID: i.WorkflowExecution.ID,
		Run: i.WorkflowExecution.RunID, Step: i.ActivityType.Name})
}
