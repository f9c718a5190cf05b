package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// OpenTierReview records that a review started (status running). Opening
// the same review again changes nothing.
func (s *Store) OpenTierReview(ctx context.Context, r kam.TierReviewRun) error {
	from, to := kam.ReviewPeriod(r.AsOf)
	_, err := s.q.OpenTierReview(ctx, dbq.OpenTierReviewParams{ID: r.ID, Trigger: r.Trigger, RequestedBy: r.RequestedBy,
		AsOf: r.AsOf, PeriodFrom: from, PeriodTo: to})
	return interpret(err)
}

// GradeTierReview grades every active account over the review's period
// against today's tiers (kam.Proposals) and records the proposals and the
// end of the review in one transaction; a review already done is left as it
// is. It answers the review as recorded.
func (s *Store) GradeTierReview(ctx context.Context, id uuid.UUID) (kam.TierReview, error) {
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		r, err := q.LockTierReview(ctx, id)
		if err != nil || r.Status == kam.ReviewDone {
			return err
		}
		tiers, err := q.AllTiers(ctx)
		if err != nil {
			return err
		}
		facts, err := q.GradeFacts(ctx, dbq.GradeFactsParams{PeriodFrom: r.PeriodFrom, PeriodTo: r.PeriodTo})
		if err != nil {
			return err
		}
		if err := insertProposals(ctx, q, id, kam.Proposals(tiersOf(tiers), gradesOf(facts))); err != nil {
			return err
		}
		_, err = q.FinishTierReview(ctx, dbq.FinishTierReviewParams{ID: id, Graded: int32(len(facts))})
		return err
	})
	if err != nil {
		return kam.TierReview{}, err
	}
	return s.GetTierReview(ctx, id)
}

func tiersOf(rows []dbq.Tier) []kam.Tier {
	out := make([]kam.Tier, len(rows))
	for i, t := range rows {
		out[i] = tierOf(t)
	}
	return out
}

func gradesOf(rows []dbq.GradeFactsRow) []kam.AccountGrade {
	out := make([]kam.AccountGrade, len(rows))
	for i, f := range rows {
		out[i] = kam.AccountGrade{CustomerID: f.CustomerID, Tier: f.Tier, Revenue12m: f.Revenue, ActiveMonths: f.ActiveMonths}
	}
	return out
}

// proposalBatch bounds one insert's arrays.
const proposalBatch = 5000

func insertProposals(ctx context.Context, q *dbq.Queries, review uuid.UUID, ps []kam.TierProposal) error {
	for len(ps) > 0 {
		n := min(len(ps), proposalBatch)
		arg := dbq.InsertTierProposalsParams{ReviewID: review}
		for _, p := range ps[:n] {
			to := ""
			if p.To != nil {
				to = *p.To
			}
			arg.CustomerIds = append(arg.CustomerIds, p.CustomerID)
			arg.FromTiers = append(arg.FromTiers, p.From)
			arg.ToTiers = append(arg.ToTiers, to)
			arg.Revenues = append(arg.Revenues, p.Revenue12m.String())
			arg.Months = append(arg.Months, p.ActiveMonths)
		}
		if err := q.InsertTierProposals(ctx, arg); err != nil {
			return err
		}
		ps = ps[n:]
	}
	return nil
}

// GetTierReview reads one review with its proposal counts; an unknown id is
// kam.ErrNotFound.
func (s *Store) GetTierReview(ctx context.Context, id uuid.UUID) (kam.TierReview, error) {
	r, err := s.q.GetTierReview(ctx, id)
	if err != nil {
		return kam.TierReview{}, interpret(err)
	}
	return kam.TierReview{ID: r.ID, Trigger: r.Trigger, RequestedBy: r.RequestedBy, AsOf: r.AsOf, PeriodFrom: r.PeriodFrom,
		PeriodTo: r.PeriodTo, Status: r.Status, Graded: r.Graded, Proposals: r.Proposals, Pending: r.Pending,
		CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt, Version: r.Version}, nil
}

// ListTierReviews lists up to lim reviews, newest first, after key when it
// is given.
func (s *Store) ListTierReviews(ctx context.Context, after *kam.TierReviewKey, lim int32) ([]kam.TierReview, error) {
	arg := dbq.ListTierReviewsParams{Lim: lim}
	if after != nil {
		arg.AfterAt, arg.AfterID = &after.CreatedAt, &after.ID
	}
	rows, err := s.q.ListTierReviews(ctx, arg)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.TierReview, len(rows))
	for i, r := range rows {
		out[i] = kam.TierReview{ID: r.ID, Trigger: r.Trigger, RequestedBy: r.RequestedBy, AsOf: r.AsOf, PeriodFrom: r.PeriodFrom,
			PeriodTo: r.PeriodTo, Status: r.Status, Graded: r.Graded, Proposals: r.Proposals, Pending: r.Pending,
			CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt, Version: r.Version}
	}
	return out, nil
}

// ListTierProposals pages a review's proposals by account id.
func (s *Store) ListTierProposals(ctx context.Context, pq kam.ProposalQuery) ([]kam.TierProposal, error) {
	rows, err := s.q.ListTierProposals(ctx, dbq.ListTierProposalsParams{ReviewID: pq.ReviewID, Decision: pq.Decision, After: pq.After, Lim: pq.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.TierProposal, len(rows))
	for i, p := range rows {
		out[i] = proposalOf(p)
	}
	return out, nil
}

func proposalOf(p dbq.TierReviewProposal) kam.TierProposal {
	return kam.TierProposal{ReviewID: p.ReviewID, CustomerID: p.CustomerID, From: p.FromTier, To: p.ToTier,
		Revenue12m: p.Revenue12m, ActiveMonths: p.ActiveMonths, Decision: p.Decision, DecidedBy: p.DecidedBy,
		DecidedAt: p.DecidedAt, Comment: p.Comment, Version: p.Version}
}

// DecideTierProposal records the KA Department's decision on one proposal,
// once (409 already_decided after that). Accepting it regrades the account
// in the same transaction, with its history rows: its tier becomes the
// proposed one, or, when it meets no tier, it is no longer a key account
// and is registered as lost with reason downgraded (Art. 2, 8.4). An account
// whose tier or status changed since the review is 409 proposal_stale. The
// register entry pending in ctx is written in this transaction (Art. 9).
func (s *Store) DecideTierProposal(ctx context.Context, d kam.TierDecision) (kam.TierProposal, []Change, error) {
	var out dbq.TierReviewProposal
	var changes []Change
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		p, err := q.LockTierProposal(ctx, dbq.LockTierProposalParams{ReviewID: d.ReviewID, CustomerID: d.CustomerID})
		if err != nil {
			return err
		}
		if p.Decision != kam.ProposalPending {
			return kam.Conflict("already_decided", "this proposal was %s already", p.Decision)
		}
		decision := kam.ProposalRejected
		if d.Decision == "accept" {
			decision = kam.ProposalAccepted
			if changes, err = regrade(ctx, q, p, d); err != nil {
				return err
			}
		}
		out, err = q.DecideTierProposal(ctx, dbq.DecideTierProposalParams{ReviewID: d.ReviewID, CustomerID: d.CustomerID,
			Decision: decision, DecidedBy: &d.By, Comment: d.Comment})
		if err != nil {
			return err
		}
		return q.TouchTierReview(ctx, d.ReviewID)
	})
	return proposalOf(out), changes, err
}

// regrade applies an accepted proposal to its account under a row lock.
func regrade(ctx context.Context, q *dbq.Queries, p dbq.TierReviewProposal, d kam.TierDecision) ([]Change, error) {
	c, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: p.CustomerID})
	if err != nil {
		return nil, err
	}
	if c.Status != "active" || c.Tier != p.FromTier {
		return nil, kam.Conflict("proposal_stale", "the account is %s in tier %s now, not active in tier %s as reviewed; run a new review", c.Status, c.Tier, p.FromTier)
	}
	patch := CustomerPatch{Tier: p.ToTier}
	if p.ToTier == nil {
		// Art. 2: it no longer buys enough, or often enough, to be a key
		// account. Lost as a key account, it is registered as such (Art. 8.4).
		patch = CustomerPatch{Status: strp("churned")}
		why := fmt.Sprintf("tier review %s: revenue %s over the review period, bought in %d of %d months; meets no tier",
			p.ReviewID, p.Revenue12m.StringFixed(2), p.ActiveMonths, kam.ReviewMonths)
		if d.Comment != "" {
			why += ". " + d.Comment
		}
		if _, err := q.InsertChurn(ctx, dbq.InsertChurnParams{ID: NewID(), CustomerID: p.CustomerID, Reason: kam.ChurnDowngraded,
			ReasonText: why, EffectiveOn: d.On, RecordedBy: &d.By}); err != nil {
			return nil, err
		}
	}
	changes := apply(&c, patch)
	_, err = saveCustomer(ctx, q, c, changes, d.By)
	return changes, err
}
