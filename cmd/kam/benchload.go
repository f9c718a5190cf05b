package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/cmd/kam/app"
	"kam/db"
	"kam/db/store"
)

// benchLoad measures kam's paths beside the bare operation they stand on, in
// one run on one server, and prints throughput with p50/p99:
//
//	go run ./cmd/kam bench load --accounts 10000 --requests 2000
//	go run ./cmd/kam bench load --accounts 2000 --workers 2   # 1 and 2 kam workers side by side
//
// It exits non-zero only on errors, never on a slow figure.
func benchLoad(ctx context.Context, cfg app.Config, args []string) error {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	accounts := fs.Int("accounts", 10000, "accounts to seed")
	requests := fs.Int("requests", 2000, "requests per measurement")
	// A read takes about 0.15 ms: at --requests it would be over in a fraction
	// of a second, too short for /proc's 10 ms CPU ticks and for a stable ratio.
	reads := fs.Int("reads", 10000, "requests per line of the archive read and its two floors")
	// At 1,000 the decision lines and their floors leave 4,000 runs open, past
	// the worker's and the server's 2,000-run caches: every figure then costs
	// a third more CPU (replays and reloads; measured with three lines, before
	// the second floor), and the ratios spread as widely as at 300.
	decisionsN := fs.Int("decisions", 300, "decisions per line, and bare Updates in their floor (at most --accounts)")
	salesPer := fs.Int("sales", 10, "sales rows seeded per account")
	parallel := fs.Int("parallel", 8, "concurrent clients")
	fs.StringVar(&cfg.TemporalStore, "temporal-store", cfg.TemporalStore, "sqlite (in memory for the run) or postgres (databases kam_bench_load_temporal*, recreated)")
	cycle := fs.Bool("cycle", true, "also close one settlement cycle across all the accounts' agreements, beside as many bare one-activity workflows")
	only := fs.String("only", "", "decisions: measure only the decision lines and their floor; tasks: only the GET /v1/me/tasks lines")
	dbName := fs.String("database", "kam_bench_load", "the database to recreate and load")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the decision lines (with --only tasks: of the task lines) to this file")
	sqliteFile := fs.Bool("sqlite-file", false, "with the sqlite store: keep Temporal's state in a file in the run's temporary data directory, as kam dev does, not in memory (an in-memory database is part of the process's RSS)")
	workers := fs.Int("workers", 1, "2: measure the decision lines and the cycle close again with a second kam worker (its own Temporal client, pool and sticky cache, in this process) and print 1 and 2 workers side by side")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *only != "" && *only != "decisions" && *only != "tasks" {
		return errors.New("--only: decisions or tasks")
	}
	if *workers != 1 && *workers != 2 {
		return errors.New("--workers: 1 or 2")
	}
	if *workers == 2 && *only == "tasks" {
		return errors.New("--workers 2 compares the decision lines and the cycle close, which --only tasks leaves out")
	}
	if *sqliteFile && cfg.TemporalStore != "sqlite" {
		return errors.New("--sqlite-file goes with --temporal-store sqlite")
	}
	removeDataDir, err := benchDataDir(&cfg)
	if err != nil {
		return err
	}
	defer removeDataDir()
	r, err := benchStart(ctx, cfg, *dbName, true, *sqliteFile, io.Discard)
	if err != nil {
		return err
	}
	defer r.Stop()
	if err := pauseReconcile(ctx, r); err != nil { // before the seed, which it would otherwise find
		return err
	}
	pool := r.Store.Pool
	walAt = func() (int64, bool) {
		n, err := r.Store.WALPosition(ctx)
		return n, err == nil
	}
	awaitSealed = func() {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if n, err := r.Store.Unsealed(ctx); err != nil || n == 0 {
				return
			}
		}
	}
	token := func(role string) (uuid.UUID, string, error) {
		st, err := r.Store.CreateStaff(ctx, "bench "+role, nil, role)
		if err != nil {
			return uuid.Nil, "", err
		}
		secret := store.NewTokenSecret()
		_, err = r.Store.IssueToken(ctx, st.ID, secret, nil)
		return st.ID, secret, err
	}
	_, fin, err := token(kam.RoleFinance)
	if err != nil {
		return err
	}
	_, ka, err := token(kam.RoleKAManager)
	if err != nil {
		return err
	}
	amID, am, err := token(kam.RoleAccountManager)
	if err != nil {
		return err
	}
	_, clerk, err := token(kam.RoleDataClerk)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `
		WITH c AS (INSERT INTO customers (id, code, name, tier, account_manager_id)
		           SELECT gen_random_uuid(), 'LOAD-' || g, 'Load ' || g, 'A', $2 FROM generate_series(1, $1) g RETURNING id)
		INSERT INTO credit_agreements (customer_id, credit_level, arrears_limit, settlement_cycle, payment_term_days)
		SELECT id, 'A', 1000000000, '@yearly', 30 FROM c`, *accounts, amID); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// A year of product use, so that the archive and its indexes are of a
	// realistic size beside the rows read.
	if _, err := pool.Exec(ctx, `
		INSERT INTO sales (id, customer_id, product, product_category, quantity, amount, applied_rate, sold_on)
		SELECT gen_random_uuid(), c.id, 'Pump ' || (g % 7), 'equipment', 1 + g % 5, 100 + (g * 37) % 900, (g % 4) * 2.5,
		       current_date - (g * 13) % 365
		FROM customers c CROSS JOIN generate_series(1, $1) g`, *salesPer); err != nil {
		return fmt.Errorf("seed sales: %w", err)
	}
	rows, err := pool.Query(ctx, "SELECT id FROM customers")
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}} // 8 clients, no reconnects
	call := func(method, path, tok string, body any, want int) error {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, r.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			return fmt.Errorf("%s %s: %d", method, path, res.StatusCode)
		}
		return nil
	}
	fmt.Printf("seeded %d accounts with an agreement and %d sales each; %d requests per line (%d for the read and its floors), %d clients\n\n", len(ids), *salesPer, *requests, *reads, *parallel)
	fmt.Println(cpuHeader)

	w := worker.New(r.Temporal, "bench-load", worker.Options{})
	w.RegisterWorkflow(noopUpdates)
	w.RegisterWorkflow(decisionShape)
	w.RegisterActivity(shapeStep)
	w.RegisterWorkflow(noopWorkflow)
	w.RegisterWorkflow(oneActivityWorkflow)
	w.RegisterActivity(noopActivity)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	if *only == "tasks" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		measureTasks(am, clerk, call, *requests, *parallel)
		stopProfile()
		return firstErr
	}
	if *only == "" {
		if err := readBeside(ctx, cfg.DatabaseURL, *dbName, pool, ids, amID, am, call, *reads, *parallel); err != nil {
			return err
		}
		measureTasks(am, clerk, call, *requests, *parallel)
		measureCharges(ids, fin, call, *requests, *parallel)
	}
	if *workers == 2 {
		// Both rounds then meet the runs the second worker's start-up sweep
		// would otherwise start in the middle of the comparison.
		if err := sweepFirst(ctx, r, cfg.TemporalNamespace); err != nil {
			return err
		}
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	decisions := decisionBench{r: r, hc: hc, call: call, accounts: ids, am: am, ka: ka, n: min(*decisionsN, *accounts), parallel: *parallel}
	ratios, err := decisions.run(ctx)
	stopProfile()
	if err != nil {
		return err
	}
	one := workerRound{workers: 1, ratios: ratios}
	if *only == "" {
		n := min(*requests, 300)
		measure("bare start→complete workflow", n, *parallel, func(i int) error {
			wr, err := r.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-bare-" + uuid.NewString(), TaskQueue: "bench-load"}, noopWorkflow)
			if err != nil {
				return err
			}
			return wr.Get(ctx, nil)
		})
	}
	printRatios(ratios)
	closeCycle := *cycle && *only == ""
	if closeCycle && firstErr == nil {
		if one.cycle, one.bare, err = cycleBesideBare(ctx, r, cfg, *workers == 2); err != nil {
			return err
		}
	}
	if *workers < 2 || firstErr != nil {
		return firstErr
	}
	two, err := secondWorkerRound(ctx, cfg, *dbName, r, decisions, closeCycle)
	if err != nil {
		return err
	}
	printWorkerRounds(one, two)
	return firstErr
}

// cycleBesideBare closes one settlement cycle across every agreement, beside
// the same number of bare one-activity workflows all released at one
// instant: the same server and worker, so the ratio is what kam's cycle
// costs. fresh ends the settlement runs a sweep started first.
func cycleBesideBare(ctx context.Context, r *app.Running, cfg app.Config, fresh bool) (cycleResult, time.Duration, error) {
	if fresh {
		if err := endSettlementRuns(ctx, r); err != nil {
			return cycleResult{}, 0, err
		}
	}
	fmt.Println()
	res, err := closeOneCycle(ctx, r, cfg.Timezone, 16, os.Stdout, nil)
	if err != nil {
		return res, 0, err
	}
	cycleRSS, cyclePeak := rss("VmRSS"), rss("VmHWM")
	bare, err := bareBurst(ctx, r.Temporal, res.agreements, 16)
	if err != nil {
		return res, 0, err
	}
	fmt.Println("\n| measurement | workflows | took | per second | RSS after | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|")
	fmt.Printf("| settlement cycle close, all agreements at one instant | %d | %s | %.1f | %s | %s |\n",
		res.agreements, res.took.Round(100*time.Millisecond), res.perSecond(), cycleRSS, cyclePeak)
	fmt.Printf("| bare workflows: a timer to one instant, then one activity | %d | %s | %.1f | %s | %s |\n",
		res.agreements, bare.Round(100*time.Millisecond), float64(res.agreements)/bare.Seconds(), rss("VmRSS"), rss("VmHWM"))
	fmt.Println("\nRSS is this one process: embedded Temporal server, kam's worker, API and the load clients.")
	return res, bare, nil
}

// bareBurst starts n workflows that each wait on a timer for one instant and
// then run one no-op activity (a settlement run's close stripped of its
// work), and times from that instant to the last completion.
func bareBurst(ctx context.Context, c client.Client, n, parallel int) (time.Duration, error) {
	burstDone.Store(0)
	budget := time.Duration(n)*20*time.Millisecond + 10*time.Second
	at := time.Now().Add(budget)
	runs := make([]client.WorkflowRun, n)
	err := fanOut(n, parallel, func(i int) error {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-burst-" + uuid.NewString(), TaskQueue: "bench-load"},
			oneActivityWorkflow, at)
		runs[i] = run
		return err
	})
	if err != nil {
		return 0, err
	}
	if time.Now().After(at) {
		return 0, fmt.Errorf("starting %d workflows took past their release; the figure would be wrong", n)
	}
	// Timed as the cycle close is: until the last activity has done its
	// work, polled the same way.
	for burstDone.Load() < int64(n) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	took := time.Since(at)
	for _, run := range runs {
		if err := run.Get(ctx, nil); err != nil {
			return 0, err
		}
	}
	return took, nil
}

var firstErr error

// stat is one measured line.
type stat struct {
	perSecond float64
	p50, p99  time.Duration
	// cpu is the process's CPU time per op (server, worker, API and
	// clients): what other load on the machine changes least.
	cpu time.Duration
	// pgCPU is Postgres's per op, every local postgres process counted.
	pgCPU time.Duration
}

// cpuHeader is the table head of the measured lines.
const cpuHeader = "| measurement | ops | per second | p50 | p99 | process CPU per op | Postgres CPU per op | Postgres WAL per op |\n|---|---|---|---|---|---|---|---|"

// walAt answers the cluster's WAL position in bytes (every database's
// writes, Temporal's on the Postgres store too); false when unknown.
var walAt = func() (int64, bool) { return 0, false }

// awaitSealed returns once the access register has no row waiting for its
// seal (bounded); before the store is up, at once.
var awaitSealed = func() {}

// walText is the WAL written per op between two positions.
func walText(from, to int64, fromOK, toOK bool, count int) string {
	if !fromOK || !toOK {
		return "n/a"
	}
	return fmt.Sprintf("%.1f KB", float64(to-from)/float64(count)/1000)
}

// cpuTime is the CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ratioP50 is s's p50 in units of floor's.
func (s stat) ratioP50(floor stat) float64 { return float64(s.p50) / float64(floor.p50) }

// ratioRate is s's throughput as a fraction of floor's.
func (s stat) ratioRate(floor stat) float64 { return s.perSecond / floor.perSecond }

// measure times op count times over parallel clients and prints one table line.
func measure(what string, count, parallel int, op func(i int) error) stat {
	lat := make([]time.Duration, count)
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	wal, walOK := walAt()
	start, cpu, pg := time.Now(), cpuTime(), db.LocalServerCPU()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= count {
					return
				}
				t := time.Now()
				if err := op(k); err != nil && firstErr == nil {
					firstErr = fmt.Errorf("%s: %w", what, err)
				}
				lat[k] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	// The sealer seals the line's register rows within a second or two: its
	// CPU and WAL are the line's (as BenchmarkRegisteredRead counts them),
	// and the next line does not pay them. Throughput and latency are not
	// held up by it.
	awaitSealed()
	slices.Sort(lat)
	st := stat{perSecond: float64(count) / took.Seconds(), p50: lat[count/2], p99: lat[count*99/100],
		cpu: (cpuTime() - cpu) / time.Duration(count), pgCPU: (db.LocalServerCPU() - pg) / time.Duration(count)}
	walEnd, walEndOK := walAt()
	pgText := "n/a (not local)"
	if db.LocalServerCPU() > 0 { // a local Postgres, whether this line used it or not
		pgText = st.pgCPU.Round(10 * time.Microsecond).String()
	}
	fmt.Printf("| %s | %d | %.0f | %s | %s | %s | %s | %s |\n", what, count, st.perSecond, st.p50.Round(10*time.Microsecond), st.p99.Round(10*time.Microsecond),
		st.cpu.Round(10*time.Microsecond), pgText, walText(wal, walEnd, walOK, walEndOK, count))
	return st
}

func noopWorkflow(ctx workflow.Context) error { return nil }

func oneActivityWorkflow(ctx workflow.Context, at time.Time) error {
	if err := workflow.Sleep(ctx, at.Sub(workflow.Now(ctx))); err != nil {
		return err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(ctx, noopActivity).Get(ctx, nil)
}

// burstDone counts the bare activities that have run.
var burstDone atomic.Int64

func noopActivity(context.Context) error {
	burstDone.Add(1)
	return nil
}

// shapeStep is each step of the decision's shape: its save and its
// aftermath, with nothing in them.
func shapeStep(context.Context) error { return nil }

// shapeParts are the parts of a decision's Temporal work a shape run has.
type shapeParts struct {
	// Save: the Update's handler runs one local activity, as the
	// decision's save does.
	Save bool
	// Aftermath: after the answer the run carries out one activity, as the
	// aftermath, then starts a timer, as a grant does.
	Aftermath bool
}

// decisionShape is a decision's Temporal work without kam's (the bench's
// shapeLine), with the parts in: the Update "decide", then the run waits
// (a quarter when it granted) until "stop".
func decisionShape(ctx workflow.Context, in shapeParts) error {
	decided := false
	if err := workflow.SetUpdateHandler(ctx, "decide", func(ctx workflow.Context) error {
		if in.Save {
			lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
			if err := workflow.ExecuteLocalActivity(lctx, shapeStep).Get(ctx, nil); err != nil {
				return err
			}
		}
		decided = true
		return nil
	}); err != nil {
		return err
	}
	stopped := false
	stop := workflow.GetSignalChannel(ctx, "stop")
	workflow.Go(ctx, func(ctx workflow.Context) { stop.Receive(ctx, nil); stopped = true })
	if err := workflow.Await(ctx, func() bool { return decided || stopped }); err != nil || stopped {
		return err
	}
	if !in.Aftermath {
		return workflow.Await(ctx, func() bool { return stopped })
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteActivity(actx, shapeStep).Get(ctx, nil); err != nil {
		return err
	}
	_, err := workflow.AwaitWithTimeout(ctx, 90*24*time.Hour, func() bool { return stopped })
	return err
}

func noopUpdates(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, "noop", func(ctx workflow.Context) error { return nil }); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, "stop").Receive(ctx, nil)
	return nil
}

// readBeside measures issue #15's first ratio: GET /v1/customers/{id} as the
// account's manager beside its floor, a point select and one durable
// register-shaped INSERT (into a plain table, autocommitted) on the same
// pool, and the raw point select; the ratios follow the three lines.
func readBeside(ctx context.Context, dsn, dbName string, pool *pgxpool.Pool, ids []uuid.UUID, amID uuid.UUID, am string,
	call func(method, path, tok string, body any, want int) error, requests, parallel int) error {
	ownerDSN, err := db.WithDatabase(dsn, dbName)
	if err != nil {
		return err
	}
	owner, err := pgx.Connect(ctx, ownerDSN) // the owner's: kam serves as kam_app, which creates no tables
	if err != nil {
		return err
	}
	defer owner.Close(ctx)
	if _, err := owner.Exec(ctx, floorTable); err != nil {
		return fmt.Errorf("floor table: %w", err)
	}
	sel := func(int) error {
		var code string
		return pool.QueryRow(ctx, "SELECT code FROM customers WHERE id = $1", ids[rand.IntN(len(ids))]).Scan(&code)
	}
	read := measure("GET /v1/customers/{id} as its manager (auth, scope, read, register)", requests, parallel, func(int) error {
		return call("GET", "/v1/customers/"+ids[rand.IntN(len(ids))].String(), am, nil, 200)
	})
	floor := measure("  floor: point select + one durable register-shaped INSERT", requests, parallel, func(i int) error {
		if err := sel(i); err != nil {
			return err
		}
		_, err := pool.Exec(ctx, floorInsert, amID, ids[rand.IntN(len(ids))])
		return err
	})
	raw := measure("  raw pgx point select of the same row", requests, parallel, sel)
	fmt.Printf("| GET as its manager ÷ floor (goal ≥ 100 %%) | | %.1f %% | | | | |\n", 100*read.ratioRate(floor))
	fmt.Printf("| GET as its manager ÷ raw select (aim ≥ 50 %%) | | %.1f %% | | | | |\n", 100*read.ratioRate(raw))
	return nil
}

// The floor's INSERT: the register's row shape into a plain table with no
// trigger, chain or index beyond its key, one commit per request.
const (
	floorTable = `CREATE TABLE IF NOT EXISTS bench_register_floor (seq bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(),
		staff_id uuid, staff_role text, customer_id uuid, action text, sections text[], request_id text, purpose text, route text);
		GRANT INSERT ON bench_register_floor TO PUBLIC; GRANT USAGE ON SEQUENCE bench_register_floor_seq_seq TO PUBLIC`
	floorInsert = `INSERT INTO bench_register_floor (staff_id, staff_role, customer_id, action, sections, request_id, purpose, route)
		VALUES ($1, 'account_manager', $2, 'view', '{basics,contact}', 'bench', '', 'GET /v1/customers/{id}')`
)

// measureTasks prints what waits on the caller (SPEC §7, one query; every
// account on the page is registered; every seeded archive is incomplete).
func measureTasks(am, clerk string, call func(method, path, tok string, body any, want int) error, requests, parallel int) {
	measure("GET /v1/me/tasks (the manager of every account; 50 registered)", requests, parallel, func(int) error {
		return call("GET", "/v1/me/tasks", am, nil, 200)
	})
	measure("GET /v1/me/tasks (a data clerk: every archive)", requests, parallel, func(int) error {
		return call("GET", "/v1/me/tasks", clerk, nil, 200)
	})
}

// measureCharges prints the charge lines: many accounts, and one hot one.
func measureCharges(ids []uuid.UUID, fin string, call func(method, path, tok string, body any, want int) error, requests, parallel int) {
	today := time.Now().Format(time.DateOnly)
	measure("POST charges, many accounts", requests, parallel, func(i int) error {
		return call("POST", "/v1/customers/"+ids[rand.IntN(len(ids))].String()+"/charges", fin,
			map[string]any{"amount": "1", "reference": fmt.Sprintf("M-%d", i), "occurred_on": today}, 201)
	})
	hot := ids[0].String()
	measure("POST charges, one hot account", requests, parallel, func(i int) error {
		return call("POST", "/v1/customers/"+hot+"/charges", fin, map[string]any{"amount": "1", "reference": fmt.Sprintf("H-%d", i), "occurred_on": today}, 201)
	})
}

// startCPUProfile profiles the whole process (server, worker, API and
// clients) into path until the returned stop; no path, no profile.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
