package store

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kam"
	"kam/db/internal/dbq"
)

func tierOf(t dbq.Tier) kam.Tier {
	return kam.Tier{Code: t.Code, Name: t.Name, Rank: t.Rank, VisitCadence: t.VisitCadence,
		TicketResponseWithin: t.TicketResponseWithin, TicketResolveWithin: t.TicketResolveWithin,
		GreetingOccasions: t.GreetingOccasions, Gift: t.Gift, MinAnnualRevenue: t.MinAnnualRevenue,
		MinActiveMonths: t.MinActiveMonths, UpdatedAt: t.UpdatedAt, Version: t.Version}
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

// PutTier creates a missing tier (its rank is then required) or changes an
// existing one, and writes one history row per changed field in the same
// transaction: who, when, old and new (SPEC §7). created tells which; changed
// lists the fields that changed (all of them for a new tier). A rank another
// tier holds is 409 duplicate_rank.
func (s *Store) PutTier(ctx context.Context, c kam.TierChange, by uuid.UUID) (t kam.Tier, created bool, changed []string, err error) {
	err = s.inTx(ctx, func(q *dbq.Queries) error {
		old, err := q.LockTier(ctx, c.Code)
		var prev *dbq.Tier
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if c.Rank == nil {
				return kam.Invalid("rank", "rank is required to create tier %s", c.Code)
			}
			created = true
		case err != nil:
			return err
		default:
			prev = &old
		}
		next := changedTier(old, c)
		changes := tierChanges(prev, next)
		if len(changes) == 0 {
			t = tierOf(old)
			return nil
		}
		saved, err := saveTier(ctx, q, next, created)
		if err != nil {
			return err
		}
		for _, ch := range changes {
			if err := q.InsertTierHistory(ctx, dbq.InsertTierHistoryParams{Tier: c.Code, StaffID: &by, Field: ch.Field, OldValue: ch.Old, NewValue: ch.New}); err != nil {
				return err
			}
			changed = append(changed, ch.Field)
		}
		t = tierOf(saved)
		return nil
	})
	return t, created, changed, err
}

// changedTier is old with c applied: the policy fields always, the rank and
// the Art. 2 thresholds when given.
func changedTier(old dbq.Tier, c kam.TierChange) dbq.Tier {
	next := old
	next.Code, next.Name, next.VisitCadence = c.Code, c.Name, c.VisitCadence
	next.TicketResponseWithin, next.TicketResolveWithin = c.TicketResponseWithin, c.TicketResolveWithin
	next.GreetingOccasions, next.Gift = c.GreetingOccasions, c.Gift
	if c.Rank != nil {
		next.Rank = *c.Rank
	}
	if c.MinAnnualRevenue != nil {
		next.MinAnnualRevenue = *c.MinAnnualRevenue
	}
	if c.MinActiveMonths != nil {
		next.MinActiveMonths = *c.MinActiveMonths
	}
	return next
}

func saveTier(ctx context.Context, q *dbq.Queries, t dbq.Tier, create bool) (dbq.Tier, error) {
	if create {
		return q.CreateTier(ctx, dbq.CreateTierParams{Code: t.Code, Name: t.Name, Rank: t.Rank, VisitCadence: t.VisitCadence,
			TicketResponseWithin: t.TicketResponseWithin, TicketResolveWithin: t.TicketResolveWithin,
			GreetingOccasions: t.GreetingOccasions, Gift: t.Gift, MinAnnualRevenue: t.MinAnnualRevenue, MinActiveMonths: t.MinActiveMonths})
	}
	return q.UpdateTier(ctx, dbq.UpdateTierParams{Code: t.Code, Name: t.Name, Rank: t.Rank, VisitCadence: t.VisitCadence,
		TicketResponseWithin: t.TicketResponseWithin, TicketResolveWithin: t.TicketResolveWithin,
		GreetingOccasions: t.GreetingOccasions, Gift: t.Gift, MinAnnualRevenue: t.MinAnnualRevenue, MinActiveMonths: t.MinActiveMonths})
}

// tierFields are a tier's fields as its history shows them, in the order
// of the API. Greeting occasions compare as a set.
func tierFields(t dbq.Tier) [][2]string {
	occasions := slices.Clone(t.GreetingOccasions)
	slices.Sort(occasions)
	return [][2]string{
		{"name", t.Name}, {"rank", strconv.Itoa(int(t.Rank))}, {"visit_cadence", t.VisitCadence},
		{"ticket_response_within", t.TicketResponseWithin}, {"ticket_resolve_within", t.TicketResolveWithin},
		{"greeting_occasions", strings.Join(occasions, ",")}, {"gift", strconv.FormatBool(t.Gift)},
		{"min_annual_revenue", t.MinAnnualRevenue.StringFixed(2)}, {"min_active_months", strconv.Itoa(int(t.MinActiveMonths))},
	}
}

// tierChanges lists what changed from prev to next; every field of a new
// tier (prev nil) is new, with no old value.
func tierChanges(prev *dbq.Tier, next dbq.Tier) []Change {
	var before [][2]string
	if prev != nil {
		before = tierFields(*prev)
	}
	return fieldChanges(before, tierFields(next))
}

// fieldChanges lists the fields whose text differs between before and after
// (the same fields in the same order), as a history shows them; with no
// before, every field is new.
func fieldChanges(before, after [][2]string) []Change {
	var out []Change
	for i, f := range after {
		v := f[1]
		if before == nil {
			out = append(out, Change{Field: f[0], New: &v})
		} else if old := before[i][1]; old != v {
			out = append(out, Change{Field: f[0], Old: &old, New: &v})
		}
	}
	return out
}

// TierHistory lists up to lim changes of a tier, oldest first, after the
// given history id when there is one; an unknown tier is kam.ErrNotFound.
func (s *Store) TierHistory(ctx context.Context, code string, after *int64, lim int32) ([]kam.TierHistoryEntry, error) {
	if _, err := s.q.GetTier(ctx, code); err != nil {
		return nil, interpret(err)
	}
	rows, err := s.q.ListTierHistory(ctx, dbq.ListTierHistoryParams{Tier: code, After: after, Lim: lim})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.TierHistoryEntry, 0, len(rows))
	for _, h := range rows {
		out = append(out, kam.TierHistoryEntry{ID: h.ID, Tier: h.Tier, StaffID: h.StaffID, StaffName: h.StaffName,
			At: h.At, Field: h.Field, OldValue: h.OldValue, NewValue: h.NewValue})
	}
	return out, nil
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
			HardCapRate: p.HardCapRate, Methods: p.Methods, UpdatedAt: p.UpdatedAt, Version: p.Version})
	}
	return out, nil
}
