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

// The settlement process's store methods (Art. 13) answer in kam types and
// kam errors, and repeating any of them changes nothing.
func TestSettlementMethodsAnswerInDomainTerms(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	if _, err := st.CreditTerms(ctx, c); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("terms without an agreement: %v, want not found", err)
	}
	if _, _, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{CreditLevel: "A", ArrearsLimit: dec("1000"), SettlementCycle: "@monthly", PaymentTermDays: 10}, by, noStart); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Charge(ctx, store.Scope{}, c, dec("250"), "A", time.Now().UTC().Truncate(24*time.Hour), by); err != nil {
		t.Fatal(err)
	}
	terms, err := st.CreditTerms(ctx, c)
	if err != nil || terms.Status != kam.CreditActive || terms.SettlementCycle != "@monthly" || terms.PaymentTermDays != 10 ||
		!terms.ArrearsLimit.Equal(dec("1000")) || !terms.Outstanding.Equal(dec("250")) {
		t.Fatalf("terms = %+v, %v", terms, err)
	}
	end := time.Now().Add(time.Second)
	stmt, err := st.CloseCycle(ctx, c, end.Add(-time.Hour), end, end.Add(-time.Minute))
	if err != nil || stmt == nil {
		t.Fatalf("close: %v %v", stmt, err)
	}
	unpaid, err := st.UnpaidStatements(ctx, c)
	if err != nil || len(unpaid) != 1 || unpaid[0].ID != stmt.ID || unpaid[0].Status != kam.StatementOpen {
		t.Fatalf("unpaid = %+v, %v", unpaid, err)
	}
	// Nothing overdue yet (a payment settled it after the run marked it,
	// say): credit stays active.
	if suspended, err := st.SuspendCredit(ctx, c, "overdue"); err != nil || suspended {
		t.Fatalf("suspended with nothing overdue: %v %v", suspended, err)
	}
	for range 2 {
		if overdue, err := st.MarkStatementOverdue(ctx, stmt.ID); err != nil || !overdue {
			t.Fatalf("mark overdue: %v %v", overdue, err)
		}
	}
	if _, err := st.MarkStatementOverdue(ctx, uuid.New()); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("unknown statement: %v, want not found", err)
	}
	for range 2 { // the second is a retry: the same answer
		if suspended, err := st.SuspendCredit(ctx, c, "overdue"); err != nil || !suspended {
			t.Fatal(suspended, err)
		}
	}
	if terms, _ := st.CreditTerms(ctx, c); terms.Status != kam.CreditSuspended {
		t.Fatalf("after suspend: %s", terms.Status)
	}
	if did, err := st.ReinstateCredit(ctx, c); err != nil || did {
		t.Fatalf("reinstated with an overdue statement: %v %v", did, err)
	}
	if _, err := st.Pay(ctx, store.Scope{}, c, dec("250"), "SETTLED", time.Now().UTC().Truncate(24*time.Hour), by); err != nil {
		t.Fatal(err)
	}
	// Paid: reinstated; asked again (a retried attempt), still reinstated,
	// so the reinstatement's notice is not lost.
	for range 2 {
		if did, err := st.ReinstateCredit(ctx, c); err != nil || !did {
			t.Fatalf("reinstate once paid: %v %v", did, err)
		}
	}
	for range 2 {
		if err := st.RecordCreditEvent(ctx, c, "k1", "overdue", "d", nil); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := st.OpenAgreements(ctx, nil, 100000)
	if err != nil || !slices.Contains(ids, c) {
		t.Fatalf("open agreements miss %s: %v", c, err)
	}
}

// The visit plan's store methods (Art. 20): a missed or cancelled visit is
// marked once; an unknown account or visit is kam.ErrNotFound.
func TestVisitMethodsAnswerInDomainTerms(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	status, cadence, err := st.VisitPlanFacts(ctx, c)
	if err != nil || status == "" || cadence == "" {
		t.Fatalf("facts = %q %q %v", status, cadence, err)
	}
	if _, _, err := st.VisitPlanFacts(ctx, uuid.New()); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("unknown account: %v, want not found", err)
	}
	due := time.Now().UTC().Truncate(time.Second)
	v, err := st.PlanVisit(ctx, c, due)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := st.PlanVisit(ctx, c, due); err != nil || again != v {
		t.Fatalf("planning the same due time again: %v %v, want %v", again, err, v)
	}
	if s, err := st.VisitStatus(ctx, v); err != nil || s != "planned" {
		t.Fatalf("status = %q %v", s, err)
	}
	if did, err := st.MarkVisitMissed(ctx, v); err != nil || !did {
		t.Fatalf("missed: %v %v", did, err)
	}
	// Asked again (Temporal retrying an attempt whose answer was lost), it
	// still answers missed, so the miss's notice is not lost.
	if did, err := st.MarkVisitMissed(ctx, v); err != nil || !did {
		t.Fatalf("missed twice: %v %v", did, err)
	}
	w, err := st.PlanVisit(ctx, c, due.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := st.CancelVisit(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if s, _ := st.VisitStatus(ctx, w); s != "cancelled" {
		t.Fatalf("after cancel: %q", s)
	}
	if did, err := st.MarkVisitMissed(ctx, w); err != nil || did {
		t.Fatalf("a withdrawn visit marked missed: %v %v", did, err)
	}
	// A plan begun since (the account won back, the same cadence) plans the
	// withdrawn visit's due time again: it is planned once more, the same row.
	if again, err := st.PlanVisit(ctx, c, due.Add(time.Hour)); err != nil || again != w {
		t.Fatalf("planning a withdrawn visit's due time: %v %v, want %v", again, err, w)
	}
	if s, _ := st.VisitStatus(ctx, w); s != "planned" {
		t.Fatalf("a withdrawn visit planned again is %q", s)
	}
	if _, err := st.VisitStatus(ctx, uuid.New()); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("unknown visit: %v, want not found", err)
	}
}

// The SLA process's store methods (Art. 17): a breach is recorded on the
// ticket and in its handling records, and the record answers the
// process's idempotency check.
func TestTicketBreachMethodsAnswerInDomainTerms(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	tk, err := st.CreateTicket(ctx, store.Scope{}, store.TicketInput{CustomerID: c, Kind: "complaint", Subject: "late", Body: "b", OpenedBy: by},
		func(kam.Ticket, kam.Tier) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	standing, err := st.TicketStanding(ctx, tk.ID)
	if err != nil || standing.Status != kam.TicketOpen || standing.AcknowledgedAt != nil {
		t.Fatalf("standing = %+v, %v", standing, err)
	}
	if done, err := st.TicketEventRecorded(ctx, tk.ID, "response_breached", "respond by"); err != nil || done {
		t.Fatalf("recorded before the breach: %v %v", done, err)
	}
	if err := st.RecordTicketBreach(ctx, tk.ID, true, false, "response_breached", "respond by"); err != nil {
		t.Fatal(err)
	}
	if done, err := st.TicketEventRecorded(ctx, tk.ID, "response_breached", "respond by"); err != nil || !done {
		t.Fatalf("not recorded after the breach: %v %v", done, err)
	}
	if _, err := st.TicketStanding(ctx, uuid.New()); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("unknown ticket: %v, want not found", err)
	}
}
