package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"kam"
	"kam/activities"
	"kam/i18n"
)

type tierReviewRecorder struct {
	opened  kam.TierReviewRun
	graded  uuid.UUID
	notices []activities.Notice
}

func tierReviewEnv(t *testing.T, rec *tierReviewRecorder, gradeErr error) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	env.OnActivity(a.OpenTierReview, mock.Anything, mock.Anything).Return(func(_ context.Context, r kam.TierReviewRun) error {
		rec.opened = r
		return nil
	})
	env.OnActivity(a.GradeAccounts, mock.Anything, mock.Anything).Return(func(_ context.Context, id uuid.UUID) (activities.TierReviewResult, error) {
		rec.graded = id
		return activities.TierReviewResult{Graded: 40, Proposals: 3}, gradeErr
	})
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notice) (int, error) {
		rec.notices = append(rec.notices, n)
		return 1, nil
	})
	return env
}

// A scheduled review draws its id once and dates itself by the run's clock
// in the company's time zone: 20:00 UTC on 31 March is 1 April in Shanghai,
// so it grades April 2025 to March 2026. The KA managers are told.
// Art. 2, 3: key accounts are graded periodically by volume and stability.
func TestTierReviewScheduledDatesItselfInCompanyTime(t *testing.T) {
	rec := &tierReviewRecorder{}
	env := tierReviewEnv(t, rec, nil)
	env.SetStartTime(time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC))
	env.ExecuteWorkflow(TierReview, TierReviewInput{Trigger: kam.ReviewScheduled, Timezone: "Asia/Shanghai"})
	var res activities.TierReviewResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	o := rec.opened
	if o.ID == uuid.Nil || o.Trigger != kam.ReviewScheduled || o.RequestedBy != nil || !o.AsOf.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("opened %+v", o)
	}
	if rec.graded != o.ID || res.Graded != 40 || res.Proposals != 3 {
		t.Fatalf("graded %s, result %+v", rec.graded, res)
	}
	if len(rec.notices) != 1 {
		t.Fatalf("%d notices", len(rec.notices))
	}
	n := rec.notices[0]
	if n.EventKey != TierReviewWorkflowID(o.ID)+"/done" || len(n.Roles) != 1 || n.Roles[0] != kam.RoleKAManager || n.Kind != "tier_review_done" {
		t.Fatalf("notice %+v", n)
	}
	// The workflow names the words; the activity renders them per recipient.
	if _, body := n.Words(i18n.En); !strings.HasPrefix(body, "40 active account(s) graded on 2025-04-01 to 2026-03-31; 3 proposals await") {
		t.Fatalf("notice body %q", body)
	}
	if _, body := n.Words(i18n.ZhCN); !strings.HasPrefix(body, "已对 40 个在用客户按 2025-04-01 至 2026-03-31 评级；3 项调整建议") {
		t.Fatalf("notice body in zh-CN %q", body)
	}
}

// A requested review keeps the id, the requester and the date it was given.
func TestTierReviewRequestedKeepsItsDate(t *testing.T) {
	rec := &tierReviewRecorder{}
	env := tierReviewEnv(t, rec, nil)
	id, by := uuid.New(), uuid.New()
	asOf := time.Date(2025, 7, 15, 0, 0, 0, 0, time.UTC)
	env.ExecuteWorkflow(TierReview, TierReviewInput{ReviewID: id, Trigger: kam.ReviewManual, RequestedBy: &by, AsOf: asOf, Timezone: "UTC"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	o := rec.opened
	if o.ID != id || o.Trigger != kam.ReviewManual || o.RequestedBy == nil || *o.RequestedBy != by || !o.AsOf.Equal(asOf) || rec.graded != id {
		t.Fatalf("opened %+v graded %s", o, rec.graded)
	}
}

// Grading that keeps failing fails the run, and nobody is told of a review
// that did not finish.
func TestTierReviewGradingFailsWithoutNotice(t *testing.T) {
	rec := &tierReviewRecorder{}
	env := tierReviewEnv(t, rec, errors.New("postgres is gone"))
	env.SetStartTime(time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC))
	env.ExecuteWorkflow(TierReview, TierReviewInput{ReviewID: uuid.New(), Trigger: kam.ReviewManual, AsOf: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err := env.GetWorkflowError(); err == nil {
		t.Fatal("the run succeeded without grading")
	}
	if len(rec.notices) != 0 {
		t.Fatalf("told %+v", rec.notices)
	}
}
