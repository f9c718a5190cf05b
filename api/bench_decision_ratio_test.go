package api_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"kam"
)

// The decision beside its floor, as ratios (issue #15: p50 ≤ 2× a bare
// Update's, throughput ≥ 50 % of it), 8 clients on distinct accounts and on
// one account:
//
//	go test ./api -run '^$' -bench DecisionRatio -benchtime 1x
//
// The floor is a bare no-op Update, one on each of as many open runs (a
// decision is the first Update of its run). It reports the ratios as
// metrics and fails only far beyond the goal (a loose guard on a shared
// machine, not a timed test).
func BenchmarkDecisionRatio(b *testing.B) {
	benchWorker(b)
	const n, clients = 48, 8
	am := newStaff(b, kam.RoleAccountManager)
	ka := newStaff(b, kam.RoleKAManager)
	distinct := make([]string, n)
	for i := range distinct {
		distinct[i] = newAccount(b, am.ID)
	}
	one := newAccount(b, am.ID)
	for b.Loop() {
		floor := floorUpdates(b, n, clients)
		for _, shape := range []struct {
			name    string
			account func(i int) string
		}{{"distinct", func(i int) string { return distinct[i] }}, {"one-account", func(int) string { return one }}} {
			ids := make([]string, n)
			for i := range ids {
				ids[i] = must(b, call(b, "POST", "/v1/discount-requests", am.Token, discountBody(shape.account(i), "2")), 201).str("id")
			}
			time.Sleep(time.Second)
			d := timed(n, clients, func(i int) {
				must(b, call(b, "POST", "/v1/discount-requests/"+ids[i]+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
			})
			p50, rate := float64(d.p50)/float64(floor.p50), d.rate/floor.rate
			b.ReportMetric(p50, shape.name+"-p50/floor")
			b.ReportMetric(100*rate, shape.name+"-%floor-throughput")
			if p50 > 10 || rate < 0.1 {
				b.Errorf("%s: decision p50 %.1f× the bare Update's, throughput %.0f %% of it: far beyond the goal (2×, 50 %%)", shape.name, p50, 100*rate)
			}
		}
	}
}

type timing struct {
	p50  time.Duration
	rate float64
}

// timed runs op n times over clients goroutines.
func timed(n, clients int, op func(i int)) timing {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				t := time.Now()
				op(i)
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lat)
	return timing{p50: lat[n/2], rate: float64(n) / took.Seconds()}
}

// floorUpdates times a bare no-op Update on each of n open runs.
func floorUpdates(b *testing.B, n, clients int) timing {
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "bench-floor-" + uuid.NewString()
		if _, err := running.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: benchQueue}, bareUpdateWorkflow); err != nil {
			b.Fatal(err)
		}
	}
	defer func() {
		for _, id := range ids {
			_ = running.Temporal.SignalWorkflow(ctx, id, "", "stop", nil)
		}
	}()
	time.Sleep(time.Second)
	return timed(n, clients, func(i int) {
		h, err := running.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: ids[i], UpdateName: "noop", WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			b.Error(err)
		}
	})
}
