package kam

import (
	"time"

	"github.com/google/uuid"
)

// Ticket is a hotline ticket and where its service targets stand (Art. 16, 17).
type Ticket struct {
	ID                 uuid.UUID
	CustomerID         uuid.UUID
	Kind               string
	Subject            string
	Body               string
	Priority           int32
	Status             string
	OpenedBy           uuid.UUID
	RespondBy          time.Time
	ResolveBy          time.Time
	AcknowledgedAt     *time.Time
	ResolvedAt         *time.Time
	ClosedAt           *time.Time
	ResponseBreached   bool
	ResolutionBreached bool
	Escalated          bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Version            int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// TicketEvent is one handling record of a ticket (Art. 7.6).
type TicketEvent struct {
	ID       int64
	TicketID uuid.UUID
	Type     string
	StaffID  *uuid.UUID
	At       time.Time
	Note     string
}

// TicketKey is where the ticket queue resumes: after this priority, due
// time and id (Art. 17's order).
type TicketKey struct {
	Priority int32
	Due      time.Time
	ID       uuid.UUID
}

// TicketFilter selects a page of the ticket queue; nil fields do not filter.
type TicketFilter struct {
	Status     *string
	CustomerID *uuid.UUID
	After      *TicketKey
	Lim        int32
}
