package activities

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"kam"
	"kam/db/store"
	"kam/i18n"
)

// ErrHandoverRefused is the error type of a handover step that retrying
// cannot fix: the receiver is no longer an active account manager, or the
// handover has already ended.
const ErrHandoverRefused = "handover_refused"

// ErrHandoverMissing is ConfirmHandover's answer while the handover is not
// stored.
const ErrHandoverMissing = "handover_missing"

// ConfirmHandover tells a handover's run that its row exists. The row
// commits just after the run starts, so "not yet" is retried; a row that
// never appears (its transaction rolled back) ends the run.
func (a *Activities) ConfirmHandover(ctx context.Context, id uuid.UUID) error {
	err := a.Store.HandoverExists(ctx, id)
	if errors.Is(err, kam.ErrNotFound) {
		return temporal.NewApplicationError("staff handover not (yet) stored", ErrHandoverMissing)
	}
	return err
}

// HandoverBatchInput asks for batch Batch (0, 1, …) of a handover.
type HandoverBatchInput struct {
	HandoverID uuid.UUID
	To         uuid.UUID
	Batch      int
	Limit      int
	// VisitLead and Timezone are the visit plans' (KAM_VISIT_LEAD,
	// KAM_TIMEZONE): a planned visit inside its lead window has been
	// announced to the previous manager already.
	VisitLead time.Duration
	Timezone  string
}

// MoveHandoverBatch moves one batch of a handover (store.MoveHandoverBatch:
// accounts with history and register rows, greeting tasks, pending discount
// requests) and tells the new manager what the previous one had already been
// told of: planned visits inside their lead window and open greeting tasks
// (Art. 19, 20). Each notice keeps its event key, so nobody hears of one
// twice, and a retry repeats nothing.
func (a *Activities) MoveHandoverBatch(ctx context.Context, in HandoverBatchInput) (kam.HandoverBatch, error) {
	b, err := a.Store.MoveHandoverBatch(ctx, in.HandoverID, in.Batch, in.Limit)
	var de *kam.Error
	if errors.As(err, &de) && (de.Code == kam.CodeHandoverTarget || de.Code == store.CodeHandoverFinished) {
		return b, temporal.NewNonRetryableApplicationError(refusal(de), ErrHandoverRefused, nil)
	}
	if err != nil {
		return b, err
	}
	return b, a.announceHandedOver(ctx, in, b.Accounts)
}

func (a *Activities) announceHandedOver(ctx context.Context, in HandoverBatchInput, accounts []uuid.UUID) error {
	if len(accounts) == 0 {
		return nil
	}
	visits, greetings, err := a.Store.HandoverFollowUps(ctx, accounts)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(in.Timezone)
	if err != nil {
		loc = time.UTC
	}
	to := []uuid.UUID{in.To}
	for _, v := range visits {
		if v.DueAt == nil || v.DueAt.Add(-in.VisitLead).After(time.Now()) {
			continue // the plan tells whoever manages the account then
		}
		if _, err := a.Store.Deliver(ctx, to, store.Notification{EventKey: VisitNoticeKey(v.CustomerID, *v.DueAt, "lead"), Kind: "visit_due",
			Render:     Notice{TitleMsg: i18n.M(i18n.VisitDueTitle), BodyMsg: i18n.M(i18n.VisitDueHandedOverBody, i18n.At(v.DueAt.In(loc)))}.Words,
			CustomerID: &v.CustomerID}); err != nil {
			return err
		}
	}
	for _, g := range greetings {
		if _, err := a.Store.Deliver(ctx, to, greetingNotice(g)); err != nil {
			return err
		}
	}
	return nil
}

// refusal is the message of a refused batch, which the run records as the
// handover's reason (workflows.StaffHandover): it leads with the refusal's
// code, so that the notice can say why in the requester's locale
// (reasonWords) while the record keeps the English words.
func refusal(e *kam.Error) string { return e.Code + ": " + e.Message }

// reasonWords is why h stopped, in words for any locale; a reason that
// names no code it knows (recorded before reasons led with one) reads as it
// is.
func reasonWords(h kam.Handover) i18n.Message {
	code, _, ok := strings.Cut(h.Reason, ": ")
	switch {
	case ok && code == kam.CodeHandoverTarget:
		return i18n.M(i18n.HandoverReceiverGone, h.ToStaffID.String())
	case ok && i18n.Has(i18n.ProblemKey(code)):
		return i18n.M(i18n.ProblemKey(code))
	}
	return i18n.Message{Key: i18n.Key(h.Reason)}
}

// HandoverEnd ends a handover: done, or failed with why.
type HandoverEnd struct {
	HandoverID uuid.UUID
	Status     string
	Reason     string
}

// FinishHandover records a handover's end and tells the receiver and
// whoever asked for it.
func (a *Activities) FinishHandover(ctx context.Context, e HandoverEnd) (kam.Handover, error) {
	h, err := a.Store.FinishHandover(ctx, e.HandoverID, e.Status, e.Reason)
	if err != nil {
		return h, err
	}
	key := "staff-handover/" + h.ID.String()
	moved := []any{h.AccountsMoved, h.RequestsMoved, h.GreetingsMoved}
	if h.Status == kam.HandoverFailed {
		_, err = a.Notify(ctx, Notice{EventKey: key + "/failed", Kind: "handover_failed", TitleMsg: i18n.M(i18n.HandoverFailedTitle),
			BodyMsg: i18n.M(i18n.HandoverFailedBody, append([]any{reasonWords(h)}, moved...)...), StaffIDs: []uuid.UUID{h.RequestedBy}})
		return h, err
	}
	if _, err := a.Notify(ctx, Notice{EventKey: key + "/received", Kind: "handover_received", TitleMsg: i18n.M(i18n.HandoverReceivedTitle),
		BodyMsg: i18n.M(i18n.HandoverReceivedBody, moved...), StaffIDs: []uuid.UUID{h.ToStaffID}}); err != nil {
		return h, err
	}
	_, err = a.Notify(ctx, Notice{EventKey: key + "/done", Kind: "handover_done", TitleMsg: i18n.M(i18n.HandoverDoneTitle),
		BodyMsg: i18n.M(i18n.HandoverDoneBody, append(moved, h.ToStaffID.String())...), StaffIDs: []uuid.UUID{h.RequestedBy}})
	return h, err
}
