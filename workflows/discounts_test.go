package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"kam"
	"kam/activities"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// approvalRun is one approval run in the time-skipping environment, with
// every activity mocked and recorded.
type approvalRun struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	in       DiscountInput
	events   []activities.DiscountEvent
	saves    []kam.DiscountState
	grants   int
	filings  int
	ended    int
	rejected []string // error types of refused updates
	answers  []DiscountState
}

func newApprovalRun(t *testing.T, route string) *approvalRun { return newApprovalRunWith(t, route, 0) }

// newApprovalRunWith makes every recorded event take eventDelay of workflow time.
func newApprovalRunWith(t *testing.T, route string, eventDelay time.Duration) *approvalRun {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.SetStartTime(t0)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	r := &approvalRun{t: t, env: env, in: DiscountInput{
		RequestID: uuid.New(), CustomerID: uuid.New(), RequesterID: uuid.New(), Route: route,
		GrantEndsAt: t0.Add(30 * 24 * time.Hour),
		RemindEvery: 24 * time.Hour, EscalateAfter: 72 * time.Hour, GMTimeout: 120 * time.Hour, ExpiryNotice: 168 * time.Hour,
	}}
	env.OnActivity(a.ConfirmDiscountRequest, mock.Anything, r.in.RequestID).Return(nil)
	env.OnActivity(a.SaveDiscountState, mock.Anything, mock.Anything).Return(func(_ context.Context, st kam.DiscountState) error {
		r.saves = append(r.saves, st)
		return nil
	})
	env.OnActivity(a.RecordDiscountEvent, mock.Anything, mock.Anything).After(eventDelay).Return(func(_ context.Context, e activities.DiscountEvent) error {
		r.events = append(r.events, e)
		return nil
	})
	env.OnActivity(a.ApplyGrant, mock.Anything, r.in.RequestID, mock.Anything).Return(func(context.Context, uuid.UUID, uuid.UUID) (uuid.UUID, error) {
		r.grants++
		return uuid.New(), nil
	})
	env.OnActivity(a.FileWithGM, mock.Anything, r.in.RequestID).Return(func(context.Context, uuid.UUID) (uuid.UUID, error) {
		r.filings++
		return uuid.New(), nil
	})
	env.OnActivity(a.EndGrant, mock.Anything, r.in.RequestID).Return(func(context.Context, uuid.UUID) error {
		r.ended++
		return nil
	})
	return r
}

// at sends an update after d of workflow time.
func (r *approvalRun) at(d time.Duration, name string, arg any) {
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(name, uuid.NewString(), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) {
				var app *temporal.ApplicationError
				if errors.As(err, &app) {
					r.rejected = append(r.rejected, app.Type())
				} else {
					r.rejected = append(r.rejected, err.Error())
				}
			},
			OnComplete: func(v any, err error) {
				if err != nil {
					r.t.Errorf("update %s failed: %v", name, err)
					return
				}
				r.answers = append(r.answers, v.(DiscountState))
			},
		}, arg)
	}, d)
}

func (r *approvalRun) decide(d time.Duration, role, decision string) {
	r.at(d, UpdateDecide, Decision{By: uuid.New(), Role: role, Decision: decision, Comment: "ok"})
}

func (r *approvalRun) run() DiscountState {
	r.t.Helper()
	r.env.ExecuteWorkflow(DiscountApproval, r.in)
	if !r.env.IsWorkflowCompleted() {
		r.t.Fatal("run did not complete")
	}
	if err := r.env.GetWorkflowError(); err != nil {
		r.t.Fatal(err)
	}
	var st DiscountState
	if err := r.env.GetWorkflowResult(&st); err != nil {
		r.t.Fatal(err)
	}
	return st
}

func (r *approvalRun) kinds() map[string]int {
	m := map[string]int{}
	keys := map[string]bool{}
	for _, e := range r.events {
		if keys[e.Key] {
			r.t.Errorf("event key %s recorded twice", e.Key)
		}
		keys[e.Key] = true
		m[e.Kind]++
	}
	return m
}

func (r *approvalRun) lastSave() kam.DiscountState { return r.saves[len(r.saves)-1] }

// Art. 12: within standard: KA Department and filing; beyond: the GM.
func TestStandardApprovedIsGrantedFiledAndEnds(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	st := r.run()
	if st.State != kam.StateApproved || st.GrantID == nil || st.FilingID == nil {
		t.Fatalf("state = %+v", st)
	}
	if r.grants != 1 || r.filings != 1 || r.ended != 1 {
		t.Fatalf("grants=%d filings=%d ended=%d", r.grants, r.filings, r.ended)
	}
	k := r.kinds()
	if k["discount_approve"] != 1 || k["discount_filed"] != 1 || k["discount_granted"] != 1 || k["grant_expiring"] != 1 || k["grant_ended"] != 1 || k["discount_reminder"] != 0 {
		t.Fatalf("events = %v", k)
	}
	if len(r.answers) != 1 || r.answers[0].State != kam.StateApproved {
		t.Fatalf("update answered %+v", r.answers)
	}
	// The grant lives until valid_to: the run ends then, not before.
	if got := r.env.Now(); got.Before(r.in.GrantEndsAt) {
		t.Fatalf("run ended at %s, before the grant's end %s", got, r.in.GrantEndsAt)
	}
	if s := r.lastSave(); s.State != kam.StateApproved || s.Decision == nil || s.Decision.Stage != kam.StageKADepartment {
		t.Fatalf("last save = %+v", s)
	}
}

// Art. 12: within standard: KA Department and filing; beyond: the GM.
func TestStandardRejected(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.decide(2*time.Hour, kam.RoleKAManager, "reject")
	st := r.run()
	if st.State != kam.StateRejected || r.grants != 0 || r.filings != 0 {
		t.Fatalf("state = %+v grants %d filings %d", st, r.grants, r.filings)
	}
	if r.kinds()["discount_reject"] != 1 {
		t.Fatalf("events = %v", r.kinds())
	}
}

// Art. 12: within standard: KA Department and filing; beyond: the GM.
func TestBeyondStandardNeedsBothStages(t *testing.T) {
	r := newApprovalRun(t, kam.RouteBeyondStandard)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	// The KA manager may not decide stage 2.
	r.decide(2*time.Hour, kam.RoleKAManager, "approve")
	r.decide(3*time.Hour, kam.RoleGeneralManager, "approve")
	st := r.run()
	if st.State != kam.StateApproved || r.grants != 1 || r.filings != 0 {
		t.Fatalf("state = %+v grants %d filings %d", st, r.grants, r.filings)
	}
	if len(r.rejected) != 1 || r.rejected[0] != ErrNotDecider {
		t.Fatalf("rejected = %v", r.rejected)
	}
	if r.answers[0].State != kam.StatePending || r.answers[0].Stage != kam.StageGeneralManager {
		t.Fatalf("after stage 1: %+v", r.answers[0])
	}
	if k := r.kinds(); k["discount_awaiting_decision"] != 1 || k["discount_approve"] != 2 {
		t.Fatalf("events = %v", k)
	}
}

// Art. 12: within standard: KA Department and filing; beyond: the GM.
func TestBeyondStandardRejectedByGM(t *testing.T) {
	r := newApprovalRun(t, kam.RouteBeyondStandard)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	r.decide(30*time.Hour, kam.RoleGeneralManager, "reject")
	st := r.run()
	if st.State != kam.StateRejected || r.grants != 0 {
		t.Fatalf("state = %+v", st)
	}
	// One reminder to the GM at 24h into stage 2 (stage 2 began at 1h).
	if k := r.kinds(); k["discount_reminder"] != 1 {
		t.Fatalf("events = %v", k)
	}
}

// Stage 1 undecided for 72h: reminders at 24h and 48h, escalation at 72h;
// then the GM decides and, having decided, nothing is filed with them.
// Art. 12: within standard: KA Department and filing; beyond: the GM.
func TestStageOneEscalatesAndGMDecides(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.decide(80*time.Hour, kam.RoleKAManager, "approve") // too late: the GM's now
	r.decide(90*time.Hour, kam.RoleGeneralManager, "approve")
	st := r.run()
	if st.State != kam.StateApproved || !st.Escalated || r.filings != 0 || r.grants != 1 {
		t.Fatalf("state = %+v filings %d", st, r.filings)
	}
	if len(r.rejected) != 1 || r.rejected[0] != ErrNotDecider {
		t.Fatalf("rejected = %v", r.rejected)
	}
	k := r.kinds()
	if k["discount_reminder"] != 2 || k["discount_escalated"] != 1 {
		t.Fatalf("events = %v", k)
	}
	for _, e := range r.events {
		if e.Kind == "discount_escalated" && e.Notice.Roles[0] != kam.RoleGeneralManager {
			t.Fatalf("escalation went to %v", e.Notice.Roles)
		}
	}
}

// Art. 12: within standard: KA Department and filing; beyond: the GM.
func TestStageTwoExpires(t *testing.T) {
	r := newApprovalRun(t, kam.RouteBeyondStandard)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	r.decide(200*time.Hour, kam.RoleGeneralManager, "approve") // after expiry
	st := r.run()
	if st.State != kam.StateExpired || r.grants != 0 {
		t.Fatalf("state = %+v", st)
	}
	// Stage 2 ran 120h from 1h: reminders at 25h, 49h, 73h, 97h, then expiry at 121h.
	if k := r.kinds(); k["discount_reminder"] != 4 || k["discount_expired"] != 1 {
		t.Fatalf("events = %v", k)
	}
	if s := r.lastSave(); s.State != kam.StateExpired || s.Reminders != 4 {
		t.Fatalf("last save = %+v", s)
	}
}

func TestWithdrawOnlyByRequesterWhilePending(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.at(time.Hour, UpdateWithdraw, Withdrawal{By: uuid.New()})
	r.at(2*time.Hour, UpdateWithdraw, Withdrawal{By: r.in.RequesterID})
	r.at(3*time.Hour, UpdateWithdraw, Withdrawal{By: r.in.RequesterID})
	st := r.run()
	if st.State != kam.StateWithdrawn || r.grants != 0 {
		t.Fatalf("state = %+v", st)
	}
	if len(r.rejected) != 1 || r.rejected[0] != ErrNotRequester {
		t.Fatalf("rejected = %v", r.rejected)
	}
}

// The validator refuses self-approval, the wrong role, a second decision and
// a decision that is neither approve nor reject.
// Art. 11: discounts are confidential and approved level by level.
func TestDecisionValidator(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.at(time.Hour, UpdateDecide, Decision{By: r.in.RequesterID, Role: kam.RoleKAManager, Decision: "approve"})
	r.decide(time.Hour+time.Minute, kam.RoleFinance, "approve")
	r.decide(time.Hour+2*time.Minute, kam.RoleGeneralManager, "approve") // not escalated yet
	r.decide(time.Hour+3*time.Minute, kam.RoleKAManager, "maybe")
	r.decide(2*time.Hour, kam.RoleKAManager, "approve")
	r.decide(3*time.Hour, kam.RoleKAManager, "reject")
	st := r.run()
	if st.State != kam.StateApproved {
		t.Fatalf("state = %+v", st)
	}
	want := []string{ErrNotDecider, ErrNotDecider, ErrNotDecider, "validation_failed"}
	if len(r.rejected) != 5 {
		t.Fatalf("rejected = %v", r.rejected)
	}
	for i, w := range want {
		if r.rejected[i] != w {
			t.Fatalf("rejected = %v, want %v then %s", r.rejected, want, ErrAlreadyDecided)
		}
	}
	if r.rejected[4] != ErrAlreadyDecided {
		t.Fatalf("second decision: %v", r.rejected)
	}
}

// Two decisions delivered at the same instant: exactly one is accepted.
func TestConcurrentDecisionsExactlyOne(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	r.decide(time.Hour, kam.RoleKAManager, "reject")
	st := r.run()
	if len(r.answers) != 1 || len(r.rejected) != 1 || r.rejected[0] != ErrAlreadyDecided {
		t.Fatalf("answers %d rejected %v", len(r.answers), r.rejected)
	}
	if st.State != r.answers[0].State {
		t.Fatalf("final %s, answered %s", st.State, r.answers[0].State)
	}
}

func TestRemindersEveryPeriodUntilDecided(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.decide(71*time.Hour, kam.RoleKAManager, "approve")
	st := r.run()
	if st.Reminders != 2 || r.kinds()["discount_reminder"] != 2 {
		t.Fatalf("reminders = %d, events %v", st.Reminders, r.kinds())
	}
	for _, e := range r.events {
		if e.Kind == "discount_reminder" && e.Notice.Roles[0] != kam.RoleKAManager {
			t.Fatalf("reminder went to %v", e.Notice.Roles)
		}
	}
}

// A GM decision that lands while the run is still sending the stage-1 notices
// (each takes a minute here) is applied, and the run carries on cleanly.
func TestDecisionDuringNoticeDelivery(t *testing.T) {
	r := newApprovalRunWith(t, kam.RouteBeyondStandard, time.Minute)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	r.decide(time.Hour+30*time.Second, kam.RoleGeneralManager, "approve")
	st := r.run()
	if st.State != kam.StateApproved || r.grants != 1 || len(r.rejected) != 0 {
		t.Fatalf("state = %+v rejected %v", st, r.rejected)
	}
}

// A run whose request row never commits (the submission rolled back after the
// start) finds nothing and ends without a trace.
func TestRunWithoutRequestEnds(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	a := &activities.Activities{}
	env.RegisterActivity(a)
	env.OnActivity(a.ConfirmDiscountRequest, mock.Anything, mock.Anything).Return(temporal.NewApplicationError("missing", "request_missing"))
	env.ExecuteWorkflow(DiscountApproval, DiscountInput{RequestID: uuid.New(), RemindEvery: time.Hour, EscalateAfter: time.Hour, GMTimeout: time.Hour})
	var st DiscountState
	if err := env.GetWorkflowResult(&st); err != nil || st.State != "abandoned" {
		t.Fatalf("state %+v err %v", st, err)
	}
	env.AssertNotCalled(t, "SaveDiscountState", mock.Anything, mock.Anything)
}
