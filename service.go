package kam

import "time"

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
