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

// startWithAPIClient starts kam with the API's Temporal client wrapped (the
// worker's is not): a test's way to make Temporal fail the API alone.
func startWithAPIClient(ctx context.Context, t *testing.T, settings workflows.Settings, wrap func(sdkclient.Client) sdkclient.Client) *app.Running {
	t.Helper()
	r, err := app.Start(ctx, config(t, settings), app.Parts{
		EmbeddedTemporal: true, Ephemeral: true, Migrate: true, Bootstrap: true, API: true, Worker: true, Out: io.Discard,
		APIClient: wrap,
	}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An account opened while its runs could not be started is committed (201,
// as before) and gets its onboarding (Art. 7.1) and visit plan (Art. 20)
// from the reconciler, without a restart; the reconcile Schedule exists.
func TestReconcilerStartsTheRunsOfAnAccountOpenedWhileTemporalWasDown(t *testing.T) {
	var down atomic.Bool
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startWithAPIClient(ctx, t, workflows.DefaultSettings(), func(tc sdkclient.Client) sdkclient.Client {
		return unreachableStarts{Client: tc, down: &down}
	})
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

// lostSignals is the API's Temporal client while its signals are lost: each
// fails, as one does when kam stops between a write's commit and its signal.
type lostSignals struct {
	sdkclient.Client
	lost *atomic.Bool
}

func (c lostSignals) SignalWorkflow(ctx context.Context, id, runID, name string, arg any) error {
	if c.lost.Load() {
		return errUnreachable
	}
	return c.Client.SignalWorkflow(ctx, id, runID, name, arg)
}

// A payment that settles what is overdue restores credit (Art. 13). Its
// signal to the settlement run is sent after the payment commits; lost, the
// run would only notice at its next timer, here a day away (the next cycle
// close). The reconcile sweep finds the account suspended with nothing
// overdue and signals its run, which reinstates it.
func TestReconcilerReinstatesCreditWhosePaymentSignalWasLost(t *testing.T) {
	var lost atomic.Bool
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	settings := workflows.DefaultSettings()
	settings.Day, settings.PaymentRemindBefore, settings.DunningSteps = time.Second, 200*time.Millisecond, []time.Duration{500 * time.Millisecond}
	r := startWithAPIClient(ctx, t, settings, func(tc sdkclient.Client) sdkclient.Client { return lostSignals{Client: tc, lost: &lost} })
	defer r.Stop()
	c := client{t: t, base: r.URL}
	_, ka := c.staff("ka_manager")
	_, fin := c.staff("finance")
	id := c.do("POST", "/v1/customers", ka, map[string]any{"code": "LOST-" + uuid.NewString()[:8], "name": "Lost Signal Ltd"}, 201)["id"].(string)
	terms := func(cycle string) map[string]any {
		return map[string]any{"credit_level": "A", "arrears_limit": "100000", "settlement_cycle": cycle, "payment_term_days": 1}
	}
	c.do("PUT", "/v1/customers/"+id+"/credit", fin, terms("@every 2s"), 200)
	today := time.Now().UTC().Format(time.DateOnly)
	c.do("POST", "/v1/customers/"+id+"/charges", fin, map[string]any{"amount": "100", "reference": "LOST-C", "occurred_on": today}, 201)
	status := func() string { return c.do("GET", "/v1/customers/"+id+"/credit", fin, nil, 200)["status"].(string) }
	eventually(t, time.Minute, "the statement to fall overdue and credit to stop", func() bool { return status() == "suspended" })
	eventually(t, time.Minute, "the last dunning step", func() bool { return c.inbox(fin, "dunning_notice", id) > 0 })
	// The run's next timer a day away: only a signal wakes it now.
	c.do("PUT", "/v1/customers/"+id+"/credit", fin, terms("@every 24h"), 200)
	time.Sleep(time.Second)

	// Only the sweep below may wake the run: the one triggered at start-up
	// must have ended (the next is 5 minutes away).
	sched := r.Temporal.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	eventually(t, time.Minute, "the start-up sweep to end", func() bool {
		d, err := sched.Describe(ctx)
		return err == nil && len(d.Info.RecentActions) > 0 && len(d.Info.RunningWorkflows) == 0
	})
	lost.Store(true)
	c.do("POST", "/v1/customers/"+id+"/payments", fin, map[string]any{"amount": "100", "reference": "LOST-P", "received_on": today}, 201)
	lost.Store(false)
	time.Sleep(3 * time.Second)
	if s := status(); s != "suspended" {
		t.Fatalf("credit %s after a payment whose signal was lost: the run was woken by something else, so this test proves nothing", s)
	}

	// ReconcileNow's sweep, under an id the history can be recorded by:
	//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/reconcile-nudge.json go test -short ./cmd/kam/app -run TestReconcilerReinstatesCreditWhosePaymentSignalWasLost
	wid := workflows.ReconcileWorkflowID + "-test/" + uuid.NewString()
	run, err := r.Temporal.ExecuteWorkflow(ctx, sdkclient.StartWorkflowOptions{ID: wid, TaskQueue: workflows.TaskQueue}, workflows.Reconcile, workflows.ReconcileInput{})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.ReconcileResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	recordHistory(t, r, wid)
	if res.Nudged < 1 {
		t.Fatalf("the sweep nudged %d settlement runs", res.Nudged)
	}
	eventually(t, time.Minute, "credit reinstated after the sweep", func() bool { return status() == "active" })
}
