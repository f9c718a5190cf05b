package workflows

import (
	"os"
	"path/filepath"
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
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/tier-review.json go test ./api -run TestTierReviewGradesAFixture
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/onboarding-again.json go test -short ./cmd/kam/app -run TestOnboardingAgainAfterARemoval
//
// The staff handover and an approval run that took a handed-over requester
// (the requester-changed signal, then the new requester's withdrawal) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/staff-handover.json \
//	KAM_RECORD_HISTORY_REQUEST=$PWD/workflows/testdata/discount-handed-over.json \
//	  go test ./api -run TestStaffHandoverMovesAccountsRequestsPlansAndGreetings
//
// and the approvals of SPEC §7 (a deputy's decision on behalf of the GM, then
// the grant's wait under versionRevocableGrant; a grant revoked mid-wait) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/discount-deputy.json go test ./api -run TestDeputyDecidesEscalatedRequestWhileGMAway
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/discount-revoked.json go test ./api -run TestRevokedGrantEndsAndInspectionFlagsLaterSale
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/settlement-reversal.json go test -short ./api -run TestReversalsSteerTheSettlementRun
//
// settlement-reversal-v0.json is the same scenario recorded with the run's
// re-read as it was before versionFollowOnReread (a bounced payment waited
// for the next timer): it replays only because the follow is versioned.
//
// and the aftermath of a standard approval in one activity (versionOneAftermath) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/discount-one-aftermath.json go test ./api -run TestDecisionAnswerIsTheStoredRequest
//
// and a standard approval of a run that took the later versions at its start
// (versionVersionsAtStart) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/discount-versions-at-start.json go test ./api -run TestDecisionAnswerIsTheStoredRequest
//
// (discount-one-aftermath.json was recorded by that test before this version.)
// Its version 2 (an expiry notice due at the grant's start sent by the
// aftermath) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/discount-expiry-with-aftermath.json go test ./api -run TestExpiryDueAtOnceGoesWithTheGrant
//
// and cycle closes made by local activities in the timer's workflow task
// (versionLocalClose; settlement.json and settlement-arrears.json replay the
// activities of before) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/settlement-local-close.json go test ./api -run TestCreditSuspendedAndReinstated
//
// and a reconcile sweep that ends by signalling the settlement runs that
// missed a change (versionNudgeSettlements; reconcile.json is the same sweep
// recorded without that step, as sweeps ran before it) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/reconcile-nudge.json go test -short ./cmd/kam/app -run TestReconcilerReinstatesCreditWhosePaymentSignalWasLost
//
// and the early warning's and reinstatement's notices keyed by the run
// (versionRunKeys; the histories above replay the keys of before) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/settlement-run-keys.json go test ./api -run 'TestCreditSuspendedAndReinstated$'
//
// and a suspension that counts SuspendCredit's answer (versionSuspendAnswers)
// with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/settlement-suspend-answers.json go test ./api -run 'TestCreditSuspendedAndReinstated$'
//
// and a ticket's SLA run that continued as new after ticketTurnsPerRun
// turns of resolve/reopen (versionTicketContinues; the signals that arrived
// while it continued were applied and carried) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/ticket-continue-as-new.json go test ./api -run TestTicketResolveReopenCyclesContinueAsNew
//
// and a visit plan that continued as new in the middle of a visit's wait
// after visitTurnsPerRun cadence signals (versionVisitPlanBounded) with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/visit-plan-continue-as-new.json go test ./api -run TestVisitPlanContinuesAsNewUnderManyCadenceChanges
//
// Every file in testdata/ is such a history.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 12 {
		t.Fatalf("recorded histories: %v (%v)", files, err)
	}
	for _, file := range files {
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
