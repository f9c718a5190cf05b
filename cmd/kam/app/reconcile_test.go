package app_test

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	sdkclient "go.temporal.io/sdk/client"

	"kam/cmd/kam/app"
	"kam/workflows"
)

// unreachableStarts is the API's Temporal client while Temporal cannot take
// a start: every start fails, as it would with the frontend down.
type unreachableStarts struct {
	sdkclient.Client
	down *atomic.Bool
}

var errUnreachable = errors.New("temporal unreachable (test)")

func (c unreachableStarts) ExecuteWorkflow(ctx context.Context, o sdkclient.StartWorkflowOptions, wf any, args ...any) (sdkclient.WorkflowRun, error) {
	if c.down.Load() {
		return nil, errUnreachable
	}
	return c.Client.ExecuteWorkflow(ctx, o, wf, args...)
}

// An account opened while its runs could not be started is committed (201,
// as before) and gets its onboarding (Art. 7.1) and visit plan (Art. 20)
// from the reconciler, without a restart; the reconcile Schedule exists.
func TestReconcilerStartsTheRunsOfAnAccountOpenedWhileTemporalWasDown(t *testing.T) {
	var down atomic.Bool
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := app.Start(ctx, config(t, workflows.DefaultSettings()), app.Parts{
		EmbeddedTemporal: true, Ephemeral: true, Migrate: true, Bootstrap: true, API: true, Worker: true, Out: io.Discard,
		APIClient: func(tc sdkclient.Client) sdkclient.Client { return unreachableStarts{Client: tc, down: &down} },
	}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	c := client{t: t, base: r.URL}
	_, ka := c.staff("ka_manager")
	// The sweep triggered at start-up must not see the account: let it end.
	sched := r.Temporal.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	eventually(t, time.Minute, "the start-up sweep to end", func() bool {
		d, err := sched.Describe(ctx)
		return err == nil && len(d.Info.RecentActions) > 0 && len(d.Info.RunningWorkflows) == 0
	})

	down.Store(true)
	id := uuid.MustParse(c.do("POST", "/v1/customers", ka, map[string]any{"code": "REC-" + uuid.NewString()[:8], "name": "Reconciled Ltd"}, 201)["id"].(string))
	down.Store(false)
	runs := []string{workflows.OnboardingWorkflowID(id), workflows.VisitPlanWorkflowID(id)}
	for _, wid := range runs {
		_, err := r.Temporal.DescribeWorkflowExecution(ctx, wid, "")
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			t.Fatalf("%s before the reconciler: %v, want not found", wid, err)
		}
	}

	if _, err := r.Processes.ReconcileNow(ctx); err != nil {
		t.Fatal(err)
	}
	for _, wid := range runs {
		if _, err := r.Temporal.DescribeWorkflowExecution(ctx, wid, ""); err != nil {
			t.Fatalf("%s after the reconciler: %v", wid, err)
		}
	}
}
