package activities

import (
	"context"

	"github.com/google/uuid"

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

// MarkTicketBreach records the breach and the escalation on the ticket and in
// its handling records. A retry adds no second record.
func (a *Activities) MarkTicketBreach(ctx context.Context, b TicketBreach) error {
	typ := "resolution_breached"
	if b.Response {
		typ = "response_breached"
	}
	// The note names the missed target, so it identifies this breach.
	done, err := a.Store.Q().TicketEventExists(ctx, dbq.TicketEventExistsParams{TicketID: b.TicketID, Type: typ, Note: b.Note})
	if err != nil || done {
		return store.Interpret(err)
	}
	if _, err := a.Store.Q().MarkTicketBreach(ctx, dbq.MarkTicketBreachParams{ID: b.TicketID, Response: b.Response, Resolution: b.Resolution}); err != nil {
		return store.Interpret(err)
	}
	_, err = a.Store.Q().InsertTicketEvent(ctx, dbq.InsertTicketEventParams{TicketID: b.TicketID, Type: typ, Note: b.Note})
	return store.Interpret(err)
}
