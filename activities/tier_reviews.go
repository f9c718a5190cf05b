package activities

import (
	"context"

	"github.com/google/uuid"

	"kam"
)

// TierReviewResult is what a review found: how many active accounts it
// graded, and how many of them it proposes to move.
type TierReviewResult struct {
	Graded    int32
	Proposals int32
}

// OpenTierReview records that a tier review started (Art. 2, 3); idempotent
// per review.
func (a *Activities) OpenTierReview(ctx context.Context, r kam.TierReviewRun) error {
	return a.Store.OpenTierReview(ctx, r)
}

// GradeAccounts grades every active account of the review and records the
// proposals; a review already graded is answered as it stands.
func (a *Activities) GradeAccounts(ctx context.Context, reviewID uuid.UUID) (TierReviewResult, error) {
	r, err := a.Store.GradeTierReview(ctx, reviewID)
	if err != nil {
		return TierReviewResult{}, err
	}
	return TierReviewResult{Graded: r.Graded, Proposals: r.Proposals}, nil
}
