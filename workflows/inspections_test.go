package workflows

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"kam"
	"kam/activities"
	"kam/i18n"
)

// A scheduled inspection draws its id and seed once, runs, and tells the
// auditors the whole outcome and each manager of accounts with findings the
// findings on their own accounts only (SPEC §2), without the inspection's
// link they may not open.
// Art. 14: discount standards are inspected.
func TestDiscountInspectionScheduled(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	mine, theirs := uuid.New(), uuid.New()
	var ran kam.InspectionRun
	env.OnActivity(a.RunInspection, mock.Anything, mock.Anything).Return(func(_ context.Context, r kam.InspectionRun) (activities.InspectionResult, error) {
		ran = r
		return activities.InspectionResult{Findings: 3, Managers: []uuid.UUID{mine, theirs}, Yours: map[uuid.UUID]int{mine: 1, theirs: 2}}, nil
	})
	var mu sync.Mutex
	sent := map[string]activities.Notice{}
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, got activities.Notice) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		sent[got.EventKey] = got
		return 1, nil
	})
	env.ExecuteWorkflow(DiscountInspection, InspectionInput{SampleSize: 20})
	var res activities.InspectionResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if ran.ID == uuid.Nil || ran.Seed <= 0 || ran.Trigger != "schedule" || ran.SampleSize != 20 || res.Findings != 3 {
		t.Fatalf("ran %+v result %+v", ran, res)
	}
	done := InspectionWorkflowID(ran.ID) + "/done"
	if n := sent[done]; len(n.Roles) != 1 || n.Roles[0] != kam.RoleAuditor || len(n.StaffIDs) != 0 ||
		n.BodyMsg.Key != i18n.InspectionDoneBody || fmt.Sprint(n.BodyMsg.Args[0]) != "3" {
		t.Fatalf("the auditors' notice %+v", n)
	}
	for m, want := range map[uuid.UUID]int{mine: 1, theirs: 2} {
		n := sent[done+"/"+m.String()]
		if len(n.Roles) != 0 || len(n.StaffIDs) != 1 || n.StaffIDs[0] != m || n.BodyMsg.Key != i18n.InspectionYoursBody || fmt.Sprint(n.BodyMsg.Args[0]) != fmt.Sprint(want) {
			t.Fatalf("%s's notice %+v", m, n)
		}
		if body := n.BodyMsg.Render(i18n.En); strings.Contains(body, "/v1/inspections") || strings.Contains(body, "sample") {
			t.Fatalf("%s's notice names the whole inspection: %q", m, body)
		}
	}
	if len(sent) != 3 {
		t.Fatalf("%d notices: %v", len(sent), sent)
	}
}
