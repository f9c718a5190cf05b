package activities

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
)

// CreditSnapshot is what a settlement run needs to know of its agreement.
type CreditSnapshot struct {
	Exists bool
	// Terms is kam.TermsCash when the account buys on cash terms: no
	// settlement run follows it. Empty (histories recorded before cash
	// terms) is credit.
	Terms           string
	Status          string
	SettlementCycle string
	PaymentTermDays int32
	CycleAnchor     time.Time
	// Unpaid lists statements not yet paid in full, oldest first.
	Unpaid []StatementDue
}

// StatementDue is an unpaid statement.
type StatementDue struct {
	ID      uuid.UUID
	DueAt   time.Time
	Overdue bool
	// Reopened counts the times a reversed payment made it unpaid again.
	Reopened int32
}

// LoadCredit reads the agreement and its unpaid statements.
func (a *Activities) LoadCredit(ctx context.Context, customerID uuid.UUID) (CreditSnapshot, error) {
	ag, err := a.Store.CreditTerms(ctx, customerID)
	if errors.Is(err, kam.ErrNotFound) {
		return CreditSnapshot{}, nil
	} else if err != nil {
		return CreditSnapshot{}, err
	}
	unpaid, err := a.Store.UnpaidStatements(ctx, customerID)
	if err != nil {
		return CreditSnapshot{}, err
	}
	snap := CreditSnapshot{Exists: true, Terms: ag.Terms, Status: ag.Status, SettlementCycle: ag.SettlementCycle, PaymentTermDays: ag.PaymentTermDays,
		CycleAnchor: ag.CycleAnchor, Unpaid: []StatementDue{}}
	for _, s := range unpaid {
		snap.Unpaid = append(snap.Unpaid, StatementDue{ID: s.ID, DueAt: s.DueAt, Overdue: s.Status == kam.StatementOverdue, Reopened: s.Reopened})
	}
	return snap, nil
}

// CycleClose asks for one cycle's statement.
type CycleClose struct {
	CustomerID             uuid.UUID
	PeriodStart, PeriodEnd time.Time
	DueAt                  time.Time
}

// CloseCycle makes the cycle's statement; nil when the cycle had no charges.
func (a *Activities) CloseCycle(ctx context.Context, c CycleClose) (*StatementDue, error) {
	st, err := a.Store.CloseCycle(asProcess(ctx), c.CustomerID, c.PeriodStart, c.PeriodEnd, c.DueAt)
	if err != nil || st == nil || st.Status == kam.StatementPaid {
		return nil, err
	}
	return &StatementDue{ID: st.ID, DueAt: st.DueAt}, nil
}

// MarkOverdue marks a statement unpaid at its due time as overdue and tells
// whether it is (still) unpaid.
func (a *Activities) MarkOverdue(ctx context.Context, statementID uuid.UUID) (bool, error) {
	return a.Store.MarkStatementOverdue(asProcess(ctx), statementID)
}

// SuspendCredit stops credit purchasing while a statement is overdue
// (Art. 13) and tells whether credit stands suspended.
func (a *Activities) SuspendCredit(ctx context.Context, customerID uuid.UUID, reason string) (bool, error) {
	return a.Store.SuspendCredit(asProcess(ctx), customerID, reason)
}

// ReinstateCredit restores credit when nothing is overdue; it tells whether it did.
func (a *Activities) ReinstateCredit(ctx context.Context, customerID uuid.UUID) (bool, error) {
	return a.Store.ReinstateCredit(asProcess(ctx), customerID)
}

// ArrearsWarning asks whether outstanding has reached ratio × limit.
type ArrearsWarning struct {
	CustomerID uuid.UUID
	Ratio      string
}

// ArrearsReached tells whether the early-warning threshold (Art. 13) is reached.
func (a *Activities) ArrearsReached(ctx context.Context, w ArrearsWarning) (bool, error) {
	ag, err := a.Store.CreditTerms(ctx, w.CustomerID)
	if err != nil {
		return false, err
	}
	ratio, err := decimal.NewFromString(w.Ratio)
	if err != nil {
		return false, err
	}
	return ag.ArrearsLimit.IsPositive() && ag.Outstanding.GreaterThanOrEqual(ag.ArrearsLimit.Mul(ratio)), nil
}

// CreditEvent is a step of the settlement process persisted for the record.
type CreditEvent struct {
	CustomerID uuid.UUID
	Key        string
	Kind       string
	Detail     string
	Notice     *Notice
}

// RecordCreditEvent writes the event once, then delivers its notice once.
func (a *Activities) RecordCreditEvent(ctx context.Context, e CreditEvent) error {
	notice, err := a.optionalDelivery(ctx, e.Notice)
	if err != nil {
		return err
	}
	return a.Store.RecordCreditEvent(ctx, e.CustomerID, e.Key, e.Kind, eventDetail(e.Detail, e.Notice), notice)
}
