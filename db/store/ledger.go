package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
)

// Reversal asks for the correcting entry of one charge or payment.
type Reversal struct {
	CustomerID uuid.UUID
	EntryID    uuid.UUID
	Reason     string
	By         uuid.UUID
}

// mayReverse is the rule of a correction: once, and never of a correction.
func mayReverse(e kam.LedgerEntry) error {
	switch {
	case e.ReversalOf != nil:
		return kam.ErrNotReversible
	case e.ReversedBy != nil:
		return kam.ErrAlreadyReversed
	}
	return nil
}

// ReverseCharge corrects a charge with its reversal (SPEC §7 "Ledger"): a
// charge of the opposite amount that names it, never a delete or a change
// of its amount. Unbilled, the two are billed together at the next cycle
// close (by the original's time, so a close racing the reversal bills both
// or neither). Billed, the statement asks that much less, and what was paid
// on it beyond its new balance settles other statements or stays as a
// credit balance. kam.ErrNotFound for a charge not of this account.
func (s *Store) ReverseCharge(ctx context.Context, scope Scope, r Reversal) (kam.Posting, error) {
	var out kam.Posting
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		a, err := lockLedger(ctx, q, scope, r.CustomerID)
		if err != nil {
			return err
		}
		orig, err := q.GetCharge(ctx, dbq.GetChargeParams{CustomerID: r.CustomerID, ID: r.EntryID})
		if err != nil {
			return err
		}
		if err := mayReverse(chargeOf(orig.CreditCharge, orig.ReversedBy)); err != nil {
			return err
		}
		rev, err := q.InsertChargeReversal(ctx, dbq.InsertChargeReversalParams{ID: NewID(), CreatedBy: &r.By, Reason: &r.Reason, OriginalID: orig.CreditCharge.ID})
		if err != nil {
			return err
		}
		if err := q.TouchCharge(ctx, orig.CreditCharge.ID); err != nil {
			return err
		}
		unapplied := a.Unapplied
		if rev.StatementID != nil {
			excess, err := creditStatement(ctx, q, *rev.StatementID, rev.Amount.Neg())
			if err != nil {
				return err
			}
			if unapplied, err = applyCredit(ctx, q, r.CustomerID, unapplied.Add(excess)); err != nil {
				return err
			}
		}
		if err := q.AddCharged(ctx, dbq.AddChargedParams{CustomerID: r.CustomerID, ChargedTotal: rev.Amount}); err != nil {
			return err
		}
		if err := q.SetUnapplied(ctx, dbq.SetUnappliedParams{CustomerID: r.CustomerID, Unapplied: unapplied}); err != nil {
			return err
		}
		out = kam.Posting{LedgerEntry: chargeOf(rev, nil), Outstanding: outstanding(a).Add(rev.Amount)}
		return nil
	})
	return out, err
}

// creditStatement takes a reversed charge's amount off the statement it was
// billed on and returns what had been paid on it beyond its new balance. A
// statement with nothing left to pay is paid. The caller holds the
// agreement's lock.
func creditStatement(ctx context.Context, q *dbq.Queries, id uuid.UUID, amount decimal.Decimal) (decimal.Decimal, error) {
	st, err := q.LockStatement(ctx, id)
	if err != nil {
		return decimal.Zero, err
	}
	reversed := st.Reversed.Add(amount)
	owed := st.AmountDue.Sub(reversed)
	paid := decimal.Min(st.Paid, owed)
	status, paidAt := st.Status, st.PaidAt
	if paid.GreaterThanOrEqual(owed) && status != kam.StatementPaid {
		now := time.Now()
		status, paidAt = kam.StatementPaid, &now
	}
	return st.Paid.Sub(paid), q.SetStatementStanding(ctx, dbq.SetStatementStandingParams{ID: id, Reversed: reversed, Paid: paid,
		Status: status, PaidAt: paidAt, Reopened: st.Reopened})
}

// ReversePayment corrects a payment with its reversal (a remittance that
// bounced or was booked to the wrong account): a payment of the opposite
// amount that names it. Its money is taken back from the credit balance
// first, then from the statements it settled, newest first; a statement
// it had paid is unpaid again (and counted as reopened), and the settlement
// run follows it afresh: overdue at once when its due time has passed.
func (s *Store) ReversePayment(ctx context.Context, scope Scope, r Reversal) (kam.Posting, error) {
	var out kam.Posting
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		a, err := lockLedger(ctx, q, scope, r.CustomerID)
		if err != nil {
			return err
		}
		orig, err := q.GetPayment(ctx, dbq.GetPaymentParams{CustomerID: r.CustomerID, ID: r.EntryID})
		if err != nil {
			return err
		}
		if err := mayReverse(paymentOf(orig.CreditPayment, orig.ReversedBy)); err != nil {
			return err
		}
		rev, err := q.InsertPaymentReversal(ctx, dbq.InsertPaymentReversalParams{ID: NewID(), CreatedBy: &r.By, Reason: &r.Reason, OriginalID: orig.CreditPayment.ID})
		if err != nil {
			return err
		}
		if err := q.TouchPayment(ctx, orig.CreditPayment.ID); err != nil {
			return err
		}
		back := rev.Amount.Neg()
		fromBalance := decimal.Min(back, decimal.Max(a.Unapplied, decimal.Zero))
		// No settlement run follows an agreement on cash terms or closed
		// (Art. 13): a statement reopened past its due time is overdue now,
		// or nothing ever marks it.
		unfollowed := a.Terms == kam.TermsCash || a.Status == kam.CreditClosed
		if err := unapply(ctx, q, r.CustomerID, back.Sub(fromBalance), unfollowed); err != nil {
			return err
		}
		if err := q.AddPaid(ctx, dbq.AddPaidParams{CustomerID: r.CustomerID, PaidTotal: rev.Amount, Unapplied: a.Unapplied.Sub(fromBalance)}); err != nil {
			return err
		}
		out = kam.Posting{LedgerEntry: paymentOf(rev, nil), Outstanding: outstanding(a).Sub(rev.Amount)}
		return nil
	})
	return out, err
}

// unapply takes money back from the statements it settled, newest first.
// A statement it unpays is open again, or overdue at once when unfollowed
// (no settlement run will mark it) and its due time has passed. The caller
// holds the agreement's lock. What was applied is never less than
// a payment still standing (its money is in the balance or on statements),
// so anything left over is a broken ledger, and nothing is written.
func unapply(ctx context.Context, q *dbq.Queries, customerID uuid.UUID, money decimal.Decimal, unfollowed bool) error {
	if !money.IsPositive() {
		return nil
	}
	paid, err := q.PaidStatementsForUpdate(ctx, customerID)
	if err != nil {
		return err
	}
	for _, st := range paid {
		if !money.IsPositive() {
			break
		}
		part := decimal.Min(money, st.Paid)
		status, reopened := st.Status, st.Reopened
		if status == kam.StatementPaid {
			status, reopened = kam.StatementOpen, reopened+1
			if unfollowed && !st.DueAt.After(time.Now()) {
				status = kam.StatementOverdue
			}
		}
		if err := q.SetStatementStanding(ctx, dbq.SetStatementStandingParams{ID: st.ID, Reversed: st.Reversed, Paid: st.Paid.Sub(part),
			Status: status, Reopened: reopened}); err != nil {
			return err
		}
		money = money.Sub(part)
	}
	if money.IsPositive() {
		return fmt.Errorf("credit ledger of %s: %s of a reversed payment was applied nowhere", customerID, money.StringFixed(2))
	}
	return nil
}

// LedgerPage asks for a page of an account's charges or payments, newest
// first, after the entry (BeforeAt, BeforeID) when there is one.
type LedgerPage struct {
	CustomerID uuid.UUID
	BeforeAt   *time.Time
	BeforeID   *uuid.UUID
	Limit      int32
}

// ListCharges lists a page of an account's charges and their reversals.
func (s *Store) ListCharges(ctx context.Context, p LedgerPage) ([]kam.LedgerEntry, error) {
	rows, err := s.q.ListCharges(ctx, dbq.ListChargesParams{CustomerID: p.CustomerID, BeforeAt: p.BeforeAt, BeforeID: p.BeforeID, Lim: p.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.ListChargesRow) kam.LedgerEntry { return chargeOf(r.CreditCharge, r.ReversedBy) }), nil
}

// ListPayments lists a page of an account's payments and their reversals.
func (s *Store) ListPayments(ctx context.Context, p LedgerPage) ([]kam.LedgerEntry, error) {
	rows, err := s.q.ListPayments(ctx, dbq.ListPaymentsParams{CustomerID: p.CustomerID, BeforeAt: p.BeforeAt, BeforeID: p.BeforeID, Lim: p.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.ListPaymentsRow) kam.LedgerEntry { return paymentOf(r.CreditPayment, r.ReversedBy) }), nil
}

// ArrearsFilter narrows the arrears overview; After* is the keyset of the
// page's previous account (code, id).
type ArrearsFilter struct {
	Status           *string
	Terms            *string
	OverdueOnly      bool
	AccountManagerID *uuid.UUID // one account manager's accounts
	AfterCode        *string
	AfterID          *uuid.UUID
	Limit            int32
}

// Arrears lists a page of credit agreements within scope, by account code,
// with what of each is overdue (Art. 10, 13).
func (s *Store) Arrears(ctx context.Context, scope Scope, f ArrearsFilter) ([]kam.Arrears, error) {
	rows, err := s.q.ArrearsPage(ctx, dbq.ArrearsPageParams{Status: f.Status, Terms: f.Terms, OverdueOnly: f.OverdueOnly,
		ManagerID: scope.ManagerID, AccountManagerID: f.AccountManagerID, AfterCode: f.AfterCode, AfterID: f.AfterID, Lim: f.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.ArrearsPageRow) kam.Arrears {
		return kam.Arrears{Agreement: creditOf(r.CreditAgreement), CustomerCode: r.Code, CustomerName: r.Name, Tier: r.Tier,
			AccountManagerID: r.AccountManagerID, Unbilled: r.Unbilled, OverdueAmount: r.OverdueAmount,
			OverdueStatements: r.OverdueStatements, OldestDueAt: r.OldestDueAt}
	}), nil
}
