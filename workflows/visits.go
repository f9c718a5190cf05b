package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
	"kam/i18n"
)

// Names the API uses to reach a visit plan.
const (
	SignalVisitRecorded = "visit-recorded"
	SignalPlanChanged   = "plan-changed"
)

// VisitPlanWorkflowID is stable per account.
func VisitPlanWorkflowID(customerID uuid.UUID) string { return "visit-plan/" + customerID.String() }

// VisitPlanInput starts (or continues) an account's visit plan.
type VisitPlanInput struct {
	CustomerID uuid.UUID
	Timezone   string
	Lead       time.Duration
	Grace      time.Duration
	// LastDue carries the schedule across continue-as-new; zero: from now.
	LastDue time.Time
	// Visit, due at Due, is the planned visit a run continued as new in the
	// middle of its wait (versionVisitPlanBounded); Told: its manager was
	// told of it already. BadCadence is the never-firing cadence the KA
	// manager was told of.
	Visit      uuid.UUID
	Due        time.Time
	Told       bool
	BadCadence string
}

// visitsPerRun bounds one run's history.
const visitsPerRun = 50

// visitTurnsPerRun bounds the signals one run takes (one taken alone costs
// about 14 events), so that no run nears Temporal's 51,200 events however often its
// tier is saved. Changing it changes where open runs continue: that needs a
// version of its own.
const visitTurnsPerRun = 200

// versionVisitPlanBounded: a run continues as new after visitTurnsPerRun
// signals, or when Temporal suggests it, even in the middle of a visit's
// wait, carrying the planned visit; before, a run took any number of
// signals that left its cadence as it was. Asked only when a run first
// reaches that point: a plan open since before this change (plans run for
// years) takes it too, unless its history had already passed that point.
// Only such a continue-as-new carries a Visit or a BadCadence, so what reads
// them needs no version of its own.
const versionVisitPlanBounded = "visit-plan-bounded"

// VisitPlan is the account-manager system of Art. 20: regular visits on the
// tier's cadence (Art. 15). Each due visit is planned, the account manager is
// told Lead ahead, and a visit recorded by due + Grace completes it; if none
// is, it is missed and the KA manager is told. A tier change reschedules at
// once; an account that is no longer active ends its plan.
func VisitPlan(ctx workflow.Context, in VisitPlanInput) error {
	turns := 0
	full := func() bool {
		return (turns >= visitTurnsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()) &&
			workflow.GetVersion(ctx, versionVisitPlanBounded, workflow.DefaultVersion, 1) == 1
	}
	carried, carriedDue, carriedTold := in.Visit, in.Due, in.Told
	in.Visit, in.Due, in.Told = uuid.Nil, time.Time{}, false
	loc := zoneOr(in.Timezone)
	recorded := workflow.GetSignalChannel(ctx, SignalVisitRecorded)
	changed := workflow.GetSignalChannel(ctx, SignalPlanChanged)
	load := func() (activities.VisitPlanFacts, error) {
		var f activities.VisitPlanFacts
		err := workflow.ExecuteActivity(withActivity(ctx), act.LoadVisitPlan, in.CustomerID).Get(ctx, &f)
		return f, err
	}
	// withdraw cancels the visit a run carried in, once it is no longer due.
	withdraw := func() error {
		if carried == uuid.Nil {
			return nil
		}
		v := carried
		carried = uuid.Nil
		return workflow.ExecuteActivity(withActivity(ctx), act.CancelVisit, v).Get(ctx, nil)
	}
	facts, err := load()
	if err != nil {
		return err
	}
	if !facts.Active {
		// Art. 20 plans visits for active accounts only.
		return withdraw()
	}
	base := in.LastDue
	if base.IsZero() {
		base = workflow.Now(ctx)
	}
	badCadence := in.BadCadence
	for planned := 0; planned < visitsPerRun; planned++ {
		due, fires, err := nextSchedule(ctx, facts.Cadence, base, loc)
		if err != nil {
			return err
		}
		if carried != uuid.Nil && (!fires || !due.Equal(carriedDue)) {
			// The cadence changed while the run continued as new.
			if err := withdraw(); err != nil {
				return err
			}
		}
		if !fires {
			// A cadence that never fires (stored before SPEC §7's rule):
			// nothing to plan until the tier is corrected or the account
			// leaves; the KA manager is told once.
			if badCadence != facts.Cadence {
				badCadence = facts.Cadence
				if err := notify(ctx, activities.Notice{EventKey: VisitPlanWorkflowID(in.CustomerID) + "/invalid-cadence/" + facts.Cadence, Kind: "invalid_schedule",
					TitleMsg: i18n.M(i18n.VisitCadenceInvalidTitle), BodyMsg: i18n.M(i18n.VisitCadenceInvalidBody, facts.Cadence),
					CustomerID: &in.CustomerID, Roles: []string{kam.RoleKAManager}}); err != nil {
					return err
				}
			}
			if full() {
				// Visits are planned from the correction on (LastDue zero).
				drainSignals(recorded, changed)
				in.LastDue, in.BadCadence = time.Time{}, badCadence
				return workflow.NewContinueAsNewError(ctx, VisitPlan, in)
			}
			changed.Receive(ctx, nil)
			for turns++; changed.ReceiveAsync(nil); turns++ {
			}
			if facts, err = load(); err != nil || !facts.Active {
				return err
			}
			// Visits are planned from the correction on, not back in time.
			base = workflow.Now(ctx)
			planned--
			continue
		}
		var visit uuid.UUID
		told, rescheduled := false, false
		if carried != uuid.Nil {
			// The visit the previous run waited on: a record drained when
			// it continued may have completed it meanwhile.
			visit, told, carried = carried, carriedTold, uuid.Nil
			var status string
			if err := workflow.ExecuteActivity(withActivity(ctx), act.VisitStatus, visit).Get(ctx, &status); err != nil {
				return err
			}
			if status != "planned" {
				base = due
				continue
			}
		} else if err := workflow.ExecuteActivity(withActivity(ctx), act.PlanVisit, in.CustomerID, due).Get(ctx, &visit); err != nil {
			return err
		}
		for done := false; !done; {
			if full() {
				// A tier saved again and again (each save a signal) must not
				// grow one run without bound: continue as new with the
				// planned visit. The signals pending now need no action
				// here: the next run reads the account and the visit again.
				drainSignals(recorded, changed)
				in.LastDue, in.Visit, in.Due, in.Told, in.BadCadence = base, visit, due, told, badCadence
				return workflow.NewContinueAsNewError(ctx, VisitPlan, in)
			}
			now := workflow.Now(ctx)
			timerCtx, cancel := workflow.WithCancel(ctx)
			sel := workflow.NewSelector(ctx)
			var event string
			if !told {
				sel.AddFuture(workflow.NewTimer(timerCtx, max(due.Add(-in.Lead).Sub(now), time.Millisecond)), func(workflow.Future) { event = "lead" })
			}
			sel.AddFuture(workflow.NewTimer(timerCtx, max(due.Add(in.Grace).Sub(now), time.Millisecond)), func(workflow.Future) { event = "grace" })
			sel.AddReceive(recorded, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); event = "recorded"; turns++ })
			sel.AddReceive(changed, func(c workflow.ReceiveChannel, _ bool) {
				c.Receive(ctx, nil)
				// Temporal's limits count every signal, drained ones too.
				for turns++; c.ReceiveAsync(nil); turns++ {
				}
				event = "changed"
			})
			sel.Select(ctx)
			cancel()

			switch event {
			case "lead":
				told = true
				if stop, err := rereadStops(ctx, load, &facts, visit); stop || err != nil {
					return err
				}
				if err := notify(ctx, activities.Notice{EventKey: activities.VisitNoticeKey(in.CustomerID, due, "lead"), Kind: "visit_due", TitleMsg: i18n.M(i18n.VisitDueTitle),
					BodyMsg: i18n.M(i18n.VisitDueBody, i18n.At(due.In(loc))), CustomerID: &in.CustomerID,
					// The account's manager visits; without one, the KA Department.
					ToAccountManager: true, OrRoles: []string{kam.RoleKAManager}}); err != nil {
					return err
				}
			case "grace":
				if stop, err := rereadStops(ctx, load, &facts, visit); stop || err != nil {
					return err
				}
				var missed bool
				if err := workflow.ExecuteActivity(withActivity(ctx), act.MarkVisitMissed, visit).Get(ctx, &missed); err != nil {
					return err
				}
				if missed {
					if err := notify(ctx, activities.Notice{EventKey: activities.VisitNoticeKey(in.CustomerID, due, "missed"), Kind: "visit_missed", TitleMsg: i18n.M(i18n.VisitMissedTitle),
						BodyMsg: i18n.M(i18n.VisitMissedBody, i18n.At(due.Add(in.Grace).In(loc))), CustomerID: &in.CustomerID,
						// SPEC §4: the KA manager is told; so is the manager who missed it.
						Roles: []string{kam.RoleKAManager}, ToAccountManager: true}); err != nil {
						return err
					}
				}
				done = true
			case "recorded":
				var status string
				if err := workflow.ExecuteActivity(withActivity(ctx), act.VisitStatus, visit).Get(ctx, &status); err != nil {
					return err
				}
				done = status != "planned"
			case "changed":
				if facts, err = load(); err != nil {
					return err
				}
				if !facts.Active {
					// Churned or gone: the plan stops and its planned visit with it.
					return workflow.ExecuteActivity(withActivity(ctx), act.CancelVisit, visit).Get(ctx, nil)
				}
				next, fires, err := nextSchedule(ctx, facts.Cadence, base, loc)
				if err != nil {
					return err
				}
				if !fires || !next.Equal(due) {
					// The tier's cadence changed: the new one applies at once.
					if err := workflow.ExecuteActivity(withActivity(ctx), act.CancelVisit, visit).Get(ctx, nil); err != nil {
						return err
					}
					rescheduled = true
					done = true
				}
			}
		}
		if rescheduled {
			rescheduled = false
			planned--
			continue
		}
		base = due
	}
	in.LastDue, in.BadCadence = base, badCadence
	return workflow.NewContinueAsNewError(ctx, VisitPlan, in)
}

// versionVisitRereads: the plan re-reads its account before a lead notice
// or a missed mark, so a lost churn signal does not keep it running.
const versionVisitRereads = "visit-rereads-account"

// rereadStops reloads the account before a step acts on it. stop: the
// account is churned or gone, so the planned visit is withdrawn and the plan
// ends (Art. 20 plans visits for active accounts only).
func rereadStops(ctx workflow.Context, load func() (activities.VisitPlanFacts, error), facts *activities.VisitPlanFacts, visit uuid.UUID) (stop bool, err error) {
	if workflow.GetVersion(ctx, versionVisitRereads, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false, nil
	}
	f, err := load()
	if err != nil {
		return true, err
	}
	*facts = f
	if f.Active {
		return false, nil
	}
	return true, workflow.ExecuteActivity(withActivity(ctx), act.CancelVisit, visit).Get(ctx, nil)
}

// GreetingSweepInput runs one day's greeting sweep.
type GreetingSweepInput struct {
	Timezone string
	Lead     time.Duration
}

// GreetingScheduleID is the Temporal Schedule that runs the sweep daily.
const GreetingScheduleID = "greetings-daily"

// GreetingSweep is the daily sweep of Art. 19 that a Temporal Schedule
// starts: birthdays of key persons, account anniversaries and holidays, each
// one greeting task for the account manager, Lead ahead.
func GreetingSweep(ctx workflow.Context, in GreetingSweepInput) (int, error) {
	loc := zoneOr(in.Timezone)
	now := workflow.Now(ctx).In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var n int
	err := workflow.ExecuteActivity(withActivity(ctx), act.SweepGreetings, activities.GreetingSweep{Today: today, LeadDays: kam.LeadDays(in.Lead)}).Get(ctx, &n)
	return n, err
}
