package workflows

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"kam"
	"kam/activities"
)

type visitRun struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	in      VisitPlanInput
	facts   activities.VisitPlanFacts
	visits  map[uuid.UUID]string // id -> status
	dues    []time.Time
	notices []activities.Notice
}

// newVisitRun: a weekly cadence (Mondays 09:00 Shanghai), told 72h ahead,
// missed 168h after due. t0 is a Monday.
func newVisitRun(t *testing.T) *visitRun {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.SetStartTime(t0)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	r := &visitRun{t: t, env: env, visits: map[uuid.UUID]string{},
		facts: activities.VisitPlanFacts{Active: true, Cadence: "0 9 * * 1"},
		in:    VisitPlanInput{CustomerID: uuid.New(), Timezone: "Asia/Shanghai", Lead: 72 * time.Hour, Grace: 168 * time.Hour}}
	env.OnActivity(a.LoadVisitPlan, mock.Anything, r.in.CustomerID).Return(func(context.Context, uuid.UUID) (activities.VisitPlanFacts, error) { return r.facts, nil })
	env.OnActivity(a.PlanVisit, mock.Anything, r.in.CustomerID, mock.Anything).Return(func(_ context.Context, _ uuid.UUID, due time.Time) (uuid.UUID, error) {
		id := uuid.New()
		r.visits[id] = "planned"
		r.dues = append(r.dues, due)
		return id, nil
	})
	env.OnActivity(a.VisitStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, id uuid.UUID) (string, error) { return r.visits[id], nil })
	env.OnActivity(a.MarkVisitMissed, mock.Anything, mock.Anything).Return(func(_ context.Context, id uuid.UUID) (bool, error) {
		if r.visits[id] != "planned" {
			return false, nil
		}
		r.visits[id] = "missed"
		return true, nil
	})
	env.OnActivity(a.CancelVisit, mock.Anything, mock.Anything).Return(func(_ context.Context, id uuid.UUID) error {
		if r.visits[id] == "planned" {
			r.visits[id] = "cancelled"
		}
		return nil
	})
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notice) (int, error) {
		r.notices = append(r.notices, n)
		return 1, nil
	})
	return r
}

// recordVisit completes the planned visit, as the API does, and signals.
func (r *visitRun) recordVisit(d time.Duration) {
	r.env.RegisterDelayedCallback(func() {
		for id, st := range r.visits {
			if st == "planned" {
				r.visits[id] = "done"
			}
		}
		r.env.SignalWorkflow(SignalVisitRecorded, nil)
	}, d)
}

func (r *visitRun) churn(d time.Duration) {
	r.env.RegisterDelayedCallback(func() {
		r.facts.Active = false
		r.env.SignalWorkflow(SignalPlanChanged, nil)
	}, d)
}

func (r *visitRun) count(status string) int {
	n := 0
	for _, s := range r.visits {
		if s == status {
			n++
		}
	}
	return n
}

func (r *visitRun) kinds() map[string]int {
	m := map[string]int{}
	for _, n := range r.notices {
		m[n.Kind]++
	}
	return m
}

func (r *visitRun) run() {
	r.t.Helper()
	r.env.ExecuteWorkflow(VisitPlan, r.in)
	if err := r.env.GetWorkflowError(); err != nil {
		r.t.Fatal(err)
	}
}

var cst = time.FixedZone("CST", 8*3600)

// t0 is Monday 08:00 in Shanghai: the first visit is due at 09:00 that day
// (told at once, the lead being past), the next a week later (told three days
// ahead); both are recorded on time and the third is withdrawn at churn.
// Art. 20: regular visits by the account manager.
func TestVisitDueRemindedRecorded(t *testing.T) {
	r := newVisitRun(t)
	r.recordVisit(2 * time.Hour)
	r.recordVisit(7*day + 2*time.Hour)
	r.churn(9 * day)
	r.run()
	first := time.Date(2026, 1, 5, 9, 0, 0, 0, cst)
	if len(r.dues) != 3 || !r.dues[0].Equal(first) || !r.dues[1].Equal(first.Add(7*day)) || !r.dues[2].Equal(first.Add(14*day)) {
		t.Fatalf("dues = %v", r.dues)
	}
	k := r.kinds()
	if k["visit_due"] != 2 || k["visit_missed"] != 0 || r.count("done") != 2 || r.count("cancelled") != 1 {
		t.Fatalf("notices %v, visits %v", k, r.visits)
	}
	for _, n := range r.notices {
		if n.Kind == "visit_due" && (!n.ToAccountManager || !slices.Equal(n.OrRoles, []string{kam.RoleKAManager})) {
			t.Fatal("visit reminder not to the account manager, or the KA Department without one")
		}
	}
}

// No visit by due + grace: missed, and the KA manager hears of it.
// Art. 20: regular visits by the account manager.
func TestVisitMissedEscalated(t *testing.T) {
	r := newVisitRun(t)
	r.churn(9 * day)
	r.run()
	if r.count("missed") != 1 || r.kinds()["visit_missed"] != 1 {
		t.Fatalf("visits %v notices %v", r.visits, r.kinds())
	}
	for _, n := range r.notices {
		if n.Kind == "visit_missed" && (len(n.Roles) != 1 || n.Roles[0] != kam.RoleKAManager || !n.ToAccountManager) {
			t.Fatalf("missed visit told to %v (account manager %v)", n.Roles, n.ToAccountManager)
		}
	}
}

// A tier change mid-wait reschedules at once: the planned visit is withdrawn
// and one on the new cadence replaces it.
// Art. 15: service differs by tier; Art. 20: regular visits by the account manager.
func TestVisitTierChangeReschedules(t *testing.T) {
	r := newVisitRun(t)
	r.env.RegisterDelayedCallback(func() {
		r.facts.Cadence = "0 14 * * *" // daily at 14:00
		r.env.SignalWorkflow(SignalPlanChanged, nil)
	}, 30*time.Minute)
	r.recordVisit(7 * time.Hour)
	r.churn(40 * time.Hour)
	r.run()
	want := []time.Time{time.Date(2026, 1, 5, 9, 0, 0, 0, cst), time.Date(2026, 1, 5, 14, 0, 0, 0, cst), time.Date(2026, 1, 6, 14, 0, 0, 0, cst)}
	if len(r.dues) != 3 || !r.dues[0].Equal(want[0]) || !r.dues[1].Equal(want[1]) || !r.dues[2].Equal(want[2]) {
		t.Fatalf("dues = %v", r.dues)
	}
	if r.count("cancelled") != 2 || r.count("done") != 1 {
		t.Fatalf("visits %v", r.visits)
	}
}

// Churn stops the plan and withdraws its planned visit.
func TestVisitChurnStopsPlan(t *testing.T) {
	r := newVisitRun(t)
	r.churn(30 * time.Minute)
	r.run()
	if len(r.dues) != 1 || r.count("cancelled") != 1 || r.kinds()["visit_missed"] != 0 {
		t.Fatalf("dues %v visits %v notices %v", r.dues, r.visits, r.notices)
	}
}

// Art. 19: greetings on birthdays, anniversaries and holidays.
func TestGreetingSweepUsesCompanyDate(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	// 20:00 UTC on the 4th is already the 5th in Shanghai.
	env.SetStartTime(time.Date(2026, 3, 4, 20, 0, 0, 0, time.UTC))
	a := &activities.Activities{}
	env.RegisterActivity(a)
	var got activities.GreetingSweep
	env.OnActivity(a.SweepGreetings, mock.Anything, mock.Anything).Return(func(_ context.Context, g activities.GreetingSweep) (int, error) {
		got = g
		return 2, nil
	})
	env.ExecuteWorkflow(GreetingSweep, GreetingSweepInput{Timezone: "Asia/Shanghai", Lead: 72 * time.Hour})
	var n int
	if err := env.GetWorkflowResult(&n); err != nil || n != 2 {
		t.Fatalf("n %d err %v", n, err)
	}
	if !got.Today.Equal(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)) || got.LeadDays != 3 {
		t.Fatalf("swept %+v", got)
	}
}

// A churn whose signal was lost (kam stopped between the churn's commit and
// the signal): the plan re-reads the account before its lead notice and
// stops, withdrawing the planned visit, rather than telling the manager.
func TestVisitLostChurnSignalStopsAtLeadNotice(t *testing.T) {
	r := newVisitRun(t)
	r.recordVisit(2 * time.Hour)
	r.env.RegisterDelayedCallback(func() { r.facts.Active = false }, day) // no signal
	r.run()
	k := r.kinds()
	if len(r.dues) != 2 || k["visit_due"] != 1 || r.count("done") != 1 || r.count("cancelled") != 1 {
		t.Fatalf("dues %v, notices %v, visits %v", r.dues, k, r.visits)
	}
}

// The same before the missed mark: a churned account's visit is not marked
// missed and the KA manager is not told.
func TestVisitLostChurnSignalStopsBeforeMissedMark(t *testing.T) {
	r := newVisitRun(t)
	r.env.RegisterDelayedCallback(func() { r.facts.Active = false }, 2*day) // after the lead notice, no signal
	r.run()
	k := r.kinds()
	if k["visit_missed"] != 0 || r.count("missed") != 0 || r.count("cancelled") != 1 || len(r.dues) != 1 {
		t.Fatalf("notices %v, visits %v, dues %v", k, r.visits, r.dues)
	}
}

// A cadence that never fires (30 February, stored before SPEC §7's rule):
// nothing is planned and the KA manager is told once, instead of a storm of
// due and missed notices from year 1; a corrected tier plans again.
func TestVisitImpossibleCadenceWaits(t *testing.T) {
	r := newVisitRun(t)
	r.facts.Cadence = "0 0 30 2 *"
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(SignalVisitRecorded, nil) }, time.Hour)
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(SignalPlanChanged, nil) }, 2*time.Hour) // still impossible
	r.env.RegisterDelayedCallback(func() {
		r.facts.Cadence = "0 9 * * 1"
		r.env.SignalWorkflow(SignalPlanChanged, nil)
	}, 3*day)
	r.recordVisit(7*day + 2*time.Hour)
	r.churn(8 * day)
	r.run()
	k := r.kinds()
	if k["invalid_schedule"] != 1 || k["visit_missed"] != 0 || k["visit_due"] != 1 || r.count("done") != 1 ||
		len(r.dues) != 2 || !r.dues[0].Equal(time.Date(2026, 1, 12, 9, 0, 0, 0, cst)) {
		t.Fatalf("notices %v, dues %v", k, r.dues)
	}
}

// continued runs the plan to its continue-as-new and reads what it carries.
func (r *visitRun) continued() VisitPlanInput {
	r.t.Helper()
	r.env.ExecuteWorkflow(VisitPlan, r.in)
	err := r.env.GetWorkflowError()
	if !isContinueAsNew(err) {
		r.t.Fatalf("err = %v, want continue-as-new", err)
	}
	var next VisitPlanInput
	if err := converterDecode(continueAsNewOf(err), &next); err != nil {
		r.t.Fatal(err)
	}
	return next
}

// A tier saved again and again without changing the cadence (each save
// signals every plan on the tier) does not grow one run without bound: the
// run continues as new in the middle of its wait, carrying the planned visit
// and that its manager was told, and the next run waits on that same visit
// without planning or announcing it again. Art. 20: regular visits.
func TestVisitSameCadenceSignalsContinueAsNewWithPlannedVisit(t *testing.T) {
	r := newVisitRun(t)
	r.env.SetStartTime(t0.Add(-3 * day)) // the first visit is told 72h ahead, at 1h
	for i := range visitTurnsPerRun + 50 {
		r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(SignalPlanChanged, nil) }, 2*time.Hour+time.Duration(i)*time.Second)
	}
	next := r.continued()
	first := time.Date(2026, 1, 5, 9, 0, 0, 0, cst)
	if len(r.dues) != 1 || next.Visit == uuid.Nil || r.visits[next.Visit] != "planned" || !next.Due.Equal(first) || !next.Told {
		t.Fatalf("dues %v, visits %v, carried %+v", r.dues, r.visits, next)
	}
	if r.kinds()["visit_due"] != 1 {
		t.Fatalf("notices %v", r.kinds())
	}

	r2 := newVisitRun(t)
	r2.env.SetStartTime(t0.Add(-3*day + time.Hour))
	next.CustomerID = r2.in.CustomerID // the account the mocks answer for
	r2.in, r2.visits = next, map[uuid.UUID]string{next.Visit: "planned"}
	r2.recordVisit(3*day + time.Hour)
	r2.churn(4 * day)
	r2.run()
	if len(r2.dues) != 1 || !r2.dues[0].Equal(first.Add(7*day)) || r2.visits[next.Visit] != "done" || r2.kinds()["visit_due"] != 0 {
		t.Fatalf("dues %v, visits %v, notices %v", r2.dues, r2.visits, r2.kinds())
	}
}

// A carried visit the cadence no longer has (the tier changed while the run
// continued as new) is withdrawn and one on the new cadence planned.
func TestVisitCarriedVisitWithdrawnOnNewCadence(t *testing.T) {
	r := newVisitRun(t)
	old := uuid.New()
	r.visits[old] = "planned"
	r.in.Visit, r.in.Due, r.in.LastDue = old, time.Date(2026, 1, 5, 9, 0, 0, 0, cst), t0
	r.facts.Cadence = "0 14 * * *"
	r.churn(2 * time.Hour)
	r.run()
	if r.visits[old] != "cancelled" || len(r.dues) != 1 || !r.dues[0].Equal(time.Date(2026, 1, 5, 14, 0, 0, 0, cst)) {
		t.Fatalf("visits %v, dues %v", r.visits, r.dues)
	}
}

// A never-firing cadence saved again and again: the waiting run continues
// as new too, and the KA manager is not told again.
func TestVisitImpossibleCadenceSignalsContinueAsNew(t *testing.T) {
	r := newVisitRun(t)
	r.facts.Cadence = "0 0 30 2 *"
	for i := range visitTurnsPerRun + 10 {
		r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(SignalPlanChanged, nil) }, time.Hour+time.Duration(i)*time.Second)
	}
	next := r.continued()
	if next.BadCadence != "0 0 30 2 *" || !next.LastDue.IsZero() || next.Visit != uuid.Nil || r.kinds()["invalid_schedule"] != 1 {
		t.Fatalf("carried %+v, notices %v", next, r.kinds())
	}
}
