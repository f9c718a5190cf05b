package activities

import (
	"context"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// InspectionResult is what an inspection found, and whom to tell.
type InspectionResult struct {
	Findings int
	Managers []uuid.UUID
}

// RunInspection carries out a discount inspection (Art. 14); idempotent per inspection.
func (a *Activities) RunInspection(ctx context.Context, r kam.InspectionRun) (InspectionResult, error) {
	if _, err := a.Store.Inspect(ctx, r); err != nil {
		return InspectionResult{}, err
	}
	findings, err := a.Store.Q().ListFindings(ctx, r.ID)
	if err != nil {
		return InspectionResult{}, store.Interpret(err)
	}
	managers, err := a.Store.Q().FindingManagers(ctx, r.ID)
	if err != nil {
		return InspectionResult{}, store.Interpret(err)
	}
	out := InspectionResult{Findings: len(findings), Managers: []uuid.UUID{}}
	for _, m := range managers {
		if m != nil {
			out.Managers = append(out.Managers, *m)
		}
	}
	return out, nil
}
