package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
	"kam/i18n"
)

// Names the API uses to reach an approval run.
const (
	UpdateDecide   = "decide"
	UpdateWithdraw = "withdraw"
	UpdateRevoke   = "revoke"
	QueryDiscount  = "discount-state"
)

// Error types an update validator rejects with; the API maps each to a problem code.
const (
	ErrNotDecider     = "not_decider"
	ErrAlreadyDecided = "already_decided"
	ErrNotRequester   = "not_requester"
	ErrNotPending     = "not_pending"
	ErrNotRevoker     = "not_revoker"
	ErrAlreadyRevoked = "already_revoked"
	ErrGrantEnded     = "grant_ended"
	ErrNoGrant        = "grant_not_in_force"
)

// DiscountWorkflowID is stable per request, so a repeated start is a no-op.
func DiscountWorkflowID(requestID uuid.UUID) string { return "discount-request/" + requestID.String() }

// DiscountInput starts an approval run.
type DiscountInput struct {
	RequestID   uuid.UUID
	CustomerID  uuid.UUID
	RequesterID uuid.UUID
	Route       string
	// GrantEndsAt is the end of valid_to's day in the company time zone.
	GrantEndsAt time.Time

	RemindEvery   time.Duration
	EscalateAfter time.Duration
	GMTimeout     time.Duration
	ExpiryNotice  time.Duration
	// Timezone is the company's, in which notices name their instants (a
	// run started before it was given words them in UTC).
	Timezone string
}

// Decision is what a decider sends through the decide update.
type Decision struct {
	By       uuid.UUID
	Role     string
	Decision string // approve | reject
	Comment  string
	// Deputyship, when set, is the delegation the API found in force for By
	// in Postgres at decision time (SPEC §7): By decides in the delegator's
	// role and on their behalf. The run checks it is in force by its own
	// clock too, and never lets it decide the requester's request.
	Deputyship *kam.Deputyship
}

// Revocation is what a revoker sends through the revoke update.
type Revocation struct {
	By     uuid.UUID
	Role   string
	Reason string
	// Timezone is the company's: the revocation's day there is the last day
	// the grant covers a sale.
	Timezone string
	// Register is the API request's access-register entry, written in the
	// revocation's own transaction (Art. 9).
	Register *activities.RegisterEntry
}

// Withdrawal is sent through the withdraw update.
type Withdrawal struct {
	By uuid.UUID
}

// DiscountState is the live state (query, update answers, result).
type DiscountState struct {
	State     string
	Stage     string // "" once closed
	Escalated bool
	Deadline  *time.Time
	Reminders int
	GrantID   *uuid.UUID
	FilingID  *uuid.UUID
	// Revoked: the grant was revoked before its valid_to; RevocationFilingID
	// is the revocation's filing with the GM.
	Revoked            bool
	RevocationFilingID *uuid.UUID
	// UpdatedAt is when the run last saved its state (its clock, as stored).
	UpdatedAt time.Time
	// Decided is, in a decide update's answer, the decision it recorded:
	// with UpdatedAt, what the API answers with, reading nothing back.
	Decided *kam.DiscountDecision `json:",omitempty"`
	// Version is the request's version its last save left (SPEC §3); 0 from
	// a worker older than it, or a save replayed from before it.
	Version int32 `json:",omitempty"`
}

// DiscountApproval is Art. 11–12: tiered management, level-by-level approval.
// Stage 1 is the KA Department; a standard discount it approves is granted and
// filed with the General Manager, a beyond-standard one goes on to the GM.
// Deciders are reminded; an undecided stage 1 is escalated to the GM, and an
// undecided GM stage expires. Decisions arrive as updates, validated here so
// that the API answers synchronously; a deputy decides for a delegator while
// the delegation the API found is in force (SPEC §7). An approved run owns
// its grant until the grant ends at valid_to, or earlier by the revoke
// update.
func DiscountApproval(ctx workflow.Context, in DiscountInput) (DiscountState, error) {
	w := &approval{in: in, st: DiscountState{State: kam.StatePending, Stage: kam.StageKADepartment}}
	// Decided before any handler can run; a run begun before the version
	// has no marker here and keeps its decisions' old steps.
	v := workflow.GetVersion(ctx, versionVersionsAtStart, workflow.DefaultVersion, 2)
	w.versionsAtStart, w.expiringInAftermath = v >= 1, v >= 2
	w.started = workflow.Now(ctx)
	w.stageStart = w.started
	w.setDeadline()
	if err := workflow.SetQueryHandler(ctx, QueryDiscount, func() (DiscountState, error) { return w.st, nil }); err != nil {
		return w.st, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide, w.decide, workflow.UpdateHandlerOptions{Validator: w.validateDecision}); err != nil {
		return w.st, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateWithdraw, w.withdraw, workflow.UpdateHandlerOptions{Validator: w.validateWithdrawal}); err != nil {
		return w.st, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateRevoke, w.revoke, workflow.UpdateHandlerOptions{Validator: w.validateRevocation}); err != nil {
		return w.st, err
	}

	// SPEC §7: a staff handover passes a pending request to the account's new
	// manager; from then on its notices are theirs, and so is withdrawing it.
	// (Receiving a signal records no command: open runs replay unchanged.)
	workflow.Go(ctx, w.followHandovers)

	// Handlers come first: the API may decide as soon as the row is visible.
	// The request row commits right after this run starts; a run whose row
	// never commits belongs to no request and ends.
	if err := confirmStored(ctx, act.ConfirmDiscountRequest, in.RequestID, activities.ErrRequestMissing); err != nil {
		workflow.GetLogger(ctx).Warn("no request row for this run; ending", "request", in.RequestID)
		return DiscountState{State: "abandoned"}, nil
	}

	for w.st.State == kam.StatePending {
		if err := w.waitForNextStep(ctx); err != nil {
			return w.st, err
		}
	}
	// Let an update that closed the request finish answering its caller.
	if err := workflow.Await(ctx, func() bool { return !w.busy && workflow.AllHandlersFinished(ctx) }); err != nil {
		return w.st, err
	}
	if err := w.afterClose(ctx); err != nil {
		return w.st, err
	}
	return w.st, nil
}

type approval struct {
	in         DiscountInput
	st         DiscountState
	started    time.Time
	stageStart time.Time
	escalateAt time.Time
	// stageReminders counts reminders of the current stage; st.Reminders all of them.
	stageReminders int
	// busy is set while a decision is being recorded: a second decision in
	// that window is already too late.
	busy bool
	// outbox holds notices the handlers queue for the main loop to send.
	outbox    []activities.DiscountEvent
	approver  uuid.UUID
	gmDecided bool
	// stageOne is who decided stage 1 (and for whom, when a deputy did):
	// the follow-ups of that decision reach them.
	stageOne []uuid.UUID
	// formerRequesters asked for the request before a handover made someone
	// else its requester: like the requester, they never decide it.
	formerRequesters []uuid.UUID
	// applying is set once the grant is being applied: a revocation may wait
	// for it. revoking is set while a revocation is being recorded;
	// grantEnded once the grant's natural end is under way: either refuses
	// another revocation.
	applying, revoking, grantEnded bool
	// seq numbers the saves, since a handler and the main loop may both have one in flight.
	seq int32
	// versionsAtStart: the run was begun under versionVersionsAtStart.
	versionsAtStart bool
	// expiringInAftermath: begun under its version 2, the run sends an
	// expiry notice already due at the grant's start with the aftermath;
	// expirySent says it did.
	expiringInAftermath, expirySent bool
}

// versionVersionsAtStart: a run begun under it takes the later versions of
// what follows a close (versionOneAftermath, versionRevocableGrant) as
// given, without asking for them where the close happens. Each GetVersion
// asked there records a marker and upserts a search attribute (a
// visibility write) in the very workflow task that answers the decision;
// this one is asked once, in the run's first task, before any update.
// Version 2 adds that a grant whose expiry notice is due as it starts (one
// ending within ExpiryNotice) has that notice sent by the aftermath, not by
// one more activity and workflow task after it.
//
// (Carrying the aftermath out inside the decision's own local activity was
// tried and dropped: a local activity runs before its workflow task is
// recorded, so a crash there could leave a grant and notices behind for a
// decision the run never took. TestCrashRecovery found it. What follows a
// decision stays an activity the server schedules after the decision is
// recorded.)
const versionVersionsAtStart = "versions-at-start"

// followHandovers takes each requester change in turn; one that names
// someone who is no longer the requester (a repeated signal) changes nothing.
func (w *approval) followHandovers(ctx workflow.Context) {
	changes := workflow.GetSignalChannel(ctx, SignalRequesterChanged)
	for {
		var c RequesterChange
		changes.Receive(ctx, &c)
		if c.From == w.in.RequesterID && c.To != uuid.Nil {
			w.formerRequesters = append(w.formerRequesters, c.From)
			w.in.RequesterID = c.To
		}
	}
}

func (w *approval) deciders() string { return kam.Decider(w.st.Stage, w.st.Escalated) }

// setDeadline is when the current stage runs out: stage 1 escalates after
// EscalateAfter; an escalated stage 1, like stage 2, expires GMTimeout later.
func (w *approval) setDeadline() {
	var d time.Time
	switch {
	case w.st.State != kam.StatePending:
		w.st.Deadline = nil
		return
	case w.st.Stage == kam.StageKADepartment && !w.st.Escalated:
		d = w.started.Add(w.in.EscalateAfter)
	case w.st.Stage == kam.StageKADepartment:
		d = w.escalateAt.Add(w.in.GMTimeout)
	default:
		d = w.stageStart.Add(w.in.GMTimeout)
	}
	w.st.Deadline = &d
}

func (w *approval) validateDecision(ctx workflow.Context, d Decision) error {
	if w.st.State != kam.StatePending || w.busy {
		return temporal.NewApplicationError("this request is already decided", ErrAlreadyDecided)
	}
	if d.Decision != "approve" && d.Decision != "reject" {
		return temporal.NewApplicationError("decision is approve or reject", "validation_failed")
	}
	// Validators do not run on replay, so this check may grow stricter
	// without a version: a decision accepted before it stays accepted.
	if w.asked(d.By) {
		return temporal.NewApplicationError("a requester never decides their own request", ErrNotDecider)
	}
	if dep := d.Deputyship; dep != nil {
		// SPEC §7: a deputy decides what the delegator may decide, while
		// the delegation is in force, and never the delegator's own request.
		now := workflow.Now(ctx)
		if w.asked(dep.From) {
			return temporal.NewApplicationError("a deputy never decides the delegator's own request", ErrNotDecider)
		}
		if now.Before(dep.StartsAt) || !now.Before(dep.EndsAt) {
			return temporal.NewApplicationError("the delegation is not in force", ErrNotDecider)
		}
	}
	if role, _ := capacity(d); role != w.deciders() {
		return temporal.NewApplicationError(fmt.Sprintf("the %s stage is decided by a %s", w.st.Stage, w.deciders()), ErrNotDecider)
	}
	// Art. 11, 12: level by level. Whoever decided the KA Department's
	// stage, or was decided for there, does not decide the General
	// Manager's too, in their own role or as someone's deputy: a
	// delegation lets a deputy stand in for one level, not merge two.
	if w.st.Stage == kam.StageGeneralManager {
		for _, p := range decisionParties(d) {
			if slices.Contains(w.stageOne, p) {
				return temporal.NewApplicationError("whoever decided the KA Department's stage does not decide the General Manager's too", ErrNotDecider)
			}
		}
	}
	return nil
}

// decisionParties are the people a decision is made by and for: the
// decider, and the delegator when a deputy decides.
func decisionParties(d Decision) []uuid.UUID {
	if d.Deputyship != nil {
		return []uuid.UUID{d.By, d.Deputyship.From}
	}
	return []uuid.UUID{d.By}
}

// asked tells whether id is or was the request's requester (Art. 11, 12).
func (w *approval) asked(id uuid.UUID) bool {
	return id == w.in.RequesterID || slices.Contains(w.formerRequesters, id)
}

// capacity is the role a decision is made in, and whom it is made for: the
// decider's own role, or a deputy's delegator's role on their behalf.
func capacity(d Decision) (role string, onBehalfOf *uuid.UUID) {
	if dep := d.Deputyship; dep != nil {
		from := dep.From
		return dep.FromRole, &from
	}
	return d.Role, nil
}

func (w *approval) decide(ctx workflow.Context, d Decision) (DiscountState, error) {
	w.busy = true
	defer func() { w.busy = false }()
	stage := w.st.Stage
	role, onBehalfOf := capacity(d)
	record := &kam.DiscountDecision{Stage: stage, Decision: d.Decision, Comment: d.Comment, By: d.By, OnBehalfOf: onBehalfOf}
	// Who hears of this decision: the requester; for a deputy's decision,
	// both the deputy and the delegator they decided for (SPEC §7); and,
	// for a stage-2 decision, whoever decided stage 1.
	parties := decisionParties(d)
	told := []uuid.UUID{w.in.RequesterID}
	if onBehalfOf != nil {
		told = append(told, parties...)
	}
	if stage == kam.StageGeneralManager {
		told = append(told, w.stageOne...)
	} else {
		w.stageOne = parties
	}
	switch {
	case d.Decision == "reject":
		w.st.State = kam.StateRejected
	case stage == kam.StageKADepartment && w.in.Route == kam.RouteBeyondStandard && role != kam.RoleGeneralManager:
		// Art. 12: beyond the standard, the GM approves after the KA Department.
		w.st.Stage = kam.StageGeneralManager
		w.stageStart = workflow.Now(ctx)
		w.stageReminders = 0
	default:
		// A standard discount approved by the KA Department, a stage-2 GM
		// approval, or the GM deciding an escalated stage 1: approved.
		w.st.State = kam.StateApproved
		w.approver = d.By
		w.gmDecided = role == kam.RoleGeneralManager
	}
	if w.st.State != kam.StatePending {
		w.st.Stage = ""
	}
	w.setDeadline()
	if err := w.save(ctx, record); err != nil {
		return w.st, err
	}
	answer := w.st
	answer.Decided = record
	w.outbox = append(w.outbox, w.decisionEvents(stage, d, told)...)
	return answer, nil
}

// decisionEvents are a decision's notices: to those it concerns, and to
// the GM when it sent the request on to them.
func (w *approval) decisionEvents(stage string, d Decision, told []uuid.UUID) []activities.DiscountEvent {
	out := []activities.DiscountEvent{w.event(stage+"/"+d.Decision, "discount_"+d.Decision, decisionWords(d.Decision, stage),
		i18n.M(nextWords[w.st.State], d.Comment), audience{staff: told, manager: true})}
	if w.st.Stage == kam.StageGeneralManager {
		out = append(out, w.event("stage/general_manager", "discount_awaiting_decision", i18n.M(i18n.DiscountAwaitingGMTitle),
			i18n.M(i18n.DiscountAwaitingGMBody), audience{roles: []string{kam.RoleGeneralManager}, deputies: true}))
	}
	return out
}

func (w *approval) validateWithdrawal(ctx workflow.Context, wd Withdrawal) error {
	if wd.By != w.in.RequesterID {
		return temporal.NewApplicationError("only the requester withdraws a request", ErrNotRequester)
	}
	if w.st.State != kam.StatePending || w.busy {
		return temporal.NewApplicationError("the request is no longer pending", ErrNotPending)
	}
	return nil
}

func (w *approval) withdraw(ctx workflow.Context, _ Withdrawal) (DiscountState, error) {
	w.busy = true
	defer func() { w.busy = false }()
	w.st.State, w.st.Stage = kam.StateWithdrawn, ""
	w.setDeadline()
	return w.st, w.save(ctx, nil)
}

func (w *approval) save(ctx workflow.Context, d *kam.DiscountDecision) error {
	// The version only feeds answers: a save recorded before the activity
	// answered one replays with none (0), and the API then reads it.
	var version int32
	if err := workflow.ExecuteLocalActivity(withLocalActivity(ctx), act.SaveDiscountState, w.stateRecord(ctx, d)).Get(ctx, &version); err != nil {
		return err
	}
	w.st.Version = version
	return nil
}

// stateRecord is the row a save writes: the run's state now, with the
// decision d that led to it (if any), stamped with this task's time.
func (w *approval) stateRecord(ctx workflow.Context, d *kam.DiscountDecision) kam.DiscountState {
	var stage *string
	if w.st.Stage != "" {
		s := w.st.Stage
		stage = &s
	}
	// The order of saves is (history length, counter). A worker killed in the
	// middle of a workflow task may already have written saves that the
	// retried task makes again, differently; the retry's history is longer,
	// so its saves still win. A bare counter would let the lost ones win.
	w.seq++
	order := int64(workflow.GetInfo(ctx).GetCurrentHistoryLength())<<20 | int64(w.seq&(1<<20-1))
	// Postgres keeps microseconds: the answer names the time as stored.
	w.st.UpdatedAt = workflow.Now(ctx).Truncate(time.Microsecond)
	if d != nil {
		d.At = w.st.UpdatedAt
	}
	return kam.DiscountState{
		RequestID: w.in.RequestID, State: w.st.State, Stage: stage, Escalated: w.st.Escalated,
		Deadline: w.st.Deadline, Reminders: int32(w.st.Reminders), Seq: order, Decision: d, At: w.st.UpdatedAt,
	}
}

func (w *approval) key(suffix string) string {
	return DiscountWorkflowID(w.in.RequestID) + "/" + suffix
}

// audience is who hears of an approval's step: the people responsible for
// it (staff, the account's manager) and the roles that act on it, with the
// deputies in force of them all when the step asks for a decision.
type audience struct {
	roles    []string
	staff    []uuid.UUID
	manager  bool
	deputies bool
}

// The words are message keys, rendered by the activity (the record's detail
// in English, each recipient's notice in their locale).
func (w *approval) event(suffix, kind string, title, body i18n.Message, to audience) activities.DiscountEvent {
	return activities.DiscountEvent{
		RequestID: w.in.RequestID, Key: w.key(suffix), Kind: kind,
		Notice: &activities.Notice{EventKey: w.key(suffix), Kind: kind, TitleMsg: title, BodyMsg: body,
			CustomerID: &w.in.CustomerID, Roles: to.roles, StaffIDs: to.staff, ToAccountManager: to.manager, Deputies: to.deputies},
	}
}

func (w *approval) queue(suffix, kind string, title, body i18n.Message, to audience) {
	w.outbox = append(w.outbox, w.event(suffix, kind, title, body, to))
}

// flush sends what the handlers queued, in order.
func (w *approval) flush(ctx workflow.Context) error {
	for len(w.outbox) > 0 {
		e := w.outbox[0]
		if err := workflow.ExecuteActivity(withActivity(ctx), act.RecordDiscountEvent, e).Get(ctx, nil); err != nil {
			return err
		}
		w.outbox = w.outbox[1:]
	}
	return nil
}

// waitForNextStep sleeps until a reminder, the stage deadline or a decision.
func (w *approval) waitForNextStep(ctx workflow.Context) error {
	if err := w.flush(ctx); err != nil {
		return err
	}
	if w.st.State != kam.StatePending || w.busy {
		// A decision landed while the notices went out.
		return workflow.Await(ctx, func() bool { return !w.busy })
	}
	now := workflow.Now(ctx)
	remindAt := w.stageStart.Add(time.Duration(w.stageReminders+1) * w.in.RemindEvery)
	if w.st.Escalated && w.st.Stage == kam.StageKADepartment {
		remindAt = w.escalateAt.Add(time.Duration(w.stageReminders+1) * w.in.RemindEvery)
	}
	next := remindAt
	if w.st.Deadline.Before(next) {
		next = *w.st.Deadline
	}
	stage, escalated := w.st.Stage, w.st.Escalated
	changed, err := workflow.AwaitWithTimeout(ctx, next.Sub(now), func() bool {
		return len(w.outbox) > 0 || w.st.State != kam.StatePending || w.st.Stage != stage || w.st.Escalated != escalated
	})
	if err != nil || changed {
		return err
	}
	if w.busy {
		// A decision is being recorded; it decides what happens next.
		return workflow.Await(ctx, func() bool { return !w.busy })
	}
	now = workflow.Now(ctx)
	switch {
	case !now.Before(*w.st.Deadline) && w.st.Stage == kam.StageKADepartment && !w.st.Escalated:
		// SPEC §4: stage 1 undecided after APPROVAL_ESCALATE_AFTER goes to the GM.
		w.st.Escalated, w.escalateAt, w.stageReminders = true, now, 0
		w.setDeadline()
		if err := w.save(ctx, nil); err != nil {
			return err
		}
		w.queue("escalated", "discount_escalated", i18n.M(i18n.DiscountEscalatedTitle),
			i18n.M(i18n.DiscountEscalatedBody, i18n.For(w.in.EscalateAfter)),
			audience{roles: []string{kam.RoleGeneralManager}, staff: []uuid.UUID{w.in.RequesterID}, manager: true, deputies: true})
	case !now.Before(*w.st.Deadline):
		w.st.State, w.st.Stage = kam.StateExpired, ""
		w.setDeadline()
		if err := w.save(ctx, nil); err != nil {
			return err
		}
		w.queue("expired", "discount_expired", i18n.M(i18n.DiscountExpiredTitle),
			i18n.M(i18n.DiscountExpiredBody, i18n.For(w.in.GMTimeout)),
			audience{staff: append([]uuid.UUID{w.in.RequesterID}, w.stageOne...), manager: true})
	default:
		w.stageReminders++
		w.st.Reminders++
		if err := w.save(ctx, nil); err != nil {
			return err
		}
		w.queue(fmt.Sprintf("remind/%d", w.st.Reminders), "discount_reminder", i18n.M(i18n.DiscountReminderTitle),
			i18n.M(reminderWords(w.st.Stage), i18n.At(w.st.Deadline.In(zoneOr(w.in.Timezone)))),
			audience{roles: []string{w.deciders()}, deputies: true})
	}
	return nil
}

// afterClose carries out an approval: the grant becomes the account's
// discount standard; a standard one the KA Department approved is filed with
// the GM; the grant then lives until valid_to (runGrant). Under
// versionOneAftermath that is one activity (carryOut), after the decision
// has been answered.
func (w *approval) afterClose(ctx workflow.Context) error {
	if w.versionsAtStart {
		// Later versions are given: one aftermath, a revocable grant.
		if err := w.carryOut(ctx); err != nil {
			return err
		}
		if w.st.State != kam.StateApproved {
			return nil
		}
		return w.runGrant(ctx, w.untilRevoked)
	}
	if workflow.GetVersion(ctx, versionOneAftermath, workflow.DefaultVersion, 1) == 1 {
		if err := w.carryOut(ctx); err != nil {
			return err
		}
	} else if err := w.afterCloseSteps(ctx); err != nil {
		return err
	}
	if w.st.State != kam.StateApproved {
		return nil
	}
	wait := workflow.Sleep
	if workflow.GetVersion(ctx, versionRevocableGrant, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
		wait = w.untilRevoked
	}
	return w.runGrant(ctx, wait)
}

// versionOneAftermath: what follows a closed request (the queued notices, the
// grant, the filing and their notices) is one activity, where it was one per
// step, each a further activity task and workflow task on the server. A run
// that had begun the steps keeps taking them one by one.
const versionOneAftermath = "one-aftermath"

// carryOut is afterClose's work in one activity (activities.Aftermath).
func (w *approval) carryOut(ctx workflow.Context) error {
	var done activities.AftermathDone
	if err := workflow.ExecuteActivity(withActivity(ctx), act.CarryOutDiscount, w.aftermath(workflow.Now(ctx), w.outbox)).Get(ctx, &done); err != nil {
		return err
	}
	w.outbox = nil
	w.st.GrantID, w.st.FilingID = done.GrantID, done.FilingID
	return nil
}

// aftermath is what follows the request's state now: the notices before,
// and for an approval the grant, the filing and their notices (and the
// expiry notice, when it is due already and the run's version says so).
func (w *approval) aftermath(now time.Time, before []activities.DiscountEvent) activities.Aftermath {
	m := activities.Aftermath{RequestID: w.in.RequestID, Before: before}
	if w.st.State == kam.StateApproved {
		m.Grant, m.ApprovedBy = true, w.approver
		m.File = w.in.Route == kam.RouteStandard && !w.gmDecided
		if m.File {
			m.After = append(m.After, w.event("filed", "discount_filed", i18n.M(i18n.DiscountFiledTitle),
				i18n.M(i18n.DiscountFiledBody), audience{roles: []string{kam.RoleGeneralManager}}))
		}
		m.After = append(m.After, w.event("granted", "discount_granted", i18n.M(i18n.DiscountGrantedTitle), i18n.M(i18n.DiscountGrantedBody),
			audience{staff: []uuid.UUID{w.in.RequesterID}, manager: true}))
		if w.expiringInAftermath && w.expiryDue(now) {
			m.After = append(m.After, w.expiring())
			w.expirySent = true
		}
		w.applying = true
	}
	return m
}

// afterCloseSteps is afterClose before versionOneAftermath: a step, an
// activity.
func (w *approval) afterCloseSteps(ctx workflow.Context) error {
	if err := w.flush(ctx); err != nil {
		return err
	}
	if w.st.State != kam.StateApproved {
		return nil
	}
	var grant uuid.UUID
	w.applying = true
	if err := workflow.ExecuteActivity(withActivity(ctx), act.ApplyGrant, w.in.RequestID, w.approver).Get(ctx, &grant); err != nil {
		return err
	}
	w.st.GrantID = &grant
	if w.in.Route == kam.RouteStandard && !w.gmDecided {
		var filing uuid.UUID
		if err := workflow.ExecuteActivity(withActivity(ctx), act.FileWithGM, w.in.RequestID).Get(ctx, &filing); err != nil {
			return err
		}
		w.st.FilingID = &filing
		w.queue("filed", "discount_filed", i18n.M(i18n.DiscountFiledTitle),
			i18n.M(i18n.DiscountFiledBody), audience{roles: []string{kam.RoleGeneralManager}})
	}
	w.queue("granted", "discount_granted", i18n.M(i18n.DiscountGrantedTitle), i18n.M(i18n.DiscountGrantedBody),
		audience{staff: []uuid.UUID{w.in.RequesterID}, manager: true})
	return w.flush(ctx)
}

// versionRevocableGrant: a grant's run waits for its end or its revocation
// (SPEC §7), whichever comes first; before, it slept until the end. A run
// that was already sleeping then keeps sleeping, and a revocation meanwhile
// ends its grant all the same (revoke) and spares it the expiry's steps.
const versionRevocableGrant = "revocable-grant"

// untilRevoked waits d, or less if the grant is revoked meanwhile.
func (w *approval) untilRevoked(ctx workflow.Context, d time.Duration) error {
	_, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return w.st.Revoked })
	return err
}

// runGrant keeps an applied grant until it ends: the requester and the
// account's manager hear ExpiryNotice before valid_to, and it ends then,
// unless it is revoked first.
func (w *approval) runGrant(ctx workflow.Context, wait func(workflow.Context, time.Duration) error) error {
	noticeAt := w.in.GrantEndsAt.Add(-w.in.ExpiryNotice)
	if d := noticeAt.Sub(workflow.Now(ctx)); d > 0 {
		if err := wait(ctx, d); err != nil {
			return err
		}
	}
	if !w.st.Revoked && workflow.Now(ctx).Before(w.in.GrantEndsAt) {
		if !w.expirySent {
			w.outbox = append(w.outbox, w.expiring())
			if err := w.flush(ctx); err != nil {
				return err
			}
		}
		if err := wait(ctx, w.in.GrantEndsAt.Sub(workflow.Now(ctx))); err != nil {
			return err
		}
	}
	// A revocation under way finishes first; a revoked grant has ended.
	if err := workflow.Await(ctx, func() bool { return !w.revoking }); err != nil {
		return err
	}
	if w.st.Revoked {
		return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	}
	w.grantEnded = true
	if err := workflow.ExecuteActivity(withActivity(ctx), act.EndGrant, w.in.RequestID).Get(ctx, nil); err != nil {
		return err
	}
	w.queue("ended", "grant_ended", i18n.M(i18n.GrantEndedTitle), i18n.M(i18n.GrantEndedBody), audience{staff: []uuid.UUID{w.in.RequesterID}, manager: true})
	return w.flush(ctx)
}

// expiryDue: the grant's expiry notice is due at now, before its end.
func (w *approval) expiryDue(now time.Time) bool {
	return !now.Before(w.in.GrantEndsAt.Add(-w.in.ExpiryNotice)) && now.Before(w.in.GrantEndsAt)
}

// expiring is the notice that the grant ends soon (to the requester and the
// account's manager).
func (w *approval) expiring() activities.DiscountEvent {
	return w.event("expiring", "grant_expiring", i18n.M(i18n.GrantExpiringTitle),
		i18n.M(i18n.GrantExpiringBody, i18n.At(w.in.GrantEndsAt.In(zoneOr(w.in.Timezone)))), audience{staff: []uuid.UUID{w.in.RequesterID}, manager: true})
}

// validateRevocation admits a revocation of a grant in force (SPEC §7): a
// ka_manager revokes a standard grant (kam.StandardGrant), the General
// Manager any; a revoked or ended grant is a conflict.
func (w *approval) validateRevocation(ctx workflow.Context, r Revocation) error {
	switch {
	case w.revoking || w.st.Revoked:
		return temporal.NewApplicationError("this grant is already revoked", ErrAlreadyRevoked)
	case w.grantEnded:
		return temporal.NewApplicationError("this grant has already ended", ErrGrantEnded)
	case w.st.State != kam.StateApproved || (w.st.GrantID == nil && !w.applying):
		return temporal.NewApplicationError("this request has no grant", ErrNoGrant)
	case !kam.MayRevoke(r.Role, kam.StandardGrant(w.in.Route, w.st.Escalated)):
		return temporal.NewApplicationError("a ka_manager revokes standard grants; this one is the General Manager's", ErrNotRevoker)
	case strings.TrimSpace(r.Reason) == "":
		return temporal.NewApplicationError("a revocation gives its reason", "validation_failed")
	}
	return nil
}

// revoke ends the grant now: the grant row ends and its revocation is filed
// with the GM in one transaction with the revoker's register entry; then the
// requester and the account's manager are told, and the GM of the filing.
// The main loop, waiting for the grant's end, wakes and ends the run.
func (w *approval) revoke(ctx workflow.Context, r Revocation) (DiscountState, error) {
	w.revoking = true
	defer func() { w.revoking = false }()
	// The grant may still be being applied (its row is there, the run has
	// not heard yet): revoke it once it is.
	if err := workflow.Await(ctx, func() bool { return w.st.GrantID != nil }); err != nil {
		return w.st, err
	}
	var filing uuid.UUID
	if err := workflow.ExecuteLocalActivity(withLocalActivity(ctx), act.RevokeGrant, activities.GrantRevocation{
		RequestID: w.in.RequestID, By: r.By, Reason: r.Reason, Timezone: r.Timezone, Register: r.Register,
	}).Get(ctx, &filing); err != nil {
		return w.st, err
	}
	w.st.Revoked, w.st.RevocationFilingID = true, &filing
	for _, e := range []activities.DiscountEvent{
		w.event("revoked", "grant_revoked", i18n.M(i18n.GrantRevokedTitle), i18n.M(i18n.GrantRevokedBody, r.Reason),
			audience{staff: []uuid.UUID{w.in.RequesterID}, manager: true}),
		w.event("revoked/filed", "discount_revocation_filed", i18n.M(i18n.RevocationFiledTitle),
			i18n.M(i18n.RevocationFiledBody), audience{roles: []string{kam.RoleGeneralManager}}),
	} {
		if err := workflow.ExecuteActivity(withActivity(ctx), act.RecordDiscountEvent, e).Get(ctx, nil); err != nil {
			return w.st, err
		}
	}
	return w.st, nil
}

// nextWords is the body of a decision's notice by the state it leaves the
// request in: pending (at the GM now), approved or rejected.
var nextWords = map[string]i18n.Key{
	kam.StatePending:  i18n.DiscountNextGMBody,
	kam.StateApproved: i18n.DiscountNowApprovedBody,
	kam.StateRejected: i18n.DiscountNowRejectedBody,
}

// decisionWords is the title of a decision's notice: which decision, at
// which stage (Art. 12: the KA Department, then the General Manager).
func decisionWords(decision, stage string) i18n.Message {
	gm := stage == kam.StageGeneralManager
	switch {
	case decision == "approve" && gm:
		return i18n.M(i18n.DiscountApprovedGMTitle)
	case decision == "approve":
		return i18n.M(i18n.DiscountApprovedKATitle)
	case gm:
		return i18n.M(i18n.DiscountRejectedGMTitle)
	}
	return i18n.M(i18n.DiscountRejectedKATitle)
}

// reminderWords is the body of a reminder by the stage the request waits at.
func reminderWords(stage string) i18n.Key {
	if stage == kam.StageGeneralManager {
		return i18n.DiscountReminderGMBody
	}
	return i18n.DiscountReminderKABody
}
