package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"kam/activities"
)

// How kam pairs a row with its run: every run has a deterministic workflow
// ID derived from its row, so starting it again is a no-op. A write starts
// the run once its row is in place (inside the transaction where the SPEC
// answers 503 with nothing stored when the start fails: discounts, credit,
// tickets; after commit where the write stands without it: accounts,
// reactivation). A run acts only on a committed row (it confirms or reads
// its row first and ends without one). Reconcile closes the remaining gap:
// a committed row whose start was lost (Temporal down, a crash between
// commit and start, a row older than its process) gets its run here.

// ReconcileScheduleID is the Schedule that runs Reconcile every few minutes.
const ReconcileScheduleID = "reconcile"

// ReconcileWorkflowID prefixes the ids of Reconcile runs.
const ReconcileWorkflowID = "reconcile"

// reconcilePageSize rows per listing; reconcilePagesPerRun pages before the
// run continues as new, which bounds its history on a large book.
const (
	reconcilePageSize    = 200
	reconcilePagesPerRun = 50
)

// versionNudgeSettlements: a sweep ends by signalling the settlement runs
// that missed a change; before, a lost signal waited for the run's next
// timer.
const versionNudgeSettlements = "nudge-settlements"

// ReconcileInput is where a Reconcile run resumes after continuing as new.
type ReconcileInput struct {
	Phase string // "" or "accounts": active accounts; "agreements": open credit agreements
	After *uuid.UUID
	// Started counts the needs handed on so far in this sweep (all runs).
	Started int
}

// ReconcileResult says how many runs a sweep made sure of.
type ReconcileResult struct {
	Accounts   int
	Agreements int
	Needs      int
	// Failed counts needs whose start still failed after its retries; the
	// next sweep tries them again.
	Failed int
	// Nudged counts the settlement runs signalled because their agreement's
	// record shows they missed a change (NudgeSettlements).
	Nudged int
}

const (
	phaseAccounts   = "accounts"
	phaseAgreements = "agreements"
)

// Reconcile makes sure every committed row has the run the regulation gives
// it, and starts the missing ones (an existing run is kept as it is):
//   - Art. 7.1: an active account whose archive is incomplete is followed by
//     its onboarding run until the archive is complete;
//   - Art. 20: every active account has a visit plan;
//   - Art. 13: every open credit agreement has its settlement run, and a run
//     whose record shows it missed a change (credit suspended with nothing
//     overdue, a statement open past its due time: a signal lost between a
//     payment's commit and the signal) is signalled to re-read.
//
// Discount approvals and ticket SLAs need no sweep: their rows commit only
// after their runs started.
func Reconcile(ctx workflow.Context, in ReconcileInput) (ReconcileResult, error) {
	var res ReconcileResult
	res.Needs = in.Started
	if in.Phase == "" {
		in.Phase = phaseAccounts
	}
	for pages := 0; ; pages++ {
		if pages == reconcilePagesPerRun {
			in.Started = res.Needs
			return res, workflow.NewContinueAsNewError(ctx, Reconcile, in)
		}
		var (
			needs []activities.RunNeed
			last  *uuid.UUID
			full  bool
			err   error
		)
		switch in.Phase {
		case phaseAccounts:
			needs, last, full, err = accountNeeds(ctx, in.After)
			res.Accounts += len(needs) - countKind(needs, activities.RunOnboarding)
		default:
			needs, last, full, err = agreementNeeds(ctx, in.After)
			res.Agreements += len(needs)
		}
		if err != nil {
			return res, err
		}
		if len(needs) > 0 {
			if err := workflow.ExecuteActivity(withStartRetries(ctx), act.EnsureRuns, needs).Get(ctx, nil); err != nil {
				// One start that keeps failing must not hold up the rest of
				// the book, nor (the Schedule skipping overlaps) every later sweep.
				workflow.GetLogger(ctx).Warn("reconcile: starts failed; the next sweep retries", "error", err)
				res.Failed += len(needs)
			}
			res.Needs += len(needs)
		}
		in.After = last
		if full {
			continue
		}
		if in.Phase == phaseAgreements {
			if workflow.GetVersion(ctx, versionNudgeSettlements, workflow.DefaultVersion, 1) == 1 {
				// Every run exists now (the pages above): nudge the ones adrift.
				if err := workflow.ExecuteActivity(withStartRetries(ctx), act.NudgeSettlements).Get(ctx, &res.Nudged); err != nil {
					workflow.GetLogger(ctx).Warn("reconcile: signals failed; the next sweep retries", "error", err)
				}
			}
			return res, nil
		}
		in.Phase, in.After = phaseAgreements, nil
	}
}

// accountNeeds lists a page of active accounts and says which runs each must
// have: a visit plan always (Art. 20), onboarding while the archive is
// incomplete (Art. 7.1). full tells whether another page may follow.
func accountNeeds(ctx workflow.Context, after *uuid.UUID) (needs []activities.RunNeed, last *uuid.UUID, full bool, err error) {
	var page activities.AccountPage
	if err := workflow.ExecuteActivity(withActivity(ctx), act.ListActiveAccounts,
		activities.ReconcilePage{After: after, Limit: reconcilePageSize}).Get(ctx, &page); err != nil {
		return nil, nil, false, err
	}
	for _, a := range page.Accounts {
		needs = append(needs, activities.RunNeed{Kind: activities.RunVisitPlan, CustomerID: a.ID})
		if !a.Complete {
			needs = append(needs, activities.RunNeed{Kind: activities.RunOnboarding, CustomerID: a.ID})
		}
	}
	return needs, page.Last, page.More, nil
}

// agreementNeeds lists a page of open credit agreements: each has its
// settlement run (Art. 13).
func agreementNeeds(ctx workflow.Context, after *uuid.UUID) (needs []activities.RunNeed, last *uuid.UUID, full bool, err error) {
	var ids []uuid.UUID
	if err := workflow.ExecuteActivity(withActivity(ctx), act.ListOpenAgreements,
		activities.ReconcilePage{After: after, Limit: reconcilePageSize}).Get(ctx, &ids); err != nil {
		return nil, nil, false, err
	}
	for _, id := range ids {
		needs = append(needs, activities.RunNeed{Kind: activities.RunSettlement, CustomerID: id})
	}
	if len(ids) > 0 {
		last = &ids[len(ids)-1]
	}
	return needs, last, len(ids) == reconcilePageSize, nil
}

// withStartRetries retries a page's starts a few times (a start is a no-op
// once it succeeded), then gives up until the next sweep.
func withStartRetries(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5,
		},
	})
}

func countKind(needs []activities.RunNeed, kind string) int {
	n := 0
	for _, r := range needs {
		if r.Kind == kind {
			n++
		}
	}
	return n
}
