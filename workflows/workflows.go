// Package workflows holds kam's Temporal workflows: the long-running
// processes of the regulation. Code here is deterministic: no I/O, no wall
// clock, no goroutines but workflow.Go; every effect goes through an activity.
package workflows

import (
	"errors"
	"time"

	"github.com/google/uuid"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"kam/activities"
)

// TaskQueue is where kam's worker polls.
const TaskQueue = "kam"

// act is a typed handle for activity method references; it is never called directly.
var act *activities.Activities

// withActivity gives short, retried activities: they only touch Postgres
// (and a webhook, bounded inside). A worker that dies mid-activity is noticed
// after StartToCloseTimeout, so it is kept short.
func withActivity(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// notify delivers a notice; its event key makes a replayed or retried call harmless.
func notify(ctx workflow.Context, n activities.Notice) error {
	return workflow.ExecuteActivity(withActivity(ctx), act.Notify, n).Get(ctx, nil)
}

// withLocalActivity runs short Postgres writes inside the worker, skipping
// the round trip through the server's task queues. Used where a caller waits
// on the answer (an update handler) and the step is a single statement.
func withLocalActivity(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Second,
		},
	})
}

// versionConfirmOutlastsOutage: a run that confirms its row waits out a
// database it cannot reach. Before, any six failed attempts (about 16 s)
// ended it, so a Postgres restart just after a request or handover committed
// left the row with no run, and no sweep gives those rows a run again.
const versionConfirmOutlastsOutage = "confirm-outlasts-outage"

// confirmStored runs confirm(id), a local activity that fails with an
// application error of type missing while the run's row is not stored,
// until it answers: nil (stored) or that error after its retries, about
// 16 s (the row never committed). Any other failure (no connection, a
// timeout) says nothing about the row, so it is retried, backing off to
// five minutes.
func confirmStored(ctx workflow.Context, confirm any, id uuid.UUID, missing string) error {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 500 * time.Millisecond, BackoffCoefficient: 2, MaximumAttempts: 6},
	})
	wait := 10 * time.Second
	for {
		err := workflow.ExecuteLocalActivity(lctx, confirm, id).Get(ctx, nil)
		var app *temporal.ApplicationError
		if err == nil || errors.As(err, &app) && app.Type() == missing {
			return err
		}
		// Gated here, at the first failure: a history that ended at this
		// point before replays its end.
		if workflow.GetVersion(ctx, versionConfirmOutlastsOutage, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return err
		}
		workflow.GetLogger(ctx).Warn("the row cannot be confirmed yet; trying again", "error", err, "in", wait)
		if err := workflow.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, 5*time.Minute)
	}
}
