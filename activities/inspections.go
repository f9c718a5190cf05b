package activities

import (
	"context"

	"github.com/google/uuid"

	"kam"
)

// InspectionResult is what an inspection found, and whom to tell.
type InspectionResult struct {
	Findings int
	Managers []uuid.UUID
	// Yours counts the findings on each manager's own accounts (a result
	// recorded before it was added has none).
	Yours map[uuid.UUID]int `json:",omitempty"`
}

// RunInspection carries out a discount inspection (Art. 14); idempotent per inspection.
func (a *Activities) RunInspection(ctx context.Context, r kam.InspectionRun) (InspectionResult, error) {
	if _, err := a.Store.Inspect(ctx, r); err != nil {
		return InspectionResult{}, err
	}
	findings, managers, err := a.Store.InspectionOutcome(ctx, r.ID)
	if err != nil {
		return InspectionResult{}, err
	}
	yours, err := a.Store.FindingsByManager(ctx, r.ID)
	if err != nil {
		return InspectionResult{}, err
	}
	return InspectionResult{Findings: findings, Managers: managers, Yours: yours}, nil
}
