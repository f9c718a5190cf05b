package activities_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"kam"
	"kam/activities"
	"kam/db/store"
)

// starts records the runs EnsureRuns starts.
type starts struct {
	mu         sync.Mutex
	onboarding []uuid.UUID
}

func (s *starts) StartOnboarding(_ context.Context, id uuid.UUID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onboarding = append(s.onboarding, id)
	return nil
}
func (*starts) StartVisitPlan(context.Context, uuid.UUID) error  { return nil }
func (*starts) StartSettlement(context.Context, uuid.UUID) error { return nil }

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
	status := "churned"
	if _, _, err := s.UpdateCustomer(ctx, store.Scope{}, churned, nil, store.CustomerPatch{Status: &status}, clerk.ID); err != nil {
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
