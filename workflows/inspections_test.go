package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"kam"
	"kam/activities"
)

// A scheduled inspection draws its id and seed once, runs, and tells the
// auditors and the managers of accounts with findings.
// Art. 14: discount standards are inspected.
func TestDiscountInspectionScheduled(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	manager := uuid.New()
	var ran kam.InspectionRun
	env.OnActivity(a.RunInspection, mock.Anything, mock.Anything).Return(func(_ context.Context, r kam.InspectionRun) (activities.InspectionResult, error) {
		ran = r
		return activities.InspectionResult{Findings: 2, Managers: []uuid.UUID{manager}}, nil
	})
	var n activities.Notice
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, got activities.Notice) (int, error) {
		n = got
		return 2, nil
	})
	env.ExecuteWorkflow(DiscountInspection, InspectionInput{SampleSize: 20})
	var res activities.InspectionResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if ran.ID == uuid.Nil || ran.Seed <= 0 || ran.Trigger != "schedule" || ran.SampleSize != 20 || res.Findings != 2 {
		t.Fatalf("ran %+v result %+v", ran, res)
	}
	if n.Roles[0] != kam.RoleAuditor || len(n.StaffIDs) != 1 || n.StaffIDs[0] != manager || n.EventKey != InspectionWorkflowID(ran.ID)+"/done" {
		t.Fatalf("notice %+v", n)
	}
}
