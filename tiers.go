package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Tier is a grade of key account, its service policy (Art. 3, 15) and what
// an account needs to be graded into it (Art. 2): MinAnnualRevenue over the
// last twelve months, bought in at least MinActiveMonths of them. Rank 1 is
// the highest tier; ranks are unique.
type Tier struct {
	Code                 string
	Name                 string
	Rank                 int32
	VisitCadence         string
	TicketResponseWithin string
	TicketResolveWithin  string
	GreetingOccasions    []string
	Gift                 bool
	MinAnnualRevenue     decimal.Decimal
	MinActiveMonths      int32
	UpdatedAt            time.Time
	Version              int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// MaxTicketWithin bounds a tier's ticket response and resolution targets by
// the horizon a schedule must fire within (SPEC §7): a target of
// "2562047h" put a ticket's due time in the 24th century, past any date kam
// stores.
const MaxTicketWithin = ScheduleHorizon * 365 * 24 * time.Hour

// ValidTicketWithin tells whether s is a ticket target: a positive Go
// duration of at most MaxTicketWithin.
func ValidTicketWithin(s string) bool {
	d, err := time.ParseDuration(s)
	return err == nil && d > 0 && d <= MaxTicketWithin
}

// TierChange is a tier's new service policy (Art. 15). A missing tier is
// created, and then Rank is required; for an existing one a nil Rank,
// MinAnnualRevenue or MinActiveMonths keeps what it has (a new tier starts
// at 0 for both: every active account meets it).
type TierChange struct {
	Code                 string
	Name                 string
	VisitCadence         string
	TicketResponseWithin string
	TicketResolveWithin  string
	GreetingOccasions    []string
	Gift                 bool
	Rank                 *int32
	MinAnnualRevenue     *decimal.Decimal
	MinActiveMonths      *int32
}

// TierHistoryEntry is one recorded change of a tier: who, when, which field,
// old and new (SPEC §7). A new tier's fields have no old value.
type TierHistoryEntry struct {
	ID        int64
	Tier      string
	StaffID   *uuid.UUID
	StaffName *string
	At        time.Time
	Field     string
	OldValue  *string
	NewValue  *string
}

// TierKey is where a tier list resumes: after this rank and code.
type TierKey struct {
	Rank int32
	Code string
}

// DiscountPolicy is what the KA Department may approve per tier and line of
// business (Art. 12).
type DiscountPolicy struct {
	Tier            string
	ProductCategory string
	MaxStandardRate decimal.Decimal
	HardCapRate     decimal.Decimal
	Methods         []string
	UpdatedAt       time.Time
	Version         int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// PolicyHistoryEntry is one change of one field of a discount policy.
type PolicyHistoryEntry struct {
	ID              int64
	Tier            string
	ProductCategory string
	StaffID         *uuid.UUID
	StaffName       *string
	At              time.Time
	Field           string
	OldValue        *string
	NewValue        *string
}

// PolicyKey is where a discount policy list resumes: after this tier and
// product category.
type PolicyKey struct {
	Tier            string
	ProductCategory string
}
