package api

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// Tier is a grade of key account and its service policy (Art. 3, 15).
type Tier struct {
	Code                 string    `json:"code"`
	Name                 string    `json:"name"`
	Rank                 int32     `json:"rank"`
	VisitCadence         string    `json:"visit_cadence"`
	TicketResponseWithin string    `json:"ticket_response_within"`
	TicketResolveWithin  string    `json:"ticket_resolve_within"`
	GreetingOccasions    []string  `json:"greeting_occasions"`
	Gift                 bool      `json:"gift"`
	MinAnnualRevenue     string    `json:"min_annual_revenue" doc:"Art. 2: revenue over the last 12 months an account needs for this tier"`
	MinActiveMonths      int32     `json:"min_active_months" doc:"Art. 2: months of the last 12 in which it bought"`
	UpdatedAt            time.Time `json:"updated_at"`
	Version              int32     `json:"version" doc:"1 when created; one more with each PUT that changes it (SPEC §3)"`
}

func tierOut(t kam.Tier) Tier {
	return Tier{Code: t.Code, Name: t.Name, Rank: t.Rank, VisitCadence: t.VisitCadence,
		TicketResponseWithin: t.TicketResponseWithin, TicketResolveWithin: t.TicketResolveWithin,
		GreetingOccasions: t.GreetingOccasions, Gift: t.Gift, MinAnnualRevenue: money(t.MinAnnualRevenue),
		MinActiveMonths: t.MinActiveMonths, UpdatedAt: t.UpdatedAt, Version: t.Version}
}

// DiscountPolicy is what the KA Department may approve per tier and line of business (Art. 12).
type DiscountPolicy struct {
	Tier            string    `json:"tier"`
	ProductCategory string    `json:"product_category"`
	MaxStandardRate string    `json:"max_standard_rate"`
	HardCapRate     string    `json:"hard_cap_rate"`
	Methods         []string  `json:"methods"`
	UpdatedAt       time.Time `json:"updated_at"`
	Version         int32     `json:"version" doc:"1 when created; one more with each PUT that changes it (SPEC §3)"`
}

func (s *Server) tierRoutes() {
	huma.Register(s.api, op("list-tiers", http.MethodGet, "/v1/tiers", "Tiers and their service policy", "policy"), s.listTiers)
	huma.Register(s.api, op("get-tier", http.MethodGet, "/v1/tiers/{code}", "One tier", "policy"), s.getTier)
	put := op("put-tier", http.MethodPut, "/v1/tiers/{code}", "Create a tier (rank required) or change its rank, grading thresholds (Art. 2) and service policy (Art. 15); running plans follow at once", "policy")
	put.Errors = append(put.Errors, 409)
	huma.Register(s.api, put, s.putTier)
	huma.Register(s.api, op("tier-history", http.MethodGet, "/v1/tiers/{code}/history", "Every change of a tier: who, when, field, old, new", "policy"), s.tierHistory)
	huma.Register(s.api, op("list-discount-policies", http.MethodGet, "/v1/discount-policies", "Discount policies (confidential, Art. 11)", "policy"), s.listPolicies)
}

// pageInput is the paging of a list with no filter of its own.
type pageInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}

func (s *Server) listTiers(ctx context.Context, in *pageInput) (*struct{ Body Page[Tier] }, error) {
	var key kam.TierKey
	var after *kam.TierKey
	if ok, err := decodeCursor(in.Cursor, "tiers", int32Key(&key.Rank), textKey(&key.Code)); err != nil {
		return nil, err
	} else if ok {
		after = &key
	}
	rows, err := s.store.ListTiers(ctx, after, int32(in.Limit+1))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	out := pageOf(rows, in.Limit, tierOut, func(t kam.Tier) string { return encodeCursor("tiers", int64Text(int64(t.Rank)), t.Code) })
	return &struct{ Body Page[Tier] }{Body: out}, nil
}

func (s *Server) getTier(ctx context.Context, in *struct {
	Code string `path:"code" maxLength:"16"`
}) (*struct{ Body Tier }, error) {
	t, err := s.store.GetTier(ctx, in.Code)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Tier }{Body: tierOut(t)}, nil
}

func (s *Server) listPolicies(ctx context.Context, in *pageInput) (*struct{ Body Page[DiscountPolicy] }, error) {
	if !can(callerOf(ctx).Role, capReadPolicies) {
		return nil, forbidden("discount policies are confidential (Art. 11)")
	}
	var key kam.PolicyKey
	var after *kam.PolicyKey
	if ok, err := decodeCursor(in.Cursor, "discount-policies", textKey(&key.Tier), textKey(&key.ProductCategory)); err != nil {
		return nil, err
	} else if ok {
		after = &key
	}
	rows, err := s.store.ListDiscountPolicies(ctx, after, int32(in.Limit+1))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	out := pageOf(rows, in.Limit, policyOut, func(p kam.DiscountPolicy) string {
		return encodeCursor("discount-policies", p.Tier, p.ProductCategory)
	})
	return &struct{ Body Page[DiscountPolicy] }{Body: out}, nil
}

func policyOut(p kam.DiscountPolicy) DiscountPolicy {
	return DiscountPolicy{Tier: p.Tier, ProductCategory: p.ProductCategory, MaxStandardRate: rateString(p.MaxStandardRate),
		HardCapRate: rateString(p.HardCapRate), Methods: p.Methods, UpdatedAt: p.UpdatedAt, Version: p.Version}
}

// TierPut creates a tier or changes it (Art. 2, 3, 15). The service policy
// is given whole; rank, min_annual_revenue and min_active_months, when
// absent, keep what an existing tier has (a new tier needs a rank and starts
// at 0 for both thresholds).
type TierPut struct {
	Name                 string   `json:"name" minLength:"1" maxLength:"100"`
	VisitCadence         string   `json:"visit_cadence" minLength:"1" maxLength:"100" doc:"Cron spec, descriptor or @every duration"`
	TicketResponseWithin string   `json:"ticket_response_within" minLength:"2" maxLength:"20" doc:"Go duration, e.g. 2h"`
	TicketResolveWithin  string   `json:"ticket_resolve_within" minLength:"2" maxLength:"20" doc:"Go duration, e.g. 24h"`
	GreetingOccasions    []string `json:"greeting_occasions" maxItems:"3" uniqueItems:"true" enum:"birthday,anniversary,holiday"`
	Gift                 bool     `json:"gift,omitempty" doc:"Greetings come with a gift"`
	Rank                 *int32   `json:"rank,omitempty" minimum:"1" maximum:"999" doc:"1 is the highest tier; unique (409 duplicate_rank); required to create a tier"`
	MinAnnualRevenue     *string  `json:"min_annual_revenue,omitempty" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99" doc:"Art. 2: revenue over the last 12 months an account needs for this tier"`
	MinActiveMonths      *int32   `json:"min_active_months,omitempty" minimum:"0" maximum:"12" doc:"Art. 2: months of the last 12 in which it must have bought"`
	// Version is the version a GET answered, accepted so that what was read
	// can be sent back; a PUT sets the whole resource and checks no version.
	Version *int32 `json:"version,omitempty" doc:"Read-only: the version a GET answered, accepted and not checked (this PUT takes no precondition)"`
}

// tierCode is what a new tier's code may be: short, without spaces or
// punctuation that a path or a CSV would mangle.
var tierCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$`)

type tierOutput struct {
	Status int
	Body   Tier
}

func (s *Server) putTier(ctx context.Context, in *struct {
	Code string `path:"code" maxLength:"16"`
	Body TierPut
}) (*tierOutput, error) {
	p := callerOf(ctx)
	if !can(p.Role, capSetPolicies) {
		return nil, forbidden("tiers are set by the admin and the KA Department")
	}
	arg, err := s.tierParams(in.Code, in.Body)
	if err != nil {
		return nil, err
	}
	t, created, changed, err := s.store.PutTier(ctx, arg, p.ID)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	// A plan reads of its tier only the visit cadence (LoadVisitPlan): any
	// other change would cost every plan on the tier a signal and a history
	// turn for nothing.
	if !created && slices.Contains(changed, "visit_cadence") {
		s.tierPlansChanged(ctx, in.Code)
	}
	out := &tierOutput{Status: http.StatusOK, Body: tierOut(t)}
	if created {
		out.Status = http.StatusCreated
	}
	return out, nil
}

// tierParams reads a tier: a code fit for a new tier, a visit cadence, two
// positive ticket durations and, when given, the Art. 2 thresholds.
func (s *Server) tierParams(code string, b TierPut) (kam.TierChange, error) {
	var bad fieldErrors
	if !tierCode.MatchString(code) {
		bad.field("path.code", "a tier code is 1-16 letters, digits, - or _")
	}
	if _, err := store.ParseCycle("visit_cadence", b.VisitCadence); err != nil {
		bad.add(problemFor(s.log, err))
	}
	for _, d := range []struct{ field, value string }{
		{"ticket_response_within", b.TicketResponseWithin}, {"ticket_resolve_within", b.TicketResolveWithin},
	} {
		if !kam.ValidTicketWithin(d.value) {
			bad.field("body."+d.field, "a positive Go duration of at most 5 years (43800h), e.g. 2h")
		}
	}
	revenue, err := optMoney("body.min_annual_revenue", b.MinAnnualRevenue)
	bad.add(err)
	if err := bad.err(); err != nil {
		return kam.TierChange{}, err
	}
	occasions := b.GreetingOccasions
	if occasions == nil {
		occasions = []string{}
	}
	return kam.TierChange{Code: code, Name: b.Name, VisitCadence: b.VisitCadence,
		TicketResponseWithin: b.TicketResponseWithin, TicketResolveWithin: b.TicketResolveWithin, GreetingOccasions: occasions, Gift: b.Gift,
		Rank: b.Rank, MinAnnualRevenue: revenue, MinActiveMonths: b.MinActiveMonths}, nil
}

// TierChangeEntry is one change of a tier.
type TierChangeEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	StaffID   *string   `json:"staff_id" format:"uuid"`
	StaffName *string   `json:"staff_name"`
	Field     string    `json:"field"`
	Old       *string   `json:"old"`
	New       *string   `json:"new"`
}

// tierHistory lists a tier's changes, oldest first. Tiers are company-wide
// reference data that every role reads, and so is their history.
func (s *Server) tierHistory(ctx context.Context, in *struct {
	Code   string `path:"code" maxLength:"16"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[TierChangeEntry] }, error) {
	after, err := int64Cursor(in.Cursor, "tier-history")
	if err != nil {
		return nil, err
	}
	rows, err := s.store.TierHistory(ctx, in.Code, after, int32(in.Limit+1))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	page := pageOf(rows, in.Limit, func(h kam.TierHistoryEntry) TierChangeEntry {
		return TierChangeEntry{ID: h.ID, At: h.At, StaffID: uuidString(h.StaffID), StaffName: h.StaffName, Field: h.Field, Old: h.OldValue, New: h.NewValue}
	}, func(h kam.TierHistoryEntry) string { return encodeCursor("tier-history", int64Text(h.ID)) })
	return &struct{ Body Page[TierChangeEntry] }{Body: page}, nil
}

// tierPlansChanged tells every plan of this tier to re-read its cadence now.
// A lost signal leaves a plan on the old cadence until its current visit is
// done.
func (s *Server) tierPlansChanged(ctx context.Context, code string) {
	var after *uuid.UUID
	for {
		ids, err := s.store.CustomersInTier(ctx, code, after, 500)
		if err != nil {
			s.log.Warn("tier change signals", "error", err)
			return
		}
		for _, id := range ids {
			if err := s.procs.PlanChanged(ctx, id); err != nil {
				s.log.Warn("signal visit plan", "customer", id, "error", err)
			}
		}
		if len(ids) < 500 {
			return
		}
		after = &ids[len(ids)-1]
	}
}
