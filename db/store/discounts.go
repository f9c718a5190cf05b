package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
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
func (s *Store) CreateDiscountRequest(ctx context.Context, scope Scope, in DiscountInput, start func(kam.DiscountRequest) error) (kam.DiscountRequest, error) {
	if in.ValidTo.Before(in.ValidFrom) {
		return kam.DiscountRequest{}, kam.Invalid("valid_to", "valid_to is before valid_from")
	}
	if !slices.Contains(kam.DiscountMethods, in.Method) {
		return kam.DiscountRequest{}, kam.Invalid("method", "method is percentage, fixed_price or rebate")
	}
	var out kam.DiscountRequest
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
		r, err := q.CreateDiscountRequest(ctx, dbq.CreateDiscountRequestParams{
			ID: NewID(), CustomerID: in.CustomerID, RequesterID: in.RequesterID, ProductCategory: in.ProductCategory,
			Rate: in.Rate, Method: in.Method, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo, Reason: in.Reason,
			Route: route, PolicyMaxStandardRate: p.MaxStandardRate, PolicyHardCapRate: p.HardCapRate, Deadline: &deadline,
		})
		if err != nil {
			return err
		}
		out = discountRequestOf(r)
		return start(out)
	})
	return out, err
}

func discountRequestOf(r dbq.DiscountRequest) kam.DiscountRequest {
	return kam.DiscountRequest{ID: r.ID, CustomerID: r.CustomerID, RequesterID: r.RequesterID, FormerRequesters: r.FormerRequesters,
		ProductCategory: r.ProductCategory, Rate: r.Rate, Method: r.Method, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, Reason: r.Reason, Route: r.Route,
		PolicyMaxStandardRate: r.PolicyMaxStandardRate, PolicyHardCapRate: r.PolicyHardCapRate, State: r.State, Stage: r.Stage,
		Escalated: r.Escalated, Deadline: r.Deadline, Reminders: r.Reminders, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ClosedAt: r.ClosedAt, Version: r.Version}
}

func decisionsOf(ds []dbq.DiscountDecision) []kam.StageDecision {
	out := make([]kam.StageDecision, 0, len(ds))
	for _, d := range ds {
		out = append(out, kam.StageDecision{RequestID: d.RequestID, Stage: d.Stage, Decision: d.Decision, DecidedBy: d.DecidedBy, DecidedAt: d.DecidedAt,
			Comment: d.Comment, OnBehalfOf: d.OnBehalfOf})
	}
	return out
}

// DiscountViewer limits requests to their requester (account managers).
type DiscountViewer struct {
	RequesterID *uuid.UUID
}

// GetDiscountRequest reads one request with its decisions.
func (s *Store) GetDiscountRequest(ctx context.Context, v DiscountViewer, id uuid.UUID) (kam.DiscountView, error) {
	r, err := s.q.GetDiscountRequest(ctx, dbq.GetDiscountRequestParams{ID: id, ViewerID: v.RequesterID})
	if err != nil {
		return kam.DiscountView{}, interpret(err)
	}
	d, err := s.q.ListDiscountDecisions(ctx, []uuid.UUID{id})
	return kam.DiscountView{Request: discountRequestOf(r), Decisions: decisionsOf(d)}, interpret(err)
}

// DiscountFilter narrows a list of requests.
type DiscountFilter struct {
	CustomerID *uuid.UUID
	State      *string
	// AwaitingRole and AwaitingStaff, when set, keep the pending requests
	// whose current stage that role decides (kam.Decider) and that member
	// of staff did not ask for: what awaits their decision.
	AwaitingRole  *string
	AwaitingStaff *uuid.UUID
	After         *uuid.UUID
	Limit         int32
}

// ListDiscountRequests lists requests with their decisions in two queries.
func (s *Store) ListDiscountRequests(ctx context.Context, v DiscountViewer, f DiscountFilter) ([]kam.DiscountView, error) {
	rows, err := s.q.ListDiscountRequests(ctx, dbq.ListDiscountRequestsParams{ViewerID: v.RequesterID, CustomerID: f.CustomerID, State: f.State,
		AwaitingRole: f.AwaitingRole, AwaitingStaff: f.AwaitingStaff, After: f.After, Lim: f.Limit})
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
	out := make([]kam.DiscountView, len(rows))
	for i, r := range rows {
		out[i] = kam.DiscountView{Request: discountRequestOf(r), Decisions: decisionsOf(by[r.ID])}
	}
	return out, nil
}

// SaveDiscountState writes the workflow's state and, with it, a decision. It
// answers the request's version after the save (SPEC §3), which the run's
// answer to a decision or withdrawal names without a read after it.
func (s *Store) SaveDiscountState(ctx context.Context, st kam.DiscountState) (int32, error) {
	at := st.At
	if at.IsZero() {
		at = time.Now()
	}
	var version int32
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if d := st.Decision; d != nil {
			decidedAt := d.At
			if decidedAt.IsZero() {
				decidedAt = at
			}
			if _, err := q.InsertDiscountDecision(ctx, dbq.InsertDiscountDecisionParams{RequestID: st.RequestID, Stage: d.Stage, Decision: d.Decision,
				DecidedBy: d.By, Comment: d.Comment, OnBehalfOf: d.OnBehalfOf, DecidedAt: decidedAt}); err != nil {
				return err
			}
		}
		saved, err := q.SaveDiscountState(ctx, dbq.SaveDiscountStateParams{ID: st.RequestID, State: st.State, Stage: st.Stage, Escalated: st.Escalated,
			Deadline: st.Deadline, Reminders: st.Reminders, StateSeq: st.Seq, UpdatedAt: at})
		if err != nil {
			return err
		}
		if len(saved) == 0 {
			version, err = q.DiscountRequestVersion(ctx, st.RequestID)
			return err
		}
		version = saved[0].Version
		if st.Decision != nil {
			return nil
		}
		// A decision, a withdrawal or an acknowledgement was registered by
		// whoever asked for it (processWrite); an escalation or an expiry
		// is the run's own change of the account's request (Art. 9).
		for _, r := range saved {
			if !r.OldEscalated && st.Escalated {
				if err := registerProcessChange(ctx, q, r.CustomerID, []string{"discounts"}, "Art. 12: the KA Department did not decide in time; the General Manager may decide"); err != nil {
					return err
				}
			}
			if r.OldState == kam.StatePending && st.State == kam.StateExpired {
				if err := registerProcessChange(ctx, q, r.CustomerID, []string{"discounts"}, "Art. 12: no decision in time at the General Manager stage; the request expired"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return version, err
}

// ApplyGrant makes an approved request the account's discount standard (Art. 7.8). Idempotent.
func (s *Store) ApplyGrant(ctx context.Context, requestID, approvedBy uuid.UUID) (kam.Grant, error) {
	g, err := applyGrant(ctx, s.q, requestID, approvedBy)
	return g, interpret(err)
}

func applyGrant(ctx context.Context, q *dbq.Queries, requestID, approvedBy uuid.UUID) (kam.Grant, error) {
	if err := q.InsertGrant(ctx, dbq.InsertGrantParams{GrantID: NewID(), RequestID: requestID, ApprovedBy: approvedBy}); err != nil {
		return kam.Grant{}, err
	}
	g, err := q.GetGrantByRequest(ctx, requestID)
	if err != nil {
		return kam.Grant{}, err
	}
	return grantOf(g), nil
}

// DiscountAftermath is what follows a closed discount request (Art. 12),
// ready to write: the events (each with its notice's delivery, if any)
// queued before the close, then, for an approval, the grant, the filing
// with the GM when File, and the events after them.
type DiscountAftermath struct {
	RequestID  uuid.UUID
	Before     []DiscountEventWrite
	Grant      bool
	ApprovedBy uuid.UUID
	File       bool
	After      []DiscountEventWrite
}

// DiscountEventWrite is an approval event, stored once per key, and its
// notice's delivery (nil: none).
type DiscountEventWrite struct {
	Key, Kind, Detail string
	Delivery          *Delivery
}

// Delivery is a notification and who receives it (Deliver).
type Delivery struct {
	Recipients   []uuid.UUID
	Notification Notification
}

// CarryOutDiscount writes an aftermath in one transaction, so one commit
// where a step per transaction made one for every event, notice, grant and
// filing. Every step is idempotent (an event and its notice once per key,
// the grant and the filing once per request), so a retry writes nothing
// twice. It returns the grant and the filing, when there are.
func (s *Store) CarryOutDiscount(ctx context.Context, m DiscountAftermath) (grantID, filingID *uuid.UUID, err error) {
	err = s.inTx(ctx, func(q *dbq.Queries) error {
		if err := s.writeDiscountEvents(ctx, q, m.RequestID, m.Before); err != nil {
			return err
		}
		if !m.Grant {
			return nil
		}
		g, err := applyGrant(ctx, q, m.RequestID, m.ApprovedBy)
		if err != nil {
			return err
		}
		grantID = &g.ID
		if m.File {
			f, err := fileWithGM(ctx, q, m.RequestID)
			if err != nil {
				return err
			}
			filingID = &f
		}
		return s.writeDiscountEvents(ctx, q, m.RequestID, m.After)
	})
	if err != nil {
		return nil, nil, err
	}
	return grantID, filingID, nil
}

func (s *Store) writeDiscountEvents(ctx context.Context, q *dbq.Queries, requestID uuid.UUID, events []DiscountEventWrite) error {
	for _, e := range events {
		if err := q.InsertDiscountEvent(ctx, dbq.InsertDiscountEventParams{RequestID: requestID, EventKey: e.Key, Kind: e.Kind, Detail: e.Detail}); err != nil {
			return err
		}
		if d := e.Delivery; d != nil {
			if _, err := s.deliver(ctx, q, d.Recipients, d.Notification); err != nil {
				return err
			}
		}
	}
	return nil
}

func grantOf(g dbq.DiscountGrant) kam.Grant {
	return kam.Grant{ID: g.ID, RequestID: g.RequestID, CustomerID: g.CustomerID, ProductCategory: g.ProductCategory, Rate: g.Rate,
		Method: g.Method, ValidFrom: g.ValidFrom, ValidTo: g.ValidTo, GrantedAt: g.GrantedAt, ApprovedBy: g.ApprovedBy, EndedAt: g.EndedAt,
		RevokedAt: g.RevokedAt, RevokedOn: g.RevokedOn, RevokedBy: g.RevokedBy, RevokeReason: g.RevokeReason, Version: g.Version}
}

// GetGrant reads one grant in the caller's scope with what deciding its
// revocation needs; one outside the scope is kam.ErrNotFound.
func (s *Store) GetGrant(ctx context.Context, scope Scope, id uuid.UUID) (kam.GrantView, error) {
	r, err := s.q.GetGrant(ctx, dbq.GetGrantParams{ID: id, ManagerID: scope.ManagerID})
	if err != nil {
		return kam.GrantView{}, interpret(err)
	}
	g := grantOf(dbq.DiscountGrant{ID: r.ID, RequestID: r.RequestID, CustomerID: r.CustomerID, ProductCategory: r.ProductCategory, Rate: r.Rate,
		Method: r.Method, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, GrantedAt: r.GrantedAt, ApprovedBy: r.ApprovedBy, EndedAt: r.EndedAt,
		RevokedAt: r.RevokedAt, RevokedOn: r.RevokedOn, RevokedBy: r.RevokedBy, RevokeReason: r.RevokeReason, Version: r.Version})
	return kam.GrantView{Grant: g, Route: r.Route, Escalated: r.Escalated, RequesterID: r.RequesterID}, nil
}

// RevokeGrant ends a request's grant now and files the revocation with the
// GM, in one transaction that also writes the register entry pending in ctx
// (Art. 9). It returns the filing. A retry after that transaction committed
// finds the filing and writes nothing again; a grant that has already ended
// is a conflict (grant_ended).
func (s *Store) RevokeGrant(ctx context.Context, rv kam.GrantRevocation) (kam.Filing, error) {
	byKind := dbq.GetFilingByRequestParams{RequestID: rv.RequestID, Kind: kam.FilingRevocation}
	if f, err := s.q.GetFilingByRequest(ctx, byKind); err == nil {
		return filingOf(f), nil
	} else if !errors.Is(interpret(err), kam.ErrNotFound) {
		return kam.Filing{}, interpret(err)
	}
	var out kam.Filing
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		by, reason := rv.By, rv.Reason
		g, err := q.RevokeGrant(ctx, dbq.RevokeGrantParams{RequestID: rv.RequestID, RevokedOn: rv.On, RevokedBy: &by, Reason: &reason})
		if errors.Is(interpret(err), kam.ErrNotFound) {
			return kam.Conflict("grant_ended", "the grant has already ended")
		} else if err != nil {
			return err
		}
		SetAccessCustomers(ctx, g.CustomerID)
		if err := q.InsertFiling(ctx, dbq.InsertFilingParams{FilingID: NewID(), Kind: kam.FilingRevocation, RequestID: rv.RequestID}); err != nil {
			return err
		}
		f, err := q.GetFilingByRequest(ctx, byKind)
		out = filingOf(f)
		return err
	})
	return out, err
}

// GrantsInForce reads a page of an account's discount standard on a day: the
// grant in force per product category, by category (Art. 7.8).
func (s *Store) GrantsInForce(ctx context.Context, f kam.GrantFilter) ([]kam.Grant, error) {
	rows, err := s.q.GrantsAsOfPage(ctx, dbq.GrantsAsOfPageParams{CustomerID: f.CustomerID, AsOf: f.AsOf, AfterCategory: f.AfterCategory, Lim: f.Lim})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Grant, 0, len(rows))
	for _, g := range rows {
		out = append(out, grantOf(g))
	}
	return out, nil
}

// FileWithGM records the filing of a standard discount with the GM (Art. 12)
// and returns the filing's id. Idempotent.
func (s *Store) FileWithGM(ctx context.Context, requestID uuid.UUID) (uuid.UUID, error) {
	id, err := fileWithGM(ctx, s.q, requestID)
	return id, interpret(err)
}

func fileWithGM(ctx context.Context, q *dbq.Queries, requestID uuid.UUID) (uuid.UUID, error) {
	if err := q.InsertFiling(ctx, dbq.InsertFilingParams{FilingID: NewID(), Kind: kam.FilingGrant, RequestID: requestID}); err != nil {
		return uuid.Nil, err
	}
	f, err := q.GetFilingByRequest(ctx, dbq.GetFilingByRequestParams{RequestID: requestID, Kind: kam.FilingGrant})
	return f.ID, err
}

// RecordDiscountEvent stores an approval event once per key, with its
// notice's delivery when there is one, in one transaction; a repeat writes
// nothing new.
func (s *Store) RecordDiscountEvent(ctx context.Context, requestID uuid.UUID, key, kind, detail string, notice *Delivery) error {
	if notice == nil {
		return interpret(s.q.InsertDiscountEvent(ctx, dbq.InsertDiscountEventParams{RequestID: requestID, EventKey: key, Kind: kind, Detail: detail}))
	}
	return s.inTx(ctx, func(q *dbq.Queries) error {
		return s.writeDiscountEvents(ctx, q, requestID, []DiscountEventWrite{{Key: key, Kind: kind, Detail: detail, Delivery: notice}})
	})
}

// EndGrant marks the request's grant ended at its valid_to.
func (s *Store) EndGrant(ctx context.Context, requestID uuid.UUID) error {
	return s.inTx(ctx, func(q *dbq.Queries) error {
		ended, err := q.EndGrant(ctx, requestID)
		if err != nil {
			return err
		}
		for _, c := range ended {
			// The account's discount standard changed with no one asking
			// (Art. 7.8): the run's change is registered with it (Art. 9).
			if err := registerProcessChange(ctx, q, c, []string{"discounts"}, "Art. 7.8: the grant reached its valid_to"); err != nil {
				return err
			}
		}
		return nil
	})
}

func filingOf(f dbq.Filing) kam.Filing {
	return kam.Filing{ID: f.ID, RequestID: f.RequestID, GrantID: f.GrantID, CustomerID: f.CustomerID, FiledAt: f.FiledAt,
		AcknowledgedAt: f.AcknowledgedAt, AcknowledgedBy: f.AcknowledgedBy, Kind: f.Kind, Version: f.Version}
}

// ListFilings reads a page of filings with what their requests asked for,
// newest first (Art. 12).
func (s *Store) ListFilings(ctx context.Context, f kam.FilingFilter) ([]kam.FiledDiscount, error) {
	unacknowledged := f.Unacknowledged
	arg := dbq.ListFilingsParams{Unacknowledged: &unacknowledged, Lim: f.Lim}
	if f.Before != nil {
		arg.Before, arg.BeforeID = &f.Before.FiledAt, &f.Before.ID
	}
	rows, err := s.q.ListFilings(ctx, arg)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.FiledDiscount, 0, len(rows))
	for _, r := range rows {
		filing := kam.Filing{ID: r.ID, RequestID: r.RequestID, GrantID: r.GrantID, CustomerID: r.CustomerID, FiledAt: r.FiledAt,
			AcknowledgedAt: r.AcknowledgedAt, AcknowledgedBy: r.AcknowledgedBy, Kind: r.Kind, Version: r.Version}
		out = append(out, kam.FiledDiscount{Filing: filing, Rate: r.Rate, Method: r.Method, ProductCategory: r.ProductCategory, RequesterID: r.RequesterID})
	}
	return out, nil
}

// AcknowledgeFiling records that the General Manager has seen a filing (a
// repeat keeps the first acknowledgement); an unknown id is kam.ErrNotFound.
// The filing's account is named in the request's register entry, which the
// same transaction writes (Art. 9).
func (s *Store) AcknowledgeFiling(ctx context.Context, id, by uuid.UUID) (kam.Filing, error) {
	var out kam.Filing
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		f, err := q.AcknowledgeFiling(ctx, dbq.AcknowledgeFilingParams{ID: id, AcknowledgedBy: &by})
		if err != nil {
			return err
		}
		out = filingOf(f)
		SetAccessCustomers(ctx, f.CustomerID)
		return nil
	})
	return out, err
}

// PutDiscountPolicy sets a tier's discount policy for a product category
// (Art. 5.5, 12); p.UpdatedAt is ignored. An unknown tier is kam.ErrNotFound.
func (s *Store) PutDiscountPolicy(ctx context.Context, p kam.DiscountPolicy, by uuid.UUID) (kam.DiscountPolicy, error) {
	var out kam.DiscountPolicy
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.GetTier(ctx, p.Tier); err != nil {
			return err
		}
		var prev *dbq.DiscountPolicy
		if cur, err := q.LockDiscountPolicy(ctx, dbq.LockDiscountPolicyParams{Tier: p.Tier, ProductCategory: p.ProductCategory}); err == nil {
			prev = &cur
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		r, err := q.PutDiscountPolicy(ctx, dbq.PutDiscountPolicyParams{Tier: p.Tier, ProductCategory: p.ProductCategory,
			MaxStandardRate: p.MaxStandardRate, HardCapRate: p.HardCapRate, Methods: p.Methods})
		if err != nil {
			return err
		}
		out = kam.DiscountPolicy(r)
		for _, ch := range policyChanges(prev, r) {
			if err := q.InsertPolicyHistory(ctx, dbq.InsertPolicyHistoryParams{Tier: r.Tier, ProductCategory: r.ProductCategory,
				StaffID: &by, Field: ch.Field, OldValue: ch.Old, NewValue: ch.New}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// policyChanges lists what changed from prev to next, as the policy's
// history shows it; every field of a new policy (prev nil) is new. Methods
// compare as a set.
func policyChanges(prev *dbq.DiscountPolicy, next dbq.DiscountPolicy) []Change {
	fields := func(p dbq.DiscountPolicy) [][2]string {
		methods := slices.Clone(p.Methods)
		slices.Sort(methods)
		return [][2]string{{"max_standard_rate", p.MaxStandardRate.StringFixed(2)}, {"hard_cap_rate", p.HardCapRate.StringFixed(2)},
			{"methods", strings.Join(methods, ",")}}
	}
	var before [][2]string
	if prev != nil {
		before = fields(*prev)
	}
	return fieldChanges(before, fields(next))
}

// PolicyHistory lists up to lim changes of a discount policy, oldest first,
// after the given history id when there is one; a policy never set is
// kam.ErrNotFound.
func (s *Store) PolicyHistory(ctx context.Context, tier, category string, after *int64, lim int32) ([]kam.PolicyHistoryEntry, error) {
	if _, err := s.q.GetDiscountPolicy(ctx, dbq.GetDiscountPolicyParams{Tier: tier, ProductCategory: category}); err != nil {
		return nil, interpret(err)
	}
	rows, err := s.q.ListPolicyHistory(ctx, dbq.ListPolicyHistoryParams{Tier: tier, ProductCategory: category, After: after, Lim: lim})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.PolicyHistoryEntry, 0, len(rows))
	for _, h := range rows {
		out = append(out, kam.PolicyHistoryEntry{ID: h.ID, Tier: h.Tier, ProductCategory: h.ProductCategory, StaffID: h.StaffID,
			StaffName: h.StaffName, At: h.At, Field: h.Field, OldValue: h.OldValue, NewValue: h.NewValue})
	}
	return out, nil
}
