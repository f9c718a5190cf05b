package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
	"kam/workflows"
)

var ticketSections = []string{"tickets"}

// TicketCreate opens a hotline ticket (Art. 16).
type TicketCreate struct {
	CustomerID string `json:"customer_id" format:"uuid"`
	Kind       string `json:"kind" enum:"inquiry,complaint,claim,shipping"`
	Subject    string `json:"subject" minLength:"1" maxLength:"200"`
	Body       string `json:"body,omitempty" maxLength:"10000"`
}

// TicketEventCreate is a handling record (Art. 7.6).
type TicketEventCreate struct {
	Type string `json:"type" enum:"acknowledge,note,resolve,close,reopen"`
	Note string `json:"note,omitempty" maxLength:"5000"`
}

// Ticket is a ticket and where its service targets stand.
type Ticket struct {
	ID                 string        `json:"id" format:"uuid"`
	CustomerID         string        `json:"customer_id" format:"uuid"`
	Kind               string        `json:"kind"`
	Subject            string        `json:"subject"`
	Body               string        `json:"body"`
	Priority           int32         `json:"priority" doc:"1 first: tier, then complaints and claims before other kinds (Art. 17)"`
	Status             string        `json:"status" enum:"open,acknowledged,resolved,closed"`
	RespondBy          time.Time     `json:"respond_by"`
	ResolveBy          time.Time     `json:"resolve_by"`
	AcknowledgedAt     *time.Time    `json:"acknowledged_at"`
	ResolvedAt         *time.Time    `json:"resolved_at"`
	ClosedAt           *time.Time    `json:"closed_at"`
	ResponseBreached   bool          `json:"response_breached"`
	ResolutionBreached bool          `json:"resolution_breached"`
	Escalated          bool          `json:"escalated"`
	OpenedBy           string        `json:"opened_by" format:"uuid"`
	Version            int32         `json:"version" doc:"1 when opened; one more with each handling record, and with each missed target the SLA run marks (SPEC §3)"`
	CreatedAt          time.Time     `json:"created_at"`
	Events             []TicketEvent `json:"events,omitempty" doc:"The first handling records, oldest first; events_next_cursor continues them at GET /v1/tickets/{id}/events"`
	EventsNextCursor   string        `json:"events_next_cursor,omitempty" doc:"Pass as ?cursor= to GET /v1/tickets/{id}/events for the records after these"`
}

// TicketEvent is one handling record.
type TicketEvent struct {
	Type    string    `json:"type"`
	StaffID *string   `json:"staff_id" format:"uuid"`
	At      time.Time `json:"at"`
	Note    string    `json:"note"`
}

func ticketOut(t kam.Ticket) Ticket {
	return Ticket{ID: t.ID.String(), CustomerID: t.CustomerID.String(), Kind: t.Kind, Subject: t.Subject, Body: t.Body,
		Priority: t.Priority, Status: t.Status, RespondBy: t.RespondBy, ResolveBy: t.ResolveBy, AcknowledgedAt: t.AcknowledgedAt,
		ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt, ResponseBreached: t.ResponseBreached, ResolutionBreached: t.ResolutionBreached,
		Escalated: t.Escalated, OpenedBy: t.OpenedBy.String(), CreatedAt: t.CreatedAt, Version: t.Version}
}

func (s *Server) ticketRoutes() {
	huma.Register(s.api, created(op("create-ticket", http.MethodPost, "/v1/tickets", "Open a hotline ticket (Art. 16)", "service")), s.createTicket)
	huma.Register(s.api, op("list-tickets", http.MethodGet, "/v1/tickets", "The ticket queue in priority order (Art. 17)", "service"), s.listTickets)
	huma.Register(s.api, op("get-ticket", http.MethodGet, "/v1/tickets/{id}", "A ticket with its handling records", "service"), s.getTicket)
	ev := created(op("create-ticket-event", http.MethodPost, "/v1/tickets/{id}/events", "A handling record: acknowledge, note, resolve, close, reopen", "service"))
	ev.Errors = append(ev.Errors, 409)
	huma.Register(s.api, ev, s.ticketEvent)
	huma.Register(s.api, op("list-ticket-events", http.MethodGet, "/v1/tickets/{id}/events", "A ticket's handling records, oldest first", "service"), s.listTicketEvents)
}

func (s *Server) createTicket(ctx context.Context, in *struct{ Body TicketCreate }) (*struct{ Body Ticket }, error) {
	p := callerOf(ctx)
	customer, err := parseUUID("body.customer_id", in.Body.CustomerID)
	if err != nil {
		return nil, err
	}
	if !can(p.Role, capHandleTickets) {
		return nil, s.deny(ctx, customer, ticketSections, forbidden("tickets are opened by the Service Center, account managers and the KA Department"))
	}
	t, err := archiveWrite(s, ctx, []uuid.UUID{customer}, ticketSections, func(ctx context.Context) (kam.Ticket, error) {
		return s.store.CreateTicket(ctx, scopeOf(p), store.TicketInput{CustomerID: customer, Kind: in.Body.Kind, Subject: in.Body.Subject, Body: in.Body.Body, OpenedBy: p.ID},
			func(t kam.Ticket, tier kam.Tier) error {
				if err := s.procs.StartTicketSLA(ctx, workflows.TicketInput{TicketID: t.ID, CustomerID: t.CustomerID, TopTier: tier.Rank == 1, RespondBy: t.RespondBy, ResolveBy: t.ResolveBy}); err != nil {
					return kam.StartFailed("the ticket's service targets could not be started", err)
				}
				return nil
			})
	})
	switch {
	case errors.Is(err, kam.ErrNotFound):
		return nil, s.deny(ctx, customer, ticketSections, notFound())
	case err != nil:
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Ticket }{Body: ticketOut(t)}, nil
}

func (s *Server) listTickets(ctx context.Context, in *struct {
	Status     string `query:"status" maxLength:"16" doc:"open (open and acknowledged), acknowledged, resolved or closed"`
	CustomerID string `query:"customer_id" format:"uuid"`
	Limit      int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor     string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Ticket] }, error) {
	r := archiveRead{need: capReadTickets, sections: ticketSections, action: kam.AccessList, refusal: "your role does not read tickets"}
	page, err := readList(s, ctx, r, func(ctx context.Context, scope store.Scope) (Page[Ticket], []uuid.UUID, error) {
		if err := s.gateListFilter(ctx, in.CustomerID, ticketSections); err != nil {
			return Page[Ticket]{}, nil, err
		}
		f, err := ticketQuery(in.Status, in.CustomerID, in.Cursor, in.Limit)
		if err != nil {
			return Page[Ticket]{}, nil, err
		}
		rows, err := s.store.ListTickets(ctx, scope, f)
		if err != nil {
			return Page[Ticket]{}, nil, err
		}
		page := pageOf(rows, in.Limit, ticketOut, ticketCursor)
		return page, accountsOf(rows[:len(page.Items)], func(t kam.Ticket) uuid.UUID { return t.CustomerID }), nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Ticket] }{Body: page}, nil
}

// ticketQuery reads a ticket list's filters and cursor.
func ticketQuery(status, customerID, cursor string, limit int) (kam.TicketFilter, error) {
	var bad fieldErrors
	switch status {
	case "", "open", "acknowledged", "resolved", "closed":
	default:
		bad.field("query.status", "status is open, acknowledged, resolved or closed")
	}
	customer, err := optUUID("query.customer_id", nonEmpty(customerID))
	bad.add(err)
	f := kam.TicketFilter{Status: nonEmpty(status), CustomerID: customer, Lim: int32(limit + 1)}
	bad.add(ticketAfter(cursor, &f))
	return f, bad.err()
}

func (s *Server) loadTicket(ctx context.Context, raw string) (kam.Ticket, error) {
	id, err := parseUUID("path.id", raw)
	if err != nil {
		return kam.Ticket{}, err
	}
	p := callerOf(ctx)
	if !can(p.Role, capReadTickets) {
		return kam.Ticket{}, s.denyRecord(ctx, id, ticketSections, notFound())
	}
	t, err := s.store.GetTicket(ctx, scopeOf(p), id)
	switch {
	case errors.Is(err, kam.ErrNotFound):
		return t, s.denyRecord(ctx, id, ticketSections, notFound())
	case err != nil:
		return t, problemFor(s.log, err)
	}
	return t, nil
}

func (s *Server) getTicket(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*struct{ Body Ticket }, error) {
	t, err := s.loadTicket(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	events, err := s.ticketEvents(ctx, t, "", ticketEventsEmbedded)
	if err != nil {
		return nil, err
	}
	out := ticketOut(t)
	out.Events, out.EventsNextCursor = events.Items, events.Next()
	return &struct{ Body Ticket }{Body: out}, nil
}

// ticketCursor carries the queue's sort keys (Art. 17): priority (tier, then
// kind), the due time the queue orders by, and the id.
func ticketCursor(t kam.Ticket) string {
	return encodeCursor("tickets", int64Text(int64(t.Priority)), timeText(ticketDue(t)), t.ID.String())
}

// ticketDue is the time the queue orders a ticket by: an open ticket's
// answer is due first, afterwards its resolution (ListTickets' ORDER BY).
func ticketDue(t kam.Ticket) time.Time {
	if t.Status == "open" {
		return t.RespondBy
	}
	return t.ResolveBy
}

func ticketAfter(c string, f *kam.TicketFilter) error {
	var k kam.TicketKey
	ok, err := decodeCursor(c, "tickets", int32Key(&k.Priority), timeKey(&k.Due), uuidKey(&k.ID))
	if ok {
		f.After = &k
	}
	return err
}

// ticketEventsEmbedded bounds the handling records a ticket carries; the
// rest are paged at GET /v1/tickets/{id}/events.
const ticketEventsEmbedded = 50

// ticketEvents reads and registers a page of a ticket's handling records.
func (s *Server) ticketEvents(ctx context.Context, t kam.Ticket, cursor string, limit int) (Page[TicketEvent], error) {
	after, err := int64Cursor(cursor, "ticket-events")
	if err != nil {
		return Page[TicketEvent]{}, err
	}
	rows, err := s.store.ListTicketEvents(ctx, t.ID, after, int32(limit+1))
	if err != nil {
		return Page[TicketEvent]{}, problemFor(s.log, err)
	}
	if err := s.register(ctx, kam.AccessView, []uuid.UUID{t.CustomerID}, ticketSections); err != nil {
		return Page[TicketEvent]{}, err
	}
	return pageOf(rows, limit, func(e kam.TicketEvent) TicketEvent {
		return TicketEvent{Type: e.Type, StaffID: uuidString(e.StaffID), At: e.At, Note: e.Note}
	}, func(e kam.TicketEvent) string { return encodeCursor("ticket-events", int64Text(e.ID)) }), nil
}

func (s *Server) listTicketEvents(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[TicketEvent] }, error) {
	t, err := s.loadTicket(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	page, err := s.ticketEvents(ctx, t, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[TicketEvent] }{Body: page}, nil
}

func (s *Server) ticketEvent(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body TicketEventCreate
}) (*struct{ Body Ticket }, error) {
	t, err := s.loadTicket(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	if !can(p.Role, capHandleTickets) {
		return nil, s.deny(ctx, t.CustomerID, ticketSections, forbidden("your role does not handle tickets"))
	}
	t, err = archiveWrite(s, ctx, []uuid.UUID{t.CustomerID}, ticketSections, func(ctx context.Context) (kam.Ticket, error) {
		return s.store.TicketEvent(ctx, scopeOf(p), t.ID, in.Body.Type, p.ID, in.Body.Note, s.restartTicketSLA(ctx))
	})
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	if in.Body.Type != "note" && in.Body.Type != "reopen" {
		// The record is written; a lost signal only leaves a timer to fire
		// into a ticket whose state the breach step then reads.
		if err := s.procs.TicketEvent(ctx, t.ID, workflows.TicketSignal{Type: in.Body.Type, ResolveBy: t.ResolveBy}); err != nil {
			s.log.Warn("signal ticket SLA", "ticket", t.ID, "error", err)
		}
	}
	return &struct{ Body Ticket }{Body: ticketOut(t)}, nil
}

// restartTicketSLA hands a reopen to the ticket's SLA run, inside the
// reopen's transaction: to the run if it is still open, otherwise to a new
// run under the same ID, since a closed ticket's run has ended (Art. 16, 17:
// a reopened ticket is again under its resolution target).
func (s *Server) restartTicketSLA(ctx context.Context) func(kam.Ticket, kam.Tier, int) error {
	return func(t kam.Ticket, tier kam.Tier, reopened int) error {
		// Earlier reopens number this run's breach notices.
		in := workflows.TicketInput{TicketID: t.ID, CustomerID: t.CustomerID, TopTier: tier.Rank == 1, RespondBy: t.RespondBy, ResolveBy: t.ResolveBy,
			Responded: t.AcknowledgedAt != nil, Reopened: reopened}
		if err := s.procs.ReopenTicket(ctx, in, workflows.TicketSignal{Type: "reopen", ResolveBy: t.ResolveBy}); err != nil {
			return kam.StartFailed("the ticket's service targets could not be restarted", err)
		}
		return nil
	}
}
