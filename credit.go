package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// CreditAgreement is an account's credit grade and agreement with its ledger
// totals (Art. 7.7, 13).
type CreditAgreement struct {
	CustomerID       uuid.UUID
	CreditLevel      string
	ArrearsLimit     decimal.Decimal
	SettlementCycle  string
	PaymentTermDays  int32
	Status           string
	Version          int32
	CreatedAt        time.Time
	UpdatedAt        time.Time
	AgreementRef     *string
	AgreementDate    *time.Time
	ChargedTotal     decimal.Decimal
	PaidTotal        decimal.Decimal
	Unapplied        decimal.Decimal
	SuspendedAt      *time.Time
	SuspensionReason *string
	ClosedAt         *time.Time
	CycleAnchor      time.Time
}

// Outstanding is what the account owes: charges less payments (negative when
// it has paid ahead).
func (a CreditAgreement) Outstanding() decimal.Decimal { return a.ChargedTotal.Sub(a.PaidTotal) }

// Statement is one settlement cycle's bill.
type Statement struct {
	ID          uuid.UUID
	CustomerID  uuid.UUID
	PeriodStart time.Time
	PeriodEnd   time.Time
	AmountDue   decimal.Decimal
	Paid        decimal.Decimal
	DueAt       time.Time
	Status      string
	CreatedAt   time.Time
	PaidAt      *time.Time
}
