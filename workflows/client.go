package workflows

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"kam"
)

// Settings are the process durations of SPEC §4, each overridable by
// environment so tests and demos can run a whole cycle in seconds.
type Settings struct {
	OnboardingRemindEvery   time.Duration
	OnboardingEscalateAfter time.Duration
	ApprovalRemindEvery     time.Duration
	ApprovalEscalateAfter   time.Duration
	GMDecisionTimeout       time.Duration
	GrantExpiryNotice       time.Duration
	PaymentRemindBefore     time.Duration
	DunningSteps            []time.Duration
	ArrearsWarnRatio        string
	// Day is the length of one day in day-counted terms (payment_term_days).
	Day          time.Duration
	VisitLead    time.Duration
	VisitGrace   time.Duration
	GreetingLead time.Duration
	// HandoverBatch is how many accounts one batch of a staff handover moves.
	HandoverBatch int
	// Timezone is the company's (KAM_TIMEZONE): a grant valid to a date ends
	// at the end of that day there.
	Timezone *time.Location
	// TierReviewCron is when the scheduled tier review runs
	// (KAM_TIER_REVIEW_CRON, company time zone; default quarterly).
	TierReviewCron string
}

// DefaultSettings are the production values.
func DefaultSettings() Settings {
	return Settings{
		OnboardingRemindEvery:   24 * time.Hour,
		OnboardingEscalateAfter: 72 * time.Hour,
		ApprovalRemindEvery:     24 * time.Hour,
		ApprovalEscalateAfter:   72 * time.Hour,
		GMDecisionTimeout:       120 * time.Hour,
		GrantExpiryNotice:       168 * time.Hour,
		PaymentRemindBefore:     72 * time.Hour,
		DunningSteps:            []time.Duration{24 * time.Hour, 168 * time.Hour, 360 * time.Hour},
		ArrearsWarnRatio:        "0.8",
		Day:                     24 * time.Hour,
		VisitLead:               72 * time.Hour,
		VisitGrace:              168 * time.Hour,
		GreetingLead:            72 * time.Hour,
		HandoverBatch:           DefaultHandoverBatch,
		Timezone:                time.UTC,
		TierReviewCron:          DefaultTierReviewCron,
	}
}

// Processes is how the API starts and steers workflows.
type Processes struct {
	Client   client.Client
	Settings Settings
}

// StartOnboarding starts an account's onboarding run. Starting it again while
// it runs changes nothing; after it finished (the archive was complete, or
// the account churned) it starts a new run, which ends at once if the
// archive is still complete. Callers start it for an active account whose
// archive is incomplete: a new one, one that lost a section again (Art. 7.2),
// and the Reconcile sweep for any of them.
func (p *Processes) StartOnboarding(ctx context.Context, customerID uuid.UUID) error {
	_, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       OnboardingWorkflowID(customerID),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, AccountOnboarding, OnboardingInput{
		CustomerID:    customerID,
		RemindEvery:   p.Settings.OnboardingRemindEvery,
		EscalateAfter: p.Settings.OnboardingEscalateAfter,
	})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) || temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return nil
	}
	return err
}

// ArchiveChanged tells a running onboarding to re-check the archive. An
// onboarding that has already finished has nothing to re-check.
func (p *Processes) ArchiveChanged(ctx context.Context, customerID uuid.UUID) error {
	err := p.Client.SignalWorkflow(ctx, OnboardingWorkflowID(customerID), "", SignalArchiveChanged, nil)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

// Ping tells whether the Temporal frontend answers.
func (p *Processes) Ping(ctx context.Context) error {
	_, err := p.Client.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// DiscountStart is what the approval run of a stored request starts from.
type DiscountStart struct {
	ID, CustomerID, RequesterID uuid.UUID
	Route                       string
	ValidTo                     time.Time
}

// StartDiscount starts the approval run of a stored request.
func (p *Processes) StartDiscount(ctx context.Context, r DiscountStart) error {
	_, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       DiscountWorkflowID(r.ID),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, DiscountApproval, DiscountInput{
		RequestID: r.ID, CustomerID: r.CustomerID, RequesterID: r.RequesterID, Route: r.Route,
		GrantEndsAt: kam.GrantEndsAt(r.ValidTo, p.Settings.Timezone),
		RemindEvery: p.Settings.ApprovalRemindEvery, EscalateAfter: p.Settings.ApprovalEscalateAfter,
		GMTimeout: p.Settings.GMDecisionTimeout, ExpiryNotice: p.Settings.GrantExpiryNotice,
		Timezone: p.tz(),
	})
	return err
}

// Decide sends a decision and waits for the run's answer. A refusal by the
// run's validator comes back as a *kam.Error whose code is one of the Err*
// codes (see updateErr).
func (p *Processes) Decide(ctx context.Context, requestID uuid.UUID, d Decision) (DiscountState, error) {
	return p.update(ctx, requestID, UpdateDecide, d)
}

// Withdraw withdraws a pending request for its requester.
func (p *Processes) Withdraw(ctx context.Context, requestID uuid.UUID, w Withdrawal) (DiscountState, error) {
	return p.update(ctx, requestID, UpdateWithdraw, w)
}

// Revoke ends a request's grant before its valid_to (SPEC §7): an update
// on the request's run, which owns the grant until it ends.
func (p *Processes) Revoke(ctx context.Context, requestID uuid.UUID, r Revocation) (DiscountState, error) {
	if r.Timezone == "" {
		r.Timezone = p.tz()
	}
	return p.update(ctx, requestID, UpdateRevoke, r)
}

func (p *Processes) update(ctx context.Context, requestID uuid.UUID, name string, arg any) (DiscountState, error) {
	var st DiscountState
	h, err := p.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: DiscountWorkflowID(requestID), UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return st, updateErr(name, err)
	}
	return st, updateErr(name, h.Get(ctx, &st))
}

// endedRefusals is what each update is refused with when the run has ended
// under it: the update arrived after the request closed (a concurrent
// decision closes it and its run may end in the same workflow task, so the
// server aborts the updates still waiting), which is a conflict like the
// validator's, not an outage.
var endedRefusals = map[string]string{
	UpdateDecide:   ErrAlreadyDecided,
	UpdateWithdraw: ErrNotPending,
	UpdateRevoke:   ErrGrantEnded,
}

// refusalKinds classes each refusal of the discount run's update validators
// (discounts.go) as a domain error kind; the validator's type is its code.
var refusalKinds = map[string]kam.Kind{
	ErrNotDecider:       kam.KindForbidden,
	ErrNotRequester:     kam.KindForbidden,
	ErrAlreadyDecided:   kam.KindConflict,
	ErrNotPending:       kam.KindConflict,
	ErrNotRevoker:       kam.KindForbidden,
	ErrAlreadyRevoked:   kam.KindConflict,
	ErrGrantEnded:       kam.KindConflict,
	ErrNoGrant:          kam.KindConflict,
	"validation_failed": kam.KindInvalid,
}

// updateErr turns an update's failure into a domain error, so callers hold
// no table of their own: a validator's refusal keeps its code and message;
// anything else means the run did not answer, and nothing was changed (503,
// the cause kept for the log).
func updateErr(name string, err error) error {
	if err == nil {
		return nil
	}
	var ended *serviceerror.NotFound
	if code, ok := endedRefusals[name]; ok && errors.As(err, &ended) {
		return &kam.Error{Kind: kam.KindConflict, Code: code, Message: "the request's process has ended: it is no longer open to this", Internal: err.Error()}
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		if kind, ok := refusalKinds[app.Type()]; ok {
			return &kam.Error{Kind: kind, Code: app.Type(), Message: app.Message()}
		}
	}
	return &kam.Error{Kind: kam.KindUnavailable, Code: "unavailable", Message: "the approval process did not answer; try again", Internal: err.Error()}
}

// StartSettlement starts an agreement's settlement run; a running one is kept.
func (p *Processes) StartSettlement(ctx context.Context, customerID uuid.UUID) error {
	tz := "UTC"
	if p.Settings.Timezone != nil {
		tz = p.Settings.Timezone.String()
	}
	_, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       SettlementWorkflowID(customerID),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// A closed and reopened agreement gets a new run.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, CreditSettlement, SettlementInput{
		CustomerID: customerID, Timezone: tz, RemindBefore: p.Settings.PaymentRemindBefore,
		DunningSteps: p.Settings.DunningSteps, WarnRatio: p.Settings.ArrearsWarnRatio, Day: p.Settings.Day,
	})
	return err
}

// LedgerChanged tells the settlement run that a charge or payment landed.
func (p *Processes) LedgerChanged(ctx context.Context, customerID uuid.UUID) error {
	return p.signal(ctx, SettlementWorkflowID(customerID), SignalLedgerChanged)
}

// AgreementChanged tells the settlement run that its terms changed or it was closed.
func (p *Processes) AgreementChanged(ctx context.Context, customerID uuid.UUID) error {
	return p.signal(ctx, SettlementWorkflowID(customerID), SignalAgreementChanged)
}

func (p *Processes) signal(ctx context.Context, workflowID, name string) error {
	err := p.Client.SignalWorkflow(ctx, workflowID, "", name, nil)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

// RequesterChanged tells a pending request's approval run that a
// reassignment of its account made someone else its requester, as a
// handover does (SignalRequesterChanged).
func (p *Processes) RequesterChanged(ctx context.Context, requestID uuid.UUID, ch RequesterChange) error {
	return p.Client.SignalWorkflow(ctx, DiscountWorkflowID(requestID), "", SignalRequesterChanged, ch)
}

// StartTicketSLA starts a ticket's SLA run.
func (p *Processes) StartTicketSLA(ctx context.Context, in TicketInput) error {
	if in.Timezone == "" {
		in.Timezone = p.tz()
	}
	_, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: TicketWorkflowID(in.TicketID), TaskQueue: TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, TicketSLA, in)
	return err
}

// TicketEvent hands a handling record to the ticket's SLA run.
func (p *Processes) TicketEvent(ctx context.Context, ticketID uuid.UUID, sig TicketSignal) error {
	err := p.Client.SignalWorkflow(ctx, TicketWorkflowID(ticketID), "", SignalTicketEvent, sig)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

// ReopenTicket restarts a ticket's SLA clock (Art. 16, 17): the reopen goes
// to its run if one is still open, and otherwise starts a run again under the
// same ID (the run of a closed ticket has ended), which takes the reopen as
// its first signal. in carries the ticket as it is now.
func (p *Processes) ReopenTicket(ctx context.Context, in TicketInput, sig TicketSignal) error {
	_, err := p.Client.SignalWithStartWorkflow(ctx, TicketWorkflowID(in.TicketID), SignalTicketEvent, sig, client.StartWorkflowOptions{
		ID: TicketWorkflowID(in.TicketID), TaskQueue: TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, TicketSLA, in)
	return err
}

func (p *Processes) tz() string {
	if p.Settings.Timezone != nil {
		return p.Settings.Timezone.String()
	}
	return "UTC"
}

// StartVisitPlan starts an active account's visit plan; a running one is kept.
func (p *Processes) StartVisitPlan(ctx context.Context, customerID uuid.UUID) error {
	_, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: VisitPlanWorkflowID(customerID), TaskQueue: TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// A churned and won-back account gets a new plan.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, VisitPlan, VisitPlanInput{CustomerID: customerID, Timezone: p.tz(), Lead: p.Settings.VisitLead, Grace: p.Settings.VisitGrace})
	return err
}

// PlanChanged tells a visit plan its account's tier, manager or status changed.
func (p *Processes) PlanChanged(ctx context.Context, customerID uuid.UUID) error {
	return p.signal(ctx, VisitPlanWorkflowID(customerID), SignalPlanChanged)
}

// VisitRecorded tells a visit plan that a visit was recorded.
func (p *Processes) VisitRecorded(ctx context.Context, customerID uuid.UUID) error {
	return p.signal(ctx, VisitPlanWorkflowID(customerID), SignalVisitRecorded)
}

// EnsureGreetingSchedule makes sure the daily greeting sweep's Schedule
// exists and sweeps with the settings of this start-up: a changed
// KAM_GREETING_LEAD or KAM_TIMEZONE takes effect at the next start-up, as
// the tier review's cron does (every replica calls this; twice is harmless).
func (p *Processes) EnsureGreetingSchedule(ctx context.Context) error {
	spec := client.ScheduleSpec{CronExpressions: []string{"0 6 * * *"}, TimeZoneName: p.tz()}
	action := &client.ScheduleWorkflowAction{
		ID: "greeting-sweep", Workflow: GreetingSweep, TaskQueue: TaskQueue,
		Args: []any{GreetingSweepInput{Timezone: p.tz(), Lead: p.Settings.GreetingLead}},
	}
	_, err := p.Client.ScheduleClient().Create(ctx, client.ScheduleOptions{ID: GreetingScheduleID, Spec: spec, Action: action})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	h := p.Client.ScheduleClient().GetHandle(ctx, GreetingScheduleID)
	return h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		s := in.Description.Schedule
		s.Spec, s.Action = &spec, action
		return &client.ScheduleUpdate{Schedule: &s}, nil
	}})
}

// EnsureInspectionSchedule creates the inspection Schedule unless it exists:
// about weekly, with up to three days of jitter, so that inspections are
// irregular as Art. 14 asks.
func (p *Processes) EnsureInspectionSchedule(ctx context.Context) error {
	_, err := p.Client.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: InspectionScheduleID,
		Spec: client.ScheduleSpec{
			Intervals: []client.ScheduleIntervalSpec{{Every: 7 * 24 * time.Hour}},
			Jitter:    72 * time.Hour,
		},
		Action: &client.ScheduleWorkflowAction{
			ID: "discount-inspection", Workflow: DiscountInspection, TaskQueue: TaskQueue,
			Args: []any{InspectionInput{Trigger: "schedule", SampleSize: 20}},
		},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	return err
}

// StartInspection runs an inspection on demand and waits for it.
func (p *Processes) StartInspection(ctx context.Context, in InspectionInput) error {
	run, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: InspectionWorkflowID(in.InspectionID), TaskQueue: TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, DiscountInspection, in)
	if err != nil {
		return err
	}
	return run.Get(ctx, nil)
}

// EnsureTierReviewSchedule makes sure the tier review Schedule exists and
// runs on Settings.TierReviewCron in the company time zone: a changed
// setting takes effect at the next start-up (Art. 2, 3).
func (p *Processes) EnsureTierReviewSchedule(ctx context.Context) error {
	spec := client.ScheduleSpec{CronExpressions: []string{cmp.Or(p.Settings.TierReviewCron, DefaultTierReviewCron)}, TimeZoneName: p.tz()}
	_, err := p.Client.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: TierReviewScheduleID, Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID: "tier-review", Workflow: TierReview, TaskQueue: TaskQueue,
			Args: []any{TierReviewInput{Trigger: kam.ReviewScheduled, Timezone: p.tz()}},
		},
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	// The server keeps a spec compiled into calendars, so the cron cannot
	// be compared: it is written again, which changes nothing when it is
	// the same.
	h := p.Client.ScheduleClient().GetHandle(ctx, TierReviewScheduleID)
	return h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		s := in.Description.Schedule
		s.Spec = &spec
		return &client.ScheduleUpdate{Schedule: &s}, nil
	}})
}

// RunTierReview runs a requested tier review and waits for it.
func (p *Processes) RunTierReview(ctx context.Context, in TierReviewInput) error {
	if in.Timezone == "" {
		in.Timezone = p.tz()
	}
	run, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: TierReviewWorkflowID(in.ReviewID), TaskQueue: TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, TierReview, in)
	if err != nil {
		return err
	}
	return run.Get(ctx, nil)
}

// reconcileEvery is how often the Reconcile schedule sweeps.
const reconcileEvery = 5 * time.Minute

// EnsureReconcileSchedule creates the Reconcile Schedule unless it exists
// (every replica calls this at start-up).
func (p *Processes) EnsureReconcileSchedule(ctx context.Context) error {
	_, err := p.Client.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: ReconcileScheduleID,
		Spec: client.ScheduleSpec{
			Intervals: []client.ScheduleIntervalSpec{{Every: reconcileEvery}},
		},
		Action: &client.ScheduleWorkflowAction{
			ID: ReconcileWorkflowID, Workflow: Reconcile, TaskQueue: TaskQueue,
			Args: []any{ReconcileInput{}},
		},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	return err
}

// TriggerReconcile runs the Reconcile Schedule's sweep now, so a worker that
// starts after an outage makes up for lost starts at once; a sweep still
// running swallows the trigger (the Schedule skips overlaps), which is as
// good.
func (p *Processes) TriggerReconcile(ctx context.Context) error {
	return p.Client.ScheduleClient().GetHandle(ctx, ReconcileScheduleID).Trigger(ctx, client.ScheduleTriggerOptions{})
}

// ReconcileNow runs a sweep apart from the Schedule and waits for it.
func (p *Processes) ReconcileNow(ctx context.Context) (ReconcileResult, error) {
	var res ReconcileResult
	run, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: ReconcileWorkflowID + "-now/" + uuid.NewString(), TaskQueue: TaskQueue,
	}, Reconcile, ReconcileInput{})
	if err != nil {
		return res, err
	}
	return res, run.Get(ctx, &res)
}
