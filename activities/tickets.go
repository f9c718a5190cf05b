package activities

import (
	"context"

	"github.com/google/uuid"

	"kam"
	"kam/db/dbq"
	"kam/db/store"
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
	done, err := a.Store.Q().TicketEventExists(ctx, dbq.TicketEventExistsParams{TicketID: b.TicketID, Type: typ, Note: b.Note})
	if err != nil || done {
		return done, store.Interpret(err)
	}
	t, err := a.Store.Q().GetTicket(ctx, dbq.GetTicketParams{ID: b.TicketID})
	if err != nil {
		return false, store.Interpret(err)
	}
	if !stillOwes(t, b) {
		return false, nil
	}
	if _, err := a.Store.Q().MarkTicketBreach(ctx, dbq.MarkTicketBreachParams{ID: b.TicketID, Response: b.Response, Resolution: b.Resolution}); err != nil {
		return false, store.Interpret(err)
	}
	_, err = a.Store.Q().InsertTicketEvent(ctx, dbq.InsertTicketEventParams{TicketID: b.TicketID, Type: typ, Note: b.Note})
	return err == nil, store.Interpret(err)
}

// stillOwes: the ticket, as read now, has not met the target the breach is about.
func stillOwes(t dbq.Ticket, b TicketBreach) bool {
	switch {
	case b.Response:
		return t.AcknowledgedAt == nil && t.Status == kam.TicketOpen
	case b.Resolution:
		return t.Status == kam.TicketOpen || t.Status == kam.TicketAcknowledged
	}
	return true
}
