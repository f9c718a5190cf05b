package activities

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"kam"
)

// ErrTicketGone is the type of MarkTicketBreach's non-retryable failure for
// a ticket that does not exist: its run was started inside the ticket's
// transaction, which then did not commit. Retried for ever, it would keep an
// orphan run alive; failing ends it.
const ErrTicketGone = "ticket_gone"

// ticketGoneAfter is the attempt from which a missing ticket is taken as
// gone. Until then it may only not be committed yet: the run starts before
// its ticket's transaction commits, and a breach may already be due (retries
// 1, 2, 4 and 8 s apart wait some 15 s for it).
const ticketGoneAfter = 5

// TicketBreach records a missed target on a ticket.
type TicketBreach struct {
	TicketID   uuid.UUID
	Response   bool
	Resolution bool
	Note       string
}

// MarkTicketBreach re-reads the ticket and, if it still owes the missed
// target (no answer yet for a response breach; not resolved or closed for a
// resolution breach), records the breach and the escalation on the ticket and
// in its handling records. owed says whether it did; a retry adds no second
// record and answers true again. A ticket that never came to exist fails it
// for good (ErrTicketGone), which ends the run.
func (a *Activities) MarkTicketBreach(ctx context.Context, b TicketBreach) (owed bool, err error) {
	typ := "resolution_breached"
	if b.Response {
		typ = "response_breached"
	}
	// The note names the missed target, so it identifies this breach.
	done, err := a.Store.TicketEventRecorded(ctx, b.TicketID, typ, b.Note)
	if err != nil || done {
		return done, err
	}
	t, err := a.Store.TicketStanding(ctx, b.TicketID)
	if errors.Is(err, kam.ErrNotFound) {
		if activity.GetInfo(ctx).Attempt < ticketGoneAfter {
			return false, temporal.NewApplicationError("ticket not (yet) stored", "ticket_missing")
		}
		return false, temporal.NewNonRetryableApplicationError("the ticket does not exist: its transaction did not commit", ErrTicketGone, nil)
	}
	if err != nil {
		return false, err
	}
	if !stillOwes(t, b) {
		return false, nil
	}
	err = a.Store.RecordTicketBreach(asProcess(ctx), b.TicketID, b.Response, b.Resolution, typ, b.Note)
	return err == nil, err
}

// stillOwes: the ticket, as read now, has not met the target the breach is about.
func stillOwes(t kam.TicketStanding, b TicketBreach) bool {
	switch {
	case b.Response:
		return t.AcknowledgedAt == nil && t.Status == kam.TicketOpen
	case b.Resolution:
		return t.Status == kam.TicketOpen || t.Status == kam.TicketAcknowledged
	}
	return true
}
