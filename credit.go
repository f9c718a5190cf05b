package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Credit terms (SPEC §7 "Ledger"): on credit terms the account buys on
// credit within a limit and settles per cycle, followed by a settlement run
// (Art. 13); on cash terms it has no limit, no cycle and no run, and its
// payments are still recorded (Art. 7.5).
const (
	TermsCredit = "credit"
	TermsCash   = "cash"
)

// CreditAgreement is an account's credit grade and agreement with its ledger
// totals (Art. 7.7, 13). Under cash terms ArrearsLimit, SettlementCycle and
// PaymentTermDays are zero: there are none.
type CreditAgreement struct {
	CustomerID       uuid.UUID
	Terms            string
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

// Statement is one settlement cycle's bill. AmountDue is what it billed;
// Reversed is what reversals of its charges have taken off since, so it is
// settled once Paid reaches AmountDue - Reversed.
type Statement struct {
	ID          uuid.UUID
	CustomerID  uuid.UUID
	PeriodStart time.Time
	PeriodEnd   time.Time
	AmountDue   decimal.Decimal
	Reversed    decimal.Decimal
	Paid        decimal.Decimal
	DueAt       time.Time
	Status      string
	CreatedAt   time.Time
	PaidAt      *time.Time
	Reopened    int32
	Version     int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// Balance is what is left to pay on the statement.
func (s Statement) Balance() decimal.Decimal { return s.AmountDue.Sub(s.Reversed).Sub(s.Paid) }

// LedgerEntry is a charge (a purchase on credit) or a payment (a remittance,
// Art. 7.5) as recorded. Entries are never deleted nor changed: a mistaken
// one is corrected by its reversal, an entry of the opposite sign with the
// same reference and date that names it (ReversalOf) and says why (Reason).
type LedgerEntry struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Amount     decimal.Decimal
	Reference  string
	On         time.Time // occurred_on of a charge, received_on of a payment
	CreatedAt  time.Time
	CreatedBy  *uuid.UUID
	// StatementID is the statement a charge is billed on (nil: not yet billed,
	// and always nil for a payment).
	StatementID *uuid.UUID
	ReversalOf  *uuid.UUID // this entry reverses that one
	ReversedBy  *uuid.UUID // that entry reverses this one
	Reason      *string    // why a reversal was made
	Version     int32      // moves by one when billed and when reversed (SPEC §3)
}

// Posting is what a ledger write answers: the entry, whether it was already
// there (an idempotent replay by reference), and what the account owes after it.
type Posting struct {
	LedgerEntry
	Replayed    bool
	Outstanding decimal.Decimal
}

// ErrAlreadyReversed refuses a second reversal of one entry (409): a
// mistaken entry is corrected once.
var ErrAlreadyReversed = &Error{Kind: KindConflict, Code: "already_reversed", Message: "this entry has already been reversed"}

// ErrNotReversible refuses the reversal of a reversal (409): to undo a
// reversal, record the entry again under a new reference.
var ErrNotReversible = &Error{Kind: KindConflict, Code: "not_reversible", Message: "this entry is itself a reversal; record the entry again under a new reference instead"}

// Arrears is one account's standing in the arrears overview (Art. 10, 13):
// its agreement and what of it is overdue. Overdue counts the statements
// unpaid past their due time, whether or not the settlement run has marked
// them yet.
type Arrears struct {
	Agreement         CreditAgreement
	CustomerCode      string
	CustomerName      string
	Tier              string
	AccountManagerID  *uuid.UUID
	Unbilled          decimal.Decimal // charged, not yet on a statement
	OverdueAmount     decimal.Decimal
	OverdueStatements int32
	OldestDueAt       *time.Time // the oldest overdue statement's due time
}
