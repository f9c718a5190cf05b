package workflows

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the company time zone resolves the same on every worker

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
	"kam/i18n"
)

// Names the API uses to reach a settlement run.
const (
	SignalLedgerChanged    = "ledger-changed"
	SignalAgreementChanged = "agreement-changed"
	QuerySettlement        = "settlement-state"
)

// SettlementWorkflowID is stable per account: one run per credit agreement.
func SettlementWorkflowID(customerID uuid.UUID) string {
	return "credit-settlement/" + customerID.String()
}

// SettlementInput starts (or continues) a settlement run; the fields after
// the settings carry its state across continue-as-new.
type SettlementInput struct {
	CustomerID   uuid.UUID
	Timezone     string
	RemindBefore time.Duration
	DunningSteps []time.Duration
	WarnRatio    string
	Day          time.Duration

	LastClose  time.Time // zero: the agreement's cycle anchor
	Cycle      int       // cycles closed so far
	Warned     int       // 1 + the cycle last warned in; 0: never
	Reinstated int       // reinstatements so far (keys their notices)
	Tracked    []Tracked
	// StartedAt is when this line of runs began (versionRunKeys), carried
	// across continue-as-new: it names the run in the keys of the notices
	// its counters number.
	StartedAt time.Time
}

// Tracked is an unpaid statement the run follows.
type Tracked struct {
	ID       uuid.UUID
	DueAt    time.Time
	Reminded bool
	Overdue  bool
	Dunned   int
	// Reopened is the statement's count of reopenings when the run took it
	// up: a statement a reversed payment made unpaid again is followed
	// afresh, its notices under keys of their own.
	Reopened int32
}

// key names one step of following the statement (reminder, suspension,
// dunning notice), once per reopening.
func (t Tracked) key(step string) string {
	if t.Reopened == 0 {
		return "statement/" + t.ID.String() + "/" + step
	}
	return fmt.Sprintf("statement/%s/reopened/%d/%s", t.ID, t.Reopened, step)
}

// SettlementState is what the query and the result report.
type SettlementState struct {
	Status    string
	Terms     string // kam.TermsCash when the run ended because the account moved to cash terms
	Cycle     int
	LastClose time.Time
	NextClose time.Time
	Tracked   []Tracked
}

// settlementEventsPerRun bounds one run's history before it continues as new.
const settlementEventsPerRun = 100

// CreditSettlement runs one credit agreement (Art. 10, 13). At each cycle
// close the unbilled charges become a statement due after the payment term;
// the account manager and finance are reminded before it falls due; unpaid at
// due, credit purchasing is stopped and recovery begins with dunning notices,
// the last escalating to the General Manager. Payments (signalled by the API)
// are re-checked at once and credit is reinstated when nothing is overdue.
// The early warning fires once per cycle when outstanding reaches the ratio.
// Reversals are ledger changes like any other: the run re-reads the ledger,
// so statements, suspension and reinstatement follow the corrected ledger.
// The run ends when the agreement is closed or moves to cash terms (SPEC §7).
func CreditSettlement(ctx workflow.Context, in SettlementInput) (SettlementState, error) {
	loc := zoneOr(in.Timezone)
	st := SettlementState{}
	if err := workflow.SetQueryHandler(ctx, QuerySettlement, func() (SettlementState, error) { return st, nil }); err != nil {
		return st, err
	}
	s := &settlement{in: in, loc: loc}
	// Asked once per run, at its start, so that a close pays for no version
	// marker of its own.
	s.localClose = workflow.GetVersion(ctx, versionLocalClose, workflow.DefaultVersion, 1) == 1
	s.suspendAnswers = workflow.GetVersion(ctx, versionSuspendAnswers, workflow.DefaultVersion, 1) == 1
	if workflow.GetVersion(ctx, versionRunKeys, workflow.DefaultVersion, 1) == 1 && s.in.StartedAt.IsZero() {
		s.in.StartedAt = workflow.Now(ctx)
	}
	if err := s.load(ctx); err != nil || s.closed() {
		s.ended(&st)
		return st, err
	}
	if s.in.LastClose.IsZero() {
		s.in.LastClose = s.snap.CycleAnchor
	}
	ledger := workflow.GetSignalChannel(ctx, SignalLedgerChanged)
	agreement := workflow.GetSignalChannel(ctx, SignalAgreementChanged)

	for handled := 1; ; handled++ {
		nextClose, closes, err := s.nextClose(ctx)
		if err != nil {
			return st, err
		}
		st = SettlementState{Status: s.snap.Status, Cycle: s.in.Cycle, LastClose: s.in.LastClose, NextClose: nextClose, Tracked: s.in.Tracked}
		now := workflow.Now(ctx)
		wake, timed := s.wakeAt(nextClose, closes)

		timerCtx, cancel := workflow.WithCancel(ctx)
		signalled := false
		sel := workflow.NewSelector(ctx)
		if timed {
			sel.AddFuture(workflow.NewTimer(timerCtx, max(wake.Sub(now), time.Millisecond)), func(workflow.Future) {})
		}
		for _, ch := range []workflow.ReceiveChannel{ledger, agreement} {
			sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); signalled = true })
		}
		sel.Select(ctx)
		cancel()

		if signalled {
			// Any number of quick changes need one re-check.
			for ledger.ReceiveAsync(nil) || agreement.ReceiveAsync(nil) {
			}
			s.follow = workflow.GetVersion(ctx, versionFollowOnReread, workflow.DefaultVersion, 1) == 1
			if done, err := s.reread(ctx, &st); done {
				return st, err
			}
			if err := s.warnIfReached(ctx, false); err != nil {
				return st, err
			}
		} else {
			now = workflow.Now(ctx)
			if s.inArrears() && workflow.GetVersion(ctx, "reread-in-arrears", workflow.DefaultVersion, 1) == 1 {
				// A payment whose signal was lost (kam stopped between its
				// commit and the signal) must still end the arrears (Art. 13),
				// and a paid statement must not be dunned: reread first.
				if done, err := s.reread(ctx, &st); done {
					return st, err
				}
			}
			if closes && !now.Before(nextClose) {
				if err := s.closeCycle(ctx, nextClose); err != nil {
					return st, err
				}
			}
			if err := s.followStatements(ctx, now); err != nil {
				return st, err
			}
		}

		if handled >= settlementEventsPerRun || workflow.GetInfo(ctx).GetCurrentHistoryLength() > historyLimit {
			// A payment or a change signalled while this run was busy would
			// be lost with it (STYLE: pending signals are drained before
			// continuing): act on it here, until none is pending.
			for drainSignals(ledger, agreement) && workflow.GetVersion(ctx, versionDrainBeforeContinue, workflow.DefaultVersion, 1) == 1 {
				if done, err := s.reread(ctx, &st); done {
					return st, err
				}
				if err := s.warnIfReached(ctx, false); err != nil {
					return st, err
				}
			}
			return st, workflow.NewContinueAsNewError(ctx, CreditSettlement, s.in)
		}
	}
}

// Change IDs of workflow.GetVersion guards in the settlement run.
const (
	// versionDrainBeforeContinue: signals pending at continue-as-new are
	// acted on first; before, they were dropped.
	versionDrainBeforeContinue = "drain-before-continue"
	// versionScheduleNeverFires: a schedule that never fires stops the
	// cycle; before, cron's zero time was taken as a close in year 1.
	versionScheduleNeverFires = "schedule-never-fires"
	// versionFollowOnReread: a re-read on a ledger or agreement signal
	// follows the statements at once (a reversed payment can make one unpaid
	// past its due time: overdue and suspended now, not at the next timer)
	// and reinstates only when none is overdue after that; before, the
	// re-read only reinstated and the statements waited for the next timer.
	versionFollowOnReread = "follow-on-reread"
	// versionLocalClose: a cycle close writes the statement and checks the
	// early warning as local activities, inside the workflow task its timer
	// wakes, so a close costs one workflow task and no activity task; before,
	// each was an activity with a workflow task of its own (three workflow
	// tasks and two activity tasks per close). Decided at the run's start.
	versionLocalClose = "local-close"
	// versionRunKeys: the early warning's and the reinstatement's notices,
	// numbered by the run's counters, are keyed by the run too. An
	// agreement closed and opened again gets a new run whose counters start
	// at 0: under the workflow ID alone its first warnings and
	// reinstatements took the keys of the old run's, were taken as already
	// sent and never reached anyone. Statement notices keep their keys
	// (the statement's id names them already). Decided at the run's start.
	versionRunKeys = "run-keys"
	// versionSuspendAnswers: SuspendCredit answers whether credit stands
	// suspended, and suspends only while a statement is overdue; a payment
	// that settled the statement after the run marked it leaves credit
	// active, and no suspension is announced. Before, credit was suspended
	// and announced all the same, and reinstated a moment later. Decided at
	// the run's start.
	versionSuspendAnswers = "suspend-answers"
)

// drainSignals empties the channels and says whether anything was pending.
func drainSignals(chs ...workflow.ReceiveChannel) bool {
	pending := false
	for _, ch := range chs {
		for ch.ReceiveAsync(nil) {
			pending = true
		}
	}
	return pending
}

// nextSchedule is the first firing of a stored spec after `after`. ok is
// false when the spec never fires within kam.ScheduleHorizon (30 February,
// stored before SPEC §7's rule): the caller then stops scheduling rather than
// take the zero time as a date, which made a run spin from year 1. Runs
// recorded before that rule keep cron's old answer, the zero time.
func nextSchedule(ctx workflow.Context, spec string, after time.Time, loc *time.Location) (next time.Time, ok bool, err error) {
	sched, err := kam.ParseStoredSchedule(spec)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("schedule %q: %w", spec, err)
	}
	next, err = sched.Next(after, loc)
	if err == nil {
		return next, true, nil
	}
	if workflow.GetVersion(ctx, versionScheduleNeverFires, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return time.Time{}, true, nil
	}
	workflow.GetLogger(ctx).Error("schedule never fires; waiting for a change", "spec", spec, "error", err)
	return time.Time{}, false, nil
}

type settlement struct {
	in   SettlementInput
	loc  *time.Location
	snap activities.CreditSnapshot
	// badCycle is the impossible cycle already reported in this run.
	badCycle string
	// follow: this re-read follows the statements first
	// (versionFollowOnReread); set for signalled re-reads only.
	follow bool
	// localClose: this run closes its cycles with local activities
	// (versionLocalClose).
	localClose bool
	// suspendAnswers: SuspendCredit's answer counts (versionSuspendAnswers).
	suspendAnswers bool
}

// closeStep runs one step of a cycle close: a local activity when the run
// closes locally, so that the whole close is the one workflow task its timer
// wakes; an activity of its own otherwise (runs begun before).
func (s *settlement) closeStep(ctx workflow.Context, activity any, args ...any) workflow.Future {
	if s.localClose {
		return workflow.ExecuteLocalActivity(withLocalActivity(ctx), activity, args...)
	}
	return workflow.ExecuteActivity(withActivity(ctx), activity, args...)
}

// nextClose is the next cycle close; closes is false while the agreement's
// cycle never fires: finance and the account manager are told once, and the
// run waits for the terms to change, following its statements meanwhile.
func (s *settlement) nextClose(ctx workflow.Context) (next time.Time, closes bool, err error) {
	next, closes, err = nextSchedule(ctx, s.snap.SettlementCycle, s.in.LastClose, s.loc)
	if err != nil || closes || s.badCycle == s.snap.SettlementCycle {
		return next, closes, err
	}
	s.badCycle = s.snap.SettlementCycle
	return next, false, s.event(ctx, "invalid-cycle/"+s.snap.SettlementCycle, "invalid_schedule", i18n.M(i18n.CycleInvalidTitle),
		i18n.M(i18n.CycleInvalidBody, s.snap.SettlementCycle), kam.RoleFinance)
}

// closed: no agreement, a closed one, or one on cash terms, which has no
// cycle to close and nothing to settle (SPEC §7 "Ledger").
func (s *settlement) closed() bool {
	return !s.snap.Exists || s.snap.Status == kam.CreditClosed || s.snap.Terms == kam.TermsCash
}

// ended reports the state the run ends in.
func (s *settlement) ended(st *SettlementState) {
	st.Status = kam.CreditClosed
	if s.snap.Exists && s.snap.Terms == kam.TermsCash && s.snap.Status != kam.CreditClosed {
		st.Status, st.Terms = s.snap.Status, kam.TermsCash
	}
}

// reread loads the agreement and reinstates credit if nothing is overdue any
// more. done says the run ends here: on an error, or (st marked ended) when
// the agreement has been closed or moved to cash terms. A signalled re-read
// (s.follow) first acts on what is due now.
func (s *settlement) reread(ctx workflow.Context, st *SettlementState) (done bool, err error) {
	follow := s.follow
	s.follow = false
	if err := s.load(ctx); err != nil {
		return true, err
	}
	if s.closed() {
		s.ended(st)
		return true, nil
	}
	if follow {
		if err := s.followStatements(ctx, workflow.Now(ctx)); err != nil {
			return true, err
		}
	}
	if err := s.reinstateIfSettled(ctx, follow); err != nil {
		return true, err
	}
	return false, nil
}

// inArrears: credit is suspended or a followed statement is overdue.
func (s *settlement) inArrears() bool {
	if s.snap.Status == kam.CreditSuspended {
		return true
	}
	for _, t := range s.in.Tracked {
		if t.Overdue {
			return true
		}
	}
	return false
}

func (s *settlement) key(suffix string) string {
	return SettlementWorkflowID(s.in.CustomerID) + "/" + suffix
}

// counted is the key suffix of a notice the run's counters number: named by
// the run once it has a start (versionRunKeys).
func (s *settlement) counted(suffix string) string {
	if s.in.StartedAt.IsZero() {
		return suffix
	}
	return "run/" + s.in.StartedAt.UTC().Format(time.RFC3339Nano) + "/" + suffix
}

// load reads the agreement and lines the followed statements up with it:
// paid ones are dropped, unknown unpaid ones (after a restart) are picked up.
func (s *settlement) load(ctx workflow.Context) error {
	if err := workflow.ExecuteActivity(withActivity(ctx), act.LoadCredit, s.in.CustomerID).Get(ctx, &s.snap); err != nil {
		return err
	}
	var tracked []Tracked
	for _, u := range s.snap.Unpaid {
		t := Tracked{ID: u.ID, DueAt: u.DueAt, Overdue: u.Overdue, Reminded: u.Overdue, Reopened: u.Reopened}
		for _, old := range s.in.Tracked {
			if old.ID == u.ID && old.Reopened == u.Reopened {
				t = old
			}
		}
		tracked = append(tracked, t)
	}
	s.in.Tracked = tracked
	return nil
}

// wakeAt is the next moment something is due: a cycle close (when the
// cycle closes at all), a reminder, a due date or a dunning step. timed is
// false when nothing is.
func (s *settlement) wakeAt(nextClose time.Time, closes bool) (at time.Time, timed bool) {
	at, timed = nextClose, closes
	consider := func(t time.Time) {
		if !timed || t.Before(at) {
			at, timed = t, true
		}
	}
	for _, t := range s.in.Tracked {
		switch {
		case !t.Reminded:
			consider(t.DueAt.Add(-s.in.RemindBefore))
		case !t.Overdue:
			consider(t.DueAt)
		case t.Dunned < len(s.in.DunningSteps):
			consider(t.DueAt.Add(s.in.DunningSteps[t.Dunned]))
		}
	}
	return at, timed
}

// event records a step of the agreement and tells roles (finance, and the
// GM at the last dunning step) and the person responsible for the account,
// its manager; an account without one has the KA Department stand in.
// The words are message keys, rendered by the activity (the record's detail
// in English, each recipient's notice in their locale).
func (s *settlement) event(ctx workflow.Context, suffix, kind string, title, body i18n.Message, roles ...string) error {
	return workflow.ExecuteActivity(withActivity(ctx), act.RecordCreditEvent, activities.CreditEvent{
		CustomerID: s.in.CustomerID, Key: s.key(suffix), Kind: kind,
		Notice: &activities.Notice{EventKey: s.key(suffix), Kind: kind, TitleMsg: title, BodyMsg: body,
			CustomerID: &s.in.CustomerID, Roles: roles, ToAccountManager: true, OrRoles: []string{kam.RoleKAManager}},
	}).Get(ctx, nil)
}

func (s *settlement) closeCycle(ctx workflow.Context, end time.Time) error {
	due := end.Add(time.Duration(s.snap.PaymentTermDays) * s.in.Day)
	var st *activities.StatementDue
	if err := s.closeStep(ctx, act.CloseCycle, activities.CycleClose{
		CustomerID: s.in.CustomerID, PeriodStart: s.in.LastClose, PeriodEnd: end, DueAt: due,
	}).Get(ctx, &st); err != nil {
		return err
	}
	if st != nil {
		s.in.Tracked = append(s.in.Tracked, Tracked{ID: st.ID, DueAt: st.DueAt})
	}
	s.in.LastClose = end
	s.in.Cycle++
	return s.warnIfReached(ctx, true)
}

// followStatements sends what is due for each unpaid statement.
func (s *settlement) followStatements(ctx workflow.Context, now time.Time) error {
	kept := s.in.Tracked[:0:0]
	for _, t := range s.in.Tracked {
		id := t.ID.String()
		if !t.Reminded && !now.Before(t.DueAt.Add(-s.in.RemindBefore)) {
			t.Reminded = true
			if now.Before(t.DueAt) {
				if err := s.event(ctx, t.key("remind"), "payment_reminder", i18n.M(i18n.PaymentReminderTitle),
					i18n.M(i18n.PaymentReminderBody, id, i18n.At(t.DueAt.In(s.loc))), kam.RoleFinance); err != nil {
					return err
				}
			}
		}
		if !t.Overdue && !now.Before(t.DueAt) {
			var unpaid bool
			if err := workflow.ExecuteActivity(withActivity(ctx), act.MarkOverdue, t.ID).Get(ctx, &unpaid); err != nil {
				return err
			}
			if !unpaid {
				continue // paid in the meantime
			}
			t.Overdue = true
			// Art. 13: not settled on time, credit purchasing is stopped.
			reason := "statement " + id + " unpaid at " + t.DueAt.In(s.loc).Format(time.RFC3339)
			suspend := workflow.ExecuteActivity(withActivity(ctx), act.SuspendCredit, s.in.CustomerID, reason)
			suspended := true
			if !s.suspendAnswers {
				if err := suspend.Get(ctx, nil); err != nil {
					return err
				}
			} else if err := suspend.Get(ctx, &suspended); err != nil {
				return err
			}
			if !suspended {
				continue // paid between its marking and the suspension
			}
			if err := s.event(ctx, t.key("suspended"), "credit_suspended", i18n.M(i18n.CreditSuspendedTitle),
				i18n.M(i18n.CreditSuspendedBody, id, i18n.At(t.DueAt.In(s.loc))), kam.RoleFinance); err != nil {
				return err
			}
		}
		if t.Overdue && t.Dunned < len(s.in.DunningSteps) && !now.Before(t.DueAt.Add(s.in.DunningSteps[t.Dunned])) {
			t.Dunned++
			roles := []string{kam.RoleFinance}
			title := i18n.M(i18n.DunningTitle, t.Dunned, len(s.in.DunningSteps))
			if t.Dunned == len(s.in.DunningSteps) {
				roles = append(roles, kam.RoleGeneralManager)
				title.Key = i18n.DunningEscalatedTitle
			}
			if err := s.event(ctx, t.key(fmt.Sprintf("dunning/%d", t.Dunned)), "dunning_notice", title,
				i18n.M(i18n.DunningBody, id, i18n.At(t.DueAt.In(s.loc))), roles...); err != nil {
				return err
			}
		}
		kept = append(kept, t)
	}
	s.in.Tracked = kept
	return nil
}

// reinstateIfSettled restores credit once nothing is overdue. followed: the
// statements were just followed, and one they marked overdue counts too.
func (s *settlement) reinstateIfSettled(ctx workflow.Context, followed bool) error {
	if s.snap.Status != kam.CreditSuspended {
		return nil
	}
	for _, u := range s.snap.Unpaid {
		if u.Overdue {
			return nil
		}
	}
	for _, t := range s.in.Tracked {
		if followed && t.Overdue {
			return nil
		}
	}
	var done bool
	if err := workflow.ExecuteActivity(withActivity(ctx), act.ReinstateCredit, s.in.CustomerID).Get(ctx, &done); err != nil || !done {
		return err
	}
	s.in.Reinstated++
	s.snap.Status = kam.CreditActive
	return s.event(ctx, s.counted(fmt.Sprintf("reinstated/%d", s.in.Reinstated)), "credit_reinstated", i18n.M(i18n.CreditReinstatedTitle),
		i18n.M(i18n.CreditReinstatedBody), kam.RoleFinance)
}

// warnIfReached is the arrears early warning of Art. 13, once per cycle.
// atClose: checked as a step of the cycle close.
func (s *settlement) warnIfReached(ctx workflow.Context, atClose bool) error {
	if s.in.Warned == s.in.Cycle+1 || s.in.WarnRatio == "" {
		return nil
	}
	w := activities.ArrearsWarning{CustomerID: s.in.CustomerID, Ratio: s.in.WarnRatio}
	var check workflow.Future
	if atClose {
		check = s.closeStep(ctx, act.ArrearsReached, w)
	} else {
		check = workflow.ExecuteActivity(withActivity(ctx), act.ArrearsReached, w)
	}
	var reached bool
	if err := check.Get(ctx, &reached); err != nil || !reached {
		return err
	}
	s.in.Warned = s.in.Cycle + 1
	return s.event(ctx, s.counted(fmt.Sprintf("warning/%d", s.in.Cycle)), "arrears_warning", i18n.M(i18n.ArrearsWarningTitle),
		i18n.M(i18n.ArrearsWarningBody, strings.TrimRight(s.in.WarnRatio, "0")), kam.RoleFinance)
}
