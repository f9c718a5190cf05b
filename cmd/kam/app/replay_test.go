package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"kam/cmd/kam/app"
	"kam/cmd/kam/devserver"
	"kam/workflows"
)

// Decisions stay replayable: a closed approval's history is archived by
// Temporal itself (filestore under the data dir), and `kam replay` replays
// it against today's code: from the archive directory, live from the
// server, and from the server's archive once the run has left its store.
// Today's code changed without workflow.GetVersion does not replay.
func TestClosedApprovalIsArchivedAndReplays(t *testing.T) {
	cfg := config(t, workflows.DefaultSettings())
	cfg.ArchiveDelay = time.Second
	r := start(t, cfg, false)
	defer r.Stop()
	cfg.TemporalAddress = r.TemporalAddress
	wid := closedApproval(t, client{t: t, base: r.URL})
	archive := filepath.Join(cfg.DataDir, "archive")
	ctx := context.Background()

	var archived devserver.ArchivedRun
	eventually(t, 60*time.Second, "the closed approval's archived history", func() bool {
		var err error
		archived, err = devserver.ReadArchive(ctx, archive, cfg.TemporalNamespace, wid, "")
		return err == nil
	})
	// As `kam replay --archive .kam/archive` names it: relative to the working directory.
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, archive)
	if err != nil {
		t.Fatal(err)
	}
	run := replay(t, cfg, app.ReplayOptions{WorkflowID: wid, ArchiveDir: rel}, workflows.SourceArchive)
	if run.RunID != archived.RunID || run.WorkflowType() != "DiscountApproval" || len(run.History.Events) < 10 {
		t.Fatalf("archived run %s %s with %d events", run.RunID, run.WorkflowType(), len(run.History.Events))
	}
	live := replay(t, cfg, app.ReplayOptions{WorkflowID: wid}, workflows.SourceLive)
	if live.RunID != run.RunID || len(live.History.Events) != len(run.History.Events) {
		t.Fatalf("live %s (%d events), archived %s (%d events)", live.RunID, len(live.History.Events), run.RunID, len(run.History.Events))
	}

	// Retention's end, brought forward: the run leaves the store, and the
	// server answers from the archive (the run id from its visibility records).
	deleteRun(t, r, wid, run.RunID)
	past := replay(t, cfg, app.ReplayOptions{WorkflowID: wid}, workflows.SourceArchived)
	if past.RunID != run.RunID || len(past.History.Events) != len(run.History.Events) {
		t.Fatalf("past retention %s (%d events), want %s (%d)", past.RunID, len(past.History.Events), run.RunID, len(run.History.Events))
	}

	// A changed approval (it waits before confirming the request) makes
	// other commands than the history recorded.
	_, err = app.Replay(ctx, cfg, app.ReplayOptions{WorkflowID: wid, ArchiveDir: archive, Log: quiet(), Register: changedApproval})
	if !errors.Is(err, workflows.ErrNondeterministic) || !strings.Contains(err.Error(), wid) {
		t.Fatalf("a changed definition replayed: %v", err)
	}
	_, err = app.Replay(ctx, cfg, app.ReplayOptions{WorkflowID: "discount-request/" + uuid.NewString(), Log: quiet()})
	if !errors.Is(err, workflows.ErrNoRun) {
		t.Fatalf("an unknown workflow: %v", err)
	}
}

// closedApproval runs a beyond-standard request to its end: the KA
// Department approves, the GM rejects. It answers the workflow id.
func closedApproval(t *testing.T, c client) string {
	t.Helper()
	_, ka := c.staff("ka_manager")
	_, gm := c.staff("general_manager")
	amID, am := c.staff("account_manager")
	acct := c.do("POST", "/v1/customers", ka, map[string]any{"code": "ARC-" + uuid.NewString()[:8], "name": "Archived Ltd", "tier": "S", "account_manager_id": amID}, 201)["id"].(string)
	today := time.Now().UTC()
	id := c.do("POST", "/v1/discount-requests", am, map[string]any{"customer_id": acct, "product_category": "equipment", "rate": "25",
		"method": "rebate", "valid_from": today.Format(time.DateOnly), "valid_to": today.AddDate(0, 1, 0).Format(time.DateOnly)}, 201)["id"].(string)
	c.do("POST", "/v1/discount-requests/"+id+"/decisions", ka, map[string]any{"decision": "approve"}, 200)
	if st := c.do("POST", "/v1/discount-requests/"+id+"/decisions", gm, map[string]any{"decision": "reject", "comment": "not this quarter"}, 200); st["state"] != "rejected" {
		t.Fatalf("after the GM's decision: %v", st)
	}
	return workflows.DiscountWorkflowID(uuid.MustParse(id))
}

func replay(t *testing.T, cfg app.Config, o app.ReplayOptions, source string) workflows.RunHistory {
	t.Helper()
	o.Log = quiet()
	run, err := app.Replay(context.Background(), cfg, o)
	if err != nil {
		t.Fatalf("replay from %s: %v", source, err)
	}
	if run.Source != source {
		t.Fatalf("replayed a %s history, want %s", run.Source, source)
	}
	return run
}

// deleteRun takes a closed run out of the server's store, as retention
// does, and waits until it is gone.
func deleteRun(t *testing.T, r *app.Running, wid, runID string) {
	t.Helper()
	ctx := context.Background()
	_, err := r.Temporal.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: wid, RunId: runID},
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the run to leave the store", func() bool {
		_, err := r.Temporal.DescribeWorkflowExecution(ctx, wid, runID)
		_, gone := errors.AsType[*serviceerror.NotFound](err)
		return gone
	})
}

// changedApproval registers, under DiscountApproval's name, an approval
// that sleeps before anything else: today's code changed without
// workflow.GetVersion.
func changedApproval(w worker.WorkflowRegistry) {
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.DiscountInput) (workflows.DiscountState, error) {
		if err := workflow.Sleep(ctx, time.Minute); err != nil {
			return workflows.DiscountState{}, err
		}
		return workflows.DiscountState{State: "pending"}, nil
	}, workflow.RegisterOptions{Name: "DiscountApproval"})
}
