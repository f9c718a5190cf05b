package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// ledgerAccount is an account on credit terms with a 10,000 limit.
func ledgerAccount(t *testing.T) (c, by uuid.UUID) {
	t.Helper()
	by = newManager(t)
	c = newCustomer(t, by, nil)
	if _, _, err := st.PutCredit(context.Background(), store.Scope{}, c, store.CreditInput{CreditLevel: "A", ArrearsLimit: dec("10000"),
		SettlementCycle: "@monthly", PaymentTermDays: 10}, by, noStart); err != nil {
		t.Fatal(err)
	}
	return c, by
}

func statementOf(t *testing.T, c, id uuid.UUID) kam.Statement {
	t.Helper()
	sts, err := st.ListStatements(context.Background(), c, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sts {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no statement %s", id)
	return kam.Statement{}
}

func agreementOf(t *testing.T, c uuid.UUID) kam.CreditAgreement {
	t.Helper()
	a, err := st.GetCredit(context.Background(), store.Scope{}, c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// SPEC §7 "Ledger" (Art. 13): a charge reversed before its cycle closes is
// billed with it, so the close bills neither; and the reversal that lands
// after the cycle's end but before the close ran (the run was late, kam was
// down) is billed by its original's time, not its own: the close never
// bills a reversed charge without its reversal.
func TestReversalRacingACycleClose(t *testing.T) {
	ctx := context.Background()
	c, by := ledgerAccount(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	kept, err := st.Charge(ctx, store.Scope{}, c, dec("100"), "KEPT", today, by)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := st.Charge(ctx, store.Scope{}, c, dec("40"), "WRONG", today, by)
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now() // the cycle ends here; its close has not run yet
	time.Sleep(10 * time.Millisecond)
	rev, err := st.ReverseCharge(ctx, store.Scope{}, store.Reversal{CustomerID: c, EntryID: wrong.ID, Reason: "wrong price", By: by})
	if err != nil {
		t.Fatal(err)
	}
	if !rev.Amount.Equal(dec("-40")) || rev.Reference != "WRONG" || *rev.ReversalOf != wrong.ID || !rev.Outstanding.Equal(dec("100")) {
		t.Fatalf("reversal = %+v", rev)
	}
	s, err := st.CloseCycle(ctx, c, end.Add(-time.Hour), end, end.Add(time.Hour))
	if err != nil || s == nil || !s.AmountDue.Equal(dec("100")) || !s.Balance().Equal(dec("100")) {
		t.Fatalf("statement = %+v, %v", s, err)
	}
	charges, err := st.ListCharges(ctx, store.LedgerPage{CustomerID: c, Limit: 10})
	if err != nil || len(charges) != 3 {
		t.Fatalf("charges = %+v, %v", charges, err)
	}
	for _, e := range charges {
		if e.StatementID == nil || *e.StatementID != s.ID {
			t.Fatalf("%s (%s) not billed on the statement", e.Reference, e.Amount)
		}
		if e.ID == wrong.ID && (e.ReversedBy == nil || *e.ReversedBy != rev.ID) {
			t.Fatalf("the reversed charge does not name its reversal: %+v", e)
		}
	}
	if charges[0].ID != rev.ID || charges[2].ID != kept.ID {
		t.Fatalf("not newest first: %v", charges)
	}
	// A cycle where everything was reversed makes no statement.
	gone, _ := st.Charge(ctx, store.Scope{}, c, dec("5"), "GONE", today, by)
	if _, err := st.ReverseCharge(ctx, store.Scope{}, store.Reversal{CustomerID: c, EntryID: gone.ID, Reason: "void", By: by}); err != nil {
		t.Fatal(err)
	}
	if s2, err := st.CloseCycle(ctx, c, end, time.Now().Add(time.Second), time.Now().Add(time.Hour)); err != nil || s2 != nil {
		t.Fatalf("a cycle of a charge and its reversal made statement %+v (%v)", s2, err)
	}
}

// Reversing a billed charge takes it off its statement: an overdue
// statement with nothing left to pay is paid, and what had been paid on it
// beyond its new balance settles the next statement. Never twice, never a
// reversal of a reversal, never another account's entry.
func TestChargeReversalSettlesItsStatement(t *testing.T) {
	ctx := context.Background()
	c, by := ledgerAccount(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	a, _ := st.Charge(ctx, store.Scope{}, c, dec("100"), "A", today, by)
	b, _ := st.Charge(ctx, store.Scope{}, c, dec("60"), "B", today, by)
	s1, err := st.CloseCycle(ctx, c, time.Now().Add(-time.Hour), time.Now().Add(time.Millisecond), time.Now().Add(-time.Minute))
	if err != nil || s1 == nil {
		t.Fatal(err)
	}
	if overdue, _ := st.MarkStatementOverdue(ctx, s1.ID); !overdue {
		t.Fatal("not overdue")
	}
	if _, err := st.Charge(ctx, store.Scope{}, c, dec("30"), "C", today, by); err != nil {
		t.Fatal(err)
	}
	s2, _ := st.CloseCycle(ctx, c, s1.PeriodEnd, time.Now().Add(time.Millisecond), time.Now().Add(time.Hour))
	if _, err := st.Pay(ctx, store.Scope{}, c, dec("120"), "P", today, by); err != nil { // 120 of 160 on the first
		t.Fatal(err)
	}
	if _, err := st.ReverseCharge(ctx, store.Scope{}, store.Reversal{CustomerID: c, EntryID: b.ID, Reason: "returned goods", By: by}); err != nil {
		t.Fatal(err)
	}
	got1, got2 := statementOf(t, c, s1.ID), statementOf(t, c, s2.ID)
	// The first now asks 100, and 100 of the 120 paid stays on it; 20 goes to the second.
	if got1.Status != kam.StatementPaid || !got1.Reversed.Equal(dec("60")) || !got1.Paid.Equal(dec("100")) || !got1.AmountDue.Equal(dec("160")) {
		t.Fatalf("first statement %+v", got1)
	}
	if got2.Status != kam.StatementOpen || !got2.Paid.Equal(dec("20")) || !got2.Balance().Equal(dec("10")) {
		t.Fatalf("second statement %+v", got2)
	}
	if ag := agreementOf(t, c); !ag.Outstanding().Equal(dec("10")) || !ag.Unapplied.IsZero() {
		t.Fatalf("agreement outstanding %s unapplied %s", ag.Outstanding(), ag.Unapplied)
	}
	for _, tc := range []struct {
		entry uuid.UUID
		want  error
	}{{b.ID, kam.ErrAlreadyReversed}, {uuid.New(), kam.ErrNotFound}} {
		if _, err := st.ReverseCharge(ctx, store.Scope{}, store.Reversal{CustomerID: c, EntryID: tc.entry, Reason: "again", By: by}); !errors.Is(err, tc.want) {
			t.Fatalf("reverse %s: %v, want %v", tc.entry, err, tc.want)
		}
	}
	charges, _ := st.ListCharges(ctx, store.LedgerPage{CustomerID: c, Limit: 1})
	if _, err := st.ReverseCharge(ctx, store.Scope{}, store.Reversal{CustomerID: c, EntryID: charges[0].ID, Reason: "undo", By: by}); !errors.Is(err, kam.ErrNotReversible) {
		t.Fatalf("reversing a reversal: %v", err)
	}
	other, _ := ledgerAccount(t)
	if _, err := st.ReverseCharge(ctx, store.Scope{}, store.Reversal{CustomerID: other, EntryID: a.ID, Reason: "x", By: by}); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("another account's charge: %v", err)
	}
}

// A bounced payment is reversed: its money comes back from the credit
// balance first, then from the statements it settled, newest first; a paid
// statement is unpaid again and counted as reopened, so the settlement run
// follows it afresh.
func TestPaymentReversalReopensStatements(t *testing.T) {
	ctx := context.Background()
	c, by := ledgerAccount(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if _, err := st.Charge(ctx, store.Scope{}, c, dec("100"), "A", today, by); err != nil {
		t.Fatal(err)
	}
	s1, _ := st.CloseCycle(ctx, c, time.Now().Add(-time.Hour), time.Now().Add(time.Millisecond), time.Now().Add(-time.Minute))
	if _, err := st.Charge(ctx, store.Scope{}, c, dec("50"), "B", today, by); err != nil {
		t.Fatal(err)
	}
	s2, _ := st.CloseCycle(ctx, c, s1.PeriodEnd, time.Now().Add(time.Millisecond), time.Now().Add(time.Hour))
	p, err := st.Pay(ctx, store.Scope{}, c, dec("170"), "BOUNCED", today, by) // settles both, 20 ahead
	if err != nil {
		t.Fatal(err)
	}
	rev, err := st.ReversePayment(ctx, store.Scope{}, store.Reversal{CustomerID: c, EntryID: p.ID, Reason: "cheque bounced", By: by})
	if err != nil || !rev.Amount.Equal(dec("-170")) || !rev.Outstanding.Equal(dec("150")) {
		t.Fatalf("reversal %+v, %v", rev, err)
	}
	for _, s := range []kam.Statement{statementOf(t, c, s1.ID), statementOf(t, c, s2.ID)} {
		if s.Status != kam.StatementOpen || !s.Paid.IsZero() || s.Reopened != 1 || s.PaidAt != nil {
			t.Fatalf("statement after the bounce: %+v", s)
		}
	}
	unpaid, _ := st.UnpaidStatements(ctx, c)
	if len(unpaid) != 2 || unpaid[0].Reopened != 1 {
		t.Fatalf("unpaid = %+v", unpaid)
	}
	ag := agreementOf(t, c)
	if !ag.Unapplied.IsZero() || !ag.Outstanding().Equal(dec("150")) || !ag.PaidTotal.IsZero() {
		t.Fatalf("agreement %+v", ag)
	}
	if _, err := st.ReversePayment(ctx, store.Scope{}, store.Reversal{CustomerID: c, EntryID: p.ID, Reason: "again", By: by}); !errors.Is(err, kam.ErrAlreadyReversed) {
		t.Fatalf("second reversal: %v", err)
	}
	// The reference still names the original: a replay finds it, unchanged.
	if again, err := st.Pay(ctx, store.Scope{}, c, dec("170"), "BOUNCED", today, by); err != nil || !again.Replayed || again.ID != p.ID {
		t.Fatalf("replay after reversal: %+v, %v", again, err)
	}
	pays, _ := st.ListPayments(ctx, store.LedgerPage{CustomerID: c, Limit: 10})
	if len(pays) != 2 || pays[1].ReversedBy == nil || *pays[0].Reason != "cheque bounced" {
		t.Fatalf("payments = %+v", pays)
	}
}

// Cash terms (SPEC §7): no limit, cycle or run; purchases on credit are
// refused; payments are still recorded; the archive's credit section is
// complete. Moving to cash needs nothing owed; back to credit starts a run.
func TestCashTerms(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	started := 0
	start := func() error { started++; return nil }
	a, change, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{Terms: kam.TermsCash, CreditLevel: "B"}, by, start)
	if err != nil || change != store.CreditCash || started != 0 || a.Terms != kam.TermsCash || a.SettlementCycle != "" || !a.ArrearsLimit.IsZero() {
		t.Fatalf("cash: %+v %v %v (started %d)", a, change, err, started)
	}
	if ar, _ := st.GetArchive(ctx, store.Scope{}, c); slices.Contains(ar.Missing, kam.SectionCredit) {
		t.Fatalf("a cash account's credit section counted missing: %v", ar.Missing)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if _, err := st.Charge(ctx, store.Scope{}, c, dec("1"), "X", today, by); err == nil || err.(*kam.Error).Code != "cash_terms" {
		t.Fatalf("charge on cash terms: %v", err)
	}
	if _, err := st.Pay(ctx, store.Scope{}, c, dec("25"), "CASH-1", today, by); err != nil {
		t.Fatalf("payment on cash terms: %v", err)
	}
	if ids, _ := st.OpenAgreements(ctx, nil, 100000); slices.Contains(ids, c) {
		t.Fatal("a cash agreement is listed for a settlement run")
	}
	credit := store.CreditInput{CreditLevel: "A", ArrearsLimit: dec("500"), SettlementCycle: "@monthly", PaymentTermDays: 5}
	a, change, err = st.PutCredit(ctx, store.Scope{}, c, credit, by, start)
	if err != nil || change != store.CreditOpened || started != 1 || a.Terms != kam.TermsCredit || a.SettlementCycle != "@monthly" {
		t.Fatalf("credit after cash: %+v %v %v", a, change, err)
	}
	if _, err := st.Charge(ctx, store.Scope{}, c, dec("100"), "Y", today, by); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{Terms: kam.TermsCash, CreditLevel: "B"}, by, start); err == nil || err.(*kam.Error).Code != "outstanding_balance" {
		t.Fatalf("cash while owing 75: %v", err)
	}
	// Suspended for a statement unpaid at due, then paid: nothing owed, but
	// still suspended until the run reinstates; moving to cash ends that.
	stmt, err := st.CloseCycle(ctx, c, time.Now().Add(-time.Hour), time.Now().Add(time.Millisecond), time.Now().Add(-time.Minute))
	if err != nil || stmt == nil {
		t.Fatal(stmt, err)
	}
	if _, err := st.MarkStatementOverdue(ctx, stmt.ID); err != nil {
		t.Fatal(err)
	}
	if suspended, err := st.SuspendCredit(ctx, c, "test"); err != nil || !suspended {
		t.Fatal(suspended, err)
	}
	if _, err := st.Pay(ctx, store.Scope{}, c, dec("75"), "CASH-2", today, by); err != nil {
		t.Fatal(err)
	}
	a, change, err = st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{Terms: kam.TermsCash, CreditLevel: "B"}, by, start)
	if err != nil || change != store.CreditCash || a.Status != kam.CreditActive || a.SuspendedAt != nil || started != 1 {
		t.Fatalf("back to cash: %+v %v %v", a, change, err)
	}
}

// A credit PUT starts the settlement run inside its transaction; the run's
// first read of the agreement waits for that transaction, so it never sees
// the agreement as it was before (absent, or on cash terms) and ends. Found
// by the API's settlement tests, where a run sometimes ended at once.
func TestCreditTermsWaitsForThePutThatStartsTheRun(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	for _, in := range []store.CreditInput{
		{Terms: kam.TermsCash, CreditLevel: "B"},
		{CreditLevel: "A", ArrearsLimit: dec("100"), SettlementCycle: "@monthly", PaymentTermDays: 5},
	} {
		seen := make(chan kam.CreditTerms, 1)
		start := func() error {
			go func() {
				terms, err := st.CreditTerms(ctx, c) // the run's first read, before the commit
				if err != nil {
					t.Error(err)
				}
				seen <- terms
			}()
			time.Sleep(200 * time.Millisecond)
			return nil
		}
		if _, _, err := st.PutCredit(ctx, store.Scope{}, c, in, by, start); err != nil {
			t.Fatal(err)
		}
		if in.Terms == kam.TermsCash {
			continue // no run starts on cash terms
		}
		if terms := <-seen; terms.Terms != kam.TermsCredit || terms.SettlementCycle != "@monthly" {
			t.Fatalf("the run read %+v", terms)
		}
	}
}

// Art. 13: the corrected ledger is followed even where no settlement run
// is: a payment reversed after the account moved to cash terms reopens the
// statement it paid, overdue at once since its due time has passed (an open
// statement there would never be marked); one not yet due is open.
func TestPaymentReversalOnCashTermsMarksOverdue(t *testing.T) {
	ctx := context.Background()
	c, by := ledgerAccount(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if _, err := st.Charge(ctx, store.Scope{}, c, dec("100"), "A", today, by); err != nil {
		t.Fatal(err)
	}
	past, _ := st.CloseCycle(ctx, c, time.Now().Add(-time.Hour), time.Now().Add(time.Millisecond), time.Now().Add(-time.Minute))
	if _, err := st.Charge(ctx, store.Scope{}, c, dec("50"), "B", today, by); err != nil {
		t.Fatal(err)
	}
	future, _ := st.CloseCycle(ctx, c, past.PeriodEnd, time.Now().Add(time.Millisecond), time.Now().Add(time.Hour))
	p, err := st.Pay(ctx, store.Scope{}, c, dec("150"), "WIRE", today, by)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{Terms: kam.TermsCash, CreditLevel: "B"}, by, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReversePayment(ctx, store.Scope{}, store.Reversal{CustomerID: c, EntryID: p.ID, Reason: "wire recalled", By: by}); err != nil {
		t.Fatal(err)
	}
	if s := statementOf(t, c, past.ID); s.Status != kam.StatementOverdue || s.Reopened != 1 {
		t.Fatalf("statement past due after the reversal: %+v", s)
	}
	if s := statementOf(t, c, future.ID); s.Status != kam.StatementOpen || s.Reopened != 1 {
		t.Fatalf("statement not yet due after the reversal: %+v", s)
	}
}
