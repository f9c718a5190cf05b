package activities

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"kam"
	"kam/db/store"
)

// ConfirmDiscountRequest tells an approval run that its request row exists.
// The row commits just after the run starts, so "not yet" is retried; a row
// that never appears (its transaction rolled back) ends the run.
func (a *Activities) ConfirmDiscountRequest(ctx context.Context, id uuid.UUID) error {
	_, err := a.Store.GetDiscountRequest(ctx, store.DiscountViewer{}, id)
	if errors.Is(err, kam.ErrNotFound) {
		return temporal.NewApplicationError("discount request not (yet) stored", "request_missing")
	}
	return err
}

// SaveDiscountState persists the run's state (and a decision) for the read model.
func (a *Activities) SaveDiscountState(ctx context.Context, st kam.DiscountState) error {
	return a.Store.SaveDiscountState(ctx, st)
}

// DiscountEvent is a step of the approval persisted for the record: a
// reminder, an escalation, an expiry, a filing.
type DiscountEvent struct {
	RequestID uuid.UUID
	Key       string
	Kind      string
	Detail    string
	Notice    *Notice
}

// RecordDiscountEvent writes the event once, then delivers its notice once.
func (a *Activities) RecordDiscountEvent(ctx context.Context, e DiscountEvent) error {
	if err := a.Store.RecordDiscountEvent(ctx, e.RequestID, e.Key, e.Kind, e.Detail); err != nil {
		return err
	}
	if e.Notice != nil {
		_, err := a.Notify(ctx, *e.Notice)
		return err
	}
	return nil
}

// ApplyGrant makes the approved rate the account's discount standard (Art. 7.8).
func (a *Activities) ApplyGrant(ctx context.Context, requestID, approvedBy uuid.UUID) (uuid.UUID, error) {
	g, err := a.Store.ApplyGrant(ctx, requestID, approvedBy)
	return g.ID, err
}

// FileWithGM files a standard discount with the General Manager (Art. 12).
func (a *Activities) FileWithGM(ctx context.Context, requestID uuid.UUID) (uuid.UUID, error) {
	return a.Store.FileWithGM(ctx, requestID)
}

// EndGrant marks a grant ended at its valid_to.
func (a *Activities) EndGrant(ctx context.Context, requestID uuid.UUID) error {
	return a.Store.EndGrant(ctx, requestID)
}
