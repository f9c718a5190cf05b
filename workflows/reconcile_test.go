package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"kam/activities"
)

func reconcileEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *activities.Activities) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	return env, a
}

// The reconciler gives every active account a visit plan (Art. 20), an
// incomplete one its onboarding (Art. 7.1), and every open credit agreement
// its settlement run (Art. 13), reading page after page.
func TestReconcileStartsTheRunsTheRegulationGives(t *testing.T) {
	env, a := reconcileEnv(t)
	complete, incomplete, later, deleted, agreement := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	env.OnActivity(a.ListActiveAccounts, mock.Anything, mock.Anything).Return(func(_ context.Context, p activities.ReconcilePage) (activities.AccountPage, error) {
		switch {
		case p.After == nil:
			return activities.AccountPage{Accounts: []activities.AccountFacts{{ID: complete, Complete: true}, {ID: incomplete}}, Last: &incomplete, More: true}, nil
		case *p.After == incomplete:
			// The listing's last account was deleted meanwhile: the page
			// still moves the cursor on.
			return activities.AccountPage{Accounts: []activities.AccountFacts{{ID: later, Complete: true}}, Last: &deleted, More: true}, nil
		default:
			return activities.AccountPage{}, nil
		}
	})
	env.OnActivity(a.ListOpenAgreements, mock.Anything, mock.Anything).Return([]uuid.UUID{agreement}, nil).Once()
	var got []activities.RunNeed
	env.OnActivity(a.EnsureRuns, mock.Anything, mock.Anything).Return(func(_ context.Context, needs []activities.RunNeed) error {
		got = append(got, needs...)
		return nil
	})
	nudged := 0
	env.OnActivity(a.NudgeSettlements, mock.Anything).Return(func(context.Context) (int, error) {
		nudged++
		return 2, nil
	})
	env.ExecuteWorkflow(Reconcile, ReconcileInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if nudged != 1 {
		t.Fatalf("the settlement runs adrift were nudged %d times, want once, at the end of the sweep", nudged)
	}
	want := []activities.RunNeed{
		{Kind: activities.RunVisitPlan, CustomerID: complete},
		{Kind: activities.RunVisitPlan, CustomerID: incomplete},
		{Kind: activities.RunOnboarding, CustomerID: incomplete},
		{Kind: activities.RunVisitPlan, CustomerID: later},
		{Kind: activities.RunSettlement, CustomerID: agreement},
	}
	if len(got) != len(want) {
		t.Fatalf("needs = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("need %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	var res ReconcileResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res != (ReconcileResult{Accounts: 3, Agreements: 1, Needs: 5, Nudged: 2}) {
		t.Fatalf("result = %+v", res)
	}
}

// A start that fails fails the sweep's step, which Temporal retries; the
// sweep does not end as if every row had its run.
func TestReconcileRetriesAFailedStart(t *testing.T) {
	env, a := reconcileEnv(t)
	id := uuid.New()
	env.OnActivity(a.ListActiveAccounts, mock.Anything, mock.Anything).Return(activities.AccountPage{Accounts: []activities.AccountFacts{{ID: id}}, Last: &id}, nil)
	env.OnActivity(a.ListOpenAgreements, mock.Anything, mock.Anything).Return([]uuid.UUID(nil), nil)
	calls := 0
	env.OnActivity(a.EnsureRuns, mock.Anything, mock.Anything).Return(func(context.Context, []activities.RunNeed) error {
		calls++
		if calls == 1 {
			return context.DeadlineExceeded
		}
		return nil
	})
	env.OnActivity(a.NudgeSettlements, mock.Anything).Return(0, nil)
	env.ExecuteWorkflow(Reconcile, ReconcileInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Fatalf("EnsureRuns ran %d times, want a retry", calls)
	}
}

// A large book continues as new with its cursor, so the history stays bounded.
func TestReconcileContinuesAsNewOnALargeBook(t *testing.T) {
	env, a := reconcileEnv(t)
	env.OnActivity(a.ListActiveAccounts, mock.Anything, mock.Anything).Return(func(_ context.Context, p activities.ReconcilePage) (activities.AccountPage, error) {
		id := uuid.New()
		return activities.AccountPage{Accounts: []activities.AccountFacts{{ID: id, Complete: true}}, Last: &id, More: true}, nil
	})
	env.OnActivity(a.EnsureRuns, mock.Anything, mock.Anything).Return(nil)
	env.ExecuteWorkflow(Reconcile, ReconcileInput{})
	err := env.GetWorkflowError()
	if !isContinueAsNew(err) {
		t.Fatalf("err = %v, want continue-as-new", err)
	}
	var next ReconcileInput
	if err := converterDecode(continueAsNewOf(err), &next); err != nil {
		t.Fatal(err)
	}
	if next.Phase != phaseAccounts || next.After == nil || next.Started != reconcilePagesPerRun {
		t.Fatalf("continued with %+v", next)
	}
}

// A start that keeps failing is given up for this sweep, which goes on with
// the rest of the book and says how many it could not start.
func TestReconcileGoesOnPastAStartThatKeepsFailing(t *testing.T) {
	env, a := reconcileEnv(t)
	id := uuid.New()
	env.OnActivity(a.ListActiveAccounts, mock.Anything, mock.Anything).Return(activities.AccountPage{Accounts: []activities.AccountFacts{{ID: id, Complete: true}}, Last: &id}, nil)
	agreement := uuid.New()
	env.OnActivity(a.ListOpenAgreements, mock.Anything, mock.Anything).Return([]uuid.UUID{agreement}, nil)
	var settled bool
	env.OnActivity(a.EnsureRuns, mock.Anything, mock.Anything).Return(func(_ context.Context, needs []activities.RunNeed) error {
		if needs[0].Kind == activities.RunSettlement {
			settled = true
			return nil
		}
		return context.DeadlineExceeded
	})
	env.OnActivity(a.NudgeSettlements, mock.Anything).Return(0, nil)
	env.ExecuteWorkflow(Reconcile, ReconcileInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res ReconcileResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if !settled || res.Failed != 1 || res.Needs != 2 {
		t.Fatalf("settled %v, result %+v", settled, res)
	}
}

// Signalling the runs adrift is a step of its own: one that keeps failing is
// given up for this sweep (the next one tries again), and the sweep still
// ends with what it started.
func TestReconcileGoesOnPastNudgesThatFail(t *testing.T) {
	env, a := reconcileEnv(t)
	id := uuid.New()
	env.OnActivity(a.ListActiveAccounts, mock.Anything, mock.Anything).Return(activities.AccountPage{Accounts: []activities.AccountFacts{{ID: id, Complete: true}}, Last: &id}, nil)
	env.OnActivity(a.ListOpenAgreements, mock.Anything, mock.Anything).Return([]uuid.UUID(nil), nil)
	env.OnActivity(a.EnsureRuns, mock.Anything, mock.Anything).Return(nil)
	tries := 0
	env.OnActivity(a.NudgeSettlements, mock.Anything).Return(func(context.Context) (int, error) {
		tries++
		return 0, context.DeadlineExceeded
	})
	env.ExecuteWorkflow(Reconcile, ReconcileInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res ReconcileResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if tries != 5 || res != (ReconcileResult{Accounts: 1, Needs: 1}) {
		t.Fatalf("%d tries, result %+v", tries, res)
	}
}
