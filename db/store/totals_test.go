package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"kam"
	"kam/db/store"
)

// The largest amount one ledger row holds (numeric(18,2)); rows this large
// were accepted before money was capped at input (SPEC §7), so totals must
// still sum them.
const columnMax = "9999999999999999.99"

// Running totals never narrow: after one maximum payment the account's next
// payments still land (they used to fail with "numeric field overflow"), and
// a cycle of two maximum charges bills their exact sum.
func TestLedgerTotalsDoNotOverflow(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	if _, _, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{CreditLevel: "A", ArrearsLimit: dec(columnMax), SettlementCycle: "@monthly", PaymentTermDays: 10}, by, noStart); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for _, ref := range []string{"P1", "P2", "P3"} {
		if _, err := st.Pay(ctx, store.Scope{}, c, dec(columnMax), ref, today, by); err != nil {
			t.Fatalf("payment %s after a maximum payment: %v", ref, err)
		}
	}
	a, err := st.Queries().GetCredit(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := dec(columnMax).Mul(dec("3")); !a.PaidTotal.Equal(want) || !a.Unapplied.Equal(want) {
		t.Fatalf("paid %s unapplied %s, want %s", a.PaidTotal, a.Unapplied, want)
	}
	for _, ref := range []string{"C1", "C2"} {
		if _, err := st.Charge(ctx, store.Scope{}, c, dec(columnMax), ref, today, by); err != nil {
			t.Fatalf("charge %s: %v", ref, err)
		}
	}
	end := time.Now().Add(time.Second)
	s, err := st.CloseCycle(ctx, c, end.Add(-time.Hour), end, end.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("closing a cycle of two maximum charges: %v", err)
	}
	if want := dec(columnMax).Mul(dec("2")); s == nil || !s.AmountDue.Equal(want) || s.Status != "paid" {
		t.Fatalf("statement %+v, want %s due and paid ahead", s, want)
	}
}

// History hides credit and discount fields from callers who may not see
// them, and only those (Art. 9, 11); "credibility" is an archive field.
func TestHistoryHidesConfidentialFields(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	if _, _, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{CreditLevel: "A", ArrearsLimit: dec("100"), SettlementCycle: "@monthly", PaymentTermDays: 10}, by, noStart); err != nil {
		t.Fatal(err)
	}
	// "credit": a credit row as written before the terms were kept field by field.
	for _, f := range []string{"credit", "credibility", "credit_level", "arrears_limit", "discount_grant"} {
		v := "x"
		if _, err := pool.Exec(ctx, "INSERT INTO customer_history (customer_id, staff_id, field, new_value) VALUES ($1, $2, $3, $4)", c, by, f, v); err != nil {
			t.Fatal(err)
		}
	}
	fields := func(hidden []string) []string {
		rows, err := st.ListHistory(ctx, store.Scope{}, c, hidden, nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			if slices.Contains([]string{kam.CreditField("credit_level"), kam.CreditField("status"), "credit", "credibility", "credit_level", "arrears_limit", "discount_grant"}, r.Field) {
				out = append(out, r.Field)
			}
		}
		return out
	}
	if got := fields(store.HiddenHistory(true, true)); !slices.Equal(got, []string{"credit.credit_level", "credit.status", "credit", "credibility", "credit_level", "arrears_limit", "discount_grant"}) {
		t.Errorf("all visible: %v", got)
	}
	if got := fields(store.HiddenHistory(false, false)); !slices.Equal(got, []string{"credibility"}) {
		t.Errorf("neither credit nor discounts: %v", got)
	}
	if got := fields(store.HiddenHistory(true, false)); !slices.Equal(got, []string{"credit.credit_level", "credit.status", "credit", "credibility", "credit_level", "arrears_limit"}) {
		t.Errorf("credit, not discounts: %v", got)
	}
}
