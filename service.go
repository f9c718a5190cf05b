package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Credit agreement statuses (Art. 13).
const (
	CreditActive    = "active"
	CreditSuspended = "suspended"
	CreditClosed    = "closed"
)

// Ticket kinds and statuses (Art. 16, 17).
var TicketKinds = []string{"inquiry", "complaint", "claim", "shipping"}

const (
	TicketOpen         = "open"
	TicketAcknowledged = "acknowledged"
	TicketResolved     = "resolved"
	TicketClosed       = "closed"
)

// TicketPriority ranks a ticket, 1 first: the account's tier first (Art. 17,
// key accounts first), and within a tier complaints and claims before
// inquiries and shipping questions.
func TicketPriority(tierRank int32, kind string) int32 {
	p := (tierRank-1)*2 + 1
	if kind != "complaint" && kind != "claim" {
		p++
	}
	return p
}

// LeadDays is how many days ahead of an occasion its greeting task appears
// (Art. 19).
func LeadDays(lead time.Duration) int32 { return int32(lead / (24 * time.Hour)) }

// CreditTerms is what the settlement process reads of a credit agreement
// (Art. 13): its terms and what the account owes now.
type CreditTerms struct {
	CustomerID      uuid.UUID
	Terms           string // TermsCredit or TermsCash; cash has no cycle, limit or run
	Status          string
	SettlementCycle string
	PaymentTermDays int32
	CycleAnchor     time.Time
	ArrearsLimit    decimal.Decimal
	Outstanding     decimal.Decimal
}

// Statement statuses (Art. 13).
const (
	StatementOpen    = "open"
	StatementOverdue = "overdue"
	StatementPaid    = "paid"
)

// StatementStanding is a settlement statement's standing.
type StatementStanding struct {
	ID     uuid.UUID
	Status string
	DueAt  time.Time
	// Reopened counts the times a reversed payment made it unpaid again.
	Reopened int32
}

// TicketStanding is what the SLA process needs to know of a ticket now
// (Art. 17): whether it has been answered or settled.
type TicketStanding struct {
	Status         string
	AcknowledgedAt *time.Time
}

// GreetingTask is one greeting task of a day (Art. 19); its title is
// worded from Occasion, CustomerName and Subject (see Greeting).
type GreetingTask struct {
	ID               uuid.UUID
	CustomerID       uuid.UUID
	AccountManagerID *uuid.UUID
	Status           string
	Occasion         string
	CustomerName     string
	Subject          string
	OccasionOn       time.Time
	Gift             bool
}
