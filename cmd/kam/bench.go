package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"kam/cmd/kam/app"
	"kam/db"
	"kam/workflows"
)

// benchSettle measures one settlement cycle close across many agreements on
// the embedded Temporal server (`kam dev`'s), with the worker in this process:
//
//	go run ./cmd/kam bench settle --agreements 1000
//
// It works in a database of its own (dropped and made anew), seeds the
// agreements with one unbilled charge each, starts their settlement runs,
// lets all their cycles close at one instant, and reports how long it
// took until every statement existed, with this process's memory and what
// a close cost Temporal (workflow and activity tasks in the runs' histories).
func benchSettle(ctx context.Context, cfg app.Config, args []string) error {
	var o settleOptions
	err := o.parse(&cfg, args)
	defer o.cleanup()
	if err != nil {
		return err
	}
	removeDataDir, err := benchDataDir(&cfg)
	if err != nil {
		return err
	}
	defer removeDataDir()
	r, err := benchStart(ctx, cfg, o.database, false, o.sqliteFile, o.log)
	if err != nil {
		return err
	}
	defer r.Stop()
	if err := seedAgreements(ctx, r, o.agreements); err != nil {
		return err
	}
	stopProfile := func() {}
	atClose := func() (err error) {
		stopProfile, err = startCPUProfile(o.cpuProfile)
		return err
	}
	res, err := closeOneCycle(ctx, r, cfg.Timezone, o.parallel, os.Stdout, atClose)
	stopProfile()
	if err != nil {
		return err
	}
	if err := reportMemory(o.memProfile); err != nil {
		return err
	}
	if _, err := reportHistory(ctx, r, os.Stdout); err != nil {
		return err
	}
	if o.hold > 0 {
		fmt.Printf("holding the server at %s for %s\n", r.TemporalAddress, o.hold)
		defer time.Sleep(o.hold)
	}
	fmt.Printf("\n| agreements | cycle close took | agreements/s | start rate | RSS after | peak RSS |\n|---|---|---|---|---|---|\n")
	fmt.Printf("| %d | %s | %.1f | %.1f/s | %s | %s |\n", res.agreements, res.took.Round(100*time.Millisecond), res.perSecond(),
		float64(res.agreements)/res.startTook.Seconds(), rss("VmRSS"), rss("VmHWM"))
	return nil
}

// settleOptions are bench settle's flags.
type settleOptions struct {
	agreements, parallel             int
	database, cpuProfile, memProfile string
	hold                             time.Duration
	sqliteFile                       bool      // Temporal's SQLite in a file in the run's data dir, not in memory
	log                              io.Writer // kam's and the server's log
	cleanup                          func()
}

func (o *settleOptions) parse(cfg *app.Config, args []string) error {
	fs := flag.NewFlagSet("bench settle", flag.ContinueOnError)
	fs.IntVar(&o.agreements, "agreements", 1000, "how many credit agreements")
	fs.StringVar(&o.database, "database", "kam_bench", "the database to (re)create for the run")
	fs.IntVar(&o.parallel, "parallel", 16, "concurrent workflow starts")
	fs.StringVar(&cfg.TemporalStore, "temporal-store", cfg.TemporalStore, "sqlite (in memory for the run) or postgres (databases <database>_temporal*, recreated)")
	fs.BoolVar(&o.sqliteFile, "sqlite-file", false, "with the sqlite store: keep Temporal's state in a file in the run's temporary data directory, as kam dev does, not in memory")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the cycle close (from its instant to the last statement) to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile, taken right after the close, to this file (and its goroutines to <file>.goroutine)")
	logFile := fs.String("log", "", "write kam's and the server's log (KAM_LOG_LEVEL) to this file; default: none")
	fs.DurationVar(&o.hold, "hold", 0, "keep the embedded server up this long after the run, to look at its runs (e.g. with the Temporal CLI)")
	o.log, o.cleanup = io.Discard, func() {}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.HasPrefix(o.database, "kam_bench") {
		return errors.New("--database must start with kam_bench: it is dropped and recreated")
	}
	if o.sqliteFile && cfg.TemporalStore != "sqlite" {
		return errors.New("--sqlite-file goes with --temporal-store sqlite")
	}
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			return err
		}
		o.log, o.cleanup = f, func() { f.Close() }
	}
	return nil
}

// seedAgreements makes n accounts on credit terms (their runs are started by
// closeOneCycle).
func seedAgreements(ctx context.Context, r *app.Running, n int) error {
	seed := time.Now()
	if _, err := r.Store.Pool.Exec(ctx, `
		WITH c AS (INSERT INTO customers (id, code, name, tier)
		      SELECT gen_random_uuid(), 'BENCH-' || g, 'Bench account ' || g, 'B' FROM generate_series(1, $1) g RETURNING id)
		INSERT INTO credit_agreements (customer_id, credit_level, arrears_limit, settlement_cycle, payment_term_days)
		SELECT id, 'A', 1000000, '@yearly', 30 FROM c`, n); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded %d agreements in %s\n", n, time.Since(seed).Round(time.Millisecond))
	return nil
}

// cycleResult is one measured cycle close.
type cycleResult struct {
	agreements      int
	startTook, took time.Duration
}

func (c cycleResult) perSecond() float64 { return float64(c.agreements) / c.took.Seconds() }

// pauseReconcile pauses the Reconcile Schedule for the rest of the bench's
// process. It would start every seeded account's onboarding and visit-plan
// runs (the seed bypasses the API that starts them) at its next tick: 20,000
// runs at 10,000 accounts, whose tasks then share the server with whatever
// is being measured. bench load met that tick between its request lines and
// the cycle close, and on the file store the close made 277 statements in
// its first 4 minutes.
func pauseReconcile(ctx context.Context, r *app.Running) error {
	if err := r.Temporal.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID).Pause(ctx, client.SchedulePauseOptions{Note: "kam bench: each line is measured alone"}); err != nil {
		return fmt.Errorf("pause the reconcile schedule: %w", err)
	}
	return nil
}

// closeOneCycle gives every credit agreement one unbilled charge and a cycle
// that closes at one instant, starts their settlement runs, and times the
// close: from that instant until every agreement has its statement.
// atClose, when given, is called at that instant (to profile the close
// alone).
func closeOneCycle(ctx context.Context, r *app.Running, tz *time.Location, parallel int, out io.Writer, atClose func() error) (cycleResult, error) {
	var res cycleResult
	pool := r.Store.Pool
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM credit_agreements").Scan(&n); err != nil {
		return res, err
	}
	// Far enough ahead for every run to be started and waiting on its timer
	// by then (awaitSettled checks): with 20 ms an agreement, a third of
	// 10,000 runs on Postgres were still in their first tasks at the close on
	// a slow 2-core box, and the close was timed with their work in it. A
	// daily cycle anchored a day before that instant closes at it, to the
	// second, without waiting for a round minute.
	startBudget := time.Duration(n)*50*time.Millisecond + 15*time.Second
	closeAt := time.Now().In(tz).Add(startBudget).Truncate(time.Second)
	cycle := "@every 24h"
	if _, err := pool.Exec(ctx, "UPDATE credit_agreements SET settlement_cycle = $1, cycle_anchor = $2", cycle, closeAt.Add(-24*time.Hour)); err != nil {
		return res, err
	}
	if _, err := pool.Exec(ctx, `
		WITH ch AS (INSERT INTO credit_charges (id, customer_id, amount, reference, occurred_on)
		            SELECT gen_random_uuid(), customer_id, 100, 'BENCH-CYCLE-' || $1, current_date FROM credit_agreements RETURNING customer_id)
		UPDATE credit_agreements SET charged_total = charged_total + 100 WHERE customer_id IN (SELECT customer_id FROM ch)`,
		closeAt.Format("0601021504")); err != nil {
		return res, fmt.Errorf("seed charges: %w", err)
	}
	var before int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM statements").Scan(&before); err != nil {
		return res, err
	}
	rows, err := pool.Query(ctx, "SELECT customer_id FROM credit_agreements")
	if err != nil {
		return res, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return res, err
	}
	res.agreements = len(ids)
	if err := pauseReconcile(ctx, r); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "%d agreements; all cycles close at %s (%s from a day before)\n", len(ids), closeAt.Format(time.TimeOnly), cycle)

	started := time.Now()
	if err := fanOut(len(ids), parallel, func(i int) error { return r.Processes.StartSettlement(ctx, ids[i]) }); err != nil {
		return res, fmt.Errorf("start: %w", err)
	}
	res.startTook = time.Since(started)
	fmt.Fprintf(out, "started %d settlement runs in %s (%.1f/s); RSS %s\n", len(ids), res.startTook.Round(time.Millisecond), float64(len(ids))/res.startTook.Seconds(), rss("VmRSS"))
	if time.Now().After(closeAt) {
		return res, fmt.Errorf("starting took past the close at %s; the figure would be wrong", closeAt.Format(time.TimeOnly))
	}
	// A start returns once the run is recorded; its first tasks (reading
	// the agreement, setting its timer) follow. Work of theirs still under
	// way at the close would be timed as the close's.
	busy, err := awaitSettled(ctx, r, ids, closeAt)
	if err != nil {
		return res, err
	}
	if busy > 0 {
		fmt.Fprintf(out, "warning: %d of %d sampled runs were still starting at the close; the close's figure includes their work\n", busy, min(len(ids), settleSample))
	} else {
		fmt.Fprintf(out, "every sampled run was waiting on its timer %s after the starts\n", time.Since(started.Add(res.startTook)).Round(100*time.Millisecond))
	}
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(time.Until(closeAt)):
	}
	fmt.Fprintf(out, "cycle close at %s ...\n", closeAt.Format(time.TimeOnly))
	if atClose != nil {
		if err := atClose(); err != nil {
			return res, err
		}
	}
	for {
		var done int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM statements").Scan(&done); err != nil {
			return res, err
		}
		if done-before >= len(ids) {
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	res.took = time.Since(closeAt)
	return res, nil
}

// settleSample is how many runs awaitSettled asks about.
const settleSample = 200

// awaitSettled waits until none of a random sample of the runs has a
// workflow or activity task pending, or until the close, and answers how
// many were still busy.
func awaitSettled(ctx context.Context, r *app.Running, ids []uuid.UUID, closeAt time.Time) (int, error) {
	sample := slices.Clone(ids)
	rand.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
	sample = sample[:min(len(sample), settleSample)]
	for {
		busy := 0
		for _, id := range sample {
			d, err := r.Temporal.DescribeWorkflowExecution(ctx, workflows.SettlementWorkflowID(id), "")
			if err != nil {
				return 0, err
			}
			if d.GetPendingWorkflowTask() != nil || len(d.GetPendingActivities()) > 0 {
				busy++
			}
		}
		if busy == 0 || time.Until(closeAt) < time.Second {
			return busy, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// fanOut calls op for 0..n-1 from parallel goroutines and returns the first
// error; after an error no new calls are made.
func fanOut(n, parallel int, op func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	var stop atomic.Bool
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := op(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					stop.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// reportMemory prints the Go heap beside the process's RSS (what is not Go
// heap is stacks, SQLite's own allocations and the runtime's slack) and, given
// a path, writes a heap profile there.
func reportMemory(path string) error {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("memory after the close: RSS %s (peak %s); Go heap in use %d MB, heap from the OS %d MB, goroutine stacks %d MB, %d goroutines; Go runtime total %d MB\n",
		rss("VmRSS"), rss("VmHWM"), m.HeapInuse>>20, (m.HeapSys-m.HeapReleased)>>20, m.StackInuse>>20, runtime.NumGoroutine(), m.Sys>>20)
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return err
	}
	// Beside it, who holds the goroutines (their stacks are part of the
	// memory above and not of the heap profile).
	g, err := os.Create(path + ".goroutine")
	if err != nil {
		return err
	}
	defer g.Close()
	return pprof.Lookup("goroutine").WriteTo(g, 1)
}

// closeCost counts what closes cost Temporal in the runs' histories: from
// each close's timer firing to the end.
type closeCost struct {
	runs, events, wfts, wftTimeouts, activities, activityTimeouts, markers int
	// wftStartTimeouts are the workflow-task timeouts of a task that waited
	// on its queue too long (the rest ran out of time after they started).
	wftStartTimeouts int
}

// reportHistory prints the mean cost of a close over a sample of the
// settlement runs: history length, and the workflow and activity tasks (with
// their timeouts) and markers (local activities, versions) since each run's
// close timer fired.
func reportHistory(ctx context.Context, r *app.Running, out io.Writer) (closeCost, error) {
	var c closeCost
	rows, err := r.Store.Pool.Query(ctx, "SELECT customer_id FROM credit_agreements ORDER BY customer_id LIMIT 20")
	if err != nil {
		return c, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return c, err
	}
	for _, id := range ids {
		if err := c.read(ctx, r, id); err != nil {
			return c, err
		}
	}
	n := float64(max(c.runs, 1))
	fmt.Fprintf(out, "per close (mean of %d runs): history %.1f events; since the timer fired %.2f workflow tasks (%.2f timed out, %.2f of them before they started), %.2f activities (%.2f timed out), %.2f markers\n",
		c.runs, float64(c.events)/n, float64(c.wfts)/n, float64(c.wftTimeouts)/n, float64(c.wftStartTimeouts)/n, float64(c.activities)/n, float64(c.activityTimeouts)/n, float64(c.markers)/n)
	return c, nil
}

// read adds one run's last close.
func (c *closeCost) read(ctx context.Context, r *app.Running, id uuid.UUID) error {
	it := r.Temporal.GetWorkflowHistory(ctx, workflows.SettlementWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var one closeCost
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return err
		}
		one.events++
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			one = closeCost{events: one.events}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			one.wfts++
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
			one.wftTimeouts++
			if e.GetWorkflowTaskTimedOutEventAttributes().GetTimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START {
				one.wftStartTimeouts++
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			one.activities++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			one.activityTimeouts++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			one.markers++
		}
	}
	one.runs = 1
	c.add(one)
	return nil
}

func (c *closeCost) add(o closeCost) {
	c.runs += o.runs
	c.events += o.events
	c.wfts += o.wfts
	c.wftTimeouts += o.wftTimeouts
	c.wftStartTimeouts += o.wftStartTimeouts
	c.activities += o.activities
	c.activityTimeouts += o.activityTimeouts
	c.markers += o.markers
}

// rss reads this process's memory line (VmRSS now, VmHWM peak) from /proc.
func rss(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

// benchStart starts kam for one bench run in its own database, recreated, with
// the embedded Temporal server's state in memory (sqlite), in a SQLite file in
// the run's data dir with sqliteFile (as kam dev keeps it), or in Postgres
// databases named after it, recreated too.
func benchStart(ctx context.Context, cfg app.Config, name string, api, sqliteFile bool, log io.Writer) (*app.Running, error) {
	if cfg.TemporalStore != "sqlite" && cfg.TemporalStore != "postgres" {
		return nil, errors.New("--temporal-store: sqlite or postgres")
	}
	names := []string{name}
	if cfg.TemporalStore == "postgres" {
		names = append(names, name+"_temporal", name+"_temporal_visibility")
	}
	for _, n := range names {
		if err := recreate(ctx, cfg.DatabaseURL, n); err != nil {
			return nil, err
		}
	}
	dsn, err := db.WithDatabase(cfg.DatabaseURL, name)
	if err != nil {
		return nil, err
	}
	cfg.DatabaseURL, cfg.TemporalPort, cfg.HTTPAddr = dsn, 0, "127.0.0.1:0"
	ephemeral := cfg.TemporalStore == "sqlite" && !sqliteFile
	where := ""
	switch {
	case ephemeral:
		where = " (in memory)"
	case sqliteFile:
		where = " (file in " + cfg.DataDir + ")"
	}
	fmt.Printf("Temporal store: %s%s\n", cfg.TemporalStore, where)
	return app.Start(ctx, cfg, app.Parts{EmbeddedTemporal: true, Ephemeral: ephemeral, Migrate: true, Bootstrap: true,
		API: api, Worker: true, Out: io.Discard}, app.NewLogger(log, cfg.LogLevel))
}

func recreate(ctx context.Context, base, name string) error {
	admin, err := db.WithDatabase(base, "postgres")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}
