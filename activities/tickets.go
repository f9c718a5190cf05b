package activities

import (
	"context"

	"github.com/google/uuid"

	"kam"
)

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
// record and answers true again.
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
	if err != nil {
		return false, err
	}
	if !stillOwes(t, b) {
		return false, nil
	}
	err = a.Store.RecordTicketBreach(ctx, b.TicketID, b.Response, b.Resolution, typ, b.Note)
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
