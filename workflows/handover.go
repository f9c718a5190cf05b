package workflows

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
)

// HandoverWorkflowID is stable per handover, so starting it again (a retried
// request) is a no-op.
func HandoverWorkflowID(handoverID uuid.UUID) string { return "staff-handover/" + handoverID.String() }

// SignalRequesterChanged tells an approval run that its pending request was
// handed over to another account manager.
const SignalRequesterChanged = "requester-changed"

// RequesterChange is the signal's content: the request passes from From to To.
type RequesterChange struct {
	From, To uuid.UUID
}

const (
	// DefaultHandoverBatch is how many accounts one batch moves (one
	// transaction; Settings.HandoverBatch overrides it).
	DefaultHandoverBatch = 50
	// handoverBatchesPerRun bounds one run's history (a batch is an activity
	// and a signal per request it moved).
	handoverBatchesPerRun = 20
	// handoverSignalsPerTask bounds the signals one workflow task sends:
	// Temporal refuses a task with more than 2,000 pending, and a batch's
	// requests have no bound.
	handoverSignalsPerTask = 500
	// handoverHistoryLimit: past this many events a run continues as new
	// (between batches, or between the chunks of one batch's signals), far
	// below Temporal's 51,200; a chunk adds about 1,000.
	handoverHistoryLimit = 10000
)

// versionHandoverChunks: a batch's approval runs are told in chunks of
// handoverSignalsPerTask, each waited for, and the run continues as new
// when its history grows long, even in the middle of a batch's signals;
// before, all of a batch's signals went out in one task. Asked only when a
// batch has more than one task's worth of signals, or the history is long:
// a handover whose tasks fail for too many pending signals, open since
// before this change, takes it on its next attempt and completes.
const versionHandoverChunks = "handover-signal-chunks"

// HandoverInput starts (or continues) a handover's run.
type HandoverInput struct {
	HandoverID uuid.UUID
	From, To   uuid.UUID
	BatchSize  int
	VisitLead  time.Duration
	Timezone   string
	// NextBatch carries the batch number across continue-as-new.
	NextBatch int
	// Told: how many of batch NextBatch's requests were told already, when a
	// run continued as new in the middle of telling them.
	Told int
}

// StaffHandover is the handover of SPEC §7: all of one manager's accounts,
// the pending discount requests they submitted on them, their visit plans
// and greeting tasks move to another account manager (Art. 20: no account is
// left without its manager; Art. 19, 11, 12). Hundreds of accounts move in
// batches, each one idempotent transaction (history and register rows
// included), so a run that crashes resumes where it stopped; after each
// batch the approval runs of its requests are told. A receiver who can no
// longer take accounts stops the handover as failed, with what moved before
// kept.
func StaffHandover(ctx workflow.Context, in HandoverInput) (kam.Handover, error) {
	chunked := func() bool {
		return workflow.GetVersion(ctx, versionHandoverChunks, workflow.DefaultVersion, 1) == 1
	}
	if in.NextBatch == 0 && in.Told == 0 {
		if err := confirmStored(ctx, act.ConfirmHandover, in.HandoverID, activities.ErrHandoverMissing); err != nil {
			workflow.GetLogger(ctx).Warn("no handover row for this run; ending", "handover", in.HandoverID)
			return kam.Handover{ID: in.HandoverID, Status: "abandoned"}, nil
		}
	}
	size := in.BatchSize
	if size <= 0 {
		size = DefaultHandoverBatch
	}
	for range handoverBatchesPerRun {
		var b kam.HandoverBatch
		err := workflow.ExecuteActivity(withActivity(ctx), act.MoveHandoverBatch, activities.HandoverBatchInput{
			HandoverID: in.HandoverID, To: in.To, Batch: in.NextBatch, Limit: size, VisitLead: in.VisitLead, Timezone: in.Timezone,
		}).Get(ctx, &b)
		var refused *temporal.ApplicationError
		if errors.As(err, &refused) && refused.Type() == activities.ErrHandoverRefused {
			return finishHandover(ctx, in, kam.HandoverFailed, refused.Message())
		}
		if err != nil {
			return kam.Handover{}, err
		}
		if len(b.Requests)-in.Told <= handoverSignalsPerTask || !chunked() {
			// One task's worth: the same signals as before this change.
			rest := b
			rest.Requests = b.Requests[min(in.Told, len(b.Requests)):]
			tellApprovalRuns(ctx, in, rest)
		} else if told := tellApprovalRunsInChunks(ctx, in, b); told < len(b.Requests) {
			// The batch stays done in the store and answers the same
			// requests to the next run, which tells the rest.
			in.Told = told
			return kam.Handover{}, workflow.NewContinueAsNewError(ctx, StaffHandover, in)
		}
		in.NextBatch, in.Told = in.NextBatch+1, 0
		if len(b.Accounts) < size {
			return finishHandover(ctx, in, kam.HandoverDone, "")
		}
		if handoverHistoryFull(ctx) && chunked() {
			break
		}
	}
	return kam.Handover{}, workflow.NewContinueAsNewError(ctx, StaffHandover, in)
}

// tellApprovalRuns tells the approval run of each request a batch moved
// that its follow-ups and withdrawal are now the new manager's. A run that
// no longer exists (a request decided since) has nothing to change.
//
// Visit plans need no word: a plan addresses each notice to whoever manages
// the account when the notice falls due (Art. 20), so from the batch's
// commit on its reminders are the new manager's; the batch itself tells them
// of a visit already announced to the previous one.
func tellApprovalRuns(ctx workflow.Context, in HandoverInput, b kam.HandoverBatch) {
	sent := make([]workflow.Future, 0, len(b.Requests))
	for _, r := range b.Requests {
		sent = append(sent, workflow.SignalExternalWorkflow(ctx, DiscountWorkflowID(r), "", SignalRequesterChanged, RequesterChange{From: in.From, To: in.To}))
	}
	for _, f := range sent {
		var gone *temporal.UnknownExternalWorkflowExecutionError
		if err := f.Get(ctx, nil); err != nil && !errors.As(err, &gone) {
			workflow.GetLogger(ctx).Warn("handover: an approval run could not be told", "handover", in.HandoverID, "error", err)
		}
	}
}

// tellApprovalRunsInChunks is tellApprovalRuns from in.Told on, at most
// handoverSignalsPerTask signals at a time, each chunk waited for before the
// next goes out. It stops early when the run's history is full and answers
// how many of the batch's requests were told by then.
func tellApprovalRunsInChunks(ctx workflow.Context, in HandoverInput, b kam.HandoverBatch) int {
	told := min(in.Told, len(b.Requests))
	for told < len(b.Requests) {
		end := min(told+handoverSignalsPerTask, len(b.Requests))
		chunk := b
		chunk.Requests = b.Requests[told:end]
		tellApprovalRuns(ctx, in, chunk)
		told = end
		if told < len(b.Requests) && handoverHistoryFull(ctx) {
			break
		}
	}
	return told
}

func handoverHistoryFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > handoverHistoryLimit
}

func finishHandover(ctx workflow.Context, in HandoverInput, status, reason string) (kam.Handover, error) {
	var h kam.Handover
	err := workflow.ExecuteActivity(withActivity(ctx), act.FinishHandover, activities.HandoverEnd{
		HandoverID: in.HandoverID, Status: status, Reason: reason,
	}).Get(ctx, &h)
	return h, err
}

// StartHandover starts a stored handover's run; one running or done is
// kept, so a retried request starts nothing new. A run that failed or was
// terminated is started again and resumes: its batches already done answer
// what they moved.
func (p *Processes) StartHandover(ctx context.Context, h kam.Handover) error {
	size := p.Settings.HandoverBatch
	if size <= 0 {
		size = DefaultHandoverBatch
	}
	_, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: HandoverWorkflowID(h.ID), TaskQueue: TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
	}, StaffHandover, HandoverInput{HandoverID: h.ID, From: h.FromStaffID, To: h.ToStaffID, BatchSize: size,
		VisitLead: p.Settings.VisitLead, Timezone: p.tz()})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) || temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return nil
	}
	return err
}
