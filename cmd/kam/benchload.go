package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"kam/cmd/kam/app"
	"kam/db"
	"kam/db/store"
)

// benchLoad measures kam's paths beside the bare operation they stand on, in
// one run on one server, and prints throughput with p50/p99:
//
//	go run ./cmd/kam bench load --accounts 10000 --requests 2000
//
// It exits non-zero only on errors, never on a slow figure.
func benchLoad(ctx context.Context, cfg app.Config, args []string) error {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	accounts := fs.Int("accounts", 10000, "accounts to seed")
	requests := fs.Int("requests", 2000, "requests per measurement")
	parallel := fs.Int("parallel", 8, "concurrent clients")
	if err := fs.Parse(args); err != nil {
		return err
	}
	const name = "kam_bench_load"
	if err := recreate(ctx, cfg.DatabaseURL, name); err != nil {
		return err
	}
	dsn, err := db.WithDatabase(cfg.DatabaseURL, name)
	if err != nil {
		return err
	}
	cfg.DatabaseURL, cfg.TemporalPort, cfg.HTTPAddr = dsn, 0, "127.0.0.1:0"
	r, err := app.Start(ctx, cfg, app.Parts{EmbeddedTemporal: true, Ephemeral: true, Migrate: true, Bootstrap: true, API: true, Worker: true, Out: io.Discard},
		app.NewLogger(io.Discard, cfg.LogLevel))
	if err != nil {
		return err
	}
	defer r.Stop()
	pool := r.Store.Pool
	token := func(role string) (uuid.UUID, string, error) {
		st, err := r.Store.CreateStaff(ctx, "bench "+role, nil, role)
		if err != nil {
			return uuid.Nil, "", err
		}
		secret := store.NewTokenSecret()
		_, err = r.Store.IssueToken(ctx, st.ID, secret, nil)
		return st.ID, secret, err
	}
	_, fin, err := token(store.RoleFinance)
	if err != nil {
		return err
	}
	_, ka, err := token(store.RoleKAManager)
	if err != nil {
		return err
	}
	amID, am, err := token(store.RoleAccountManager)
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
	rows, err := pool.Query(ctx, "SELECT id FROM customers")
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
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
	fmt.Printf("seeded %d accounts; %d requests per line, %d clients\n\n", len(ids), *requests, *parallel)
	fmt.Println("| measurement | ops | per second | p50 | p99 |")
	fmt.Println("|---|---|---|---|---|")

	measure("GET /v1/customers/{id} (auth, scope, register)", *requests, *parallel, func(i int) error {
		return call("GET", "/v1/customers/"+ids[rand.IntN(len(ids))].String(), fin, nil, 200)
	})
	measure("raw pgx point select of the same row", *requests, *parallel, func(i int) error {
		var code string
		return pool.QueryRow(ctx, "SELECT code FROM customers WHERE id = $1", ids[rand.IntN(len(ids))]).Scan(&code)
	})
	today := time.Now().Format(time.DateOnly)
	measure("POST charges, many accounts", *requests, *parallel, func(i int) error {
		return call("POST", "/v1/customers/"+ids[rand.IntN(len(ids))].String()+"/charges", fin,
			map[string]any{"amount": "1", "reference": fmt.Sprintf("M-%d", i), "occurred_on": today}, 201)
	})
	hot := ids[0].String()
	measure("POST charges, one hot account", *requests, *parallel, func(i int) error {
		return call("POST", "/v1/customers/"+hot+"/charges", fin, map[string]any{"amount": "1", "reference": fmt.Sprintf("H-%d", i), "occurred_on": today}, 201)
	})

	// Decisions: requests are submitted first and left to settle.
	n := min(*requests, 300)
	reqIDs := make([]string, 0, n)
	for range n {
		var out struct {
			ID string `json:"id"`
		}
		b, _ := json.Marshal(map[string]any{"customer_id": ids[1].String(), "product_category": "equipment", "rate": "3", "method": "percentage", "valid_from": today, "valid_to": today})
		req, _ := http.NewRequestWithContext(ctx, "POST", r.URL+"/v1/discount-requests", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+am)
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		_ = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		reqIDs = append(reqIDs, out.ID)
	}
	time.Sleep(2 * time.Second)
	measure("POST decisions (Temporal update, saved state)", n, *parallel, func(i int) error {
		return call("POST", "/v1/discount-requests/"+reqIDs[i]+"/decisions", ka, map[string]any{"decision": "reject"}, 200)
	})
	w := worker.New(r.Temporal, "bench-load", worker.Options{})
	w.RegisterWorkflow(noopUpdates)
	w.RegisterWorkflow(noopWorkflow)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	wid := "bench-noop-" + uuid.NewString()
	if _, err := r.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid, TaskQueue: "bench-load"}, noopUpdates); err != nil {
		return err
	}
	measure("bare no-op Temporal update", n, *parallel, func(i int) error {
		h, err := r.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: wid, UpdateName: "noop", WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return err
		}
		return h.Get(ctx, nil)
	})
	_ = r.Temporal.SignalWorkflow(ctx, wid, "", "stop", nil)
	measure("bare start→complete workflow", n, *parallel, func(i int) error {
		wr, err := r.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-bare-" + uuid.NewString(), TaskQueue: "bench-load"}, noopWorkflow)
		if err != nil {
			return err
		}
		return wr.Get(ctx, nil)
	})
	fmt.Println("\nOne settlement cycle close across many agreements: go run ./cmd/kam bench settle --agreements N")
	return firstErr
}

var firstErr error

// measure times op count times over parallel clients and prints one table line.
func measure(what string, count, parallel int, op func(i int) error) {
	lat := make([]time.Duration, count)
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	start := time.Now()
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
	slices.Sort(lat)
	fmt.Printf("| %s | %d | %.0f | %s | %s |\n", what, count, float64(count)/took.Seconds(),
		lat[count/2].Round(10*time.Microsecond), lat[count*99/100].Round(10*time.Microsecond))
}

func noopWorkflow(ctx workflow.Context) error { return nil }

func noopUpdates(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, "noop", func(ctx workflow.Context) error { return nil }); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, "stop").Receive(ctx, nil)
	return nil
}
