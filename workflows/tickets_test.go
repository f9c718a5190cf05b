package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
)

type ticketRun struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	in       TicketInput
	breaches []activities.TicketBreach
	notices  []activities.Notice
	// settled, when set, is what the breach step's re-read finds met.
	settled func(activities.TicketBreach) bool
}

// newTicketRun: respond within 1h, resolve within 8h of t0.
func newTicketRun(t *testing.T, topTier bool) *ticketRun {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.SetStartTime(t0)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	r := &ticketRun{t: t, env: env, in: TicketInput{TicketID: uuid.New(), CustomerID: uuid.New(), TopTier: topTier,
		RespondBy: t0.Add(time.Hour), ResolveBy: t0.Add(8 * time.Hour)}}
	env.OnActivity(a.MarkTicketBreach, mock.Anything, mock.Anything).Return(func(_ context.Context, b activities.TicketBreach) (bool, error) {
		if r.settled != nil && r.settled(b) {
			return false, nil // the re-read ticket no longer owes this target
		}
		r.breaches = append(r.breaches, b)
		return true, nil
	})
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notice) (int, error) {
		r.notices = append(r.notices, n)
		return 1, nil
	})
	return r
}

func (r *ticketRun) event(d time.Duration, sig TicketSignal) {
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(SignalTicketEvent, sig) }, d)
}

func (r *ticketRun) run() TicketState {
	r.t.Helper()
	r.env.ExecuteWorkflow(TicketSLA, r.in)
	if err := r.env.GetWorkflowError(); err != nil {
		r.t.Fatal(err)
	}
	var st TicketState
	if err := r.env.GetWorkflowResult(&st); err != nil {
		r.t.Fatal(err)
	}
	return st
}

func TestTicketMetBothTargets(t *testing.T) {
	r := newTicketRun(t, false)
	r.event(30*time.Minute, TicketSignal{Type: "acknowledge"})
	r.event(2*time.Hour, TicketSignal{Type: "resolve"})
	r.event(3*time.Hour, TicketSignal{Type: "close"})
	st := r.run()
	if st.ResponseBreached || st.ResolutionBreached || len(r.breaches) != 0 || !st.Closed {
		t.Fatalf("state %+v breaches %v", st, r.breaches)
	}
}

// Art. 16: hotline requests are handled promptly.
func TestTicketResponseBreachedEscalates(t *testing.T) {
	r := newTicketRun(t, false)
	r.event(2*time.Hour, TicketSignal{Type: "acknowledge"})
	r.event(3*time.Hour, TicketSignal{Type: "resolve"})
	r.event(4*time.Hour, TicketSignal{Type: "close"})
	st := r.run()
	if !st.ResponseBreached || st.ResolutionBreached || len(r.breaches) != 1 || !r.breaches[0].Response {
		t.Fatalf("state %+v breaches %v", st, r.breaches)
	}
	if len(r.notices) != 1 || r.notices[0].Roles[0] != kam.RoleKAManager || len(r.notices[0].Roles) != 1 || !r.notices[0].ToAccountManager {
		t.Fatalf("notices %v", r.notices)
	}
}

// A missed resolution on a top-tier account also reaches the GM.
// Art. 16: hotline requests are handled promptly; Art. 17: key accounts are served first.
func TestTicketResolutionBreachedTopTierToGM(t *testing.T) {
	r := newTicketRun(t, true)
	r.event(10*time.Minute, TicketSignal{Type: "acknowledge"})
	r.event(9*time.Hour, TicketSignal{Type: "resolve"})
	r.event(10*time.Hour, TicketSignal{Type: "close"})
	st := r.run()
	if st.ResponseBreached || !st.ResolutionBreached || len(r.notices) != 1 {
		t.Fatalf("state %+v notices %v", st, r.notices)
	}
	if roles := r.notices[0].Roles; len(roles) != 2 || roles[1] != kam.RoleGeneralManager {
		t.Fatalf("escalated to %v", roles)
	}
}

// A reopened ticket gets a new resolution target, and missing it is a new breach.
func TestTicketReopened(t *testing.T) {
	r := newTicketRun(t, false)
	r.event(10*time.Minute, TicketSignal{Type: "resolve"})
	r.event(time.Hour, TicketSignal{Type: "reopen", ResolveBy: t0.Add(3 * time.Hour)})
	r.event(5*time.Hour, TicketSignal{Type: "resolve"})
	r.event(6*time.Hour, TicketSignal{Type: "close"})
	st := r.run()
	if st.Reopened != 1 || !st.ResolutionBreached || st.ResponseBreached || len(r.breaches) != 1 || !r.breaches[0].Resolution {
		t.Fatalf("state %+v breaches %v", st, r.breaches)
	}
	if r.notices[0].EventKey != TicketWorkflowID(r.in.TicketID)+"/resolution_breached/1" {
		t.Fatalf("key %s", r.notices[0].EventKey)
	}
}

// A resolve whose signal was lost: the breach step re-reads the ticket and
// neither records nor escalates a target the ticket has met.
func TestTicketBreachSkippedWhenRereadResolved(t *testing.T) {
	r := newTicketRun(t, true)
	r.event(30*time.Minute, TicketSignal{Type: "acknowledge"})
	resolved := false
	r.env.RegisterDelayedCallback(func() { resolved = true }, 2*time.Hour) // no signal
	r.settled = func(b activities.TicketBreach) bool { return b.Resolution && resolved }
	r.event(10*time.Hour, TicketSignal{Type: "close"})
	r.run()
	if len(r.breaches) != 0 || len(r.notices) != 0 {
		t.Fatalf("breaches %v, notices %v", r.breaches, r.notices)
	}
}

// A run started again by a reopen after close (the API's signal-with-start)
// carries the ticket's past: answered already, so no response breach; its
// resolution target is the reopen's, and its breach notice is numbered after
// the earlier reopens.
func TestTicketRestartedByReopen(t *testing.T) {
	r := newTicketRun(t, false)
	r.in.RespondBy, r.in.Responded, r.in.Reopened = t0.Add(-time.Hour), true, 1
	r.env.RegisterDelayedCallback(func() {
		r.env.SignalWorkflow(SignalTicketEvent, TicketSignal{Type: "reopen", ResolveBy: t0.Add(4 * time.Hour)})
	}, 0)
	r.event(6*time.Hour, TicketSignal{Type: "resolve"})
	r.event(7*time.Hour, TicketSignal{Type: "close"})
	st := r.run()
	if st.ResponseBreached || !st.ResolutionBreached || st.Reopened != 2 || len(r.breaches) != 1 {
		t.Fatalf("state %+v, breaches %v", st, r.breaches)
	}
	if r.notices[0].EventKey != TicketWorkflowID(r.in.TicketID)+"/resolution_breached/2" || r.breaches[0].Note != "not resolved by "+t0.Add(4*time.Hour).UTC().Format(time.RFC3339) {
		t.Fatalf("notice %q, breach %q", r.notices[0].EventKey, r.breaches[0].Note)
	}
}

// continued runs the ticket's run to its continue-as-new and reads what it
// carries.
func (r *ticketRun) continued() TicketInput {
	r.t.Helper()
	r.env.ExecuteWorkflow(TicketSLA, r.in)
	err := r.env.GetWorkflowError()
	if !isContinueAsNew(err) {
		r.t.Fatalf("err = %v, want continue-as-new", err)
	}
	var next TicketInput
	if err := converterDecode(continueAsNewOf(err), &next); err != nil {
		r.t.Fatal(err)
	}
	return next
}

// Resolve and reopen may alternate without end (each a signal): the run
// continues as new long before Temporal's 10,000 signals per run, carrying
// the ticket's state, and the next run escalates no breach twice.
func TestTicketContinuesAsNewCarryingItsState(t *testing.T) {
	r := newTicketRun(t, false)
	for i := range 300 {
		sig := TicketSignal{Type: "resolve"}
		if i%2 == 1 {
			sig = TicketSignal{Type: "reopen", ResolveBy: t0.Add(time.Duration(900+i) * time.Hour)}
		}
		r.event(2*time.Hour+time.Duration(i)*time.Minute, sig)
	}
	next := r.continued()
	// Turn 0 was the response breach; turns 1-249 took records 0-248.
	if !next.ResponseBreached || next.ResolutionBreached || !next.Responded || !next.Resolved || next.Reopened != 124 || !next.ResolveBy.Equal(t0.Add(1147*time.Hour)) {
		t.Fatalf("carried %+v", next)
	}
	if len(r.breaches) != 1 || !r.breaches[0].Response {
		t.Fatalf("breaches %v", r.breaches)
	}

	// The next run picks up there: no second response breach; a reopen's
	// target missed is escalated once, numbered after the earlier reopens.
	r2 := newTicketRun(t, false)
	r2.in = next
	r2.env.SetStartTime(t0.Add(7 * time.Hour))
	r2.event(time.Minute, TicketSignal{Type: "reopen", ResolveBy: t0.Add(9 * time.Hour)})
	r2.event(2000*time.Hour, TicketSignal{Type: "close"})
	st := r2.run()
	if !st.ResponseBreached || !st.ResolutionBreached || st.Reopened != 125 || len(r2.breaches) != 1 || !r2.breaches[0].Resolution {
		t.Fatalf("state %+v, breaches %v", st, r2.breaches)
	}
	if r2.notices[0].EventKey != TicketWorkflowID(next.TicketID)+"/resolution_breached/125" {
		t.Fatalf("key %s", r2.notices[0].EventKey)
	}
}

// ticketBusyAtContinue fills a run up to its last turn, a resolution breach
// at 8h, during which more records arrive: they are pending when the run
// would continue as new.
func ticketBusyAtContinue(t *testing.T, pending ...TicketSignal) *ticketRun {
	r := newTicketRun(t, false)
	for i := range ticketTurnsPerRun - 2 { // turn 0 is the response breach at 1h
		r.event(2*time.Hour+time.Duration(i)*time.Second, TicketSignal{Type: "acknowledge"})
	}
	r.settled = func(b activities.TicketBreach) bool {
		if b.Resolution {
			for _, sig := range pending {
				r.env.SignalWorkflow(SignalTicketEvent, sig)
			}
		}
		return false
	}
	return r
}

// A record signalled while the run is busy just before it continues as new
// is applied and carried (STYLE: pending signals are drained), not lost.
func TestTicketContinueAsNewKeepsPendingRecord(t *testing.T) {
	r := ticketBusyAtContinue(t, TicketSignal{Type: "reopen", ResolveBy: t0.Add(20 * time.Hour)})
	next := r.continued()
	if next.Reopened != 1 || next.ResolutionBreached || !next.ResponseBreached || !next.ResolveBy.Equal(t0.Add(20*time.Hour)) {
		t.Fatalf("carried %+v", next)
	}
}

// A close pending when the run would continue ends the run instead.
func TestTicketClosePendingAtContinueEnds(t *testing.T) {
	r := ticketBusyAtContinue(t, TicketSignal{Type: "resolve"}, TicketSignal{Type: "close"})
	st := r.run()
	if !st.Closed || !st.Resolved || !st.ResolutionBreached {
		t.Fatalf("state %+v", st)
	}
}

// A run whose history passed the bound before versionTicketContinues keeps
// its course when replayed: it goes on without continuing as new.
func TestTicketBeforeVersionDoesNotContinue(t *testing.T) {
	r := newTicketRun(t, false)
	r.env.OnGetVersion(versionTicketContinues, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	for i := range ticketTurnsPerRun + 10 {
		r.event(10*time.Minute+time.Duration(i)*time.Second, TicketSignal{Type: "acknowledge"})
	}
	r.event(2*time.Hour, TicketSignal{Type: "resolve"})
	r.event(3*time.Hour, TicketSignal{Type: "close"})
	if st := r.run(); !st.Closed || st.ResponseBreached || st.ResolutionBreached {
		t.Fatalf("state %+v", st)
	}
}
