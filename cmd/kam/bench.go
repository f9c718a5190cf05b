package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kam/cmd/kam/app"
	"kam/db"
)

// benchSettle measures one settlement cycle close across many agreements on
// the embedded Temporal server (`kam dev`'s), with the worker in this process:
//
//	go run ./cmd/kam bench settle --agreements 1000
//
// It works in a database of its own (dropped and made anew), seeds the
// agreements with one unbilled charge each, starts their settlement runs,
// lets all their cycles close at the same minute, and reports how long it
// took until every statement existed, with this process's memory.
func benchSettle(ctx context.Context, cfg app.Config, args []string) error {
	fs := flag.NewFlagSet("bench settle", flag.ContinueOnError)
	n := fs.Int("agreements", 1000, "how many credit agreements")
	dbName := fs.String("database", "kam_bench", "the database to (re)create for the run")
	parallel := fs.Int("parallel", 16, "concurrent workflow starts")
	fs.StringVar(&cfg.TemporalStore, "temporal-store", cfg.TemporalStore, "sqlite (in memory for the run) or postgres (databases <database>_temporal*, recreated)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.HasPrefix(*dbName, "kam_bench") {
		return errors.New("--database must start with kam_bench: it is dropped and recreated")
	}
	removeDataDir, err := benchDataDir(&cfg)
	if err != nil {
		return err
	}
	defer removeDataDir()
	r, err := benchStart(ctx, cfg, *dbName, false)
	if err != nil {
		return err
	}
	defer r.Stop()
	pool := r.Store.Pool
	seed := time.Now()
	if _, err := pool.Exec(ctx, `
		WITH c AS (INSERT INTO customers (id, code, name, tier)
		      SELECT gen_random_uuid(), 'BENCH-' || g, 'Bench account ' || g, 'B' FROM generate_series(1, $1) g RETURNING id)
		INSERT INTO credit_agreements (customer_id, credit_level, arrears_limit, settlement_cycle, payment_term_days)
		SELECT id, 'A', 1000000, '@yearly', 30 FROM c`, *n); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded %d agreements in %s\n", *n, time.Since(seed).Round(time.Millisecond))
	res, err := closeOneCycle(ctx, r, cfg.Timezone, *parallel, os.Stdout)
	if err != nil {
		return err
	}
	fmt.Printf("\n| agreements | cycle close took | agreements/s | start rate | RSS after | peak RSS |\n|---|---|---|---|---|---|\n")
	fmt.Printf("| %d | %s | %.1f | %.1f/s | %s | %s |\n", res.agreements, res.took.Round(100*time.Millisecond), res.perSecond(),
		float64(res.agreements)/res.startTook.Seconds(), rss("VmRSS"), rss("VmHWM"))
	return nil
}

// cycleResult is one measured cycle close.
type cycleResult struct {
	agreements      int
	startTook, took time.Duration
}

func (c cycleResult) perSecond() float64 { return float64(c.agreements) / c.took.Seconds() }

// closeOneCycle gives every credit agreement one unbilled charge and a cycle
// that closes at one minute of the company's day, starts their settlement
// runs, and times the close: from that minute until every agreement has its
// statement.
func closeOneCycle(ctx context.Context, r *app.Running, tz *time.Location, parallel int, out io.Writer) (cycleResult, error) {
	var res cycleResult
	pool := r.Store.Pool
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM credit_agreements").Scan(&n); err != nil {
		return res, err
	}
	// Far enough ahead for every run to be started and waiting by then.
	startBudget := time.Duration(n)*25*time.Millisecond + 45*time.Second
	closeAt := time.Now().In(tz).Add(startBudget).Truncate(time.Minute).Add(time.Minute)
	cycle := fmt.Sprintf("%d %d * * *", closeAt.Minute(), closeAt.Hour())
	if _, err := pool.Exec(ctx, "UPDATE credit_agreements SET settlement_cycle = $1, cycle_anchor = now()", cycle); err != nil {
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
	fmt.Fprintf(out, "%d agreements; all cycles close at %s (%s)\n", len(ids), closeAt.Format(time.TimeOnly), cycle)

	started := time.Now()
	if err := fanOut(len(ids), parallel, func(i int) error { return r.Processes.StartSettlement(ctx, ids[i]) }); err != nil {
		return res, fmt.Errorf("start: %w", err)
	}
	res.startTook = time.Since(started)
	fmt.Fprintf(out, "started %d settlement runs in %s (%.1f/s); RSS %s\n", len(ids), res.startTook.Round(time.Millisecond), float64(len(ids))/res.startTook.Seconds(), rss("VmRSS"))
	if time.Now().After(closeAt) {
		return res, fmt.Errorf("starting took past the close minute %s; the figure would be wrong", closeAt.Format(time.TimeOnly))
	}
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(time.Until(closeAt)):
	}
	fmt.Fprintf(out, "cycle close at %s ...\n", closeAt.Format(time.TimeOnly))
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
// the embedded Temporal server's state in memory (sqlite) or in Postgres
// databases named after it, recreated too.
func benchStart(ctx context.Context, cfg app.Config, name string, api bool) (*app.Running, error) {
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
	fmt.Printf("Temporal store: %s\n", cfg.TemporalStore)
	return app.Start(ctx, cfg, app.Parts{EmbeddedTemporal: true, Ephemeral: cfg.TemporalStore == "sqlite", Migrate: true, Bootstrap: true,
		API: api, Worker: true, Out: io.Discard}, app.NewLogger(io.Discard, cfg.LogLevel))
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
