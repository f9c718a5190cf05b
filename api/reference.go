package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"kam/db/dbq"
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
	UpdatedAt            time.Time `json:"updated_at"`
}

func tierOut(t dbq.Tier) Tier {
	return Tier{Code: t.Code, Name: t.Name, Rank: t.Rank, VisitCadence: t.VisitCadence,
		TicketResponseWithin: t.TicketResponseWithin, TicketResolveWithin: t.TicketResolveWithin,
		GreetingOccasions: t.GreetingOccasions, Gift: t.Gift, UpdatedAt: t.UpdatedAt}
}

// DiscountPolicy is what the KA Department may approve per tier and line of business (Art. 12).
type DiscountPolicy struct {
	Tier            string    `json:"tier"`
	ProductCategory string    `json:"product_category"`
	MaxStandardRate string    `json:"max_standard_rate"`
	HardCapRate     string    `json:"hard_cap_rate"`
	Methods         []string  `json:"methods"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func (s *Server) referenceRoutes() {
	huma.Register(s.api, op("list-tiers", http.MethodGet, "/v1/tiers", "Tiers and their service policy", "policy"), s.listTiers)
	huma.Register(s.api, op("get-tier", http.MethodGet, "/v1/tiers/{code}", "One tier", "policy"), s.getTier)
	huma.Register(s.api, op("list-discount-policies", http.MethodGet, "/v1/discount-policies", "Discount policies (confidential, Art. 11)", "policy"), s.listPolicies)
}

func (s *Server) listTiers(ctx context.Context, _ *struct{}) (*struct{ Body Page[Tier] }, error) {
	rows, err := s.store.Q().ListTiers(ctx)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	out := Page[Tier]{Items: make([]Tier, 0, len(rows))}
	for _, t := range rows {
		out.Items = append(out.Items, tierOut(t))
	}
	return &struct{ Body Page[Tier] }{Body: out}, nil
}

func (s *Server) getTier(ctx context.Context, in *struct {
	Code string `path:"code" maxLength:"16"`
}) (*struct{ Body Tier }, error) {
	t, err := s.store.Q().GetTier(ctx, in.Code)
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	return &struct{ Body Tier }{Body: tierOut(t)}, nil
}

func (s *Server) listPolicies(ctx context.Context, _ *struct{}) (*struct{ Body Page[DiscountPolicy] }, error) {
	if !can(callerOf(ctx).Role, capReadPolicies) {
		return nil, forbidden("discount policies are confidential (Art. 11)")
	}
	rows, err := s.store.Q().ListDiscountPolicies(ctx)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	out := Page[DiscountPolicy]{Items: make([]DiscountPolicy, 0, len(rows))}
	for _, p := range rows {
		out.Items = append(out.Items, policyOut(p))
	}
	return &struct{ Body Page[DiscountPolicy] }{Body: out}, nil
}

func policyOut(p dbq.DiscountPolicy) DiscountPolicy {
	return DiscountPolicy{Tier: p.Tier, ProductCategory: p.ProductCategory, MaxStandardRate: rateString(p.MaxStandardRate),
		HardCapRate: rateString(p.HardCapRate), Methods: p.Methods, UpdatedAt: p.UpdatedAt}
}
