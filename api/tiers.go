package api

import (
	"context"
	"net/http"
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
	UpdatedAt            time.Time `json:"updated_at"`
}

func tierOut(t kam.Tier) Tier {
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

func (s *Server) tierRoutes() {
	huma.Register(s.api, op("list-tiers", http.MethodGet, "/v1/tiers", "Tiers and their service policy", "policy"), s.listTiers)
	huma.Register(s.api, op("get-tier", http.MethodGet, "/v1/tiers/{code}", "One tier", "policy"), s.getTier)
	huma.Register(s.api, op("put-tier", http.MethodPut, "/v1/tiers/{code}", "Change a tier's service policy (Art. 15); running plans follow at once", "policy"), s.putTier)
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
		HardCapRate: rateString(p.HardCapRate), Methods: p.Methods, UpdatedAt: p.UpdatedAt}
}

// TierPut changes a tier's service policy (Art. 3, 15).
type TierPut struct {
	Name                 string   `json:"name" minLength:"1" maxLength:"100"`
	VisitCadence         string   `json:"visit_cadence" minLength:"1" maxLength:"100" doc:"Cron spec, descriptor or @every duration"`
	TicketResponseWithin string   `json:"ticket_response_within" minLength:"2" maxLength:"20" doc:"Go duration, e.g. 2h"`
	TicketResolveWithin  string   `json:"ticket_resolve_within" minLength:"2" maxLength:"20" doc:"Go duration, e.g. 24h"`
	GreetingOccasions    []string `json:"greeting_occasions" maxItems:"3" uniqueItems:"true" enum:"birthday,anniversary,holiday"`
	Gift                 bool     `json:"gift,omitempty" doc:"Greetings come with a gift"`
}

func (s *Server) putTier(ctx context.Context, in *struct {
	Code string `path:"code" maxLength:"16"`
	Body TierPut
}) (*struct{ Body Tier }, error) {
	if !can(callerOf(ctx).Role, capSetPolicies) {
		return nil, forbidden("tiers are set by the admin and the KA Department")
	}
	arg, err := s.tierParams(in.Code, in.Body)
	if err != nil {
		return nil, err
	}
	t, err := s.store.UpdateTier(ctx, arg)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	s.tierPlansChanged(ctx, in.Code)
	return &struct{ Body Tier }{Body: tierOut(t)}, nil
}

// tierParams reads a tier: a visit cadence and two positive ticket durations.
func (s *Server) tierParams(code string, b TierPut) (kam.TierChange, error) {
	if _, err := store.ParseCycle("visit_cadence", b.VisitCadence); err != nil {
		return kam.TierChange{}, problemFor(s.log, err)
	}
	for field, v := range map[string]string{"ticket_response_within": b.TicketResponseWithin, "ticket_resolve_within": b.TicketResolveWithin} {
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			return kam.TierChange{}, invalidField("body."+field, "a positive Go duration, e.g. 2h")
		}
	}
	occasions := b.GreetingOccasions
	if occasions == nil {
		occasions = []string{}
	}
	return kam.TierChange{Code: code, Name: b.Name, VisitCadence: b.VisitCadence,
		TicketResponseWithin: b.TicketResponseWithin, TicketResolveWithin: b.TicketResolveWithin, GreetingOccasions: occasions, Gift: b.Gift}, nil
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
