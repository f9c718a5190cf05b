package workflows

import (
	"os"
	"testing"

	"go.temporal.io/sdk/client"
)

// Histories recorded from real runs (see recordHistory in cmd/kam/app) must
// replay against today's code: a change that would break open executions
// fails here, and needs workflow.GetVersion. The versioned paths of the
// schedule rule and the re-reads were recorded with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/ticket-reopen.json go test -short ./api -run TestTicketReopenAfterCloseRestartsSLA
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/settlement-invalid-cycle.json go test -short ./api -run TestSettlementOnImpossibleStoredCycleWaits
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/visit-plan-reread.json go test -short ./cmd/kam/app -run TestVisitPlanThroughTheAPI
func TestReplayRecordedHistories(t *testing.T) {
	for _, file := range []string{"testdata/onboarding.json", "testdata/discount-beyond.json", "testdata/settlement.json", "testdata/settlement-arrears.json", "testdata/settlement-invalid-cycle.json", "testdata/visit-plan.json", "testdata/visit-plan-reread.json", "testdata/ticket-sla.json", "testdata/ticket-reopen.json", "testdata/inspection.json"} {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// What `kam replay` runs: every workflow the worker registers.
			if err := Replay(quietLogger(), RunHistory{WorkflowID: "replay", RunID: "recorded", History: h}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
