package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
	"kam/workflows"
)

// A review names accounts with their tier (Art. 7.1 basics) and their
// revenue and buying months (product use, Art. 7.5): reading or deciding it
// is an access to those records (Art. 9).
var tierReviewSections = []string{kam.SectionBasics, "product_use"}

// TierReviewCreate asks for a tier review now (Art. 2, 3).
type TierReviewCreate struct {
	AsOf string `json:"as_of,omitempty" format:"date" doc:"Grade the 12 calendar months before this date's month; default today (KAM_TIMEZONE)"`
}

// TierReview is one review: what it graded and how many proposals it made.
type TierReview struct {
	ID            string     `json:"id" format:"uuid"`
	Status        string     `json:"status" enum:"running,done"`
	Trigger       string     `json:"trigger" enum:"schedule,manual"`
	RequestedBy   *string    `json:"requested_by" format:"uuid"`
	AsOf          string     `json:"as_of" doc:"The review's date"`
	PeriodFrom    string     `json:"period_from" doc:"First day graded"`
	PeriodTo      string     `json:"period_to" doc:"Last day graded"`
	Graded        int32      `json:"graded" doc:"Active accounts graded"`
	ProposalCount int32      `json:"proposal_count" doc:"Accounts whose grade differs from their tier"`
	PendingCount  int32      `json:"pending_count" doc:"Proposals not yet decided"`
	CreatedAt     time.Time  `json:"created_at"`
	FinishedAt    *time.Time `json:"finished_at"`
	Version       int32      `json:"version" doc:"1 when started; one more when it finishes and with each decided proposal (pending_count) (SPEC §3)"`
}

// TierReviewDetail is a review with a page of its proposals.
type TierReviewDetail struct {
	TierReview
	Proposals []TierProposal `json:"proposals" doc:"A page of proposals by customer_id (?limit=, default 100)"`
	// The proposals after this page: GET /v1/tier-reviews/{id}?cursor=….
	ProposalsNextCursor string `json:"proposals_next_cursor,omitempty" doc:"Pass as ?cursor= for the next page of proposals"`
}

// TierProposal is a review's proposal for one account.
type TierProposal struct {
	CustomerID   string     `json:"customer_id" format:"uuid"`
	From         string     `json:"from" doc:"The account's tier when reviewed"`
	To           *string    `json:"to" doc:"The tier it meets; null: it meets none and is no longer a key account"`
	Revenue12m   string     `json:"revenue_12m" doc:"Sales over the period"`
	ActiveMonths int32      `json:"active_months" doc:"Months of the period with a sale"`
	Decision     string     `json:"decision" enum:"pending,accepted,rejected"`
	DecidedBy    *string    `json:"decided_by" format:"uuid"`
	DecidedAt    *time.Time `json:"decided_at"`
	Comment      string     `json:"comment"`
	Version      int32      `json:"version" doc:"1 when proposed; 2 once decided (SPEC §3)"`
}

// ProposalDecision is the KA Department's decision on a proposal.
type ProposalDecision struct {
	Decision string `json:"decision" enum:"accept,reject"`
	Comment  string `json:"comment,omitempty" maxLength:"2000"`
}

func tierReviewOut(r kam.TierReview) TierReview {
	return TierReview{ID: r.ID.String(), Status: r.Status, Trigger: r.Trigger, RequestedBy: uuidString(r.RequestedBy),
		AsOf: dateText(r.AsOf), PeriodFrom: dateText(r.PeriodFrom), PeriodTo: dateText(r.PeriodTo), Graded: r.Graded,
		ProposalCount: r.Proposals, PendingCount: r.Pending, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt, Version: r.Version}
}

func proposalOut(p kam.TierProposal) TierProposal {
	return TierProposal{CustomerID: p.CustomerID.String(), From: p.From, To: p.To, Revenue12m: money(p.Revenue12m),
		ActiveMonths: p.ActiveMonths, Decision: p.Decision, DecidedBy: uuidString(p.DecidedBy), DecidedAt: p.DecidedAt, Comment: p.Comment, Version: p.Version}
}

func (s *Server) tierReviewRoutes() {
	huma.Register(s.api, heavyOp(created(op("create-tier-review", http.MethodPost, "/v1/tier-reviews", "Grade every active account now (Art. 2, 3)", "policy"))), s.createTierReview)
	huma.Register(s.api, op("list-tier-reviews", http.MethodGet, "/v1/tier-reviews", "Tier reviews, newest first", "policy"), s.listTierReviews)
	huma.Register(s.api, op("get-tier-review", http.MethodGet, "/v1/tier-reviews/{id}", "A tier review with its proposals", "policy"), s.getTierReview)
	decide := op("decide-tier-proposal", http.MethodPost, "/v1/tier-reviews/{id}/proposals/{customer_id}/decision",
		"Accept (the account is regraded) or reject a proposal", "policy")
	decide.Errors = append(decide.Errors, 409)
	huma.Register(s.api, decide, s.decideTierProposal)
}

// createTierReview runs a review and answers it once it is done; its
// proposals follow on GET /v1/tier-reviews/{id}. Nothing of an account is
// shown, so nothing is registered here.
func (s *Server) createTierReview(ctx context.Context, in *struct{ Body *TierReviewCreate }) (*struct{ Body TierReview }, error) {
	p := callerOf(ctx)
	if !can(p.Role, capReviewTiers) {
		return nil, forbidden("tier reviews are run by the KA Department (Art. 3)")
	}
	asOf := s.today()
	if in.Body != nil {
		on, err := optDate("body.as_of", &in.Body.AsOf)
		if err != nil {
			return nil, err
		}
		if on != nil {
			asOf = *on
		}
	}
	id, by := store.NewID(), p.ID
	run := workflows.TierReviewInput{ReviewID: id, Trigger: kam.ReviewManual, RequestedBy: &by, AsOf: asOf}
	if err := s.procs.RunTierReview(ctx, run); err != nil {
		s.log.Error("tier review", "error", err)
		return nil, problemFor(s.log, kam.Unavailable("the tier review could not be run; try again"))
	}
	r, err := s.store.GetTierReview(ctx, id)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body TierReview }{Body: tierReviewOut(r)}, nil
}

func (s *Server) listTierReviews(ctx context.Context, in *pageInput) (*struct{ Body Page[TierReview] }, error) {
	if !can(callerOf(ctx).Role, capSeeTierReviews) {
		return nil, forbidden("tier reviews are the KA Department's, the General Manager's and the auditors'")
	}
	var key kam.TierReviewKey
	var after *kam.TierReviewKey
	if ok, err := decodeCursor(in.Cursor, "tier-reviews", timeKey(&key.CreatedAt), uuidKey(&key.ID)); err != nil {
		return nil, err
	} else if ok {
		after = &key
	}
	rows, err := s.store.ListTierReviews(ctx, after, int32(in.Limit+1))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	page := pageOf(rows, in.Limit, tierReviewOut, func(r kam.TierReview) string {
		return encodeCursor("tier-reviews", timeText(r.CreatedAt), r.ID.String())
	})
	return &struct{ Body Page[TierReview] }{Body: page}, nil
}

// getTierReview shows a review and a page of its proposals; the accounts
// on the page are registered as listed before the answer leaves (Art. 9).
// A role that may not read reviews is refused and registered as denied.
func (s *Server) getTierReview(ctx context.Context, in *struct {
	ID       string `path:"id" format:"uuid"`
	Decision string `query:"decision" enum:"pending,accepted,rejected" doc:"Only proposals with this decision"`
	Limit    int    `query:"limit" minimum:"1" maximum:"500" default:"100" doc:"Proposals on this page"`
	Cursor   string `query:"cursor" maxLength:"1024" doc:"proposals_next_cursor of the previous page"`
}) (*struct{ Body TierReviewDetail }, error) {
	var bad fieldErrors
	id, err := parseUUID("path.id", in.ID)
	bad.add(err)
	after, err := uuidCursor(in.Cursor, "tier-proposals")
	bad.add(err)
	if err := bad.err(); err != nil {
		return nil, err
	}
	read := archiveRead{need: capSeeTierReviews, sections: tierReviewSections, action: kam.AccessList,
		refusal: "tier reviews are the KA Department's, the General Manager's and the auditors'"}
	body, err := readList(s, ctx, read, func(ctx context.Context, _ store.Scope) (TierReviewDetail, []uuid.UUID, error) {
		r, err := s.store.GetTierReview(ctx, id)
		if err != nil {
			return TierReviewDetail{}, nil, err
		}
		rows, err := s.store.ListTierProposals(ctx, kam.ProposalQuery{ReviewID: id, Decision: nonEmpty(in.Decision), After: after, Limit: int32(in.Limit + 1)})
		page := pageOf(rows, in.Limit, proposalOut, func(p kam.TierProposal) string { return encodeCursor("tier-proposals", p.CustomerID.String()) })
		shown := accountsOf(rows[:len(page.Items)], func(p kam.TierProposal) uuid.UUID { return p.CustomerID })
		return TierReviewDetail{TierReview: tierReviewOut(r), Proposals: page.Items, ProposalsNextCursor: page.Next()}, shown, err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body TierReviewDetail }{Body: body}, nil
}

// decideTierProposal records the KA Department's decision (Art. 3). An
// accepted proposal regrades the account in the same transaction as its
// history rows and its register entry; its visit plan then follows the new
// tier's cadence, or stops when the account is no longer a key account.
func (s *Server) decideTierProposal(ctx context.Context, in *struct {
	ID         string `path:"id" format:"uuid"`
	CustomerID string `path:"customer_id" format:"uuid"`
	Body       ProposalDecision
}) (*struct{ Body TierProposal }, error) {
	var bad fieldErrors
	review, err := parseUUID("path.id", in.ID)
	bad.add(err)
	customer, err := parseUUID("path.customer_id", in.CustomerID)
	bad.add(err)
	if err := bad.err(); err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	if !can(p.Role, capReviewTiers) {
		return nil, s.deny(ctx, customer, tierReviewSections, forbidden("tier proposals are decided by the KA Department (Art. 3)"))
	}
	d := kam.TierDecision{ReviewID: review, CustomerID: customer, Decision: in.Body.Decision, Comment: in.Body.Comment, By: p.ID, On: s.today()}
	var changes []store.Change
	proposal, err := archiveWrite(s, ctx, []uuid.UUID{customer}, tierReviewSections, func(ctx context.Context) (out kam.TierProposal, err error) {
		out, changes, err = s.store.DecideTierProposal(ctx, d)
		return out, err
	})
	if err != nil {
		return nil, s.archiveErr(ctx, customer, tierReviewSections, err)
	}
	s.customerChanged(ctx, customer, changes)
	return &struct{ Body TierProposal }{Body: proposalOut(proposal)}, nil
}
