package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
	"kam/i18n"
)

// Names the API uses to reach an onboarding run.
const (
	SignalArchiveChanged = "archive-changed"
	QueryOnboarding      = "onboarding-state"
)

// OnboardingWorkflowID is stable per account, so a repeated start is a no-op.
func OnboardingWorkflowID(customerID uuid.UUID) string {
	return "account-onboarding/" + customerID.String()
}

// OnboardingInput starts (or continues) an onboarding run. The counters carry
// state across continue-as-new.
type OnboardingInput struct {
	CustomerID    uuid.UUID
	RemindEvery   time.Duration
	EscalateAfter time.Duration

	StartedAt time.Time
	Reminders int
	Escalated bool
}

// OnboardingState is what the query and the result report.
type OnboardingState struct {
	Complete  bool
	Stopped   bool // the account is gone or no longer active
	Missing   []string
	Reminders int
	Escalated bool
}

// Bounds on one run's history; past either the run continues as new. The
// event count is what the time-skipping test environment can see too.
const (
	historyLimit = 2000
	eventsPerRun = 150
)

// AccountOnboarding sees a new account's archive through to completeness.
// Art. 7.1 asks for complete, accurate base data and Art. 9 gives its upkeep
// to designated keepers: the data clerks are reminded of the empty sections
// every RemindEvery, and if the archive is still incomplete after
// EscalateAfter the KA Department manager is told (Art. 5.2, supervision).
// Every change to the archive signals the run, which re-checks at once.
func AccountOnboarding(ctx workflow.Context, in OnboardingInput) (OnboardingState, error) {
	if in.StartedAt.IsZero() {
		in.StartedAt = workflow.Now(ctx)
	}
	keys := onboardingKeys(ctx, in)
	st := OnboardingState{Reminders: in.Reminders, Escalated: in.Escalated}
	if err := workflow.SetQueryHandler(ctx, QueryOnboarding, func() (OnboardingState, error) { return st, nil }); err != nil {
		return st, err
	}
	check := func() (bool, error) {
		var a activities.ArchiveStatus
		if err := workflow.ExecuteActivity(withActivity(ctx), act.CheckArchive, in.CustomerID).Get(ctx, &a); err != nil {
			return false, err
		}
		st.Missing = a.Missing
		st.Stopped = !a.Exists || !a.Active
		st.Complete = a.Exists && len(a.Missing) == 0
		return st.Complete || st.Stopped, nil
	}
	if done, err := check(); err != nil || done {
		return st, err
	}

	changed := workflow.GetSignalChannel(ctx, SignalArchiveChanged)
	for handled := 1; ; handled++ {
		now := workflow.Now(ctx)
		nextRemind := in.StartedAt.Add(time.Duration(st.Reminders+1) * in.RemindEvery)
		escalateAt := in.StartedAt.Add(in.EscalateAfter)

		timerCtx, cancelTimers := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		var event string
		sel.AddFuture(workflow.NewTimer(timerCtx, nextRemind.Sub(now)), func(workflow.Future) { event = "remind" })
		if !st.Escalated {
			sel.AddFuture(workflow.NewTimer(timerCtx, escalateAt.Sub(now)), func(workflow.Future) { event = "escalate" })
		}
		sel.AddReceive(changed, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			// Several quick edits need only one re-check.
			for c.ReceiveAsync(nil) {
			}
			event = "changed"
		})
		sel.Select(ctx)
		cancelTimers()

		if done, err := check(); err != nil || done {
			return st, err
		}
		switch event {
		case "remind":
			st.Reminders++
			// Art. 9: data clerks keep the archive but may not see credit;
			// a missing credit agreement is finance's to make (SPEC §2).
			// Each reminder stays one notice (replay: one activity per
			// reminder, as before), to the clerks while anything else is
			// missing, to finance once only credit is.
			missing, keepers := withoutCredit(st.Missing), []string{kam.RoleDataClerk}
			if len(missing) == 0 {
				missing, keepers = st.Missing, []string{kam.RoleFinance}
			}
			if err := notify(ctx, activities.Notice{
				EventKey:   fmt.Sprintf("%s/remind/%d", keys, st.Reminders),
				Kind:       "archive_incomplete",
				TitleMsg:   i18n.M(i18n.ArchiveIncompleteTitle),
				BodyMsg:    i18n.M(i18n.ArchiveIncompleteBody, strings.Join(missing, ", ")),
				CustomerID: &in.CustomerID,
				Roles:      keepers,
			}); err != nil {
				return st, err
			}
		case "escalate":
			st.Escalated = true
			if err := notify(ctx, activities.Notice{
				EventKey:   keys + "/escalate",
				Kind:       "archive_escalated",
				TitleMsg:   i18n.M(i18n.ArchiveEscalatedTitle),
				BodyMsg:    i18n.M(i18n.ArchiveEscalatedBody, i18n.For(in.EscalateAfter), strings.Join(st.Missing, ", ")),
				CustomerID: &in.CustomerID,
				Roles:      []string{kam.RoleKAManager},
			}); err != nil {
				return st, err
			}
		}

		if handled >= eventsPerRun || workflow.GetInfo(ctx).GetCurrentHistoryLength() > historyLimit {
			// Signals not yet received would be lost with this run; they only ask
			// for a re-check, which the next run does first anyway.
			in.Reminders, in.Escalated = st.Reminders, st.Escalated
			return st, workflow.NewContinueAsNewError(ctx, AccountOnboarding, in)
		}
	}
}

// withoutCredit is an archive's missing sections as a caller who may not
// see credit is told them.
func withoutCredit(missing []string) []string {
	out := make([]string, 0, len(missing))
	for _, m := range missing {
		if m != kam.SectionCredit {
			out = append(out, m)
		}
	}
	return out
}

// versionKeysPerRun guards the event keys of onboarding notices.
const versionKeysPerRun = "onboarding-keys-per-run"

// onboardingKeys is the prefix of a run's notice keys. An archive that is
// complete ends its run; one that becomes incomplete again (a key person
// removed, Art. 7.2) gets a new run under the same workflow ID, whose
// reminders must not be taken for the first run's and dropped as sent
// (a notice is delivered once per key). So the keys name the run by its
// start, which continue-as-new carries over. Runs recorded before carry the
// workflow ID alone.
func onboardingKeys(ctx workflow.Context, in OnboardingInput) string {
	if workflow.GetVersion(ctx, versionKeysPerRun, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return OnboardingWorkflowID(in.CustomerID)
	}
	return OnboardingWorkflowID(in.CustomerID) + "/" + in.StartedAt.UTC().Format(time.RFC3339Nano)
}
