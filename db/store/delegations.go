package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
	"kam/i18n"
)

func delegationOf(d dbq.Delegation) kam.Delegation {
	return kam.Delegation{ID: d.ID, FromStaffID: d.FromStaffID, ToStaffID: d.ToStaffID, StartsAt: d.StartsAt, EndsAt: d.EndsAt,
		Reason: d.Reason, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt, EndedAt: d.EndedAt, EndedBy: d.EndedBy, Version: d.Version}
}

// CreateDelegation records a delegation of approvals (SPEC §7). Both people
// are held (FOR SHARE) until it commits, so neither is deactivated or moved
// out of a deciding role meanwhile: the delegator must decide approvals, and
// the deputy must be active and decide approvals too (a deputy acts within
// their own sight of discount data, Art. 11).
func (s *Store) CreateDelegation(ctx context.Context, in kam.DelegationInput) (kam.Delegation, error) {
	now := time.Now()
	in.FromNow(now)
	if err := in.Check(now); err != nil {
		return kam.Delegation{}, err
	}
	var out kam.Delegation
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		from, err := q.ShareLockStaff(ctx, in.From)
		if errors.Is(interpret(err), kam.ErrNotFound) {
			return kam.Invalid("from_staff_id", "no such staff member")
		} else if err != nil {
			return err
		}
		if !kam.DecidesApprovals(from.Role) {
			return kam.Invalid("from_staff_id", "a %s decides no approvals to delegate", from.Role)
		}
		// Deactivating ends a delegator's delegations; one made while they
		// are inactive would come back into force when they are reactivated.
		if !from.Active {
			return kam.Invalid("from_staff_id", "the delegator is not active staff")
		}
		to, err := q.ShareLockStaff(ctx, in.To)
		switch {
		case errors.Is(interpret(err), kam.ErrNotFound):
			return kam.Invalid("to_staff_id", "no such staff member")
		case err != nil:
			return err
		case !to.Active:
			return kam.Invalid("to_staff_id", "the deputy is not active staff")
		case !kam.DecidesApprovals(to.Role):
			return kam.Invalid("to_staff_id", "a deputy decides approvals: a ka_manager or general_manager, not a %s", to.Role)
		}
		d, err := q.CreateDelegation(ctx, dbq.CreateDelegationParams{ID: NewID(), FromStaffID: in.From, ToStaffID: in.To,
			StartsAt: in.StartsAt, EndsAt: in.EndsAt, Reason: in.Reason, CreatedBy: in.CreatedBy})
		if err != nil {
			return err
		}
		out = delegationOf(d)
		// The deputy learns what now waits on them, and a delegator for
		// whom the admin made it learns it was made, with the delegation
		// itself or not at all.
		told := []uuid.UUID{in.To}
		if in.CreatedBy != in.From {
			told = append(told, in.From)
		}
		reason := d.Reason
		if reason == "" {
			reason = "—"
		}
		body := i18n.M(i18n.DelegationBody, from.Name, to.Name, i18n.At(d.StartsAt.In(s.zoneOrUTC())), i18n.At(d.EndsAt.In(s.zoneOrUTC())), reason)
		_, err = s.deliver(ctx, q, told, Notification{EventKey: "delegation/" + d.ID.String(), Kind: "delegation",
			Render: func(locale string) (string, string) {
				return i18n.M(i18n.DelegationTitle).Render(locale), body.Render(locale)
			}})
		return err
	})
	return out, err
}

// GetDelegation reads one delegation; an unknown id is kam.ErrNotFound.
func (s *Store) GetDelegation(ctx context.Context, id uuid.UUID) (kam.Delegation, error) {
	d, err := s.q.GetDelegation(ctx, id)
	return delegationOf(d), interpret(err)
}

// ListDelegations reads a page of delegations, newest first.
func (s *Store) ListDelegations(ctx context.Context, f kam.DelegationFilter) ([]kam.Delegation, error) {
	rows, err := s.q.ListDelegations(ctx, dbq.ListDelegationsParams{PartyID: f.Party, InForce: f.InForce, Before: f.Before, Lim: f.Lim})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, delegationOf), nil
}

// EndDelegation ends a delegation at once: from now its deputy decides
// nothing more for the delegator, whatever is pending. One already over
// (ended early, or past its end) is a conflict (delegation_ended); an
// unknown one kam.ErrNotFound.
func (s *Store) EndDelegation(ctx context.Context, id, by uuid.UUID) (kam.Delegation, error) {
	d, err := s.q.EndDelegation(ctx, dbq.EndDelegationParams{ID: id, EndedBy: &by})
	if err == nil {
		return delegationOf(d), nil
	}
	if !errors.Is(interpret(err), kam.ErrNotFound) {
		return kam.Delegation{}, interpret(err)
	}
	if _, err := s.q.GetDelegation(ctx, id); err != nil {
		return kam.Delegation{}, interpret(err)
	}
	return kam.Delegation{}, kam.Conflict("delegation_ended", "this delegation is already over")
}

// DeputyshipsOf lists the delegations a deputy holds now, each with its
// delegator's role, earliest first. A delegator no longer active delegates
// nothing.
func (s *Store) DeputyshipsOf(ctx context.Context, deputy uuid.UUID) ([]kam.Deputyship, error) {
	rows, err := s.q.DelegationsInForceTo(ctx, deputy)
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.DelegationsInForceToRow) kam.Deputyship {
		return kam.Deputyship{ID: r.ID, From: r.FromStaffID, FromRole: r.FromRole, StartsAt: r.StartsAt, EndsAt: r.EndsAt}
	}), nil
}
