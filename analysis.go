package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Sale is one record of product use (Art. 7.5, 8): what an account bought,
// at which discount, and where it went.
type Sale struct {
	ID              uuid.UUID
	CustomerID      uuid.UUID
	Product         string
	ProductCategory string
	Quantity        decimal.Decimal
	Amount          decimal.Decimal
	AppliedRate     decimal.Decimal
	Region          string
	SoldOn          time.Time
	CreatedBy       *uuid.UUID
	CreatedAt       time.Time
}

// Satisfaction is one satisfaction survey answer (Art. 8.2).
type Satisfaction struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Score      int32
	Channel    string
	Comment    string
	SurveyedOn time.Time
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
}

// Churn is a lost account's record (Art. 8.4); a win-back stamps
// ReactivatedAt.
type Churn struct {
	ID            uuid.UUID
	CustomerID    uuid.UUID
	Reason        string
	ReasonText    string
	Destination   string
	Competitor    string
	EffectiveOn   time.Time
	RecordedBy    *uuid.UUID
	CreatedAt     time.Time
	ReactivatedAt *time.Time
	ReactivatedBy *uuid.UUID
}

// Inspection is one discount inspection (Art. 14): the grants it sampled with
// its seed and how many of their sales it checked.
type Inspection struct {
	ID            uuid.UUID
	Trigger       string
	RequestedBy   *uuid.UUID
	SampleSize    int32
	Seed          int64
	Status        string
	SampledGrants []uuid.UUID
	SalesChecked  int32
	CreatedAt     time.Time
	FinishedAt    *time.Time
	Version       int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// Finding is one sale an inspection found off the discount standard
// (Art. 14): rate_above_grant, outside_validity or no_grant. GrantID and
// GrantedRate name the grant it was held against, when there is one.
type Finding struct {
	InspectionID uuid.UUID
	SaleID       uuid.UUID
	CustomerID   uuid.UUID
	GrantID      *uuid.UUID
	Kind         string
	AppliedRate  decimal.Decimal
	GrantedRate  decimal.NullDecimal
}
