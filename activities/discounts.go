package activities

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"kam"
	"kam/db/store"
	"kam/i18n"
)

// ErrRequestMissing is ConfirmDiscountRequest's answer while the request is
// not stored.
const ErrRequestMissing = "request_missing"

// ConfirmDiscountRequest tells an approval run that its request row exists.
// The row commits just after the run starts, so "not yet" is retried; a row
// that never appears (its transaction rolled back) ends the run.
func (a *Activities) ConfirmDiscountRequest(ctx context.Context, id uuid.UUID) error {
	_, err := a.Store.GetDiscountRequest(ctx, store.DiscountViewer{}, id)
	if errors.Is(err, kam.ErrNotFound) {
		return temporal.NewApplicationError("discount request not (yet) stored", ErrRequestMissing)
	}
	return err
}

// SaveDiscountState persists the run's state (and a decision) for the read
// model, and answers the request's version after it.
func (a *Activities) SaveDiscountState(ctx context.Context, st kam.DiscountState) (int32, error) {
	return a.Store.SaveDiscountState(asProcess(ctx), st)
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

// RecordDiscountEvent writes the event and delivers its notice, each once,
// in one transaction.
func (a *Activities) RecordDiscountEvent(ctx context.Context, e DiscountEvent) error {
	notice, err := a.optionalDelivery(ctx, e.Notice)
	if err != nil {
		return err
	}
	return a.Store.RecordDiscountEvent(ctx, e.RequestID, e.Key, e.Kind, e.detail(), notice)
}

func (e DiscountEvent) detail() string { return eventDetail(e.Detail, e.Notice) }

// eventDetail is an event's record: English (a record, not a notice), its
// notice's body unless the event carries a detail already (as a history from
// before the catalogs does).
func eventDetail(detail string, n *Notice) string {
	if detail == "" && n != nil {
		_, detail = n.Words(i18n.En)
	}
	return detail
}

// Aftermath is what an approval run does once its request has closed and
// the decision has been answered, in one activity instead of one per step:
// the events and notices queued so far, then, for an approval, the grant,
// the filing with the GM when File, and the events after them. Every step
// is idempotent (the grant and the filing once per request, an event and
// its notice once per key), so a retry repeats none of them.
type Aftermath struct {
	RequestID uuid.UUID
	Before    []DiscountEvent
	// Grant: the request was approved by ApprovedBy.
	Grant      bool
	ApprovedBy uuid.UUID
	File       bool
	After      []DiscountEvent
}

// AftermathDone is what the aftermath made.
type AftermathDone struct {
	GrantID, FilingID *uuid.UUID
}

// CarryOutDiscount runs an Aftermath: it resolves the notices' recipients
// (reads), then writes the events, their notices, the grant and the filing
// in one transaction (Store.CarryOutDiscount), one commit where a step per
// transaction made eight for a standard approval.
func (a *Activities) CarryOutDiscount(ctx context.Context, m Aftermath) (AftermathDone, error) {
	w := store.DiscountAftermath{RequestID: m.RequestID, Grant: m.Grant, ApprovedBy: m.ApprovedBy, File: m.File}
	var err error
	if w.Before, err = a.eventWrites(ctx, m.Before); err != nil {
		return AftermathDone{}, err
	}
	if m.Grant {
		if w.After, err = a.eventWrites(ctx, m.After); err != nil {
			return AftermathDone{}, err
		}
	}
	g, f, err := a.Store.CarryOutDiscount(ctx, w)
	return AftermathDone{GrantID: g, FilingID: f}, err
}

func (a *Activities) eventWrites(ctx context.Context, events []DiscountEvent) ([]store.DiscountEventWrite, error) {
	out := make([]store.DiscountEventWrite, 0, len(events))
	for _, e := range events {
		d, err := a.optionalDelivery(ctx, e.Notice)
		if err != nil {
			return nil, err
		}
		out = append(out, store.DiscountEventWrite{Key: e.Key, Kind: e.Kind, Detail: e.detail(), Delivery: d})
	}
	return out, nil
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
	return a.Store.EndGrant(asProcess(ctx), requestID)
}

// RegisterEntry is an access-register entry an activity writes inside its
// own transaction for the API request that caused it (Art. 9).
type RegisterEntry = store.Access

// GrantRevocation ends a grant before its valid_to (SPEC §7).
type GrantRevocation struct {
	RequestID uuid.UUID
	By        uuid.UUID
	Reason    string
	// Timezone is the company's (KAM_TIMEZONE): the revocation's day there is
	// the last day the grant covers a sale.
	Timezone string
	// Register is the revoking request's register entry, written in the
	// revocation's transaction.
	Register *RegisterEntry
}

// RevokeGrant ends the request's grant now and files the revocation with the
// General Manager; it returns the filing's id. A grant that has already
// ended is refused for good (grant_ended), not retried.
func (a *Activities) RevokeGrant(ctx context.Context, r GrantRevocation) (uuid.UUID, error) {
	loc, err := time.LoadLocation(r.Timezone)
	if err != nil {
		loc = time.UTC
	}
	if r.Register != nil {
		ctx = store.WithAccess(ctx, *r.Register)
	}
	f, err := a.Store.RevokeGrant(ctx, kam.GrantRevocation{RequestID: r.RequestID, By: r.By, Reason: r.Reason, On: kam.RevokedOn(time.Now(), loc)})
	var de *kam.Error
	if errors.As(err, &de) && de.Kind == kam.KindConflict {
		return uuid.Nil, temporal.NewNonRetryableApplicationError(de.Message, de.Code, nil)
	}
	return f.ID, err
}
