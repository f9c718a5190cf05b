package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"kam"
)

// The baselines run on the same embedded server, in the same process, with a
// worker of their own:
//
//	go test ./api -run '^$' -bench 'Decision|SubmitToGrant|Bare' -benchtime 100x
func bareWorkflow(ctx workflow.Context) error { return nil }

func bareUpdateWorkflow(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, "noop", func(ctx workflow.Context) (string, error) { return "ok", nil }); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, "stop").Receive(ctx, nil)
	return nil
}

var (
	benchWorkerOnce sync.Once
	benchQueue      = "bench-" + uuid.NewString()
)

func benchWorker(b *testing.B) {
	benchWorkerOnce.Do(func() {
		w := worker.New(running.Temporal, benchQueue, worker.Options{})
		w.RegisterWorkflow(bareWorkflow)
		w.RegisterWorkflow(bareUpdateWorkflow)
		if err := w.Start(); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkBareStartToComplete(b *testing.B) {
	benchWorker(b)
	ctx := context.Background()
	for b.Loop() {
		run, err := running.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-bare-" + uuid.NewString(), TaskQueue: benchQueue}, bareWorkflow)
		if err != nil {
			b.Fatal(err)
		}
		if err := run.Get(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareNoopUpdate(b *testing.B) {
	benchWorker(b)
	ctx := context.Background()
	id := "bench-update-" + uuid.NewString()
	if _, err := running.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: benchQueue}, bareUpdateWorkflow); err != nil {
		b.Fatal(err)
	}
	defer running.Temporal.SignalWorkflow(ctx, id, "", "stop", nil) //nolint:errcheck
	for b.Loop() {
		h, err := running.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: "noop", WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			b.Fatal(err)
		}
		var s string
		if err := h.Get(ctx, &s); err != nil {
			b.Fatal(err)
		}
	}
}

// The decision round trip: POST .../decisions through HTTP, the update's
// validator and handler, the state saved in Postgres, the answer read back.
func BenchmarkDecisionUpdate(b *testing.B) {
	am := newStaff(b, kam.RoleAccountManager)
	ka := newStaff(b, kam.RoleKAManager)
	c := newAccount(b, am.ID)
	// Requests are submitted first and left to settle, so that each decision
	// meets a run that is waiting, as in real life.
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = must(b, call(b, "POST", "/v1/discount-requests", am.Token, discountBody(c, "3")), 201).str("id")
	}
	time.Sleep(time.Second)
	b.ResetTimer()
	for _, id := range ids {
		must(b, call(b, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "reject"}), 200)
	}
}

// Submit → approve → grant visible in GET /v1/customers/{id}/discounts.
func BenchmarkSubmitToGrant(b *testing.B) {
	am := newStaff(b, kam.RoleAccountManager)
	ka := newStaff(b, kam.RoleKAManager)
	c := newAccount(b, am.ID)
	for b.Loop() {
		id := must(b, call(b, "POST", "/v1/discount-requests", am.Token, discountBody(c, "2")), 201).str("id")
		must(b, call(b, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
		for {
			found := false
			for _, g := range must(b, call(b, "GET", "/v1/customers/"+c+"/discounts", am.Token, nil), 200).items() {
				found = found || g["request_id"] == id
			}
			if found {
				break
			}
		}
	}
}
