package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
	"kam/i18n"
)

// TierReviewScheduleID is the Schedule that runs the quarterly tier review.
const TierReviewScheduleID = "tier-review-quarterly"

// DefaultTierReviewCron is when the scheduled review runs (KAM_TIER_REVIEW_CRON):
// 06:00 company time on the first day of each quarter, so that it grades the
// four quarters just closed.
const DefaultTierReviewCron = "0 6 1 1,4,7,10 *"

// TierReviewWorkflowID names one review's run.
func TierReviewWorkflowID(id uuid.UUID) string { return "tier-review/" + id.String() }

// TierReviewInput starts a review. A scheduled one has no id yet, and is
// dated by the run's own clock in Timezone; a requested one carries both.
type TierReviewInput struct {
	ReviewID    uuid.UUID
	Trigger     string
	RequestedBy *uuid.UUID
	AsOf        time.Time // a date; zero: today in Timezone
	Timezone    string
}

// TierReview is Art. 2–3's periodic grading: every active account is graded
// from the last twelve months' sales (revenue and months with a purchase)
// against the tiers' thresholds, and where the grade differs from its tier
// a proposal waits for the KA Department's decision. It changes no account
// itself. The KA managers are told when it is done.
func TierReview(ctx workflow.Context, in TierReviewInput) (activities.TierReviewResult, error) {
	var res activities.TierReviewResult
	if in.ReviewID == uuid.Nil {
		// Drawn once and kept in history, so a replay draws the same.
		if err := workflow.SideEffect(ctx, func(workflow.Context) any { return uuid.New() }).Get(&in.ReviewID); err != nil {
			return res, err
		}
	}
	if in.Trigger == "" {
		in.Trigger = kam.ReviewScheduled
	}
	if in.AsOf.IsZero() {
		loc := zoneOr(in.Timezone)
		now := workflow.Now(ctx).In(loc)
		in.AsOf = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	run := kam.TierReviewRun{ID: in.ReviewID, Trigger: in.Trigger, RequestedBy: in.RequestedBy, AsOf: in.AsOf}
	if err := workflow.ExecuteActivity(withActivity(ctx), act.OpenTierReview, run).Get(ctx, nil); err != nil {
		return res, err
	}
	// One transaction over the whole book: a few attempts, then the review
	// fails (the requester gets 503, the next schedule tries again).
	grade := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5},
	})
	if err := workflow.ExecuteActivity(grade, act.GradeAccounts, in.ReviewID).Get(ctx, &res); err != nil {
		return res, err
	}
	from, to := kam.ReviewPeriod(in.AsOf)
	err := notify(ctx, activities.Notice{
		EventKey: TierReviewWorkflowID(in.ReviewID) + "/done", Kind: "tier_review_done",
		TitleMsg: i18n.M(i18n.TierReviewDoneTitle),
		BodyMsg: i18n.M(i18n.TierReviewDoneBody,
			res.Graded, from.Format(time.DateOnly), to.Format(time.DateOnly), res.Proposals, in.ReviewID.String()),
		Roles: []string{kam.RoleKAManager},
	})
	return res, err
}
