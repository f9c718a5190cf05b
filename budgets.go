package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Budget is a yearly KA budget for an account or for a tier (Art. 21): one of
// CustomerID and Tier is set.
type Budget struct {
	ID         uuid.UUID
	Year       int32
	CustomerID *uuid.UUID
	Tier       *string
	Amount     decimal.Decimal
	UpdatedAt  time.Time
	Version    int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// Cost is money spent on serving an account (Art. 21).
type Cost struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Category   string
	Amount     decimal.Decimal
	IncurredOn time.Time
	Note       string
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
}

// CostKey is where a list of costs (newest first) resumes: before this day
// and id.
type CostKey struct {
	IncurredOn time.Time
	ID         uuid.UUID
}

// BudgetLine is one account's spend in a year against its budget; an account
// without its own budget (OwnBudget false, Budget 0) draws on its tier's.
type BudgetLine struct {
	CustomerID       uuid.UUID
	Code             string
	Name             string
	Tier             string
	AccountManagerID *uuid.UUID
	Budget           decimal.Decimal
	OwnBudget        bool
	Spent            decimal.Decimal
}

// Remaining is what is left of the budget (negative when overspent).
func (l BudgetLine) Remaining() decimal.Decimal { return l.Budget.Sub(l.Spent) }

// TierBudgetLine is a tier's budget in a year against what its accounts
// without their own budget spent.
type TierBudgetLine struct {
	Tier   string
	Budget decimal.Decimal
	Spent  decimal.Decimal
}

// Remaining is what is left of the tier's budget (negative when overspent).
func (l TierBudgetLine) Remaining() decimal.Decimal { return l.Budget.Sub(l.Spent) }
