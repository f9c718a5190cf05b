package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
	"kam/i18n"
)

// ParseCycle validates a settlement cycle or visit cadence with the one
// schedule rule (kam.ParseSchedule); the error names the field. A spec that
// parses but cannot be kept (30 February, @every under a second) is
// invalid_schedule (SPEC §7); anything else that is not a spec fails
// validation.
func ParseCycle(field, spec string) (kam.Schedule, error) {
	sched, err := kam.ParseSchedule(spec, time.Now())
	switch {
	case errors.Is(err, kam.ErrInvalidSchedule):
		return sched, &kam.Error{Kind: kam.KindInvalid, Code: "invalid_schedule", Field: field, Message: err.Error()}
	case err != nil:
		return sched, kam.Invalid(field, "%v", err)
	}
	return sched, nil
}

// CreditInput is the credit grade of Art. 7.7 and the agreement of Art. 13.
type CreditInput struct {
	CreditLevel     string
	ArrearsLimit    decimal.Decimal
	SettlementCycle string
	PaymentTermDays int32
	AgreementRef    *string
	AgreementDate   *time.Time
	// Close asks to close the agreement; only with nothing outstanding.
	Close bool
}

// CreditChange says what PutCredit did, so the caller knows which process to steer.
type CreditChange int

const (
	CreditOpened    CreditChange = iota + 1 // new, or reopened after closing: start the settlement run
	CreditChanged                           // terms changed: tell the run
	CreditClosedNow                         // closed: tell the run, which ends
)

// Outstanding is what the account owes now (negative: a credit balance).
func Outstanding(a dbq.CreditAgreement) decimal.Decimal { return a.ChargedTotal.Sub(a.PaidTotal) }

// PutCredit records or changes an account's credit agreement with its history
// row, in one transaction. start runs inside that transaction when a
// settlement run has to begin, so an agreement never lacks one.
func (s *Store) PutCredit(ctx context.Context, scope Scope, customerID uuid.UUID, in CreditInput, by uuid.UUID, start func() error) (kam.CreditAgreement, CreditChange, error) {
	if _, err := ParseCycle("settlement_cycle", in.SettlementCycle); err != nil {
		return kam.CreditAgreement{}, 0, err
	}
	var out dbq.CreditAgreement
	var change CreditChange
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
			return err
		}
		cur, err := q.LockCredit(ctx, customerID)
		switch {
		case errors.Is(interpret(err), kam.ErrNotFound):
			if in.Close {
				return kam.Errorf(kam.KindConflict, "no_credit_agreement", "there is no agreement to close")
			}
			out, err = q.InsertCredit(ctx, dbq.InsertCreditParams{CustomerID: customerID, CreditLevel: in.CreditLevel, ArrearsLimit: in.ArrearsLimit,
				SettlementCycle: in.SettlementCycle, PaymentTermDays: in.PaymentTermDays, AgreementRef: in.AgreementRef, AgreementDate: in.AgreementDate})
			change = CreditOpened
		case err != nil:
			return err
		default:
			out, err = q.UpdateCreditTerms(ctx, dbq.UpdateCreditTermsParams{CustomerID: customerID, CreditLevel: in.CreditLevel, ArrearsLimit: in.ArrearsLimit,
				SettlementCycle: in.SettlementCycle, PaymentTermDays: in.PaymentTermDays, AgreementRef: in.AgreementRef, AgreementDate: in.AgreementDate})
			if err != nil {
				return err
			}
			change = CreditChanged
			switch {
			case in.Close && cur.Status != kam.CreditClosed:
				unpaid, err := q.UnpaidStatements(ctx, customerID)
				if err != nil {
					return err
				}
				if Outstanding(cur).IsPositive() || len(unpaid) > 0 {
					return kam.Errorf(kam.KindConflict, "outstanding_balance", "the account still owes %s; credit closes only when nothing is outstanding", Outstanding(cur).StringFixed(2)).
						With(string(i18n.OutstandingBalance), Outstanding(cur).StringFixed(2))
				}
				out, err = q.CloseCredit(ctx, customerID)
				change = CreditClosedNow
			case !in.Close && cur.Status == kam.CreditClosed:
				out, err = q.ReopenCredit(ctx, customerID)
				change = CreditOpened
			}
		}
		if err != nil {
			return err
		}
		v := in.CreditLevel + " / " + in.ArrearsLimit.StringFixed(2) + " / " + in.SettlementCycle + " / " + out.Status
		if err := q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: customerID, StaffID: &by, Field: "credit", NewValue: &v}); err != nil {
			return err
		}
		if change == CreditOpened {
			return start()
		}
		return nil
	})
	return creditOf(out), change, err
}

// GetCredit reads an account's agreement within scope.
func (s *Store) GetCredit(ctx context.Context, scope Scope, customerID uuid.UUID) (kam.CreditAgreement, error) {
	if _, err := s.q.GetCustomer(ctx, dbq.GetCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
		return kam.CreditAgreement{}, interpret(err)
	}
	c, err := s.q.GetCredit(ctx, customerID)
	return creditOf(c), interpret(err)
}

// ListStatements lists up to lim of an account's statements, newest period
// first, ending before the given period end when there is one.
func (s *Store) ListStatements(ctx context.Context, customerID uuid.UUID, before *time.Time, lim int32) ([]kam.Statement, error) {
	rows, err := s.q.ListStatements(ctx, dbq.ListStatementsParams{CustomerID: customerID, Before: before, Lim: lim})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, statementOf), nil
}

// CreditOf turns a credit row into the domain type; it is the bridge for
// readers that still run sqlc queries themselves (api/reports.go) until they
// move behind the store.
func CreditOf(c dbq.CreditAgreement) kam.CreditAgreement { return creditOf(c) }

func creditOf(c dbq.CreditAgreement) kam.CreditAgreement {
	return kam.CreditAgreement{CustomerID: c.CustomerID, CreditLevel: c.CreditLevel, ArrearsLimit: c.ArrearsLimit,
		SettlementCycle: c.SettlementCycle, PaymentTermDays: c.PaymentTermDays, Status: c.Status, Version: c.Version,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, AgreementRef: c.AgreementRef, AgreementDate: c.AgreementDate,
		ChargedTotal: c.ChargedTotal, PaidTotal: c.PaidTotal, Unapplied: c.Unapplied, SuspendedAt: c.SuspendedAt,
		SuspensionReason: c.SuspensionReason, ClosedAt: c.ClosedAt, CycleAnchor: c.CycleAnchor}
}

func statementOf(st dbq.Statement) kam.Statement {
	return kam.Statement{ID: st.ID, CustomerID: st.CustomerID, PeriodStart: st.PeriodStart, PeriodEnd: st.PeriodEnd,
		AmountDue: st.AmountDue, Paid: st.Paid, DueAt: st.DueAt, Status: st.Status, CreatedAt: st.CreatedAt, PaidAt: st.PaidAt}
}

// LedgerEntry is a charge or a payment as recorded, and whether this call
// found it already there (an idempotent replay).
type LedgerEntry struct {
	ID        uuid.UUID
	Amount    decimal.Decimal
	Reference string
	On        time.Time
	CreatedAt time.Time
	Replayed  bool
	// Outstanding after this entry.
	Outstanding decimal.Decimal
}

// Charge admits a purchase on credit (Art. 13) under the agreement's row lock:
// refused while credit is suspended or closed, and when it would take the
// outstanding amount past the arrears limit. A repeated reference returns the
// first charge.
func (s *Store) Charge(ctx context.Context, scope Scope, customerID uuid.UUID, amount decimal.Decimal, reference string, on time.Time, by uuid.UUID) (LedgerEntry, error) {
	var out LedgerEntry
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		a, err := lockLedger(ctx, q, scope, customerID)
		if err != nil {
			return err
		}
		prev, err := q.GetChargeByReference(ctx, dbq.GetChargeByReferenceParams{CustomerID: customerID, Reference: reference})
		if done, err := replay(&out, a, err, "charge", LedgerEntry{ID: prev.ID, Amount: prev.Amount, Reference: prev.Reference, On: prev.OccurredOn, CreatedAt: prev.CreatedAt}, amount, on); done || err != nil {
			return err
		}
		switch a.Status {
		case kam.CreditSuspended:
			return kam.Errorf(kam.KindConflict, "credit_suspended", "credit purchasing is stopped until the overdue statement is settled (Art. 13)")
		case kam.CreditClosed:
			return kam.Errorf(kam.KindConflict, "credit_closed", "the credit agreement is closed")
		}
		after := Outstanding(a).Add(amount)
		if after.GreaterThan(a.ArrearsLimit) {
			return &kam.Error{Kind: kam.KindInvalid, Code: "arrears_limit_exceeded", Field: "amount",
				Message: "outstanding " + Outstanding(a).StringFixed(2) + " + " + amount.StringFixed(2) + " would exceed the arrears limit " + a.ArrearsLimit.StringFixed(2)}
		}
		c, err := q.InsertCharge(ctx, dbq.InsertChargeParams{ID: NewID(), CustomerID: customerID, Amount: amount, Reference: reference, OccurredOn: on, CreatedBy: &by})
		if err != nil {
			return err
		}
		if err := q.AddCharged(ctx, dbq.AddChargedParams{CustomerID: customerID, ChargedTotal: amount}); err != nil {
			return err
		}
		out = LedgerEntry{ID: c.ID, Amount: c.Amount, Reference: c.Reference, On: c.OccurredOn, CreatedAt: c.CreatedAt, Outstanding: after}
		return nil
	})
	return out, err
}

// Pay records a remittance (Art. 7.5) and applies it to the oldest unpaid
// statement first; what is left waits for the next statement (charges not
// yet billed) or stays as a credit balance. A repeated reference returns the
// first payment.
func (s *Store) Pay(ctx context.Context, scope Scope, customerID uuid.UUID, amount decimal.Decimal, reference string, on time.Time, by uuid.UUID) (LedgerEntry, error) {
	var out LedgerEntry
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		a, err := lockLedger(ctx, q, scope, customerID)
		if err != nil {
			return err
		}
		prev, err := q.GetPaymentByReference(ctx, dbq.GetPaymentByReferenceParams{CustomerID: customerID, Reference: reference})
		if done, err := replay(&out, a, err, "payment", LedgerEntry{ID: prev.ID, Amount: prev.Amount, Reference: prev.Reference, On: prev.ReceivedOn, CreatedAt: prev.CreatedAt}, amount, on); done || err != nil {
			return err
		}
		p, err := q.InsertPayment(ctx, dbq.InsertPaymentParams{ID: NewID(), CustomerID: customerID, Amount: amount, Reference: reference, ReceivedOn: on, CreatedBy: &by})
		if err != nil {
			return err
		}
		left, err := applyCredit(ctx, q, customerID, a.Unapplied.Add(amount))
		if err != nil {
			return err
		}
		if err := q.AddPaid(ctx, dbq.AddPaidParams{CustomerID: customerID, PaidTotal: amount, Unapplied: left}); err != nil {
			return err
		}
		out = LedgerEntry{ID: p.ID, Amount: p.Amount, Reference: p.Reference, On: p.ReceivedOn, CreatedAt: p.CreatedAt, Outstanding: Outstanding(a).Sub(amount)}
		return nil
	})
	return out, err
}

// lockLedger takes the agreement's row lock for a ledger entry, within the
// caller's scope.
func lockLedger(ctx context.Context, q *dbq.Queries, scope Scope, customerID uuid.UUID) (dbq.CreditAgreement, error) {
	if _, err := q.GetCustomer(ctx, dbq.GetCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
		return dbq.CreditAgreement{}, err
	}
	a, err := q.LockCredit(ctx, customerID)
	if errors.Is(interpret(err), kam.ErrNotFound) {
		return a, kam.Errorf(kam.KindConflict, "no_credit_agreement", "this account has no credit agreement")
	}
	return a, err
}

// replay answers a repeated reference with the first entry (done), refuses
// one reused with other values, and lets a new reference through. lookupErr
// is the error of looking the reference up; prev is what was found.
func replay(out *LedgerEntry, a dbq.CreditAgreement, lookupErr error, what string, prev LedgerEntry, amount decimal.Decimal, on time.Time) (bool, error) {
	if errors.Is(interpret(lookupErr), kam.ErrNotFound) {
		return false, nil
	}
	if lookupErr != nil {
		return false, lookupErr
	}
	if !prev.Amount.Equal(amount) || !prev.On.Equal(on) {
		return false, &kam.Error{Kind: kam.KindConflict, Code: "duplicate_reference", Field: "reference", Message: "this reference was used for a different " + what}
	}
	prev.Replayed, prev.Outstanding = true, Outstanding(a)
	*out = prev
	return true, nil
}

// applyCredit sets money against unpaid statements, oldest first, and
// returns what is left over. The caller holds the agreement's lock.
func applyCredit(ctx context.Context, q *dbq.Queries, customerID uuid.UUID, money decimal.Decimal) (decimal.Decimal, error) {
	if !money.IsPositive() {
		return money, nil
	}
	unpaid, err := q.UnpaidStatementsForUpdate(ctx, customerID)
	if err != nil {
		return money, err
	}
	for _, st := range unpaid {
		if !money.IsPositive() {
			break
		}
		part := decimal.Min(money, st.AmountDue.Sub(st.Paid))
		if err := q.ApplyToStatement(ctx, dbq.ApplyToStatementParams{ID: st.ID, Amount: part}); err != nil {
			return money, err
		}
		money = money.Sub(part)
	}
	return money, nil
}

// CloseCycle turns the charges made before periodEnd and not yet billed into
// one statement due at dueAt, and sets any money paid ahead against it. A
// cycle with no charges makes no statement (nil). Idempotent per period.
func (s *Store) CloseCycle(ctx context.Context, customerID uuid.UUID, periodStart, periodEnd, dueAt time.Time) (*dbq.Statement, error) {
	var out *dbq.Statement
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		a, err := q.LockCredit(ctx, customerID)
		if err != nil {
			return err
		}
		if st, err := q.GetStatementByPeriod(ctx, dbq.GetStatementByPeriodParams{CustomerID: customerID, PeriodEnd: periodEnd}); err == nil {
			out = &st
			return nil
		} else if !errors.Is(interpret(err), kam.ErrNotFound) {
			return err
		}
		total, err := q.UnbilledTotal(ctx, dbq.UnbilledTotalParams{CustomerID: customerID, PeriodEnd: periodEnd})
		if err != nil || !total.IsPositive() {
			return err
		}
		st, err := q.InsertStatement(ctx, dbq.InsertStatementParams{ID: NewID(), CustomerID: customerID, PeriodStart: periodStart, PeriodEnd: periodEnd, AmountDue: total, DueAt: dueAt})
		if err != nil {
			return err
		}
		if err := q.BillCharges(ctx, dbq.BillChargesParams{CustomerID: customerID, StatementID: &st.ID, PeriodEnd: periodEnd}); err != nil {
			return err
		}
		left, err := applyCredit(ctx, q, customerID, a.Unapplied)
		if err != nil {
			return err
		}
		if err := q.SetUnapplied(ctx, dbq.SetUnappliedParams{CustomerID: customerID, Unapplied: left}); err != nil {
			return err
		}
		st, err = q.GetStatement(ctx, st.ID)
		out = &st
		return err
	})
	return out, err
}

// CreditTerms reads an agreement's terms and outstanding balance for the
// settlement process; kam.ErrNotFound when the account has none.
func (s *Store) CreditTerms(ctx context.Context, customerID uuid.UUID) (kam.CreditTerms, error) {
	a, err := s.q.GetCredit(ctx, customerID)
	if err != nil {
		return kam.CreditTerms{}, interpret(err)
	}
	return kam.CreditTerms{CustomerID: a.CustomerID, Status: a.Status, SettlementCycle: a.SettlementCycle,
		PaymentTermDays: a.PaymentTermDays, CycleAnchor: a.CycleAnchor, ArrearsLimit: a.ArrearsLimit, Outstanding: Outstanding(a)}, nil
}

// UnpaidStatements lists the account's statements not yet paid in full, oldest first.
func (s *Store) UnpaidStatements(ctx context.Context, customerID uuid.UUID) ([]kam.StatementStanding, error) {
	rows, err := s.q.UnpaidStatements(ctx, customerID)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.StatementStanding, 0, len(rows))
	for _, r := range rows {
		out = append(out, kam.StatementStanding{ID: r.ID, Status: r.Status, DueAt: r.DueAt})
	}
	return out, nil
}

// MarkStatementOverdue marks a statement still unpaid at its due time as
// overdue, and tells whether it is overdue now; repeating it changes nothing
// (a paid or already overdue statement is left as it is).
func (s *Store) MarkStatementOverdue(ctx context.Context, statementID uuid.UUID) (bool, error) {
	if _, err := s.q.MarkOverdue(ctx, statementID); err != nil && !errors.Is(interpret(err), kam.ErrNotFound) {
		return false, interpret(err)
	}
	st, err := s.q.GetStatement(ctx, statementID)
	if err != nil {
		return false, interpret(err)
	}
	return st.Status == kam.StatementOverdue, nil
}

// SuspendCredit stops credit purchasing (Art. 13); repeating it changes nothing.
func (s *Store) SuspendCredit(ctx context.Context, customerID uuid.UUID, reason string) error {
	_, err := s.q.SuspendCredit(ctx, dbq.SuspendCreditParams{CustomerID: customerID, SuspensionReason: &reason})
	return interpret(err)
}

// ReinstateCredit restores a suspended agreement when nothing is overdue and
// tells whether it did.
func (s *Store) ReinstateCredit(ctx context.Context, customerID uuid.UUID) (bool, error) {
	n, err := s.q.ReinstateCredit(ctx, customerID)
	return n > 0, interpret(err)
}

// RecordCreditEvent stores a settlement event once per key; a repeat is a no-op.
func (s *Store) RecordCreditEvent(ctx context.Context, customerID uuid.UUID, key, kind, detail string) error {
	_, err := s.q.InsertCreditEvent(ctx, dbq.InsertCreditEventParams{CustomerID: customerID, EventKey: key, Kind: kind, Detail: detail})
	return interpret(err)
}

// OpenAgreements lists a page of the accounts whose credit agreement is open,
// keyset by customer id.
func (s *Store) OpenAgreements(ctx context.Context, after *uuid.UUID, limit int32) ([]uuid.UUID, error) {
	ids, err := s.q.OpenAgreements(ctx, dbq.OpenAgreementsParams{After: after, Lim: limit})
	return ids, interpret(err)
}
