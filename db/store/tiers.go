package store

import (
	"context"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

func tierOf(t dbq.Tier) kam.Tier {
	return kam.Tier{Code: t.Code, Name: t.Name, Rank: t.Rank, VisitCadence: t.VisitCadence,
		TicketResponseWithin: t.TicketResponseWithin, TicketResolveWithin: t.TicketResolveWithin,
		GreetingOccasions: t.GreetingOccasions, Gift: t.Gift, UpdatedAt: t.UpdatedAt}
}

// ListTiers lists up to lim tiers by rank then code, resuming after key when
// it is given.
func (s *Store) ListTiers(ctx context.Context, after *kam.TierKey, lim int32) ([]kam.Tier, error) {
	arg := dbq.ListTiersParams{Lim: lim}
	if after != nil {
		arg.AfterRank, arg.AfterCode = &after.Rank, &after.Code
	}
	rows, err := s.q.ListTiers(ctx, arg)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Tier, 0, len(rows))
	for _, t := range rows {
		out = append(out, tierOf(t))
	}
	return out, nil
}

// GetTier reads one tier; an unknown code is kam.ErrNotFound.
func (s *Store) GetTier(ctx context.Context, code string) (kam.Tier, error) {
	t, err := s.q.GetTier(ctx, code)
	if err != nil {
		return kam.Tier{}, interpret(err)
	}
	return tierOf(t), nil
}

// UpdateTier replaces a tier's service policy; an unknown code is
// kam.ErrNotFound.
func (s *Store) UpdateTier(ctx context.Context, c kam.TierChange) (kam.Tier, error) {
	t, err := s.q.UpdateTier(ctx, dbq.UpdateTierParams{Code: c.Code, Name: c.Name, VisitCadence: c.VisitCadence,
		TicketResponseWithin: c.TicketResponseWithin, TicketResolveWithin: c.TicketResolveWithin,
		GreetingOccasions: c.GreetingOccasions, Gift: c.Gift})
	if err != nil {
		return kam.Tier{}, interpret(err)
	}
	return tierOf(t), nil
}

// CustomersInTier lists up to lim customer ids of a tier in id order, after
// the given id when there is one.
func (s *Store) CustomersInTier(ctx context.Context, tier string, after *uuid.UUID, lim int32) ([]uuid.UUID, error) {
	ids, err := s.q.CustomersInTier(ctx, dbq.CustomersInTierParams{Tier: tier, After: after, Lim: lim})
	return ids, interpret(err)
}

// ListDiscountPolicies lists up to lim discount policies by tier then product
// category, resuming after key when it is given (Art. 11, 12).
func (s *Store) ListDiscountPolicies(ctx context.Context, after *kam.PolicyKey, lim int32) ([]kam.DiscountPolicy, error) {
	arg := dbq.ListDiscountPoliciesParams{Lim: lim}
	if after != nil {
		arg.AfterTier, arg.AfterCategory = &after.Tier, &after.ProductCategory
	}
	rows, err := s.q.ListDiscountPolicies(ctx, arg)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.DiscountPolicy, 0, len(rows))
	for _, p := range rows {
		out = append(out, kam.DiscountPolicy{Tier: p.Tier, ProductCategory: p.ProductCategory, MaxStandardRate: p.MaxStandardRate,
			HardCapRate: p.HardCapRate, Methods: p.Methods, UpdatedAt: p.UpdatedAt})
	}
	return out, nil
}
