package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/dbq"
)

// DiscountInput is a submitted discount request.
type DiscountInput struct {
	CustomerID      uuid.UUID
	RequesterID     uuid.UUID
	ProductCategory string
	Rate            decimal.Decimal
	Method          string
	ValidFrom       time.Time
	ValidTo         time.Time
	Reason          string
	// Deadline of the first stage (its escalation time), from the settings.
	Deadline time.Time
}

// CreateDiscountRequest validates and stores a request, then calls start (the
// workflow start) inside the same transaction: if the start fails nothing is
// stored, and a workflow whose row never commits finds no request and ends.
func (s *Store) CreateDiscountRequest(ctx context.Context, scope Scope, in DiscountInput, start func(dbq.DiscountRequest) error) (dbq.DiscountRequest, error) {
	if in.ValidTo.Before(in.ValidFrom) {
		return dbq.DiscountRequest{}, kam.Invalid("valid_to", "valid_to is before valid_from")
	}
	if !slices.Contains(kam.DiscountMethods, in.Method) {
		return dbq.DiscountRequest{}, kam.Invalid("method", "method is percentage, fixed_price or rebate")
	}
	var out dbq.DiscountRequest
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		c, err := q.GetCustomer(ctx, dbq.GetCustomerParams{ID: in.CustomerID, ManagerID: scope.ManagerID})
		if err != nil {
			return err
		}
		if c.Status != "active" {
			return kam.Errorf(kam.KindConflict, "account_not_active", "discounts are granted to active accounts only")
		}
		p, err := q.GetDiscountPolicy(ctx, dbq.GetDiscountPolicyParams{Tier: c.Tier, ProductCategory: in.ProductCategory})
		if errors.Is(interpret(err), kam.ErrNotFound) {
			return kam.Invalid("product_category", "no discount policy for tier %s and product category %q", c.Tier, in.ProductCategory)
		} else if err != nil {
			return err
		}
		if !slices.Contains(p.Methods, in.Method) {
			return kam.Invalid("method", "tier %s allows %v for %s", c.Tier, p.Methods, in.ProductCategory)
		}
		route, err := kam.Route(in.Rate, p.MaxStandardRate, p.HardCapRate)
		if err != nil {
			return err
		}
		deadline := in.Deadline
		out, err = q.CreateDiscountRequest(ctx, dbq.CreateDiscountRequestParams{
			ID: NewID(), CustomerID: in.CustomerID, RequesterID: in.RequesterID, ProductCategory: in.ProductCategory,
			Rate: in.Rate, Method: in.Method, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo, Reason: in.Reason,
			Route: route, PolicyMaxStandardRate: p.MaxStandardRate, PolicyHardCapRate: p.HardCapRate, Deadline: &deadline,
		})
		if err != nil {
			return err
		}
		return start(out)
	})
	return out, err
}

// DiscountView is a request with its decisions.
type DiscountView struct {
	Request   dbq.DiscountRequest
	Decisions []dbq.DiscountDecision
}

// DiscountViewer limits requests to their requester (account managers).
type DiscountViewer struct {
	RequesterID *uuid.UUID
}

// GetDiscountRequest reads one request with its decisions.
func (s *Store) GetDiscountRequest(ctx context.Context, v DiscountViewer, id uuid.UUID) (DiscountView, error) {
	r, err := s.q.GetDiscountRequest(ctx, dbq.GetDiscountRequestParams{ID: id, ViewerID: v.RequesterID})
	if err != nil {
		return DiscountView{}, interpret(err)
	}
	d, err := s.q.ListDiscountDecisions(ctx, []uuid.UUID{id})
	return DiscountView{Request: r, Decisions: d}, interpret(err)
}

// DiscountFilter narrows a list of requests.
type DiscountFilter struct {
	CustomerID *uuid.UUID
	State      *string
	After      *uuid.UUID
	Limit      int32
}

// ListDiscountRequests lists requests with their decisions in two queries.
func (s *Store) ListDiscountRequests(ctx context.Context, v DiscountViewer, f DiscountFilter) ([]DiscountView, error) {
	rows, err := s.q.ListDiscountRequests(ctx, dbq.ListDiscountRequestsParams{ViewerID: v.RequesterID, CustomerID: f.CustomerID, State: f.State, After: f.After, Lim: f.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	decisions, err := s.q.ListDiscountDecisions(ctx, ids)
	if err != nil {
		return nil, interpret(err)
	}
	by := map[uuid.UUID][]dbq.DiscountDecision{}
	for _, d := range decisions {
		by[d.RequestID] = append(by[d.RequestID], d)
	}
	out := make([]DiscountView, len(rows))
	for i, r := range rows {
		out[i] = DiscountView{Request: r, Decisions: by[r.ID]}
	}
	return out, nil
}

// SaveDiscountState writes the workflow's state and, with it, a decision.
func (s *Store) SaveDiscountState(ctx context.Context, st kam.DiscountState) error {
	return s.inTx(ctx, func(q *dbq.Queries) error {
		if d := st.Decision; d != nil {
			if _, err := q.InsertDiscountDecision(ctx, dbq.InsertDiscountDecisionParams{RequestID: st.RequestID, Stage: d.Stage, Decision: d.Decision, DecidedBy: d.By, Comment: d.Comment}); err != nil {
				return err
			}
		}
		return q.SaveDiscountState(ctx, dbq.SaveDiscountStateParams{ID: st.RequestID, State: st.State, Stage: st.Stage, Escalated: st.Escalated, Deadline: st.Deadline, Reminders: st.Reminders, StateSeq: st.Seq})
	})
}

// ApplyGrant makes an approved request the account's discount standard (Art. 7.8). Idempotent.
func (s *Store) ApplyGrant(ctx context.Context, requestID, approvedBy uuid.UUID) (dbq.DiscountGrant, error) {
	if err := s.q.InsertGrant(ctx, dbq.InsertGrantParams{GrantID: NewID(), RequestID: requestID, ApprovedBy: approvedBy}); err != nil {
		return dbq.DiscountGrant{}, interpret(err)
	}
	g, err := s.q.GetGrantByRequest(ctx, requestID)
	return g, interpret(err)
}

// FileWithGM records the filing of a standard discount with the GM (Art. 12)
// and returns the filing's id. Idempotent.
func (s *Store) FileWithGM(ctx context.Context, requestID uuid.UUID) (uuid.UUID, error) {
	if err := s.q.InsertFiling(ctx, dbq.InsertFilingParams{FilingID: NewID(), RequestID: requestID}); err != nil {
		return uuid.Nil, interpret(err)
	}
	f, err := s.q.GetFilingByRequest(ctx, requestID)
	return f.ID, interpret(err)
}

// RecordDiscountEvent stores an approval event once per key; a repeat is a no-op.
func (s *Store) RecordDiscountEvent(ctx context.Context, requestID uuid.UUID, key, kind, detail string) error {
	return interpret(s.q.InsertDiscountEvent(ctx, dbq.InsertDiscountEventParams{RequestID: requestID, EventKey: key, Kind: kind, Detail: detail}))
}

// EndGrant marks the request's grant ended at its valid_to.
func (s *Store) EndGrant(ctx context.Context, requestID uuid.UUID) error {
	return interpret(s.q.EndGrant(ctx, requestID))
}
