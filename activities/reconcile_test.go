package activities_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/activities"
	"kam/db/store"
)

// starts records the runs EnsureRuns starts and those NudgeSettlements signals.
type starts struct {
	mu         sync.Mutex
	onboarding []uuid.UUID
	nudged     []uuid.UUID
}

func (s *starts) StartOnboarding(_ context.Context, id uuid.UUID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onboarding = append(s.onboarding, id)
	return nil
}
func (*starts) StartVisitPlan(context.Context, uuid.UUID) error  { return nil }
func (*starts) StartSettlement(context.Context, uuid.UUID) error { return nil }
func (s *starts) LedgerChanged(_ context.Context, id uuid.UUID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nudged = append(s.nudged, id)
	return nil
}

// The reconcile sweep lists its needs a page before it starts them. An
// onboarding need that went stale in between (the account closed or gone;
// its archive completed, which is the same check) must not open a run: an
// ended onboarding is started anew, so the start itself would not refuse.
func TestEnsureRunsRechecksOnboarding(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	clerk, err := s.CreateStaff(ctx, "Clerk "+uuid.NewString()[:8], nil, kam.RoleDataClerk)
	if err != nil {
		t.Fatal(err)
	}
	open := func(code string) uuid.UUID {
		c, err := s.CreateCustomer(ctx, store.CustomerPatch{Code: &code, Name: &code}, clerk.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	incomplete, churned := open("RC-OPEN"), open("RC-CHURNED")
	if _, err := s.Churn(ctx, churned, store.ChurnInput{Reason: "price", EffectiveOn: time.Now().UTC().Truncate(24 * time.Hour)}, clerk.ID); err != nil {
		t.Fatal(err)
	}
	runs := &starts{}
	a := &activities.Activities{Store: s, Runs: runs}
	needs := []activities.RunNeed{
		{Kind: activities.RunOnboarding, CustomerID: incomplete},
		{Kind: activities.RunOnboarding, CustomerID: churned},
		{Kind: activities.RunOnboarding, CustomerID: uuid.New()}, // deleted since the listing
	}
	if err := a.EnsureRuns(ctx, needs); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(runs.onboarding, []uuid.UUID{incomplete}) {
		t.Fatalf("onboarding started for %v, want only %v", runs.onboarding, incomplete)
	}
}

// A payment whose signal was lost (kam stopped between its commit and the
// signal) leaves credit suspended with nothing overdue, and a reversed
// payment a statement open past its due time, until the run's next timer:
// the sweep signals exactly those runs (Art. 13), and none in order.
func TestNudgeSettlementsSignalsTheRunsThatMissedAChange(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	fin, err := s.CreateStaff(ctx, "Finance "+uuid.NewString()[:8], nil, kam.RoleFinance)
	if err != nil {
		t.Fatal(err)
	}
	agreement := func(code string) uuid.UUID {
		c, err := s.CreateCustomer(ctx, store.CustomerPatch{Code: &code, Name: &code}, fin.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.PutCredit(ctx, store.Scope{}, c.ID, store.CreditInput{CreditLevel: "A", ArrearsLimit: decimal.NewFromInt(100000),
			SettlementCycle: "@every 24h", PaymentTermDays: 30}, fin.ID, func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	// statement bills a charge of 100 due at due.
	statement := func(id uuid.UUID, due time.Time) *kam.Statement {
		t.Helper()
		now := time.Now()
		if _, err := s.Charge(ctx, store.Scope{}, id, decimal.NewFromInt(100), "R-"+uuid.NewString()[:8], now.Add(-48*time.Hour), fin.ID); err != nil {
			t.Fatal(err)
		}
		st, err := s.CloseCycle(ctx, id, now.Add(-72*time.Hour), time.Now().Add(time.Second), due)
		if err != nil || st == nil {
			t.Fatalf("statement: %v, %v", st, err)
		}
		return st
	}
	overdue := func(id uuid.UUID) {
		t.Helper()
		st := statement(id, time.Now().Add(-2*time.Hour))
		if _, err := s.MarkStatementOverdue(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
		if suspended, err := s.SuspendCredit(ctx, id, "overdue"); err != nil || !suspended {
			t.Fatal(suspended, err)
		}
	}
	pay := func(id uuid.UUID) {
		t.Helper()
		if _, err := s.Pay(ctx, store.Scope{}, id, decimal.NewFromInt(100), "P-"+uuid.NewString()[:8], time.Now(), fin.ID); err != nil {
			t.Fatal(err)
		}
	}

	healthy, inArrears, paidSuspended, openPastDue, openJustDue := agreement("N-OK"), agreement("N-ARREARS"), agreement("N-PAID"), agreement("N-PASTDUE"), agreement("N-JUSTDUE")
	statement(healthy, time.Now().Add(24*time.Hour))
	overdue(inArrears)
	overdue(paidSuspended)
	pay(paidSuspended)                                     // its signal lost: still suspended, nothing overdue
	statement(openPastDue, time.Now().Add(-2*time.Hour))   // its run missed the due time
	statement(openJustDue, time.Now().Add(-5*time.Second)) // its run is about to mark it

	runs := &starts{}
	a := &activities.Activities{Store: s, Runs: runs}
	n, err := a.NudgeSettlements(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []uuid.UUID{paidSuspended, openPastDue}
	slices.SortFunc(want, func(x, y uuid.UUID) int { return strings.Compare(x.String(), y.String()) })
	if n != 2 || !slices.Equal(runs.nudged, want) {
		t.Fatalf("nudged %d: %v, want %v (healthy %v, in arrears %v, just due %v)", n, runs.nudged, want, healthy, inArrears, openJustDue)
	}
}
