// Package workflows holds kam's Temporal workflows: the long-running
// processes of the regulation. Code here is deterministic: no I/O, no wall
// clock, no goroutines but workflow.Go; every effect goes through an activity.
package workflows

import (
	"time"

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
