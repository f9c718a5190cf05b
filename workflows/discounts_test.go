package workflows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
	"kam/i18n"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// approvalRun is one approval run in the time-skipping environment, with
// every activity mocked and recorded.
type approvalRun struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	in     DiscountInput
	events []activities.DiscountEvent
	// aftermaths are CarryOutDiscount's inputs; eventActivities the kinds
	// RecordDiscountEvent sent, each its own activity.
	aftermaths      []activities.Aftermath
	eventActivities []string
	saves           []kam.DiscountState
	grants          int
	filings         int
	ended           int
	revokes         []activities.GrantRevocation
	rejected        []string // error types of refused updates
	answers         []DiscountState
	// unreachable: how many confirmations fail as with the database down;
	// confirms counts them all.
	unreachable, confirms int
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
	env.OnActivity(a.ConfirmDiscountRequest, mock.Anything, r.in.RequestID).Return(func(context.Context, uuid.UUID) error {
		if r.confirms++; r.confirms <= r.unreachable {
			return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
		}
		return nil
	})
	env.OnActivity(a.SaveDiscountState, mock.Anything, mock.Anything).Return(func(_ context.Context, st kam.DiscountState) (int32, error) {
		r.saves = append(r.saves, st)
		return int32(len(r.saves)), nil
	})
	env.OnActivity(a.RecordDiscountEvent, mock.Anything, mock.Anything).After(eventDelay).Return(func(_ context.Context, e activities.DiscountEvent) error {
		r.events = append(r.events, e)
		r.eventActivities = append(r.eventActivities, e.Kind)
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
	// The aftermath in one activity (versionOneAftermath), recorded as the
	// steps it stands for.
	carryOut := func(_ context.Context, m activities.Aftermath) (activities.AftermathDone, error) {
		var done activities.AftermathDone
		r.aftermaths = append(r.aftermaths, m)
		r.events = append(r.events, m.Before...)
		if m.Grant {
			r.grants++
			g := uuid.New()
			done.GrantID = &g
		}
		if m.File {
			r.filings++
			f := uuid.New()
			done.FilingID = &f
		}
		r.events = append(r.events, m.After...)
		return done, nil
	}
	env.OnActivity(a.CarryOutDiscount, mock.Anything, mock.Anything).After(eventDelay).Return(carryOut)
	env.OnActivity(a.EndGrant, mock.Anything, r.in.RequestID).Return(func(context.Context, uuid.UUID) error {
		r.ended++
		return nil
	})
	env.OnActivity(a.RevokeGrant, mock.Anything, mock.Anything).Return(func(_ context.Context, g activities.GrantRevocation) (uuid.UUID, error) {
		r.revokes = append(r.revokes, g)
		return uuid.New(), nil
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

// A database out for longer than the confirmation's own retries (a restart
// just after the request committed) is waited out: the run goes on to its
// decision instead of ending with its request left pending for ever.
func TestRunOutlastsAnOutageAtItsStart(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.unreachable = 20 // more than three rounds of the confirmation's own attempts
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	st := r.run()
	if st.State != kam.StateApproved || r.grants != 1 || r.confirms <= r.unreachable {
		t.Fatalf("state = %+v after %d confirmations, %d grants", st, r.confirms, r.grants)
	}
}

// deputyOf is a delegation of the General Manager's approvals in force
// from..until.
func deputyOf(from, until time.Time) *kam.Deputyship {
	return &kam.Deputyship{ID: uuid.New(), From: uuid.New(), FromRole: kam.RoleGeneralManager, StartsAt: from, EndsAt: until}
}

// decision finds the save that recorded stage's decision.
func (r *approvalRun) decision(stage string) *kam.DiscountDecision {
	for _, s := range r.saves {
		if s.Decision != nil && s.Decision.Stage == stage {
			return s.Decision
		}
	}
	r.t.Fatalf("no decision saved at the %s stage", stage)
	return nil
}

func (r *approvalRun) eventOf(kind string) activities.DiscountEvent {
	for _, e := range r.events {
		if e.Kind == kind {
			return e
		}
	}
	r.t.Fatalf("no %s event in %v", kind, r.kinds())
	return activities.DiscountEvent{}
}

// SPEC §7: while the GM is away a KA manager deputising for them decides the
// GM stage; the decision records by and on_behalf_of, and the requester, the
// GM and the stage-1 KA manager hear of it. Art. 12.
func TestDeputyDecidesForTheGM(t *testing.T) {
	r := newApprovalRun(t, kam.RouteBeyondStandard)
	ka, deputy := uuid.New(), uuid.New()
	gm := deputyOf(t0, t0.Add(1000*time.Hour))
	r.at(time.Hour, UpdateDecide, Decision{By: ka, Role: kam.RoleKAManager, Decision: "approve"})
	// Without the delegation the same KA manager may not decide stage 2.
	r.at(2*time.Hour, UpdateDecide, Decision{By: deputy, Role: kam.RoleKAManager, Decision: "approve"})
	r.at(3*time.Hour, UpdateDecide, Decision{By: deputy, Role: kam.RoleKAManager, Decision: "approve", Comment: "for Grace", Deputyship: gm})
	st := r.run()
	if st.State != kam.StateApproved || r.grants != 1 || r.filings != 0 {
		t.Fatalf("state = %+v grants %d filings %d", st, r.grants, r.filings)
	}
	if len(r.rejected) != 1 || r.rejected[0] != ErrNotDecider {
		t.Fatalf("rejected = %v", r.rejected)
	}
	d := r.decision(kam.StageGeneralManager)
	if d.By != deputy || d.OnBehalfOf == nil || *d.OnBehalfOf != gm.From {
		t.Fatalf("stage-2 decision = %+v", d)
	}
	if d := r.decision(kam.StageKADepartment); d.OnBehalfOf != nil {
		t.Fatalf("stage-1 decision = %+v", d)
	}
	// Both the delegator and the stage-1 KA manager hear of the decision.
	var told []uuid.UUID
	for _, e := range r.events {
		if e.Key == r.key("general_manager/approve") {
			told = e.Notice.StaffIDs
		}
	}
	for _, who := range []uuid.UUID{r.in.RequesterID, gm.From, ka} {
		if !slices.Contains(told, who) {
			t.Fatalf("stage-2 decision told %v, not %s", told, who)
		}
	}
}

func (r *approvalRun) key(suffix string) string {
	return DiscountWorkflowID(r.in.RequestID) + "/" + suffix
}

// SPEC §7: a deputy never decides their own request, nor the delegator's.
// Art. 11: level by level, never one's own.
func TestDeputyNeverDecidesOwnRequest(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	gm := deputyOf(t0, t0.Add(1000*time.Hour))
	// Escalated at 72h: the GM stage. The requester deputises for the GM.
	r.at(80*time.Hour, UpdateDecide, Decision{By: r.in.RequesterID, Role: kam.RoleKAManager, Decision: "approve", Deputyship: gm})
	// A deputy of the requester decides nothing of the requester's.
	own := &kam.Deputyship{ID: uuid.New(), From: r.in.RequesterID, FromRole: kam.RoleGeneralManager, StartsAt: t0, EndsAt: t0.Add(1000 * time.Hour)}
	r.at(81*time.Hour, UpdateDecide, Decision{By: uuid.New(), Role: kam.RoleKAManager, Decision: "approve", Deputyship: own})
	r.decide(90*time.Hour, kam.RoleGeneralManager, "reject")
	st := r.run()
	if st.State != kam.StateRejected || len(r.rejected) != 2 || r.rejected[0] != ErrNotDecider || r.rejected[1] != ErrNotDecider {
		t.Fatalf("state %s, rejected %v", st.State, r.rejected)
	}
}

// SPEC §7: a delegation ended while a stage is pending no longer lets its
// deputy decide; the delegator still does. Art. 12.
func TestDelegationEndedMidStageRefused(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	gm := deputyOf(t0, t0.Add(75*time.Hour)) // escalated at 72h, ended at 75h
	r.at(80*time.Hour, UpdateDecide, Decision{By: uuid.New(), Role: kam.RoleKAManager, Decision: "approve", Deputyship: gm})
	r.at(81*time.Hour, UpdateDecide, Decision{By: gm.From, Role: kam.RoleGeneralManager, Decision: "approve"})
	st := r.run()
	if st.State != kam.StateApproved || len(r.rejected) != 1 || r.rejected[0] != ErrNotDecider {
		t.Fatalf("state %s, rejected %v", st.State, r.rejected)
	}
	if d := r.decision(kam.StageKADepartment); d.By != gm.From || d.OnBehalfOf != nil {
		t.Fatalf("decision = %+v", d)
	}
}

// SPEC §7: a delegation that starts while a request is pending applies to
// it from its start, not before. Art. 12.
func TestDelegationStartedWhilePendingAccepted(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	gm := deputyOf(t0.Add(76*time.Hour), t0.Add(1000*time.Hour)) // starts after the escalation at 72h
	deputy := uuid.New()
	r.at(74*time.Hour, UpdateDecide, Decision{By: deputy, Role: kam.RoleKAManager, Decision: "approve", Deputyship: gm})
	r.at(78*time.Hour, UpdateDecide, Decision{By: deputy, Role: kam.RoleKAManager, Decision: "approve", Deputyship: gm})
	st := r.run()
	if st.State != kam.StateApproved || !st.Escalated || len(r.rejected) != 1 || r.rejected[0] != ErrNotDecider {
		t.Fatalf("state %+v, rejected %v", st, r.rejected)
	}
	if d := r.decision(kam.StageKADepartment); d.By != deputy || *d.OnBehalfOf != gm.From {
		t.Fatalf("decision = %+v", d)
	}
	// The GM decided (through the deputy): nothing is filed with the GM.
	if r.filings != 0 {
		t.Fatalf("%d filings", r.filings)
	}
}

// Reminders and escalations of a stage reach the deciders' deputies; the
// outcome reaches the requester and the account's manager. SPEC §4, §7.
func TestApprovalNoticesReachResponsiblePeople(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.decide(80*time.Hour, kam.RoleGeneralManager, "approve")
	r.run()
	for _, kind := range []string{"discount_reminder", "discount_escalated"} {
		if n := r.eventOf(kind).Notice; !n.Deputies {
			t.Errorf("%s does not reach deputies: %+v", kind, n)
		}
	}
	for _, kind := range []string{"discount_escalated", "discount_approve", "discount_granted", "grant_expiring", "grant_ended"} {
		n := r.eventOf(kind).Notice
		if !n.ToAccountManager || !slices.Contains(n.StaffIDs, r.in.RequesterID) {
			t.Errorf("%s: not the requester and the account's manager: %+v", kind, n)
		}
	}
}

// SPEC §7: a standard grant revoked by a KA manager ends at once: revoked,
// filed with the GM, the requester and the account's manager told, and the
// run ends without the expiry's steps; a second revocation is a conflict.
func TestRevokeStandardGrantEndsNow(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	r.at(2*time.Hour, UpdateRevoke, Revocation{By: uuid.New(), Role: kam.RoleKAManager, Reason: ""})
	by := uuid.New()
	r.at(48*time.Hour, UpdateRevoke, Revocation{By: by, Role: kam.RoleKAManager, Reason: "terms breached", Timezone: "Asia/Shanghai"})
	r.at(48*time.Hour, UpdateRevoke, Revocation{By: uuid.New(), Role: kam.RoleGeneralManager, Reason: "again"})
	st := r.run()
	if !st.Revoked || st.RevocationFilingID == nil || st.State != kam.StateApproved {
		t.Fatalf("state = %+v", st)
	}
	if got := r.env.Now(); got.After(t0.Add(49 * time.Hour)) {
		t.Fatalf("the run lived on to %s after the revocation", got)
	}
	if len(r.revokes) != 1 || r.revokes[0].By != by || r.revokes[0].Reason != "terms breached" || r.revokes[0].Timezone != "Asia/Shanghai" {
		t.Fatalf("revocations = %+v", r.revokes)
	}
	if len(r.rejected) != 2 || r.rejected[0] != "validation_failed" || r.rejected[1] != ErrAlreadyRevoked {
		t.Fatalf("rejected = %v", r.rejected)
	}
	k := r.kinds()
	if k["grant_revoked"] != 1 || k["discount_revocation_filed"] != 1 || k["grant_expiring"] != 0 || k["grant_ended"] != 0 || r.ended != 0 {
		t.Fatalf("events = %v, ended %d", k, r.ended)
	}
	if n := r.eventOf("grant_revoked").Notice; !n.ToAccountManager || n.StaffIDs[0] != r.in.RequesterID {
		t.Fatalf("revocation told %+v", n)
	}
	if n := r.eventOf("discount_revocation_filed").Notice; n.Roles[0] != kam.RoleGeneralManager {
		t.Fatalf("revocation filed with %+v", n)
	}
}

// SPEC §7: a ka_manager revokes standard grants only; the GM any. A request
// not (yet) granted has nothing to revoke.
func TestRevokeBeyondStandardIsTheGMs(t *testing.T) {
	r := newApprovalRun(t, kam.RouteBeyondStandard)
	r.at(30*time.Minute, UpdateRevoke, Revocation{By: uuid.New(), Role: kam.RoleGeneralManager, Reason: "too early"})
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	r.decide(2*time.Hour, kam.RoleGeneralManager, "approve")
	r.at(3*time.Hour, UpdateRevoke, Revocation{By: uuid.New(), Role: kam.RoleKAManager, Reason: "mine?"})
	r.at(4*time.Hour, UpdateRevoke, Revocation{By: uuid.New(), Role: kam.RoleFinance, Reason: "mine?"})
	r.at(5*time.Hour, UpdateRevoke, Revocation{By: uuid.New(), Role: kam.RoleGeneralManager, Reason: "strategy changed"})
	st := r.run()
	if !st.Revoked || len(r.revokes) != 1 {
		t.Fatalf("state = %+v, revocations %d", st, len(r.revokes))
	}
	want := []string{ErrNoGrant, ErrNotRevoker, ErrNotRevoker}
	if !slices.Equal(r.rejected, want) {
		t.Fatalf("rejected = %v, want %v", r.rejected, want)
	}
}

// A run that was already sleeping in its grant when versionRevocableGrant
// came (DefaultVersion) keeps sleeping, but a revocation still ends its grant
// and spares it the expiry notice and the natural end.
func TestRevokeWhileSleepingTheOldWay(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.env.OnGetVersion(versionRevocableGrant, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	r.at(48*time.Hour, UpdateRevoke, Revocation{By: uuid.New(), Role: kam.RoleKAManager, Reason: "terms breached"})
	st := r.run()
	if !st.Revoked || len(r.revokes) != 1 || r.ended != 0 {
		t.Fatalf("state = %+v, revocations %d, ended %d", st, len(r.revokes), r.ended)
	}
	if k := r.kinds(); k["grant_revoked"] != 1 || k["grant_expiring"] != 0 || k["grant_ended"] != 0 {
		t.Fatalf("events = %v", k)
	}
}

// versionVersionsAtStart: a run begun under it carries out an approval in
// one activity after the answer and keeps the grant until revoked or ended,
// asking for neither version where the close happens.
func TestVersionsAtStart(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	st := r.run()
	if st.State != kam.StateApproved || r.grants != 1 || r.filings != 1 || r.ended != 1 {
		t.Fatalf("state = %+v grants %d filings %d ended %d", st, r.grants, r.filings, r.ended)
	}
	r.env.AssertCalled(t, "CarryOutDiscount", mock.Anything, mock.Anything)
	if len(r.answers) != 1 || r.answers[0].GrantID != nil {
		t.Fatalf("a decision answers before its grant is applied: %+v", r.answers)
	}
}

// A run begun before versionVersionsAtStart asks for the later versions
// where the close happens, and takes them.
func TestVersionsAskedAtTheClose(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.env.OnGetVersion(versionVersionsAtStart, workflow.DefaultVersion, 2).Return(workflow.DefaultVersion)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	st := r.run()
	if st.State != kam.StateApproved || r.grants != 1 || r.filings != 1 || r.ended != 1 {
		t.Fatalf("state = %+v grants %d filings %d ended %d", st, r.grants, r.filings, r.ended)
	}
	r.env.AssertCalled(t, "CarryOutDiscount", mock.Anything, mock.Anything)
}

// A grant ending within ExpiryNotice of its start: its expiry notice is due
// at once, and a run begun under version 2 of versionVersionsAtStart sends it
// with the aftermath (one activity), once; the grant still ends at valid_to.
func TestExpiryDueAtTheGrantGoesWithTheAftermath(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	r.in.GrantEndsAt = t0.Add(48 * time.Hour)
	r.decide(time.Hour, kam.RoleKAManager, "approve")
	st := r.run()
	if st.State != kam.StateApproved || r.grants != 1 || r.ended != 1 {
		t.Fatalf("state = %+v grants %d ended %d", st, r.grants, r.ended)
	}
	if len(r.aftermaths) != 1 || !slices.ContainsFunc(r.aftermaths[0].After, func(e activities.DiscountEvent) bool { return e.Kind == "grant_expiring" }) {
		t.Fatalf("the aftermath did not carry the expiry notice: %+v", r.aftermaths)
	}
	if slices.Contains(r.eventActivities, "grant_expiring") {
		t.Fatalf("the expiry notice was also sent as an activity of its own: %v", r.eventActivities)
	}
	if k := r.kinds(); k["grant_expiring"] != 1 || k["grant_ended"] != 1 {
		t.Fatalf("events = %v", k)
	}
	if got := r.env.Now(); got.Before(r.in.GrantEndsAt) {
		t.Fatalf("run ended at %s, before the grant's end %s", got, r.in.GrantEndsAt)
	}
}

// A run begun under version 1 keeps sending that notice after the
// aftermath, as its recorded history says; a grant with time before its
// notice sends it when due, under either version.
func TestExpiryNoticeAfterTheAftermath(t *testing.T) {
	for _, c := range []struct {
		name    string
		version workflow.Version
		ends    time.Duration
	}{{"version 1, due at once", 1, 48 * time.Hour}, {"version 2, due later", 2, 30 * 24 * time.Hour}} {
		t.Run(c.name, func(t *testing.T) {
			r := newApprovalRun(t, kam.RouteStandard)
			r.env.OnGetVersion(versionVersionsAtStart, workflow.DefaultVersion, 2).Return(c.version)
			r.in.GrantEndsAt = t0.Add(c.ends)
			r.decide(time.Hour, kam.RoleKAManager, "approve")
			if st := r.run(); st.State != kam.StateApproved {
				t.Fatalf("state = %+v", st)
			}
			if len(r.aftermaths) != 1 || slices.ContainsFunc(r.aftermaths[0].After, func(e activities.DiscountEvent) bool { return e.Kind == "grant_expiring" }) {
				t.Fatalf("aftermaths = %+v", r.aftermaths)
			}
			if !slices.Contains(r.eventActivities, "grant_expiring") {
				t.Fatalf("no expiry notice of its own: %v", r.eventActivities)
			}
			if k := r.kinds(); k["grant_expiring"] != 1 || k["grant_ended"] != 1 {
				t.Fatalf("events = %v", k)
			}
		})
	}
}

// A notice names its instant in the company's zone (the run's Timezone): a
// grant ending at the end of 31 December in Shanghai is announced as ending
// then, not at 15:59:59 UTC; a run whose input names no zone words it in UTC.
func TestNoticesNameInstantsInTheCompanysZone(t *testing.T) {
	for _, c := range []struct{ zone, want string }{{"Asia/Shanghai", "+08:00"}, {"", "Z"}} {
		r := newApprovalRun(t, kam.RouteStandard)
		r.in.Timezone = c.zone
		r.in.GrantEndsAt = t0.Add(48 * time.Hour)
		r.decide(time.Hour, kam.RoleKAManager, "approve")
		if st := r.run(); st.State != kam.StateApproved {
			t.Fatalf("state = %+v", st)
		}
		var at string
		for _, a := range r.aftermaths {
			for _, e := range a.After {
				if e.Kind == "grant_expiring" && e.Notice != nil && len(e.Notice.BodyMsg.Args) == 1 {
					// As the activity receives it: through its payload, a map.
					switch arg := e.Notice.BodyMsg.Args[0].(type) {
					case i18n.Arg:
						at = arg.At
					case map[string]any:
						at, _ = arg["at"].(string)
					}
				}
			}
		}
		if !strings.HasSuffix(at, c.want) {
			t.Fatalf("zone %q: the expiry notice names %q, want an instant ending %s", c.zone, at, c.want)
		}
	}
}

// Art. 11, 12: level by level. The KA manager who decided stage 1 may not
// decide stage 2 as the GM's deputy, nor may a GM who decided stage 1 as a
// KA manager's deputy decide stage 2 in their own role; another decider at
// the GM's level does.
func TestStageOneDeciderDoesNotDecideStageTwo(t *testing.T) {
	for _, c := range []struct {
		name         string
		first, again Decision
	}{
		{"as the GM's deputy", Decision{Role: kam.RoleKAManager}, Decision{Role: kam.RoleKAManager, Deputyship: deputyOf(t0, t0.Add(1000*time.Hour))}},
		{"in their own role", Decision{Role: kam.RoleGeneralManager, Deputyship: &kam.Deputyship{ID: uuid.New(), From: uuid.New(), FromRole: kam.RoleKAManager,
			StartsAt: t0, EndsAt: t0.Add(1000 * time.Hour)}}, Decision{Role: kam.RoleGeneralManager}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newApprovalRun(t, kam.RouteBeyondStandard)
			who := uuid.New()
			c.first.By, c.first.Decision = who, "approve"
			c.again.By, c.again.Decision = who, "approve"
			r.at(time.Hour, UpdateDecide, c.first)
			r.at(2*time.Hour, UpdateDecide, c.again)
			r.at(3*time.Hour, UpdateDecide, Decision{By: uuid.New(), Role: kam.RoleGeneralManager, Decision: "approve"})
			if st := r.run(); st.State != kam.StateApproved {
				t.Fatalf("state = %+v", st)
			}
			if len(r.rejected) != 1 || r.rejected[0] != ErrNotDecider {
				t.Fatalf("rejected = %v", r.rejected)
			}
			if d := r.decision(kam.StageGeneralManager); d.By == who {
				t.Fatalf("stage 2 decided by the stage-1 decider: %+v", d)
			}
		})
	}
}
