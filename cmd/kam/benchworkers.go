package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"kam/cmd/kam/app"
	"kam/db"
	"kam/workflows"
)

// workerRound is what `kam bench load` measured with one worker count.
type workerRound struct {
	workers int
	ratios  []ratio     // the decision lines beside their floor
	cycle   cycleResult // zero when no cycle was closed
	// bare is the cycle's floor: as many timer-then-one-activity workflows
	// on the bench's own worker, which the kam worker count does not change.
	bare time.Duration
}

// benchDataDir gives a bench run a data dir of its own (the register key,
// checkpoints and archive of its throw-away database), so that a run in a
// checkout never appends to the checkpoint file of `kam dev`'s data dir,
// whose verification would take the bench's chain for its own. The second
// worker of --workers 2 reads the register key the first process wrote
// there. The returned func removes it.
func benchDataDir(cfg *app.Config) (func(), error) {
	dir, err := os.MkdirTemp("", "kam-bench-")
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	return func() { _ = os.RemoveAll(dir) }, nil
}

// secondWorkerRound starts a second kam worker beside the first, as a
// second `kam worker` process would be (its own Temporal client, pool,
// pollers and sticky task queue; in this process, so the two share its cores
// and the SDK's process-wide workflow cache), and measures the decision lines
// and the cycle close again. The settlement runs of the first round are
// ended first: a running workflow stays on the sticky queue of the worker
// that holds it, so only new runs spread over both workers.
func secondWorkerRound(ctx context.Context, cfg app.Config, dbName string, r *app.Running, decisions decisionBench, closeCycle bool) (workerRound, error) {
	two := workerRound{workers: 2}
	dsn, err := db.WithDatabase(cfg.DatabaseURL, dbName)
	if err != nil {
		return two, err
	}
	c := cfg
	c.DatabaseURL, c.TemporalAddress = dsn, r.TemporalAddress
	sweeps, err := reconcileSweeps(ctx, r)
	if err != nil {
		return two, err
	}
	w2, err := app.Start(ctx, c, app.Parts{Worker: true, Out: io.Discard}, app.NewLogger(io.Discard, cfg.LogLevel))
	if err != nil {
		return two, fmt.Errorf("second worker: %w", err)
	}
	defer w2.Stop()
	if err := awaitSweep(ctx, r, cfg.TemporalNamespace, sweeps); err != nil {
		return two, err
	}
	fmt.Println("\nWith a second kam worker (own Temporal client, pool, pollers and sticky queue; in this process):")
	fmt.Println("\n" + cpuHeader)
	if two.ratios, err = decisions.run(ctx); err != nil {
		return two, err
	}
	printRatios(two.ratios)
	if !closeCycle || firstErr != nil {
		return two, firstErr
	}
	two.cycle, two.bare, err = cycleBesideBare(ctx, r, cfg, true)
	return two, err
}

// sweepFirst runs a reconcile sweep before the first round: the bench seeds
// its accounts with SQL, after the first worker's start-up sweep, so their
// onboarding, visit plan and settlement runs do not exist yet; the second
// worker's start-up sweep would start them between the rounds.
func sweepFirst(ctx context.Context, r *app.Running, namespace string) error {
	started := time.Now()
	res, err := r.Processes.ReconcileNow(ctx)
	if err != nil {
		return fmt.Errorf("reconcile sweep: %w", err)
	}
	if err := awaitDrained(ctx, r, namespace); err != nil {
		return err
	}
	fmt.Printf("\na reconcile sweep first (--workers 2): %d accounts, %d agreements, %d runs started; their first steps done after %s\n",
		res.Accounts, res.Agreements, res.Needs, time.Since(started).Round(100*time.Millisecond))
	fmt.Println("\n" + cpuHeader)
	return nil
}

// reconcileSweeps counts the Reconcile Schedule's sweeps so far, run or
// skipped for overlap.
func reconcileSweeps(ctx context.Context, r *app.Running) (int, error) {
	d, err := r.Temporal.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID).Describe(ctx)
	if err != nil {
		return 0, fmt.Errorf("reconcile schedule: %w", err)
	}
	return d.Info.NumActions + d.Info.NumActionsSkippedOverlap, nil
}

// awaitSweep waits for the sweep a starting worker triggers (after sweeps
// earlier ones) to end, so that it does not weigh on the lines.
func awaitSweep(ctx context.Context, r *app.Running, namespace string, sweeps int) error {
	h := r.Temporal.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	started := time.Now()
	for time.Since(started) < 15*time.Minute {
		d, err := h.Describe(ctx)
		if err != nil {
			return fmt.Errorf("reconcile schedule: %w", err)
		}
		if d.Info.NumActions+d.Info.NumActionsSkippedOverlap > sweeps && len(d.Info.RunningWorkflows) == 0 {
			err := awaitDrained(ctx, r, namespace)
			fmt.Printf("\nthe second worker's start-up reconcile sweep and what it started ended after %s\n", time.Since(started).Round(100*time.Millisecond))
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	fmt.Println("\nthe second worker's start-up reconcile sweep did not end within 15 minutes; measuring anyway")
	return nil
}

// awaitDrained waits until kam's task queue has no backlog of workflow or
// activity tasks three reads running: runs a sweep started take their first
// steps through the same queue as the decisions, which would wait behind
// them.
func awaitDrained(ctx context.Context, r *app.Running, namespace string) error {
	empty := 0
	for deadline := time.Now().Add(15 * time.Minute); empty < 3 && time.Now().Before(deadline); {
		backlog := int64(0)
		for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			res, err := r.Temporal.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
				Namespace: namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: workflows.TaskQueue}, TaskQueueType: kind, ReportStats: true,
			})
			if err != nil {
				return fmt.Errorf("describe task queue: %w", err)
			}
			backlog += res.GetStats().GetApproximateBacklogCount()
		}
		if empty++; backlog > 0 {
			empty = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil
}

// endSettlementRuns terminates every agreement's settlement run, so that
// the next closeOneCycle starts new ones (the ID allows a new run once the
// last has closed).
func endSettlementRuns(ctx context.Context, r *app.Running) error {
	rows, err := r.Store.Pool.Query(ctx, "SELECT customer_id FROM credit_agreements")
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	started := time.Now()
	err = fanOut(len(ids), 16, func(i int) error {
		err := r.Temporal.TerminateWorkflow(ctx, workflows.SettlementWorkflowID(ids[i]), "", "bench load: new runs for the second worker round")
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("end settlement runs: %w", err)
	}
	fmt.Printf("\nended %d settlement runs in %s, for new ones to spread over both workers\n", len(ids), time.Since(started).Round(time.Millisecond))
	return nil
}

// printWorkerRounds puts the decision and cycle-close lines of one and two
// workers side by side. Other load on the machine moves both rounds' floors
// (which run on the bench's own worker, the same in both), so each line is
// also compared as a fraction of its own round's floor.
func printWorkerRounds(one, two workerRound) {
	fmt.Println("\n| line (one run, one server) | 1 worker | 2 workers | 2 ÷ 1 | 2 ÷ 1, each ÷ its round's floor |")
	fmt.Println("|---|---|---|---|---|")
	for i := range min(len(one.ratios), len(two.ratios)) {
		a, b := one.ratios[i], two.ratios[i]
		if i == 0 {
			fmt.Printf("| floor: bare no-op Update, one per open run (the bench's worker) | %s | %s | %.2f× throughput | |\n",
				decisionCell(a.floor), decisionCell(b.floor), b.floor.ratioRate(a.floor))
		}
		fmt.Printf("| POST decisions, approve, %s | %s | %s | %.2f× throughput, %.2f× p50 | %.2f× throughput, %.2f× p50 |\n",
			a.what, decisionCell(a.line), decisionCell(b.line), b.line.ratioRate(a.line), b.line.ratioP50(a.line),
			b.line.ratioRate(b.floor)/a.line.ratioRate(a.floor), b.line.ratioP50(b.floor)/a.line.ratioP50(a.floor))
	}
	if one.cycle.agreements > 0 && two.cycle.agreements > 0 && one.bare > 0 && two.bare > 0 {
		n := float64(one.cycle.agreements)
		fmt.Printf("| floor: %d bare timer-then-activity workflows (the bench's worker) | %.1f/s | %.1f/s | %.2f× | |\n",
			one.cycle.agreements, n/one.bare.Seconds(), n/two.bare.Seconds(), one.bare.Seconds()/two.bare.Seconds())
		fmt.Printf("| settlement cycle close, %d agreements at one minute | %.1f/s (%s) | %.1f/s (%s) | %.2f× | %.2f× |\n", one.cycle.agreements,
			one.cycle.perSecond(), one.cycle.took.Round(100*time.Millisecond), two.cycle.perSecond(), two.cycle.took.Round(100*time.Millisecond),
			two.cycle.perSecond()/one.cycle.perSecond(), (two.cycle.perSecond()*two.bare.Seconds())/(one.cycle.perSecond()*one.bare.Seconds()))
	}
	fmt.Println("\nBoth workers share this process and the machine's cores with the Temporal server, the API and the clients:")
	fmt.Println("the lines show what a second worker costs or gains on one machine, not a second machine's capacity.")
}

func decisionCell(s stat) string {
	return fmt.Sprintf("%.0f/s, p50 %s", s.perSecond, s.p50.Round(100*time.Microsecond))
}
