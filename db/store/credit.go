package store

import (
	"context"
	"errors"
	"strconv"
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
	// Terms is kam.TermsCredit ("" too) or kam.TermsCash; under cash terms
	// ArrearsLimit, SettlementCycle and PaymentTermDays are not kept.
	Terms           string
	CreditLevel     string
	ArrearsLimit    decimal.Decimal
	SettlementCycle string
	PaymentTermDays int32
	AgreementRef    *string
	AgreementDate   *time.Time
	// Close asks to close the agreement; only with nothing outstanding.
	Close bool
}

func (in CreditInput) cash() bool { return in.Terms == kam.TermsCash }

// columns are the terms as stored: none of limit, cycle and payment term
// under cash terms.
func (in CreditInput) columns() (terms string, limit decimal.NullDecimal, cycle *string, days *int32) {
	if in.cash() {
		return kam.TermsCash, decimal.NullDecimal{}, nil, nil
	}
	return kam.TermsCredit, decimal.NullDecimal{Decimal: in.ArrearsLimit, Valid: true}, &in.SettlementCycle, &in.PaymentTermDays
}

// CreditChange says what PutCredit did, so the caller knows which process to steer.
type CreditChange int

const (
	CreditOpened    CreditChange = iota + 1 // new on credit terms, reopened, or credit after cash: start the settlement run
	CreditChanged                           // terms changed: tell the run
	CreditClosedNow                         // closed: tell the run, which ends
	CreditCash                              // on cash terms: no run starts; a running one is told, and ends
)

// outstanding is what the account owes now (negative: a credit balance).
func outstanding(a dbq.CreditAgreement) decimal.Decimal { return a.ChargedTotal.Sub(a.PaidTotal) }

// PutCredit records or changes an account's credit agreement with a history
// row per field it changed, in one transaction. start runs inside that transaction when a
// settlement run has to begin, so an agreement on credit terms never lacks
// one. Closing, and moving from credit to cash terms, need nothing owed.
func (s *Store) PutCredit(ctx context.Context, scope Scope, customerID uuid.UUID, in CreditInput, by uuid.UUID, start func() error) (kam.CreditAgreement, CreditChange, error) {
	if !in.cash() {
		if _, err := ParseCycle("settlement_cycle", in.SettlementCycle); err != nil {
			return kam.CreditAgreement{}, 0, err
		}
	}
	var out dbq.CreditAgreement
	var change CreditChange
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
			return err
		}
		cur, err := q.LockCredit(ctx, customerID)
		var before *dbq.CreditAgreement
		switch {
		case errors.Is(interpret(err), kam.ErrNotFound):
			out, change, err = openCredit(ctx, q, customerID, in)
		case err == nil:
			before = &cur
			out, change, err = changeCredit(ctx, q, cur, in)
		}
		if err != nil {
			return err
		}
		var rows []dbq.CopyHistoryParams
		for _, ch := range creditChanges(before, out) {
			rows = append(rows, dbq.CopyHistoryParams{CustomerID: customerID, StaffID: &by, Field: ch.Field, OldValue: ch.Old, NewValue: ch.New})
		}
		if err := copyHistory(ctx, q, rows); err != nil {
			return err
		}
		if change == CreditOpened {
			return start()
		}
		return nil
	})
	return creditOf(out), change, err
}

// creditFields are the agreement's fields as its history shows them, in
// the order of its resource.
var creditFields = []struct {
	name  string
	value func(a *dbq.CreditAgreement) *string
}{
	{"terms", func(a *dbq.CreditAgreement) *string { return &a.Terms }},
	{"credit_level", func(a *dbq.CreditAgreement) *string { return &a.CreditLevel }},
	{"arrears_limit", func(a *dbq.CreditAgreement) *string { return decStr(a.ArrearsLimit) }},
	{"settlement_cycle", func(a *dbq.CreditAgreement) *string { return a.SettlementCycle }},
	{"payment_term_days", func(a *dbq.CreditAgreement) *string {
		if a.PaymentTermDays == nil {
			return nil
		}
		return strp(strconv.Itoa(int(*a.PaymentTermDays)))
	}},
	{"agreement_reference", func(a *dbq.CreditAgreement) *string { return a.AgreementRef }},
	{"agreement_date", func(a *dbq.CreditAgreement) *string { return dateStr(a.AgreementDate) }},
	{"status", func(a *dbq.CreditAgreement) *string { return &a.Status }},
}

// creditChanges are the fields a PUT changed, each with its old and new
// value (SPEC §3 /history); before is nil for a new agreement. None when it
// changed nothing.
func creditChanges(before *dbq.CreditAgreement, after dbq.CreditAgreement) []Change {
	var out []Change
	for _, f := range creditFields {
		var old *string
		if before != nil {
			old = f.value(before)
		}
		if now := f.value(&after); !eqStr(old, now) {
			out = append(out, Change{Field: kam.CreditField(f.name), Old: old, New: now})
		}
	}
	return out
}

// openCredit records an account's first agreement.
func openCredit(ctx context.Context, q *dbq.Queries, customerID uuid.UUID, in CreditInput) (dbq.CreditAgreement, CreditChange, error) {
	if in.Close {
		return dbq.CreditAgreement{}, 0, kam.Errorf(kam.KindConflict, "no_credit_agreement", "there is no agreement to close")
	}
	terms, limit, cycle, days := in.columns()
	out, err := q.InsertCredit(ctx, dbq.InsertCreditParams{CustomerID: customerID, Terms: terms, CreditLevel: in.CreditLevel, ArrearsLimit: limit,
		SettlementCycle: cycle, PaymentTermDays: days, AgreementRef: in.AgreementRef, AgreementDate: in.AgreementDate})
	if in.cash() {
		return out, CreditCash, err
	}
	return out, CreditOpened, err
}

// changeCredit changes an agreement's terms under its lock, and closes,
// reopens or moves it between credit and cash terms.
func changeCredit(ctx context.Context, q *dbq.Queries, cur dbq.CreditAgreement, in CreditInput) (dbq.CreditAgreement, CreditChange, error) {
	open, wasCash := cur.Status != kam.CreditClosed, cur.Terms == kam.TermsCash
	switch {
	case in.Close && open:
		if err := nothingOwed(ctx, q, cur, "credit closes only when nothing is outstanding"); err != nil {
			return cur, 0, err
		}
	case in.cash() && !wasCash && open:
		if err := nothingOwed(ctx, q, cur, "cash terms begin only when nothing is outstanding"); err != nil {
			return cur, 0, err
		}
	}
	terms, limit, cycle, days := in.columns()
	out, err := q.UpdateCreditTerms(ctx, dbq.UpdateCreditTermsParams{CustomerID: cur.CustomerID, Terms: terms, CreditLevel: in.CreditLevel, ArrearsLimit: limit,
		SettlementCycle: cycle, PaymentTermDays: days, AgreementRef: in.AgreementRef, AgreementDate: in.AgreementDate})
	if err != nil {
		return out, 0, err
	}
	change := CreditChanged
	switch {
	case in.Close && open:
		out, err = q.CloseCredit(ctx, cur.CustomerID)
		change = CreditClosedNow
	case in.Close:
	case !open:
		out, err = q.ReopenCredit(ctx, cur.CustomerID)
		change = CreditOpened
	case in.cash() && !wasCash:
		// Nothing is owed, so nothing is overdue: a suspension ends here.
		if _, err = q.ReinstateCredit(ctx, cur.CustomerID); err == nil {
			out, err = q.GetCredit(ctx, cur.CustomerID)
		}
	case !in.cash() && wasCash:
		out, err = q.AnchorCycle(ctx, cur.CustomerID)
		change = CreditOpened
	}
	if in.cash() && change != CreditClosedNow {
		change = CreditCash
	}
	return out, change, err
}

// nothingOwed refuses a change that needs the ledger settled (409
// outstanding_balance): nothing outstanding and no statement unpaid.
func nothingOwed(ctx context.Context, q *dbq.Queries, cur dbq.CreditAgreement, rule string) error {
	unpaid, err := q.UnpaidStatements(ctx, cur.CustomerID)
	if err != nil {
		return err
	}
	if outstanding(cur).IsPositive() || len(unpaid) > 0 {
		return kam.Errorf(kam.KindConflict, "outstanding_balance", "the account still owes %s; %s", outstanding(cur).StringFixed(2), rule).
			With(string(i18n.OutstandingBalance), outstanding(cur).StringFixed(2))
	}
	return nil
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

func creditOf(c dbq.CreditAgreement) kam.CreditAgreement {
	return kam.CreditAgreement{CustomerID: c.CustomerID, Terms: c.Terms, CreditLevel: c.CreditLevel, ArrearsLimit: c.ArrearsLimit.Decimal,
		SettlementCycle: deref(c.SettlementCycle), PaymentTermDays: deref(c.PaymentTermDays), Status: c.Status, Version: c.Version,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, AgreementRef: c.AgreementRef, AgreementDate: c.AgreementDate,
		ChargedTotal: c.ChargedTotal, PaidTotal: c.PaidTotal, Unapplied: c.Unapplied, SuspendedAt: c.SuspendedAt,
		SuspensionReason: c.SuspensionReason, ClosedAt: c.ClosedAt, CycleAnchor: c.CycleAnchor}
}

// deref is the value a nullable column holds, or its zero.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func statementOf(st dbq.Statement) kam.Statement {
	return kam.Statement{ID: st.ID, CustomerID: st.CustomerID, PeriodStart: st.PeriodStart, PeriodEnd: st.PeriodEnd,
		AmountDue: st.AmountDue, Reversed: st.Reversed, Paid: st.Paid, DueAt: st.DueAt, Status: st.Status, CreatedAt: st.CreatedAt,
		PaidAt: st.PaidAt, Reopened: st.Reopened, Version: st.Version}
}

// Charge admits a purchase on credit (Art. 13) under the agreement's row lock:
// refused while credit is suspended or closed, and when it would take the
// outstanding amount past the arrears limit. A repeated reference returns the
// first charge.
func (s *Store) Charge(ctx context.Context, scope Scope, customerID uuid.UUID, amount decimal.Decimal, reference string, on time.Time, by uuid.UUID) (kam.Posting, error) {
	var out kam.Posting
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		a, err := lockLedger(ctx, q, scope, customerID)
		if err != nil {
			return err
		}
		prev, err := q.GetChargeByReference(ctx, dbq.GetChargeByReferenceParams{CustomerID: customerID, Reference: reference})
		if done, err := replay(&out, a, err, "charge", chargeOf(prev.CreditCharge, prev.ReversedBy), amount, on); done || err != nil {
			return err
		}
		if err := mayCharge(a, amount); err != nil {
			return err
		}
		c, err := q.InsertCharge(ctx, dbq.InsertChargeParams{ID: NewID(), CustomerID: customerID, Amount: amount, Reference: reference, OccurredOn: on, CreatedBy: &by})
		if err != nil {
			return err
		}
		if err := q.AddCharged(ctx, dbq.AddChargedParams{CustomerID: customerID, ChargedTotal: amount}); err != nil {
			return err
		}
		out = kam.Posting{LedgerEntry: chargeOf(c, nil), Outstanding: outstanding(a).Add(amount)}
		return nil
	})
	return out, err
}

// mayCharge is Art. 13's rule for a purchase on credit: refused while
// credit is suspended or closed, on cash terms, and past the arrears limit.
func mayCharge(a dbq.CreditAgreement, amount decimal.Decimal) error {
	switch {
	case a.Status == kam.CreditSuspended:
		return kam.Errorf(kam.KindConflict, "credit_suspended", "credit purchasing is stopped until the overdue statement is settled (Art. 13)")
	case a.Status == kam.CreditClosed:
		return kam.Errorf(kam.KindConflict, "credit_closed", "the credit agreement is closed")
	case a.Terms == kam.TermsCash:
		return kam.Errorf(kam.KindConflict, "cash_terms", "this account buys on cash terms: nothing is bought on credit")
	}
	if after := outstanding(a).Add(amount); after.GreaterThan(a.ArrearsLimit.Decimal) {
		return &kam.Error{Kind: kam.KindInvalid, Code: "arrears_limit_exceeded", Field: "amount",
			Message: "outstanding " + outstanding(a).StringFixed(2) + " + " + amount.StringFixed(2) + " would exceed the arrears limit " + a.ArrearsLimit.Decimal.StringFixed(2)}
	}
	return nil
}

// Pay records a remittance (Art. 7.5) and applies it to the oldest unpaid
// statement first; what is left waits for the next statement (charges not
// yet billed) or stays as a credit balance. A repeated reference returns the
// first payment.
func (s *Store) Pay(ctx context.Context, scope Scope, customerID uuid.UUID, amount decimal.Decimal, reference string, on time.Time, by uuid.UUID) (kam.Posting, error) {
	var out kam.Posting
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		a, err := lockLedger(ctx, q, scope, customerID)
		if err != nil {
			return err
		}
		prev, err := q.GetPaymentByReference(ctx, dbq.GetPaymentByReferenceParams{CustomerID: customerID, Reference: reference})
		if done, err := replay(&out, a, err, "payment", paymentOf(prev.CreditPayment, prev.ReversedBy), amount, on); done || err != nil {
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
		out = kam.Posting{LedgerEntry: paymentOf(p, nil), Outstanding: outstanding(a).Sub(amount)}
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
func replay(out *kam.Posting, a dbq.CreditAgreement, lookupErr error, what string, prev kam.LedgerEntry, amount decimal.Decimal, on time.Time) (bool, error) {
	if errors.Is(interpret(lookupErr), kam.ErrNotFound) {
		return false, nil
	}
	if lookupErr != nil {
		return false, lookupErr
	}
	if !prev.Amount.Equal(amount) || !prev.On.Equal(on) {
		return false, &kam.Error{Kind: kam.KindConflict, Code: "duplicate_reference", Field: "reference", Message: "this reference was used for a different " + what}
	}
	*out = kam.Posting{LedgerEntry: prev, Replayed: true, Outstanding: outstanding(a)}
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
		part := decimal.Min(money, statementOf(st).Balance())
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
func (s *Store) CloseCycle(ctx context.Context, customerID uuid.UUID, periodStart, periodEnd, dueAt time.Time) (*kam.Statement, error) {
	var out *kam.Statement
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		a, err := q.LockCredit(ctx, customerID)
		if err != nil {
			return err
		}
		if st, err := q.GetStatementByPeriod(ctx, dbq.GetStatementByPeriodParams{CustomerID: customerID, PeriodEnd: periodEnd}); err == nil {
			out = ptrTo(statementOf(st))
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
		if err != nil {
			return err
		}
		out = ptrTo(statementOf(st))
		return registerProcessChange(ctx, q, customerID, []string{kam.SectionCredit}, "Art. 13: the settlement cycle closed; its charges are billed")
	})
	return out, err
}

// CreditTerms reads an agreement's terms and outstanding balance for the
// settlement process; kam.ErrNotFound when the account has none. A credit
// PUT starts the run inside its own transaction, so the run's first read
// could come before that commit and see no agreement (or a closed one, or
// cash terms) and end: the read waits for the account's row lock first.
func (s *Store) CreditTerms(ctx context.Context, customerID uuid.UUID) (kam.CreditTerms, error) {
	var a dbq.CreditAgreement
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if err := q.AwaitAccountWrites(ctx, customerID); err != nil {
			return err
		}
		var err error
		a, err = q.GetCredit(ctx, customerID)
		return err
	})
	if err != nil {
		return kam.CreditTerms{}, err
	}
	return kam.CreditTerms{CustomerID: a.CustomerID, Terms: a.Terms, Status: a.Status, SettlementCycle: deref(a.SettlementCycle),
		PaymentTermDays: deref(a.PaymentTermDays), CycleAnchor: a.CycleAnchor, ArrearsLimit: a.ArrearsLimit.Decimal, Outstanding: outstanding(a)}, nil
}

// UnpaidStatements lists the account's statements not yet paid in full, oldest first.
func (s *Store) UnpaidStatements(ctx context.Context, customerID uuid.UUID) ([]kam.StatementStanding, error) {
	rows, err := s.q.UnpaidStatements(ctx, customerID)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.StatementStanding, 0, len(rows))
	for _, r := range rows {
		out = append(out, kam.StatementStanding{ID: r.ID, Status: r.Status, DueAt: r.DueAt, Reopened: r.Reopened})
	}
	return out, nil
}

// MarkStatementOverdue marks a statement still unpaid at its due time as
// overdue, and tells whether it is overdue now; repeating it changes nothing
// (a paid or already overdue statement is left as it is).
func (s *Store) MarkStatementOverdue(ctx context.Context, statementID uuid.UUID) (bool, error) {
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		st, err := q.MarkOverdue(ctx, statementID)
		if err != nil {
			return err
		}
		return registerProcessChange(ctx, q, st.CustomerID, []string{kam.SectionCredit}, "Art. 13: a statement unpaid at its due time is overdue")
	})
	if err != nil && !errors.Is(err, kam.ErrNotFound) {
		return false, err
	}
	st, err := s.q.GetStatement(ctx, statementID)
	if err != nil {
		return false, interpret(err)
	}
	return st.Status == kam.StatementOverdue, nil
}

// SuspendCredit stops credit purchasing while a statement is overdue
// (Art. 13) and tells whether credit stands suspended; repeating it changes
// nothing and answers the same (a Temporal retry). A statement paid since
// the run marked it overdue leaves credit as it is: false.
func (s *Store) SuspendCredit(ctx context.Context, customerID uuid.UUID, reason string) (bool, error) {
	n, err := s.processCreditStatus(ctx, customerID, kam.CreditActive, kam.CreditSuspended, "Art. 13: a statement unpaid at its due time stops credit purchasing",
		func(q *dbq.Queries) (int64, error) {
			return q.SuspendCredit(ctx, dbq.SuspendCreditParams{CustomerID: customerID, SuspensionReason: &reason})
		})
	return s.creditStands(ctx, customerID, n, err, kam.CreditSuspended)
}

// ReinstateCredit restores a suspended agreement when nothing is overdue and
// tells whether credit now stands restored. Asked again after an attempt
// whose answer was lost (Temporal retries it), it still answers true, so
// the reinstatement's notice is not lost with it.
func (s *Store) ReinstateCredit(ctx context.Context, customerID uuid.UUID) (bool, error) {
	n, err := s.processCreditStatus(ctx, customerID, kam.CreditSuspended, kam.CreditActive, "Art. 13: nothing is overdue any more; credit purchasing reopens",
		func(q *dbq.Queries) (int64, error) { return q.ReinstateCredit(ctx, customerID) })
	return s.creditStands(ctx, customerID, n, err, kam.CreditActive)
}

// processCreditStatus moves an agreement's status from one value to another
// as the settlement run decides, and when it moved, writes the change's
// history row (SPEC §3: every change, here by no one but the run) and its
// register row (Art. 9) in the same transaction.
func (s *Store) processCreditStatus(ctx context.Context, customerID uuid.UUID, from, to, purpose string, change func(q *dbq.Queries) (int64, error)) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		var err error
		if n, err = change(q); err != nil || n == 0 {
			return err
		}
		if err := q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: customerID, Field: kam.CreditField("status"), OldValue: &from, NewValue: &to}); err != nil {
			return err
		}
		return registerProcessChange(ctx, q, customerID, []string{kam.SectionCredit}, purpose)
	})
	return n, err
}

// creditStands answers a change of an agreement's status to want that
// changed n rows: true when it did, and when it changed none, whether the
// status is want already (the change made by an attempt whose answer was
// lost).
func (s *Store) creditStands(ctx context.Context, customerID uuid.UUID, n int64, err error, want string) (bool, error) {
	if err != nil || n > 0 {
		return n > 0, interpret(err)
	}
	a, err := s.q.GetCredit(ctx, customerID)
	if err != nil {
		return false, interpret(err)
	}
	return a.Status == want, nil
}

// RecordCreditEvent stores a settlement event once per key; a repeat is a no-op.
func (s *Store) RecordCreditEvent(ctx context.Context, customerID uuid.UUID, key, kind, detail string, notice *Delivery) error {
	if notice == nil {
		_, err := s.q.InsertCreditEvent(ctx, dbq.InsertCreditEventParams{CustomerID: customerID, EventKey: key, Kind: kind, Detail: detail})
		return interpret(err)
	}
	return s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.InsertCreditEvent(ctx, dbq.InsertCreditEventParams{CustomerID: customerID, EventKey: key, Kind: kind, Detail: detail}); err != nil {
			return err
		}
		_, err := s.deliver(ctx, q, notice.Recipients, notice.Notification)
		return err
	})
}

// OpenAgreements lists a page of the accounts whose credit agreement is open,
// keyset by customer id.
func (s *Store) OpenAgreements(ctx context.Context, after *uuid.UUID, limit int32) ([]uuid.UUID, error) {
	ids, err := s.q.OpenAgreements(ctx, dbq.OpenAgreementsParams{After: after, Lim: limit})
	return ids, interpret(err)
}

// SettlementsAdrift lists up to limit open agreements whose settlement run
// missed a change: suspended with nothing overdue, or with a statement open
// more than grace past its due time (SettlementsAdrift in credit.sql).
func (s *Store) SettlementsAdrift(ctx context.Context, grace time.Duration, limit int32) ([]uuid.UUID, error) {
	ids, err := s.q.SettlementsAdrift(ctx, dbq.SettlementsAdriftParams{GraceSeconds: grace.Seconds(), Lim: limit})
	return ids, interpret(err)
}

func ptrTo[T any](v T) *T { return &v }

func chargeOf(c dbq.CreditCharge, reversedBy *uuid.UUID) kam.LedgerEntry {
	return kam.LedgerEntry{ID: c.ID, CustomerID: c.CustomerID, Amount: c.Amount, Reference: c.Reference, On: c.OccurredOn,
		CreatedAt: c.CreatedAt, CreatedBy: c.CreatedBy, StatementID: c.StatementID, ReversalOf: c.ReversesID, ReversedBy: reversedBy, Reason: c.Reason, Version: c.Version}
}

func paymentOf(p dbq.CreditPayment, reversedBy *uuid.UUID) kam.LedgerEntry {
	return kam.LedgerEntry{ID: p.ID, CustomerID: p.CustomerID, Amount: p.Amount, Reference: p.Reference, On: p.ReceivedOn,
		CreatedAt: p.CreatedAt, CreatedBy: p.CreatedBy, ReversalOf: p.ReversesID, ReversedBy: reversedBy, Reason: p.Reason, Version: p.Version}
}
