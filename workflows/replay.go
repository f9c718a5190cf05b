package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// RunHistory is one run's event history, as `kam replay` found it.
type RunHistory struct {
	WorkflowID, RunID string
	// Source says where it came from: "live" (the server's store),
	// "archived" (the server read the namespace's archive: the run is past
	// retention) or "archive" (kam read an archive directory itself).
	Source  string
	History *historypb.History
}

// WorkflowType is the run's workflow, from its first event.
func (r RunHistory) WorkflowType() string {
	if len(r.History.GetEvents()) == 0 {
		return ""
	}
	return r.History.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
}

// Where a history came from.
const (
	SourceLive     = "live"
	SourceArchived = "archived"
	SourceArchive  = "archive"
)

// ErrNondeterministic marks a history that today's code would not have
// written: the SDK's [TMPRL1100] errors.
var ErrNondeterministic = errors.New("nondeterministic: today's workflow code does not make the recorded decisions")

// ErrNoRun says neither the server nor its archive knows the workflow.
var ErrNoRun = errors.New("no such run, live or archived")

// FetchHistory asks the server for a run's history: the live one, or,
// once the run is past retention and gone from the store, the archived one,
// which the frontend reads from the namespace's archive itself. Without a
// run id it takes the workflow's current run, else the one archived last.
func FetchHistory(ctx context.Context, c client.Client, namespace, workflowID, runID string) (RunHistory, error) {
	if runID == "" {
		var err error
		if runID, err = latestRun(ctx, c, namespace, workflowID); err != nil {
			return RunHistory{}, err
		}
	}
	run := RunHistory{WorkflowID: workflowID, RunID: runID, Source: SourceLive, History: &historypb.History{}}
	req := &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID},
	}
	for {
		res, err := c.WorkflowService().GetWorkflowExecutionHistory(ctx, req)
		if err != nil {
			if _, ok := errors.AsType[*serviceerror.NotFound](err); ok {
				err = fmt.Errorf("%w: %s", ErrNoRun, err.Error())
			}
			return run, fmt.Errorf("history of %s run %s: %w", workflowID, runID, err)
		}
		run.History.Events = append(run.History.Events, res.GetHistory().GetEvents()...)
		if res.GetArchived() {
			run.Source = SourceArchived
		}
		if len(res.GetNextPageToken()) == 0 {
			return run, nil
		}
		req.NextPageToken = res.GetNextPageToken()
	}
}

// latestRun is the workflow's current run or, when the store no longer
// has it, the run the archive's visibility records say closed last.
func latestRun(ctx context.Context, c client.Client, namespace, workflowID string) (string, error) {
	d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	if err == nil {
		return d.GetWorkflowExecutionInfo().GetExecution().GetRunId(), nil
	}
	if _, ok := errors.AsType[*serviceerror.NotFound](err); !ok {
		return "", err
	}
	if strings.ContainsAny(workflowID, `'\`) {
		return "", fmt.Errorf("%s: %w (name the run with --run-id)", workflowID, ErrNoRun)
	}
	res, err := c.ListArchivedWorkflow(ctx, &workflowservice.ListArchivedWorkflowExecutionsRequest{
		Namespace: namespace, PageSize: 1, Query: "WorkflowId = '" + workflowID + "'",
	})
	if err != nil {
		return "", fmt.Errorf("%s is not live, and the archive answers: %w", workflowID, err)
	}
	if len(res.GetExecutions()) == 0 {
		return "", fmt.Errorf("%s: %w", workflowID, ErrNoRun)
	}
	return res.GetExecutions()[0].GetExecution().GetRunId(), nil
}

// Replay replays a run's history against today's workflow code (every
// workflow RegisterWorkflows knows, as the worker runs them): nil, or the
// SDK's error naming the first step the code no longer takes the way the
// history recorded it ([TMPRL1100] nondeterminism). A change that breaks
// it needs workflow.GetVersion.
func Replay(logger log.Logger, run RunHistory) error {
	return ReplayWith(RegisterWorkflows, logger, run)
}

// ReplayWith replays against the workflows register puts on the replayer.
func ReplayWith(register func(worker.WorkflowRegistry), logger log.Logger, run RunHistory) error {
	if len(run.History.GetEvents()) == 0 {
		return fmt.Errorf("%s run %s: an empty history", run.WorkflowID, run.RunID)
	}
	r := worker.NewWorkflowReplayer()
	register(r)
	err := r.ReplayWorkflowHistoryWithOptions(logger, run.History, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: run.WorkflowID, RunID: run.RunID},
	})
	if err != nil && strings.Contains(err.Error(), "[TMPRL1100]") {
		return fmt.Errorf("%w: %w", ErrNondeterministic, err)
	}
	return err
}
