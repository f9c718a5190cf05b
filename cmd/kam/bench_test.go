package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"kam/cmd/kam/app"
)

// BenchmarkCycleClose closes one settlement cycle across 200 agreements on
// the embedded server (SQLite in memory, the worker in this process) and
// reports agreements/s, as `kam bench settle` does at scale:
//
//	go test ./cmd/kam -run '^$' -bench CycleClose -benchtime 1x
//
// It guards the close's shape, not its speed (the machine's load moves the
// figure): it fails when a close costs a run more than one workflow task on
// average, or any activity task, which is what made the close slow at 10,000
// agreements (issue #15).
func BenchmarkCycleClose(b *testing.B) {
	if testing.Short() {
		b.Skip("starts an embedded Temporal server")
	}
	cfg, err := app.FromEnv()
	if err != nil {
		b.Fatal(err)
	}
	cfg.TemporalStore = "sqlite"
	cfg.DataDir = b.TempDir() // the register key's file, not in the package's folder
	const n = 200
	ctx := context.Background()
	var took, cost closeCost
	var seconds float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		r, err := benchStart(ctx, cfg, "kam_bench_gotest_cycle", false, false, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if err := seedAgreements(ctx, r, n); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := closeOneCycle(ctx, r, cfg.Timezone, 16, io.Discard, nil)
		b.StopTimer()
		if err == nil {
			cost, err = reportHistory(ctx, r, io.Discard)
		}
		r.Stop()
		if err != nil {
			b.Fatal(err)
		}
		seconds += res.took.Seconds()
		took.add(cost)
	}
	b.ReportMetric(float64(n*b.N)/seconds, "agreements/s")
	b.ReportMetric(float64(took.wfts)/float64(took.runs), "workflow-tasks/close")
	b.ReportMetric(float64(took.activities)/float64(took.runs), "activities/close")
	if took.wfts > took.runs || took.activities > 0 {
		b.Fatalf("a close cost %d workflow tasks and %d activity tasks over %d runs: more than one workflow task and no activity each", took.wfts, took.activities, took.runs)
	}
}

// A bench load asked for a combination it cannot measure stops before it
// seeds anything, and says why.
func TestBenchLoadRefusesWhatItCannotMeasure(t *testing.T) {
	for _, args := range [][]string{
		{"--only", "reads"},
		{"--only", "tasks", "--workers", "2"},
		{"--workers", "3"},
	} {
		err := benchLoad(context.Background(), app.Config{TemporalStore: "sqlite"}, args)
		if err == nil || !strings.HasPrefix(err.Error(), "--") {
			t.Errorf("%v: %v, want an error naming the flag", args, err)
		}
	}
}
