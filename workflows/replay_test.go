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
//
// The staff handover and an approval run that took a handed-over requester
// (the requester-changed signal, then the new requester's withdrawal) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/staff-handover.json \
//	KAM_RECORD_HISTORY_REQUEST=$PWD/workflows/testdata/discount-handed-over.json \
//	  go test ./api -run TestStaffHandoverMovesAccountsRequestsPlansAndGreetings
func TestReplayRecordedHistories(t *testing.T) {
	for _, file := range []string{"testdata/onboarding.json", "testdata/discount-beyond.json", "testdata/settlement.json", "testdata/settlement-arrears.json", "testdata/settlement-invalid-cycle.json", "testdata/visit-plan.json", "testdata/visit-plan-reread.json", "testdata/ticket-sla.json", "testdata/ticket-reopen.json", "testdata/inspection.json", "testdata/staff-handover.json", "testdata/discount-handed-over.json"} {
		t.Run(file, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(AccountOnboarding)
			r.RegisterWorkflow(DiscountApproval)
			r.RegisterWorkflow(CreditSettlement)
			r.RegisterWorkflow(VisitPlan)
			r.RegisterWorkflow(TicketSLA)
			r.RegisterWorkflow(DiscountInspection)
			r.RegisterWorkflow(StaffHandover)
			if err := r.ReplayWorkflowHistoryFromJSONFile(quietLogger(), file); err != nil {
				t.Fatal(err)
			}
		})
	}
}
