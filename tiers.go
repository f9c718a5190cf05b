package kam

import (
	"time"

	"github.com/shopspring/decimal"
)

// Tier is a grade of key account and its service policy (Art. 3, 15).
type Tier struct {
	Code                 string
	Name                 string
	Rank                 int32
	VisitCadence         string
	TicketResponseWithin string
	TicketResolveWithin  string
	GreetingOccasions    []string
	Gift                 bool
	UpdatedAt            time.Time
}

// TierChange is a new service policy for one tier (Art. 15).
type TierChange struct {
	Code                 string
	Name                 string
	VisitCadence         string
	TicketResponseWithin string
	TicketResolveWithin  string
	GreetingOccasions    []string
	Gift                 bool
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
}

// PolicyKey is where a discount policy list resumes: after this tier and
// product category.
type PolicyKey struct {
	Tier            string
	ProductCategory string
}
