package workflows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"kam"
	"kam/activities"
)

func onboardingEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *activities.Activities) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	return env, a
}

func input(id uuid.UUID) OnboardingInput {
	return OnboardingInput{CustomerID: id, RemindEvery: 24 * time.Hour, EscalateAfter: 72 * time.Hour}
}

func incomplete(missing ...string) activities.ArchiveStatus {
	return activities.ArchiveStatus{Exists: true, Active: true, Missing: missing}
}

// Art. 7: the archive is complete and kept current.
func TestOnboardingCompleteAtOnceSendsNothing(t *testing.T) {
	env, a := onboardingEnv(t)
	env.OnActivity(a.CheckArchive, mock.Anything, mock.Anything).Return(activities.ArchiveStatus{Exists: true, Active: true}, nil).Once()
	env.ExecuteWorkflow(AccountOnboarding, input(uuid.New()))
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed=%v err=%v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var st OnboardingState
	if err := env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	if !st.Complete || st.Reminders != 0 || st.Escalated {
		t.Fatalf("state = %+v", st)
	}
	env.AssertExpectations(t)
}

// Three days without completion: reminders on days 1, 2 and 3 go to the data
// clerks, the escalation at 72h goes to the KA manager once; the archive is
// completed on day 4 and a signal finishes the run at once.
// Art. 7: the archive is complete and kept current; Art. 5.2: the KA Department follows up archives.
func TestOnboardingRemindsEscalatesThenCompletesOnSignal(t *testing.T) {
	env, a := onboardingEnv(t)
	id := uuid.New()
	complete := false
	env.OnActivity(a.CheckArchive, mock.Anything, id).Return(func(_ context.Context, _ uuid.UUID) (activities.ArchiveStatus, error) {
		if complete {
			return activities.ArchiveStatus{Exists: true, Active: true}, nil
		}
		return incomplete(kam.SectionKeyPersons, kam.SectionCredit), nil
	})
	var notices []activities.Notice
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notice) (int, error) {
		notices = append(notices, n)
		return 1, nil
	})
	env.RegisterDelayedCallback(func() {
		complete = true
		env.SignalWorkflow(SignalArchiveChanged, nil)
	}, 80*time.Hour)
	env.ExecuteWorkflow(AccountOnboarding, input(id))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var st OnboardingState
	if err := env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	if !st.Complete || st.Reminders != 3 || !st.Escalated {
		t.Fatalf("state = %+v", st)
	}
	var reminders, escalations int
	keys := map[string]bool{}
	for _, n := range notices {
		if keys[n.EventKey] {
			t.Errorf("event key %s used twice", n.EventKey)
		}
		keys[n.EventKey] = true
		switch n.Kind {
		case "archive_incomplete":
			reminders++
			if len(n.Roles) != 1 || n.Roles[0] != kam.RoleDataClerk {
				t.Errorf("reminder went to %v", n.Roles)
			}
			// Art. 9: the clerks are not told of credit.
			if got := n.BodyMsg.Args; len(got) != 1 || got[0] != kam.SectionKeyPersons {
				t.Errorf("the clerks' reminder says %v missing", got)
			}
		case "archive_escalated":
			escalations++
			if len(n.Roles) != 1 || n.Roles[0] != kam.RoleKAManager {
				t.Errorf("escalation went to %v", n.Roles)
			}
		}
	}
	if reminders != 3 || escalations != 1 {
		t.Fatalf("reminders=%d escalations=%d, want 3 and 1", reminders, escalations)
	}
	if got := env.Now().Sub(time.Time{}); got <= 0 {
		t.Fatal("clock did not move")
	}
}

// Each edit makes the run re-check at once; once the account is no longer
// active (churned or removed) the run stops without any notice.
func TestOnboardingStopsWhenAccountLeaves(t *testing.T) {
	env, a := onboardingEnv(t)
	id := uuid.New()
	calls := 0
	env.OnActivity(a.CheckArchive, mock.Anything, id).Return(func(_ context.Context, _ uuid.UUID) (activities.ArchiveStatus, error) {
		calls++
		if calls >= 3 {
			return activities.ArchiveStatus{Exists: true, Active: false, Missing: []string{kam.SectionCredit}}, nil
		}
		return incomplete(kam.SectionCredit), nil
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalArchiveChanged, nil) }, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalArchiveChanged, nil) }, 2*time.Hour)
	env.ExecuteWorkflow(AccountOnboarding, input(id))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var st OnboardingState
	if err := env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	if st.Complete || !st.Stopped || st.Reminders != 0 {
		t.Fatalf("state = %+v", st)
	}
}

// Art. 7: the archive is complete and kept current.
func TestOnboardingQueryShowsMissingSections(t *testing.T) {
	env, a := onboardingEnv(t)
	id := uuid.New()
	env.OnActivity(a.CheckArchive, mock.Anything, id).Return(incomplete(kam.SectionService), nil)
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(1, nil)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryOnboarding)
		if err != nil {
			t.Error(err)
			return
		}
		var st OnboardingState
		if err := v.Get(&st); err != nil {
			t.Error(err)
			return
		}
		if len(st.Missing) != 1 || st.Missing[0] != kam.SectionService || st.Reminders != 1 {
			t.Errorf("query state = %+v", st)
		}
		env.CancelWorkflow()
	}, 25*time.Hour)
	env.ExecuteWorkflow(AccountOnboarding, input(id))
}

// A long-lived incomplete archive continues as new instead of growing its
// history without bound, carrying its counters along.
func TestOnboardingContinuesAsNewWithCounters(t *testing.T) {
	env, a := onboardingEnv(t)
	id := uuid.New()
	env.OnActivity(a.CheckArchive, mock.Anything, id).Return(incomplete(kam.SectionCredit), nil)
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(1, nil)
	in := OnboardingInput{CustomerID: id, RemindEvery: time.Minute, EscalateAfter: time.Hour}
	env.ExecuteWorkflow(AccountOnboarding, in)
	err := env.GetWorkflowError()
	if err == nil {
		t.Fatal("expected continue-as-new")
	}
	if !isContinueAsNew(err) {
		t.Fatalf("err = %v", err)
	}
	var next OnboardingInput
	can := continueAsNewOf(err)
	if err := converterDecode(can, &next); err != nil {
		t.Fatal(err)
	}
	if next.Reminders != eventsPerRun-1 || !next.Escalated || next.StartedAt.IsZero() || next.CustomerID != id {
		t.Fatalf("carried state = %+v", next)
	}
}

// Art. 7.2: an archive that became incomplete again after its run ended gets
// a new run under the same workflow ID; its reminders and escalation carry
// keys of their own, so none is taken for the first run's and dropped (a
// notice is delivered once per key). Both runs' keys begin with the
// workflow ID.
func TestOnboardingRunsHaveTheirOwnKeys(t *testing.T) {
	id := uuid.New()
	run := func(start time.Time) []string {
		env, a := onboardingEnv(t)
		env.SetStartTime(start)
		complete := false
		env.OnActivity(a.CheckArchive, mock.Anything, id).Return(func(context.Context, uuid.UUID) (activities.ArchiveStatus, error) {
			if complete {
				return activities.ArchiveStatus{Exists: true, Active: true}, nil
			}
			return incomplete(kam.SectionKeyPersons), nil
		})
		var keys []string
		env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notice) (int, error) {
			keys = append(keys, n.EventKey)
			return 1, nil
		})
		env.RegisterDelayedCallback(func() {
			complete = true
			env.SignalWorkflow(SignalArchiveChanged, nil)
		}, 73*time.Hour)
		env.ExecuteWorkflow(AccountOnboarding, input(id))
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	first, again := run(start), run(start.AddDate(0, 2, 0))
	if len(first) != 4 || len(again) != 4 {
		t.Fatalf("notices: %v and %v, want three reminders and an escalation each", first, again)
	}
	seen := map[string]bool{}
	for _, k := range append(first, again...) {
		if seen[k] || !strings.HasPrefix(k, OnboardingWorkflowID(id)+"/") {
			t.Errorf("key %s used twice, or not under the workflow ID", k)
		}
		seen[k] = true
	}
}

// Art. 9, SPEC §2: an archive that lacks only its credit agreement is
// finance's to complete, not the data clerks' (who may not see credit):
// its reminders go to finance.
func TestOnboardingRemindsFinanceOfAMissingCreditAgreement(t *testing.T) {
	env, a := onboardingEnv(t)
	id := uuid.New()
	env.OnActivity(a.CheckArchive, mock.Anything, id).Return(incomplete(kam.SectionCredit), nil)
	var notices []activities.Notice
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notice) (int, error) {
		notices = append(notices, n)
		if len(notices) == 3 {
			env.CancelWorkflow()
		}
		return 1, nil
	})
	env.ExecuteWorkflow(AccountOnboarding, input(id))
	reminders := 0
	for _, n := range notices {
		if n.Kind != "archive_incomplete" {
			continue
		}
		reminders++
		if len(n.Roles) != 1 || n.Roles[0] != kam.RoleFinance || len(n.BodyMsg.Args) != 1 || n.BodyMsg.Args[0] != kam.SectionCredit {
			t.Errorf("reminder to %v saying %v, want finance told of credit", n.Roles, n.BodyMsg.Args)
		}
	}
	if reminders == 0 {
		t.Fatal("no reminder")
	}
}
