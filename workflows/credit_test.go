package workflows

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"kam"
	"kam/activities"
)

const day = 24 * time.Hour

// ledger is an in-memory stand-in for the credit tables, behind mocked activities.
type ledger struct {
	terms      string
	status     string
	cycle      string
	termDays   int32
	limit      decimal.Decimal
	unbilled   decimal.Decimal
	unapplied  decimal.Decimal
	statements []*stmt
	events     []activities.CreditEvent
}

type stmt struct {
	id       uuid.UUID
	due      time.Time
	amount   decimal.Decimal
	paid     decimal.Decimal
	overdue  bool
	closedAt time.Time
	reopened int32
}

func (l *ledger) outstanding() decimal.Decimal {
	o := l.unbilled.Sub(l.unapplied)
	for _, s := range l.statements {
		o = o.Add(s.amount.Sub(s.paid))
	}
	return o
}

func (l *ledger) pay(amount decimal.Decimal) {
	for _, s := range l.statements {
		part := decimal.Min(amount, s.amount.Sub(s.paid))
		s.paid = s.paid.Add(part)
		amount = amount.Sub(part)
		if s.paid.Equal(s.amount) {
			s.overdue = false
		}
	}
	l.unapplied = l.unapplied.Add(amount)
}

func (l *ledger) kinds() map[string]int {
	m := map[string]int{}
	for _, e := range l.events {
		m[e.Kind]++
	}
	return m
}

type settlementRun struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	l   *ledger
	in  SettlementInput
	// afterWarnCheck runs inside the n-th arrears check, while the run waits on it.
	afterWarnCheck func(n int)
	warnChecks     int
	// beforeSuspend runs once, as the suspension is asked for: what
	// commits between the statement's marking and the suspension.
	beforeSuspend func()
}

// newSettlementRun: a 10-day cycle from t0, payment due 5 days after the close,
// limit 1000, reminders 72h before due, dunning at 1, 7 and 15 days.
func newSettlementRun(t *testing.T) *settlementRun {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.SetStartTime(t0)
	l := &ledger{status: kam.CreditActive, cycle: "@every 240h", termDays: 5, limit: decimal.NewFromInt(1000)}
	r := &settlementRun{t: t, env: env, l: l, in: SettlementInput{
		CustomerID: uuid.New(), Timezone: "Asia/Shanghai", RemindBefore: 72 * time.Hour,
		DunningSteps: []time.Duration{day, 7 * day, 15 * day}, WarnRatio: "0.8", Day: day,
	}}
	a := &activities.Activities{}
	env.RegisterActivity(a)
	env.OnActivity(a.LoadCredit, mock.Anything, r.in.CustomerID).Return(func(context.Context, uuid.UUID) (activities.CreditSnapshot, error) {
		snap := activities.CreditSnapshot{Exists: true, Terms: l.terms, Status: l.status, SettlementCycle: l.cycle, PaymentTermDays: l.termDays, CycleAnchor: t0}
		for _, s := range l.statements {
			if s.paid.LessThan(s.amount) {
				snap.Unpaid = append(snap.Unpaid, activities.StatementDue{ID: s.id, DueAt: s.due, Overdue: s.overdue, Reopened: s.reopened})
			}
		}
		return snap, nil
	})
	env.OnActivity(a.CloseCycle, mock.Anything, mock.Anything).Return(func(_ context.Context, c activities.CycleClose) (*activities.StatementDue, error) {
		if !l.unbilled.IsPositive() {
			return nil, nil
		}
		s := &stmt{id: uuid.New(), due: c.DueAt, amount: l.unbilled, closedAt: c.PeriodEnd}
		l.unbilled = decimal.Zero
		l.statements = append(l.statements, s)
		applied := l.unapplied
		l.unapplied = decimal.Zero
		l.pay(applied)
		if s.paid.Equal(s.amount) {
			return nil, nil
		}
		return &activities.StatementDue{ID: s.id, DueAt: s.due}, nil
	})
	env.OnActivity(a.MarkOverdue, mock.Anything, mock.Anything).Return(func(_ context.Context, id uuid.UUID) (bool, error) {
		for _, s := range l.statements {
			if s.id == id && s.paid.LessThan(s.amount) {
				s.overdue = true
				return true, nil
			}
		}
		return false, nil
	})
	env.OnActivity(a.SuspendCredit, mock.Anything, r.in.CustomerID, mock.Anything).Return(func(context.Context, uuid.UUID, string) (bool, error) {
		if r.beforeSuspend != nil {
			r.beforeSuspend()
			r.beforeSuspend = nil
		}
		for _, s := range l.statements {
			if s.overdue && l.status == kam.CreditActive {
				l.status = kam.CreditSuspended
			}
		}
		return l.status == kam.CreditSuspended, nil
	})
	env.OnActivity(a.ReinstateCredit, mock.Anything, r.in.CustomerID).Return(func(context.Context, uuid.UUID) (bool, error) {
		for _, s := range l.statements {
			if s.overdue {
				return false, nil
			}
		}
		if l.status != kam.CreditSuspended {
			return false, nil
		}
		l.status = kam.CreditActive
		return true, nil
	})
	env.OnActivity(a.ArrearsReached, mock.Anything, mock.Anything).Return(func(_ context.Context, w activities.ArrearsWarning) (bool, error) {
		ratio := decimal.RequireFromString(w.Ratio)
		reached := l.outstanding().GreaterThanOrEqual(l.limit.Mul(ratio))
		r.warnChecks++
		if r.afterWarnCheck != nil {
			r.afterWarnCheck(r.warnChecks)
		}
		return reached, nil
	})
	env.OnActivity(a.RecordCreditEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, e activities.CreditEvent) error {
		for _, old := range l.events {
			if old.Key == e.Key {
				return nil // once per event key, as the table's primary key does
			}
		}
		l.events = append(l.events, e)
		return nil
	})
	return r
}

func (r *settlementRun) at(d time.Duration, f func()) { r.env.RegisterDelayedCallback(f, d) }

func (r *settlementRun) charge(d time.Duration, amount int64) {
	r.at(d, func() {
		r.l.unbilled = r.l.unbilled.Add(decimal.NewFromInt(amount))
		r.env.SignalWorkflow(SignalLedgerChanged, nil)
	})
}

func (r *settlementRun) pay(d time.Duration, amount int64) {
	r.at(d, func() {
		r.l.pay(decimal.NewFromInt(amount))
		r.env.SignalWorkflow(SignalLedgerChanged, nil)
	})
}

// closeAt ends the agreement (the API allows it only with nothing outstanding).
func (r *settlementRun) closeAt(d time.Duration) {
	r.at(d, func() {
		r.l.status = kam.CreditClosed
		r.env.SignalWorkflow(SignalAgreementChanged, nil)
	})
}

func (r *settlementRun) run() SettlementState {
	r.t.Helper()
	r.env.ExecuteWorkflow(CreditSettlement, r.in)
	if err := r.env.GetWorkflowError(); err != nil {
		r.t.Fatal(err)
	}
	var st SettlementState
	if err := r.env.GetWorkflowResult(&st); err != nil {
		r.t.Fatal(err)
	}
	return st
}

// Charged on day 1, billed on day 10, reminded on day 12, paid on day 13 before
// the day-15 due date: nothing is suspended.
// Art. 13: credit stops when a settlement is missed.
func TestSettlementPaidOnTime(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 300)
	r.pay(13*day, 300)
	r.closeAt(30 * day)
	st := r.run()
	if st.Status != kam.CreditClosed {
		t.Fatalf("state = %+v", st)
	}
	k := r.l.kinds()
	if k["payment_reminder"] != 1 || k["credit_suspended"] != 0 || k["dunning_notice"] != 0 || len(r.l.statements) != 1 {
		t.Fatalf("events = %v, statements %d", k, len(r.l.statements))
	}
	if due := r.l.statements[0].due; !due.Equal(t0.Add(15 * day)) {
		t.Fatalf("due %s, want close + 5 days", due)
	}
}

// Unpaid at due: suspended, dunned, and reinstated by the late payment; the
// dunning stops once paid.
// Art. 13: credit stops when a settlement is missed.
func TestSettlementPaidLateSuspendsThenReinstates(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 300)
	var suspendedAtDue string
	r.at(15*day+time.Hour, func() { suspendedAtDue = r.l.status })
	r.pay(18*day, 300)
	r.closeAt(60 * day)
	r.run()
	if suspendedAtDue != kam.CreditSuspended || r.l.status != kam.CreditClosed {
		t.Fatalf("status at due %q", suspendedAtDue)
	}
	k := r.l.kinds()
	if k["credit_suspended"] != 1 || k["dunning_notice"] != 1 || k["credit_reinstated"] != 1 {
		t.Fatalf("events = %v", k)
	}
	for _, e := range r.l.events {
		// Finance, and the account's manager or, without one, the KA Department.
		if n := e.Notice; e.Kind == "credit_suspended" && (!n.ToAccountManager || !slices.Equal(n.Roles, []string{kam.RoleFinance}) || !slices.Equal(n.OrRoles, []string{kam.RoleKAManager})) {
			t.Fatalf("suspension notice to %v or %v (account manager %v)", n.Roles, n.OrRoles, n.ToAccountManager)
		}
	}
}

// A payment whose signal never arrives (kam killed between the payment's
// commit and the signal) still ends the arrears at the run's next wake-up,
// and the paid statement is not dunned again. Found by the crash test.
func TestSettlementLostPaymentSignalStillReinstates(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 300)
	r.at(18*day, func() { r.l.pay(decimal.NewFromInt(300)) }) // no signal
	var statusAfter string
	r.at(22*day+time.Hour, func() { statusAfter = r.l.status })
	r.closeAt(60 * day)
	r.run()
	k := r.l.kinds()
	if statusAfter != kam.CreditActive || k["credit_suspended"] != 1 || k["credit_reinstated"] != 1 || k["dunning_notice"] != 1 {
		t.Fatalf("status after the next wake-up %q, events %v", statusAfter, k)
	}
}

// Never paid: all three dunning notices, the last to the General Manager.
// Art. 13: credit stops when a settlement is missed.
func TestSettlementDunningEscalatesToGM(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 300)
	r.pay(40*day, 300)
	r.closeAt(50 * day)
	r.run()
	var dunning []activities.CreditEvent
	for _, e := range r.l.events {
		if e.Kind == "dunning_notice" {
			dunning = append(dunning, e)
		}
	}
	if len(dunning) != 3 {
		t.Fatalf("%d dunning notices", len(dunning))
	}
	last := dunning[2].Notice.Roles
	if last[len(last)-1] != kam.RoleGeneralManager || len(dunning[0].Notice.Roles) != 1 {
		t.Fatalf("dunning roles: first %v, last %v", dunning[0].Notice.Roles, last)
	}
}

// A partial payment before due is not enough: suspended at due, reinstated
// when the rest arrives.
func TestSettlementPartialPayments(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 500)
	r.pay(12*day, 200)
	r.pay(17*day, 300)
	r.closeAt(40 * day)
	r.run()
	k := r.l.kinds()
	if k["credit_suspended"] != 1 || k["credit_reinstated"] != 1 {
		t.Fatalf("events = %v", k)
	}
	if s := r.l.statements[0]; !s.paid.Equal(s.amount) {
		t.Fatalf("statement paid %s of %s", s.paid, s.amount)
	}
}

// Two statements overdue: paying the older one keeps credit suspended; paying
// both reinstates it.
// Art. 13: credit stops when a settlement is missed.
func TestSettlementTwoOverdueStatements(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 100)    // billed day 10, due day 15
	r.charge(11*day, 200) // billed day 20, due day 25
	var afterFirst string
	r.pay(26*day, 100)
	r.at(26*day+time.Hour, func() { afterFirst = r.l.status })
	r.pay(27*day, 200)
	r.closeAt(40 * day)
	r.run()
	if afterFirst != kam.CreditSuspended {
		t.Fatalf("status after paying the older statement: %s", afterFirst)
	}
	k := r.l.kinds()
	if k["credit_suspended"] != 2 || k["credit_reinstated"] != 1 || len(r.l.statements) != 2 {
		t.Fatalf("events = %v, statements %d", k, len(r.l.statements))
	}
}

// The early warning fires once per cycle, and again in a later cycle; a limit
// lowered mid-cycle counts from the next check.
// Art. 13: credit stops when a settlement is missed.
func TestSettlementEarlyWarningOncePerCycle(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 500)    // 50%: no warning
	r.charge(2*day, 350)  // 85%: warning (cycle 0)
	r.charge(3*day, 10)   // still 86%: no second warning this cycle
	r.pay(12*day, 860)    // paid; cycle 1 starts at day 10
	r.charge(13*day, 600) // 60% of 1000: no warning
	r.at(14*day, func() { // limit lowered to 700: 600 is 86%
		r.l.limit = decimal.NewFromInt(700)
		r.env.SignalWorkflow(SignalAgreementChanged, nil)
	})
	r.pay(19*day, 600)
	r.closeAt(30 * day)
	r.run()
	var warnings []string
	for _, e := range r.l.events {
		if e.Kind == "arrears_warning" {
			warnings = append(warnings, e.Key)
		}
	}
	// Keyed by the run (versionRunKeys): an agreement closed and opened
	// again starts a run whose counters start at 0 again, and its warnings
	// must not be taken for this run's and dropped as sent.
	run := "run/" + t0.Format(time.RFC3339Nano) + "/"
	if len(warnings) != 2 || warnings[0] != r.key(run+"warning/0") || warnings[1] != r.key(run+"warning/1") {
		t.Fatalf("warnings = %v", warnings)
	}
}

// A changed cycle is used from the next decision point.
func TestSettlementCycleChanged(t *testing.T) {
	r := newSettlementRun(t)
	r.at(day, func() {
		r.l.cycle = "@every 48h"
		r.env.SignalWorkflow(SignalAgreementChanged, nil)
	})
	r.charge(3*day, 100)
	r.pay(5*day, 100)
	r.closeAt(7 * day)
	st := r.run()
	if len(r.l.statements) != 1 || !r.l.statements[0].closedAt.Equal(t0.Add(4*day)) {
		t.Fatalf("statements %d, closed at %v", len(r.l.statements), r.l.statements)
	}
	if st.Status != kam.CreditClosed {
		t.Fatalf("state = %+v", st)
	}
}

// An empty cycle makes no statement; closing the agreement ends the run.
func TestSettlementEmptyCyclesAndClose(t *testing.T) {
	r := newSettlementRun(t)
	r.closeAt(35 * day)
	st := r.run()
	if len(r.l.statements) != 0 || st.Cycle != 3 || st.Status != kam.CreditClosed {
		t.Fatalf("statements %d, state %+v", len(r.l.statements), st)
	}
}

// Many cycles: the run continues as new, carrying its cycle count, last
// close and the statements it follows.
func TestSettlementContinuesAsNew(t *testing.T) {
	r := newSettlementRun(t)
	r.l.cycle = "@every 1h"
	r.l.termDays = 30
	r.charge(30*time.Minute, 100)
	r.env.ExecuteWorkflow(CreditSettlement, r.in)
	err := r.env.GetWorkflowError()
	if !isContinueAsNew(err) {
		t.Fatalf("err = %v", err)
	}
	var next SettlementInput
	if err := converterDecode(continueAsNewOf(err), &next); err != nil {
		t.Fatal(err)
	}
	if next.Cycle < 50 || next.LastClose.IsZero() || len(next.Tracked) != 1 || next.CustomerID != r.in.CustomerID || len(next.DunningSteps) != 3 {
		t.Fatalf("carried = %+v", next)
	}
	if !next.LastClose.Equal(t0.Add(time.Duration(next.Cycle) * time.Hour)) {
		t.Fatalf("last close %s after %d cycles", next.LastClose, next.Cycle)
	}
}

func (r *settlementRun) key(suffix string) string {
	return SettlementWorkflowID(r.in.CustomerID) + "/" + suffix
}

// A cycle that never fires (30 February, stored before SPEC §7's rule) used
// to make cron answer the zero time: the run closed cycle after cycle in
// year 1, warning of arrears each time. Now finance is told once, nothing is
// closed, and the cycle applies again once the agreement is corrected.
func TestSettlementImpossibleCycleDoesNotSpin(t *testing.T) {
	r := newSettlementRun(t)
	r.l.cycle = "0 0 30 2 *"
	r.charge(day, 900) // 90% of the limit: one early warning per cycle
	r.at(3*day, func() {
		r.l.cycle = "@every 240h"
		r.env.SignalWorkflow(SignalAgreementChanged, nil)
	})
	r.pay(12*day, 900)
	r.closeAt(20 * day)
	st := r.run()
	k := r.l.kinds()
	// Warned in cycle 0 (the charge) and cycle 1 (still owed at its close).
	if k["invalid_schedule"] != 1 || k["arrears_warning"] != 2 || st.Cycle != 2 || st.Status != kam.CreditClosed {
		t.Fatalf("events %v, state %+v", k, st)
	}
	if len(r.l.statements) != 1 || !r.l.statements[0].closedAt.Equal(t0.Add(10*day)) {
		t.Fatalf("statements %d: %v", len(r.l.statements), r.l.statements)
	}
	for _, s := range r.l.statements {
		if s.closedAt.Year() < 2000 {
			t.Fatalf("a close in year %d", s.closedAt.Year())
		}
	}
}

// An impossible cycle with nothing else due: the run waits (no timer spin)
// until the agreement is closed.
func TestSettlementImpossibleCycleWaits(t *testing.T) {
	r := newSettlementRun(t)
	r.l.cycle = "0 0 31 4,6,9,11 *"
	var closeCalls int
	r.at(400*day, func() { closeCalls = len(r.l.statements) })
	r.closeAt(401 * day)
	st := r.run()
	if st.Status != kam.CreditClosed || st.Cycle != 0 || closeCalls != 0 || r.l.kinds()["invalid_schedule"] != 1 {
		t.Fatalf("state %+v, events %v", st, r.l.kinds())
	}
}

// A payment signalled while the run is busy just before it continues as new
// is acted on before it continues (STYLE: pending signals are drained), not
// dropped: here, a charge signalled during the last cycle's arrears check
// still raises the early warning in this run.
func TestSettlementContinueAsNewKeepsPendingSignal(t *testing.T) {
	r := newSettlementRun(t)
	r.l.cycle = "@every 1h"
	r.afterWarnCheck = func(n int) {
		if n == settlementEventsPerRun {
			r.l.unbilled = r.l.unbilled.Add(decimal.NewFromInt(900))
			r.env.SignalWorkflow(SignalLedgerChanged, nil)
		}
	}
	r.env.ExecuteWorkflow(CreditSettlement, r.in)
	err := r.env.GetWorkflowError()
	if !isContinueAsNew(err) {
		t.Fatalf("err = %v", err)
	}
	var next SettlementInput
	if err := converterDecode(continueAsNewOf(err), &next); err != nil {
		t.Fatal(err)
	}
	if k := r.l.kinds(); k["arrears_warning"] != 1 || next.Warned != next.Cycle+1 {
		t.Fatalf("events %v, carried warned %d in cycle %d", k, next.Warned, next.Cycle)
	}
}

// reverseCharge reverses amount of what the first statement billed, as the
// store does: it asks that much less, and is paid once nothing is left.
func (r *settlementRun) reverseCharge(d time.Duration, amount int64) {
	r.at(d, func() {
		s := r.l.statements[0]
		s.amount = s.amount.Sub(decimal.NewFromInt(amount))
		if s.paid.GreaterThanOrEqual(s.amount) {
			r.l.unapplied = r.l.unapplied.Add(s.paid.Sub(s.amount))
			s.paid, s.overdue = s.amount, false
		}
		r.env.SignalWorkflow(SignalLedgerChanged, nil)
	})
}

// reversePayment takes amount back from the statements, newest first, as the
// store does: a paid statement is open again and counted as reopened.
func (r *settlementRun) reversePayment(d time.Duration, amount int64) {
	r.at(d, func() {
		back := decimal.NewFromInt(amount)
		for i := len(r.l.statements) - 1; i >= 0 && back.IsPositive(); i-- {
			s := r.l.statements[i]
			part := decimal.Min(back, s.paid)
			if part.IsPositive() && s.paid.Equal(s.amount) {
				s.reopened++
			}
			s.paid, back = s.paid.Sub(part), back.Sub(part)
		}
		r.env.SignalWorkflow(SignalLedgerChanged, nil)
	})
}

func (r *settlementRun) statusAt(d time.Duration, into *string) {
	r.at(d, func() { *into = r.l.status })
}

// SPEC §7 "Ledger": a charge reversed after its statement fell overdue
// settles the statement, and the run re-reads the ledger on the signal and
// reinstates credit; the dunning stops.
// Art. 13: credit stops when a settlement is missed, and resumes when settled.
func TestSettlementChargeReversalReinstates(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 300) // billed day 10, due day 15
	var atDue, afterReversal string
	r.statusAt(15*day+time.Hour, &atDue)
	r.reverseCharge(18*day, 300)
	r.statusAt(18*day+time.Minute, &afterReversal)
	r.closeAt(40 * day)
	r.run()
	k := r.l.kinds()
	if atDue != kam.CreditSuspended || afterReversal != kam.CreditActive || k["credit_reinstated"] != 1 || k["dunning_notice"] != 1 {
		t.Fatalf("at due %s, after the reversal %s, events %v", atDue, afterReversal, k)
	}
}

// A payment reversed after its statement's due time (a bounced cheque):
// the statement is unpaid past due, and the re-read on the signal marks it
// overdue and suspends credit at once, under notice keys of its reopening.
// Art. 13: credit stops when a settlement is missed.
func TestSettlementPaymentReversalSuspendsAtOnce(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 300)
	r.pay(12*day, 300) // paid before the day-15 due date
	var atDue, afterBounce string
	r.statusAt(16*day, &atDue)
	r.reversePayment(17*day, 300)
	r.statusAt(17*day+time.Second, &afterBounce)
	r.pay(20*day, 300)
	r.closeAt(40 * day)
	r.run()
	k := r.l.kinds()
	if atDue != kam.CreditActive || afterBounce != kam.CreditSuspended || k["credit_suspended"] != 1 || k["credit_reinstated"] != 1 {
		t.Fatalf("at due %s, after the bounce %s, events %v", atDue, afterBounce, k)
	}
	want := r.key("statement/" + r.l.statements[0].id.String() + "/reopened/1/suspended")
	if !slices.ContainsFunc(r.l.events, func(e activities.CreditEvent) bool { return e.Key == want }) {
		t.Fatalf("no suspension under %s: %v", want, r.l.events)
	}
}

// A statement suspended, paid late (reinstated), then its payment bounces:
// it is followed afresh, so the second suspension is noticed too, and a
// second late payment reinstates again.
func TestSettlementReopenedStatementSuspendsAgain(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 300)
	r.pay(18*day, 300)
	r.reversePayment(20*day, 300)
	var afterBounce string
	r.statusAt(20*day+time.Second, &afterBounce)
	r.pay(25*day, 300)
	r.closeAt(40 * day)
	r.run()
	k := r.l.kinds()
	if afterBounce != kam.CreditSuspended || k["credit_suspended"] != 2 || k["credit_reinstated"] != 2 || r.l.status != kam.CreditClosed {
		t.Fatalf("after the bounce %s, events %v", afterBounce, k)
	}
}

// Credit → cash terms (SPEC §7): the run re-reads its agreement on the
// signal and ends cleanly, reporting cash terms; nothing more is billed.
func TestSettlementEndsOnCashTerms(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 100)
	r.pay(12*day, 100)
	r.at(13*day, func() {
		r.l.terms = kam.TermsCash
		r.env.SignalWorkflow(SignalAgreementChanged, nil)
	})
	st := r.run()
	if st.Terms != kam.TermsCash || st.Status != kam.CreditActive || st.Cycle != 1 || len(r.l.statements) != 1 {
		t.Fatalf("state %+v, statements %d", st, len(r.l.statements))
	}
}

// A run started (by the reconciler, or a start racing a PUT) for an account
// on cash terms ends at once.
func TestSettlementOnCashTermsEndsAtOnce(t *testing.T) {
	r := newSettlementRun(t)
	r.l.terms = kam.TermsCash
	st := r.run()
	if st.Terms != kam.TermsCash || st.Cycle != 0 || len(r.l.events) != 0 {
		t.Fatalf("state %+v, events %v", st, r.l.events)
	}
}

// A payment that settles the statement between the run marking it overdue
// and suspending credit leaves credit active: nothing is suspended or
// announced, and no dunning follows (versionSuspendAnswers).
// Art. 13: credit stops when a settlement is missed.
func TestSettlementPaidAsItFallsDueIsNotSuspended(t *testing.T) {
	r := newSettlementRun(t)
	r.charge(day, 300)
	r.beforeSuspend = func() { r.l.pay(decimal.NewFromInt(300)) }
	r.closeAt(40 * day)
	r.run()
	if k := r.l.kinds(); k["credit_suspended"] != 0 || k["dunning_notice"] != 0 || k["credit_reinstated"] != 0 {
		t.Fatalf("events = %v, want no suspension, dunning or reinstatement", k)
	}
	if r.l.status != kam.CreditClosed {
		t.Fatalf("status %s", r.l.status)
	}
}
