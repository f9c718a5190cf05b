package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// tierSLA reads a tier's response and resolution targets.
func tierSLA(t dbq.Tier) (respond, resolve time.Duration, err error) {
	if respond, err = time.ParseDuration(t.TicketResponseWithin); err != nil {
		return 0, 0, err
	}
	resolve, err = time.ParseDuration(t.TicketResolveWithin)
	return respond, resolve, err
}

// TicketInput opens a ticket.
type TicketInput struct {
	CustomerID    uuid.UUID
	Kind          string
	Subject, Body string
	OpenedBy      uuid.UUID
}

// CreateTicket opens a ticket with its due times from the account's tier, and
// calls start (the SLA run) inside the same transaction.
func (s *Store) CreateTicket(ctx context.Context, scope Scope, in TicketInput, start func(kam.Ticket, kam.Tier) error) (kam.Ticket, error) {
	var out kam.Ticket
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		c, err := q.GetCustomer(ctx, dbq.GetCustomerParams{ID: in.CustomerID, ManagerID: scope.ManagerID})
		if err != nil {
			return err
		}
		tier, err := q.GetTier(ctx, c.Tier)
		if err != nil {
			return err
		}
		respond, resolve, err := tierSLA(tier)
		if err != nil {
			return err
		}
		now := time.Now()
		t, err := q.CreateTicket(ctx, dbq.CreateTicketParams{ID: NewID(), CustomerID: c.ID, Kind: in.Kind, Subject: in.Subject, Body: in.Body,
			Priority: kam.TicketPriority(tier.Rank, in.Kind), OpenedBy: in.OpenedBy, RespondBy: now.Add(respond), ResolveBy: now.Add(resolve)})
		if err != nil {
			return err
		}
		out = ticketOf(t)
		if _, err := q.InsertTicketEvent(ctx, dbq.InsertTicketEventParams{TicketID: out.ID, Type: "open", StaffID: &in.OpenedBy, Note: in.Subject}); err != nil {
			return err
		}
		return start(out, tierOf(tier))
	})
	return out, err
}

// TicketEvent applies a handling record (acknowledge, note, resolve, close,
// reopen) to a ticket and records it, in one transaction. onReopen runs
// inside it on a reopen, with the ticket as reopened and its account's tier,
// so a reopened ticket never lacks its SLA clock.
func (s *Store) TicketEvent(ctx context.Context, scope Scope, id uuid.UUID, typ string, by uuid.UUID, note string, onReopen func(t kam.Ticket, tier kam.Tier, reopenedBefore int) error) (kam.Ticket, error) {
	var out kam.Ticket
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		var reopenTier *dbq.Tier
		t, err := q.LockTicket(ctx, dbq.LockTicketParams{ID: id, ManagerID: scope.ManagerID})
		if err != nil {
			return err
		}
		now := time.Now()
		p := dbq.SetTicketStatusParams{ID: t.ID, Status: t.Status, AcknowledgedAt: t.AcknowledgedAt, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt, ResolveBy: t.ResolveBy}
		bad := func() error {
			return kam.Errorf(kam.KindConflict, "invalid_transition", "a %s ticket cannot take %q", t.Status, typ)
		}
		switch typ {
		case "acknowledge":
			if t.Status != kam.TicketOpen {
				return bad()
			}
			p.Status, p.AcknowledgedAt = kam.TicketAcknowledged, &now
		case "note":
			if t.Status == kam.TicketClosed {
				return bad()
			}
		case "resolve":
			if t.Status != kam.TicketOpen && t.Status != kam.TicketAcknowledged {
				return bad()
			}
			// Resolving also answers the customer, if nobody had yet.
			p.Status, p.ResolvedAt = kam.TicketResolved, &now
			if p.AcknowledgedAt == nil {
				p.AcknowledgedAt = &now
			}
		case "close":
			if t.Status != kam.TicketResolved {
				return bad()
			}
			p.Status, p.ClosedAt = kam.TicketClosed, &now
		case "reopen":
			if t.Status != kam.TicketResolved && t.Status != kam.TicketClosed {
				return bad()
			}
			c, err := q.GetCustomer(ctx, dbq.GetCustomerParams{ID: t.CustomerID})
			if err != nil {
				return err
			}
			tier, err := q.GetTier(ctx, c.Tier)
			if err != nil {
				return err
			}
			_, resolve, err := tierSLA(tier)
			if err != nil {
				return err
			}
			// A reopened ticket gets a fresh resolution target.
			p.Status, p.ResolvedAt, p.ClosedAt, p.ResolveBy = kam.TicketAcknowledged, nil, nil, now.Add(resolve)
			reopenTier = &tier
		default:
			return kam.Invalid("type", "unknown event type %q", typ)
		}
		set, err := q.SetTicketStatus(ctx, p)
		if err != nil {
			return err
		}
		out = ticketOf(set)
		var reopened int32
		if reopenTier != nil {
			// The reopens before this one number its run's breach notices;
			// counted on the transaction's own connection, never a second
			// one from the pool (held by every reopen at once, the pool ran dry).
			if reopened, err = q.CountTicketReopens(ctx, t.ID); err != nil {
				return err
			}
		}
		if _, err = q.InsertTicketEvent(ctx, dbq.InsertTicketEventParams{TicketID: t.ID, Type: typ, StaffID: &by, Note: note}); err != nil {
			return err
		}
		if reopenTier != nil && onReopen != nil {
			return onReopen(out, tierOf(*reopenTier), int(reopened))
		}
		return nil
	})
	return out, err
}

// TicketEventRecorded tells whether the ticket already has an event of this
// type with this note (the SLA process's idempotency check).
func (s *Store) TicketEventRecorded(ctx context.Context, ticketID uuid.UUID, typ, note string) (bool, error) {
	done, err := s.q.TicketEventExists(ctx, dbq.TicketEventExistsParams{TicketID: ticketID, Type: typ, Note: note})
	return done, interpret(err)
}

// TicketStanding reads whether a ticket has been answered or settled.
func (s *Store) TicketStanding(ctx context.Context, ticketID uuid.UUID) (kam.TicketStanding, error) {
	t, err := s.q.GetTicket(ctx, dbq.GetTicketParams{ID: ticketID})
	if err != nil {
		return kam.TicketStanding{}, interpret(err)
	}
	return kam.TicketStanding{Status: t.Status, AcknowledgedAt: t.AcknowledgedAt}, nil
}

// RecordTicketBreach marks a missed target (and the escalation) on the ticket,
// then adds the breach to its handling records (Art. 17).
func (s *Store) RecordTicketBreach(ctx context.Context, ticketID uuid.UUID, response, resolution bool, typ, note string) error {
	return s.inTx(ctx, func(q *dbq.Queries) error {
		t, err := q.MarkTicketBreach(ctx, dbq.MarkTicketBreachParams{ID: ticketID, Response: response, Resolution: resolution})
		if err != nil {
			return err
		}
		if _, err := q.InsertTicketEvent(ctx, dbq.InsertTicketEventParams{TicketID: ticketID, Type: typ, Note: note}); err != nil {
			return err
		}
		// The account's handling record changed with no one asking (Art.
		// 7.6, 16): the SLA run's change is registered with it (Art. 9).
		return registerProcessChange(ctx, q, t.CustomerID, []string{"tickets"}, "Art. 16, 17: a ticket missed its "+strings.TrimSuffix(typ, "_breached")+" target and is escalated")
	})
}

func ticketOf(t dbq.Ticket) kam.Ticket {
	return kam.Ticket{ID: t.ID, CustomerID: t.CustomerID, Kind: t.Kind, Subject: t.Subject, Body: t.Body, Priority: t.Priority,
		Status: t.Status, OpenedBy: t.OpenedBy, RespondBy: t.RespondBy, ResolveBy: t.ResolveBy, AcknowledgedAt: t.AcknowledgedAt,
		ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt, ResponseBreached: t.ResponseBreached, ResolutionBreached: t.ResolutionBreached,
		Escalated: t.Escalated, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Version: t.Version}
}

// ListTickets reads a page of the ticket queue in priority order (Art. 17),
// within the caller's scope.
func (s *Store) ListTickets(ctx context.Context, scope Scope, f kam.TicketFilter) ([]kam.Ticket, error) {
	arg := dbq.ListTicketsParams{ManagerID: scope.ManagerID, Status: f.Status, CustomerID: f.CustomerID, Lim: f.Lim}
	if f.After != nil {
		arg.AfterPriority, arg.AfterDue, arg.AfterID = &f.After.Priority, &f.After.Due, &f.After.ID
	}
	rows, err := s.q.ListTickets(ctx, arg)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Ticket, 0, len(rows))
	for _, t := range rows {
		out = append(out, ticketOf(t))
	}
	return out, nil
}

// GetTicket reads one ticket within the caller's scope; an unknown or
// out-of-scope ticket is kam.ErrNotFound.
func (s *Store) GetTicket(ctx context.Context, scope Scope, id uuid.UUID) (kam.Ticket, error) {
	t, err := s.q.GetTicket(ctx, dbq.GetTicketParams{ID: id, ManagerID: scope.ManagerID})
	if err != nil {
		return kam.Ticket{}, interpret(err)
	}
	return ticketOf(t), nil
}

// ListTicketEvents reads up to lim of a ticket's handling records, oldest
// first, after the given record id when there is one.
func (s *Store) ListTicketEvents(ctx context.Context, ticketID uuid.UUID, after *int64, lim int32) ([]kam.TicketEvent, error) {
	rows, err := s.q.ListTicketEvents(ctx, dbq.ListTicketEventsParams{TicketID: ticketID, After: after, Lim: lim})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.TicketEvent, 0, len(rows))
	for _, e := range rows {
		out = append(out, kam.TicketEvent{ID: e.ID, TicketID: e.TicketID, Type: e.Type, StaffID: e.StaffID, At: e.At, Note: e.Note})
	}
	return out, nil
}
