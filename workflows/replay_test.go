package workflows

import (
	"testing"

	"go.temporal.io/sdk/worker"
)

// Histories recorded from real runs (see recordHistory in cmd/kam/app) must
// replay against today's code: a change that would break open executions
// fails here, and needs workflow.GetVersion. The versioned paths of the
// schedule rule and the re-reads were recorded with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/ticket-reopen.json go test -short ./api -run TestTicketReopenAfterCloseRestartsSLA
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/settlement-invalid-cycle.json go test -short ./api -run TestSettlementOnImpossibleStoredCycleWaits
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/visit-plan-reread.json go test -short ./cmd/kam/app -run TestVisitPlanThroughTheAPI
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/settlement-reversal.json go test -short ./api -run TestReversalsSteerTheSettlementRun
//
// settlement-reversal-v0.json is the same scenario recorded with the run's
// re-read as it was before versionFollowOnReread (a bounced payment waited
// for the next timer): it replays only because the follow is versioned.
func TestReplayRecordedHistories(t *testing.T) {
	for _, file := range []string{"testdata/onboarding.json", "testdata/discount-beyond.json", "testdata/settlement.json", "testdata/settlement-arrears.json", "testdata/settlement-invalid-cycle.json", "testdata/settlement-reversal.json", "testdata/settlement-reversal-v0.json", "testdata/visit-plan.json", "testdata/visit-plan-reread.json", "testdata/ticket-sla.json", "testdata/ticket-reopen.json", "testdata/inspection.json"} {
		t.Run(file, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(AccountOnboarding)
			r.RegisterWorkflow(DiscountApproval)
			r.RegisterWorkflow(CreditSettlement)
			r.RegisterWorkflow(VisitPlan)
			r.RegisterWorkflow(TicketSLA)
			r.RegisterWorkflow(DiscountInspection)
			if err := r.ReplayWorkflowHistoryFromJSONFile(quietLogger(), file); err != nil {
				t.Fatal(err)
			}
		})
	}
}
