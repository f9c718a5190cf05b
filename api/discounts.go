package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/store"
	"kam/workflows"
)

var discountSections = []string{"discounts"}

// DiscountRequestCreate asks for a discount (Art. 11, 12).
type DiscountRequestCreate struct {
	CustomerID      string `json:"customer_id" format:"uuid"`
	ProductCategory string `json:"product_category" minLength:"1" maxLength:"100"`
	Rate            string `json:"rate" pattern:"^[0-9]{1,3}(\\.[0-9]{1,3})?$" doc:"Percent as a decimal string, e.g. \"12.5\""`
	Method          string `json:"method" enum:"percentage,fixed_price,rebate"`
	ValidFrom       string `json:"valid_from" format:"date"`
	ValidTo         string `json:"valid_to" format:"date"`
	Reason          string `json:"reason,omitempty" maxLength:"2000"`
}

// DecisionEntry is one stage's decision.
type DecisionEntry struct {
	Stage      string    `json:"stage" enum:"ka_department,general_manager"`
	Decision   string    `json:"decision" enum:"approve,reject"`
	By         string    `json:"by" format:"uuid"`
	OnBehalfOf *string   `json:"on_behalf_of" format:"uuid" doc:"The delegator a deputy decided for (SPEC §7); null when By decided in their own right"`
	At         time.Time `json:"at"`
	Comment    string    `json:"comment"`
}

// DiscountRequest is a request and where its approval stands.
type DiscountRequest struct {
	ID              string          `json:"id" format:"uuid"`
	CustomerID      string          `json:"customer_id" format:"uuid"`
	RequesterID     string          `json:"requester_id" format:"uuid"`
	ProductCategory string          `json:"product_category"`
	Rate            string          `json:"rate"`
	Method          string          `json:"method"`
	ValidFrom       string          `json:"valid_from"`
	ValidTo         string          `json:"valid_to"`
	Reason          string          `json:"reason"`
	Route           string          `json:"route" enum:"standard,beyond_standard"`
	State           string          `json:"state" enum:"pending,approved,rejected,withdrawn,expired"`
	Stage           *string         `json:"stage" doc:"ka_department, general_manager, or null once closed"`
	Escalated       bool            `json:"escalated"`
	Deadline        *time.Time      `json:"deadline" doc:"When the current stage escalates or expires"`
	Reminders       int32           `json:"reminders"`
	Decisions       []DecisionEntry `json:"decisions"`
	PolicyMaxRate   string          `json:"policy_max_standard_rate" doc:"The policy snapshot that routed this request"`
	PolicyHardCap   string          `json:"policy_hard_cap_rate"`
	CreatedAt       time.Time       `json:"created_at"`
	Version         int32           `json:"version" doc:"1 when requested; one more with each change of what this answer shows: a decision, stage, deadline, reminder, escalation, withdrawal, expiry or a handover of the requester (SPEC §3)"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

func rateString(d decimal.Decimal) string { return d.String() }

func discountOut(v kam.DiscountView) DiscountRequest {
	r := v.Request
	out := DiscountRequest{
		ID: r.ID.String(), CustomerID: r.CustomerID.String(), RequesterID: r.RequesterID.String(),
		ProductCategory: r.ProductCategory, Rate: rateString(r.Rate), Method: r.Method,
		ValidFrom: r.ValidFrom.Format(time.DateOnly), ValidTo: r.ValidTo.Format(time.DateOnly), Reason: r.Reason,
		Route: r.Route, State: r.State, Stage: r.Stage, Escalated: r.Escalated, Deadline: r.Deadline, Reminders: r.Reminders,
		PolicyMaxRate: rateString(r.PolicyMaxStandardRate), PolicyHardCap: rateString(r.PolicyHardCapRate),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version, Decisions: []DecisionEntry{},
	}
	for _, d := range v.Decisions {
		out.Decisions = append(out.Decisions, DecisionEntry{Stage: d.Stage, Decision: d.Decision, By: d.DecidedBy.String(),
			OnBehalfOf: uuidString(d.OnBehalfOf), At: d.DecidedAt, Comment: d.Comment})
	}
	return out
}

// DecisionCreate is a decider's answer.
type DecisionCreate struct {
	Decision string `json:"decision" enum:"approve,reject"`
	Comment  string `json:"comment,omitempty" maxLength:"2000"`
}

// Grant is one entry of an account's discount standard (Art. 7.8).
type Grant struct {
	ID              string     `json:"id" format:"uuid"`
	RequestID       string     `json:"request_id" format:"uuid"`
	CustomerID      string     `json:"customer_id" format:"uuid"`
	ProductCategory string     `json:"product_category"`
	Rate            string     `json:"rate"`
	Method          string     `json:"method"`
	ValidFrom       string     `json:"valid_from"`
	ValidTo         string     `json:"valid_to"`
	GrantedAt       time.Time  `json:"granted_at"`
	ApprovedBy      string     `json:"approved_by" format:"uuid"`
	EndedAt         *time.Time `json:"ended_at"`
	RevokedAt       *time.Time `json:"revoked_at" doc:"Set when the grant was revoked before valid_to; it ended then"`
	RevokedOn       *string    `json:"revoked_on" doc:"The company's day of the revocation: sales dated later are inspection findings"`
	RevokedBy       *string    `json:"revoked_by" format:"uuid"`
	RevokeReason    *string    `json:"revoke_reason"`
	Version         int32      `json:"version" doc:"1 when granted; one more when it ends or is revoked (SPEC §3)"`
}

// GrantRevoke ends a grant before its valid_to (SPEC §7).
type GrantRevoke struct {
	Reason string `json:"reason" minLength:"1" maxLength:"2000"`
}

// Filing is a standard discount filed with the GM (备案), or the revocation
// of a grant.
type Filing struct {
	ID              string     `json:"id" format:"uuid"`
	Kind            string     `json:"kind" enum:"grant,revocation" doc:"grant: a standard discount the KA Department approved (Art. 12); revocation: a grant revoked before its valid_to"`
	RequestID       string     `json:"request_id" format:"uuid"`
	GrantID         string     `json:"grant_id" format:"uuid"`
	CustomerID      string     `json:"customer_id" format:"uuid"`
	FiledAt         time.Time  `json:"filed_at"`
	Acknowledged    bool       `json:"acknowledged"`
	AcknowledgedAt  *time.Time `json:"acknowledged_at"`
	AcknowledgedBy  *string    `json:"acknowledged_by" format:"uuid"`
	Rate            string     `json:"rate,omitempty"`
	Version         int32      `json:"version" doc:"1 when filed; 2 once acknowledged (SPEC §3)"`
	Method          string     `json:"method,omitempty"`
	ProductCategory string     `json:"product_category,omitempty"`
}

func filingOut(f kam.Filing) Filing {
	return Filing{ID: f.ID.String(), Kind: f.Kind, RequestID: f.RequestID.String(), GrantID: f.GrantID.String(), CustomerID: f.CustomerID.String(),
		FiledAt: f.FiledAt, Acknowledged: f.AcknowledgedAt != nil, AcknowledgedAt: f.AcknowledgedAt, AcknowledgedBy: uuidString(f.AcknowledgedBy), Version: f.Version}
}

// PolicyPut sets a discount policy.
type PolicyPut struct {
	MaxStandardRate string   `json:"max_standard_rate" pattern:"^[0-9]{1,3}(\\.[0-9]{1,3})?$"`
	HardCapRate     string   `json:"hard_cap_rate" pattern:"^[0-9]{1,3}(\\.[0-9]{1,3})?$"`
	Methods         []string `json:"methods" minItems:"1" maxItems:"3" uniqueItems:"true" enum:"percentage,fixed_price,rebate"`
	// Version is the version a GET answered, accepted so that what was read
	// can be sent back; a PUT sets the whole resource and checks no version.
	Version *int32 `json:"version,omitempty" doc:"Read-only: the version a GET answered, accepted and not checked (this PUT takes no precondition)"`
}

func (s *Server) discountRoutes() {
	huma.Register(s.api, created(op("create-discount-request", http.MethodPost, "/v1/discount-requests", "Request a discount (Art. 11, 12)", "discounts")), s.createDiscount)
	huma.Register(s.api, op("list-discount-requests", http.MethodGet, "/v1/discount-requests", "Discount requests you may see", "discounts"), s.listDiscounts)
	huma.Register(s.api, op("get-discount-request", http.MethodGet, "/v1/discount-requests/{id}", "A discount request and its approval", "discounts"), s.getDiscount)
	dec := op("decide-discount-request", http.MethodPost, "/v1/discount-requests/{id}/decisions", "Approve or reject the current stage (a Temporal update)", "discounts")
	dec.Errors = append(dec.Errors, 409)
	huma.Register(s.api, dec, s.decideDiscount)
	wd := op("withdraw-discount-request", http.MethodPost, "/v1/discount-requests/{id}/withdraw", "Withdraw your pending request", "discounts")
	wd.Errors = append(wd.Errors, 409)
	huma.Register(s.api, wd, s.withdrawDiscount)
	huma.Register(s.api, op("list-filings", http.MethodGet, "/v1/filings", "Standard discounts filed with the GM", "discounts"), s.listFilings)
	huma.Register(s.api, op("acknowledge-filing", http.MethodPost, "/v1/filings/{id}/acknowledge", "The GM acknowledges a filing", "discounts"), s.acknowledgeFiling)
	huma.Register(s.api, op("list-grants", http.MethodGet, "/v1/customers/{id}/discounts", "The account's discount standard in force (Art. 7.8)", "discounts"), s.listGrants)
	rv := op("revoke-grant", http.MethodPost, "/v1/discount-grants/{id}/revoke", "End a grant now (ka_manager: standard grants; general_manager: any)", "discounts")
	rv.Errors = append(rv.Errors, 409)
	huma.Register(s.api, rv, s.revokeGrant)
	huma.Register(s.api, op("put-discount-policy", http.MethodPut, "/v1/discount-policies/{tier}/{product_category}", "Set a discount policy (Art. 5.5)", "policy"), s.putPolicy)
	huma.Register(s.api, op("discount-policy-history", http.MethodGet, "/v1/discount-policies/{tier}/{product_category}/history", "Every change of a discount policy: who, when, field, old, new", "policy"), s.policyHistory)
}

// discountViewer is who may see discount data (Art. 11): account managers see
// their own requests, the roles with capSeeDiscounts see all, others none.
func discountViewer(p principal) (store.DiscountViewer, bool) {
	switch {
	case p.Role == kam.RoleAccountManager:
		id := p.ID
		return store.DiscountViewer{RequesterID: &id}, true
	case can(p.Role, capSeeDiscounts):
		return store.DiscountViewer{}, true
	}
	return store.DiscountViewer{}, false
}

func (s *Server) createDiscount(ctx context.Context, in *struct{ Body DiscountRequestCreate }) (*struct{ Body DiscountRequest }, error) {
	p := callerOf(ctx)
	customer, err := parseUUID("body.customer_id", in.Body.CustomerID)
	if err != nil {
		return nil, err
	}
	if !can(p.Role, capRequestDiscount) {
		return nil, s.deny(ctx, customer, discountSections, forbidden("discounts are requested by account managers and the KA Department"))
	}
	input, err := discountInput(customer, p.ID, in.Body)
	if err != nil {
		return nil, err
	}
	set := s.procs.Settings
	req, err := archiveWrite(s, ctx, []uuid.UUID{customer}, discountSections, func(ctx context.Context) (kam.DiscountRequest, error) {
		input.Deadline = time.Now().Add(set.ApprovalEscalateAfter)
		return s.store.CreateDiscountRequest(ctx, scopeOf(p), input, s.startDiscount(ctx))
	})
	switch {
	case errors.Is(err, kam.ErrNotFound):
		return nil, s.deny(ctx, customer, discountSections, notFound())
	case err != nil:
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body DiscountRequest }{Body: discountOut(kam.DiscountView{Request: req})}, nil
}

// discountInput reads a discount request: its rate and validity.
func discountInput(customer, requester uuid.UUID, b DiscountRequestCreate) (store.DiscountInput, error) {
	var bad fieldErrors
	rate, err := decimal.NewFromString(b.Rate)
	if err != nil {
		bad.field("body.rate", "not a decimal")
	}
	from, err := optDate("body.valid_from", &b.ValidFrom)
	bad.add(err)
	to, err := optDate("body.valid_to", &b.ValidTo)
	bad.add(err)
	if err := bad.err(); err != nil {
		return store.DiscountInput{}, err
	}
	return store.DiscountInput{CustomerID: customer, RequesterID: requester, ProductCategory: b.ProductCategory, Rate: rate,
		Method: b.Method, ValidFrom: *from, ValidTo: *to, Reason: b.Reason}, nil
}

// startDiscount starts a request's approval run inside the request's
// transaction: a run that cannot start rolls the request back.
func (s *Server) startDiscount(ctx context.Context) func(r kam.DiscountRequest) error {
	return func(r kam.DiscountRequest) error {
		start := workflows.DiscountStart{ID: r.ID, CustomerID: r.CustomerID, RequesterID: r.RequesterID, Route: r.Route, ValidTo: r.ValidTo}
		if err := s.procs.StartDiscount(ctx, start); err != nil {
			return kam.StartFailed("the approval process could not be started", err)
		}
		return nil
	}
}

func (s *Server) listDiscounts(ctx context.Context, in *struct {
	CustomerID string `query:"customer_id" format:"uuid"`
	State      string `query:"state" maxLength:"16" doc:"pending, approved, rejected, withdrawn or expired"`
	Awaiting   string `query:"awaiting" maxLength:"16" doc:"me: only the pending requests whose current stage you decide (never your own)"`
	Limit      int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor     string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[DiscountRequest] }, error) {
	p := callerOf(ctx)
	v, ok := discountViewer(p)
	if !ok {
		return nil, s.deny(ctx, uuid.Nil, discountSections, forbidden("discount data is confidential (Art. 11)"))
	}
	f, err := discountFilter(p, in.CustomerID, in.State, in.Awaiting, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	if err := s.gateListFilter(ctx, in.CustomerID, discountSections); err != nil {
		return nil, err
	}
	page, shown, err := s.discountPage(ctx, v, f, in.Limit)
	if err != nil {
		return nil, err
	}
	if err := s.registerShown(ctx, kam.AccessList, shown, discountSections); err != nil {
		return nil, err
	}
	return &struct{ Body Page[DiscountRequest] }{Body: page}, nil
}

// discountFilter reads a request list's filters and cursor. awaiting=me
// keeps what awaits the caller's decision: the stages their role decides
// (kam.Decider), never their own request; any other value is refused.
func discountFilter(p principal, customerID, state, awaiting, cursor string, limit int) (store.DiscountFilter, error) {
	var bad fieldErrors
	customer, err := optUUID("query.customer_id", nonEmpty(customerID))
	bad.add(err)
	after, err := uuidCursor(cursor, "discount-requests")
	bad.add(err)
	f := store.DiscountFilter{CustomerID: customer, State: nonEmpty(state), After: after, Limit: int32(limit + 1)}
	switch awaiting {
	case "":
	case "me":
		role, id := p.Role, p.ID
		f.AwaitingRole, f.AwaitingStaff = &role, &id
	default:
		bad.field("query.awaiting", "awaiting takes only the value me")
	}
	return f, bad.err()
}

// discountPage reads one page of the discount requests v may see, and the
// accounts on it.
func (s *Server) discountPage(ctx context.Context, v store.DiscountViewer, f store.DiscountFilter, limit int) (Page[DiscountRequest], []uuid.UUID, error) {
	rows, err := s.store.ListDiscountRequests(ctx, v, f)
	if err != nil {
		return Page[DiscountRequest]{}, nil, problemFor(s.log, err)
	}
	page := pageOf(rows, limit, discountOut, func(r kam.DiscountView) string { return encodeCursor("discount-requests", r.Request.ID.String()) })
	return page, accountsOf(rows[:len(page.Items)], func(r kam.DiscountView) uuid.UUID { return r.Request.CustomerID }), nil
}

// loadDiscount reads a request the caller may see, registering the attempt
// as denied when they may not.
func (s *Server) loadDiscount(ctx context.Context, raw string) (kam.DiscountView, error) {
	id, err := parseUUID("path.id", raw)
	if err != nil {
		return kam.DiscountView{}, err
	}
	v, ok := discountViewer(callerOf(ctx))
	if !ok {
		return kam.DiscountView{}, s.denyRecord(ctx, id, discountSections, notFound())
	}
	view, err := s.store.GetDiscountRequest(ctx, v, id)
	if errors.Is(err, kam.ErrNotFound) {
		return view, s.denyRecord(ctx, id, discountSections, notFound())
	}
	if err != nil {
		return view, problemFor(s.log, err)
	}
	return view, nil
}

func (s *Server) getDiscount(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*struct{ Body DiscountRequest }, error) {
	view, err := s.loadDiscount(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if err := s.register(ctx, kam.AccessView, []uuid.UUID{view.Request.CustomerID}, discountSections); err != nil {
		return nil, err
	}
	return &struct{ Body DiscountRequest }{Body: discountOut(view)}, nil
}

// processErr answers a refusal by the approval run, which Processes has
// made a domain error: one the caller may not make is registered as denied.
func (s *Server) processErr(ctx context.Context, customer uuid.UUID, err error) error {
	var de *kam.Error
	if errors.As(err, &de) && de.Kind == kam.KindForbidden {
		return s.deny(ctx, customer, discountSections, err)
	}
	return problemFor(s.log, err)
}

func (s *Server) decideDiscount(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body DecisionCreate
}) (*struct{ Body DiscountRequest }, error) {
	view, err := s.loadDiscount(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	r := view.Request
	d, err := s.decisionOf(ctx, view, in.Body)
	if err != nil {
		return nil, err
	}
	st, err := processWrite(s, ctx, []uuid.UUID{r.CustomerID}, discountSections, func(ctx context.Context) (workflows.DiscountState, error) {
		return s.procs.Decide(ctx, r.ID, d)
	})
	return s.answerUpdate(ctx, view, st, err)
}

// decisionOf is the decision the caller makes on r's stage, and in which
// capacity (SPEC §7): in their own role when it decides the stage, otherwise
// as the deputy of someone whose role does, through a delegation in force now
// (looked up here, in Postgres, at decision time: one ended a moment ago no
// longer counts, one begun while the request waited does). No one who asked
// for the request, now or before a handover, decides it, nor does their
// deputy. A caller who may not decide is refused (403, registered as
// denied) before anything else is said of the request, and before any
// `update` entry is registered: the run is asked only by someone it would
// hear, and refuses only when the request moved on meanwhile.
func (s *Server) decisionOf(ctx context.Context, view kam.DiscountView, b DecisionCreate) (workflows.Decision, error) {
	r := view.Request
	p := callerOf(ctx)
	d := workflows.Decision{By: p.ID, Role: p.Role, Decision: b.Decision, Comment: b.Comment}
	refuse := func(format string, args ...any) (workflows.Decision, error) {
		return d, s.deny(ctx, r.CustomerID, discountSections, kam.Refused(workflows.ErrNotDecider, format, args...))
	}
	if !can(p.Role, capDecideDiscount) || r.Asked(p.ID) {
		return refuse("you may not decide this request")
	}
	if r.State != kam.StatePending {
		return d, problemFor(s.log, kam.Conflict(workflows.ErrAlreadyDecided, "this request is already %s", r.State))
	}
	stage := ""
	if r.Stage != nil {
		stage = *r.Stage
	}
	need := kam.Decider(stage, r.Escalated)
	// Art. 11: level by level; who took part in stage 1 does not decide
	// stage 2 too, in their own role or for someone (the run refuses it
	// as well).
	if stage == kam.StageGeneralManager && view.DecidedStageOne(p.ID) {
		return refuse("whoever decided the KA Department's stage does not decide the General Manager's too")
	}
	if p.Role == need {
		return d, nil
	}
	deputyships, err := s.store.DeputyshipsOf(ctx, p.ID)
	if err != nil {
		return d, problemFor(s.log, err)
	}
	for _, dep := range deputyships {
		if dep.FromRole == need && !r.Asked(dep.From) && !(stage == kam.StageGeneralManager && view.DecidedStageOne(dep.From)) {
			d.Deputyship = &dep
			return d, nil
		}
	}
	return refuse("the %s stage is decided by a %s", stage, need)
}

func (s *Server) withdrawDiscount(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*struct{ Body DiscountRequest }, error) {
	view, err := s.loadDiscount(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	r := view.Request
	if p.ID != r.RequesterID {
		return nil, s.deny(ctx, r.CustomerID, discountSections, kam.Refused(workflows.ErrNotRequester, "only the requester withdraws a request"))
	}
	if r.State != kam.StatePending {
		return nil, problemFor(s.log, kam.Conflict(workflows.ErrNotPending, "this request is already %s", r.State))
	}
	st, err := processWrite(s, ctx, []uuid.UUID{r.CustomerID}, discountSections, func(ctx context.Context) (workflows.DiscountState, error) {
		return s.procs.Withdraw(ctx, r.ID, workflows.Withdrawal{By: p.ID})
	})
	return s.answerUpdate(ctx, view, st, err)
}

// answerUpdate finishes a decide or withdraw call (registered before it was
// sent, processWrite): a refusal becomes its problem; an accepted update is
// answered from the request as loaded and the run's answer, which names the
// state it saved before answering and when (no read after the update). An
// answer without that time (a worker older than UpdatedAt) is answered from
// the read model.
func (s *Server) answerUpdate(ctx context.Context, before kam.DiscountView, st workflows.DiscountState, updateErr error) (*struct{ Body DiscountRequest }, error) {
	var p *Problem
	if errors.As(updateErr, &p) {
		return nil, p // the register refused: nothing was sent
	}
	r := before.Request
	if updateErr != nil {
		return nil, s.processErr(ctx, r.CustomerID, updateErr)
	}
	if st.UpdatedAt.IsZero() || st.Version == 0 {
		view, err := s.store.GetDiscountRequest(ctx, store.DiscountViewer{}, r.ID)
		if err != nil {
			return nil, problemFor(s.log, err)
		}
		return &struct{ Body DiscountRequest }{Body: discountOut(view)}, nil
	}
	return &struct{ Body DiscountRequest }{Body: discountOut(afterUpdate(before, st))}, nil
}

// afterUpdate is a request as loaded with the state its run answered, and
// the decision the run recorded, as the read model now holds them (times
// to the microsecond, in the zone a read gives them).
func afterUpdate(before kam.DiscountView, st workflows.DiscountState) kam.DiscountView {
	v := before
	v.Request.State, v.Request.Escalated, v.Request.Deadline = st.State, st.Escalated, nil
	if st.Deadline != nil {
		d := asStored(*st.Deadline)
		v.Request.Deadline = &d
	}
	v.Request.Reminders, v.Request.UpdatedAt, v.Request.Stage = int32(st.Reminders), asStored(st.UpdatedAt), nil
	v.Request.Version = st.Version
	if st.Stage != "" {
		stage := st.Stage
		v.Request.Stage = &stage
	}
	if d := st.Decided; d != nil {
		v.Decisions = append(slices.Clone(v.Decisions), kam.StageDecision{RequestID: v.Request.ID, Stage: d.Stage, Decision: d.Decision,
			DecidedBy: d.By, DecidedAt: asStored(d.At), Comment: d.Comment, OnBehalfOf: d.OnBehalfOf})
	}
	return v
}

// asStored is t as Postgres keeps it and pgx reads it back.
func asStored(t time.Time) time.Time { return t.Truncate(time.Microsecond).Local() }

func (s *Server) listFilings(ctx context.Context, in *struct {
	Unacknowledged bool   `query:"unacknowledged" doc:"Only those the GM has not acknowledged"`
	Limit          int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor         string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Filing] }, error) {
	r := archiveRead{need: capSeeFilings, sections: discountSections, action: kam.AccessList, refusal: "filings are for the General Manager (Art. 12)"}
	page, err := readList(s, ctx, r, func(ctx context.Context, _ store.Scope) (Page[Filing], []uuid.UUID, error) {
		f, err := filingQuery(in.Unacknowledged, in.Cursor, in.Limit)
		if err != nil {
			return Page[Filing]{}, nil, err
		}
		rows, err := s.store.ListFilings(ctx, f)
		if err != nil {
			return Page[Filing]{}, nil, err
		}
		page := pageOf(rows, in.Limit, filedOut, filingCursor)
		return page, accountsOf(rows[:len(page.Items)], func(r kam.FiledDiscount) uuid.UUID { return r.CustomerID }), nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Filing] }{Body: page}, nil
}

// filingQuery reads a filing list's filter and cursor (newest first).
func filingQuery(unacknowledged bool, cursor string, limit int) (kam.FilingFilter, error) {
	f := kam.FilingFilter{Unacknowledged: unacknowledged, Lim: int32(limit + 1)}
	var key kam.FilingKey
	if ok, err := decodeCursor(cursor, "filings", timeKey(&key.FiledAt), uuidKey(&key.ID)); err != nil {
		return f, err
	} else if ok {
		f.Before = &key
	}
	return f, nil
}

func filedOut(r kam.FiledDiscount) Filing {
	f := filingOut(r.Filing)
	f.Rate, f.Method, f.ProductCategory = rateString(r.Rate), r.Method, r.ProductCategory
	return f
}

func filingCursor(r kam.FiledDiscount) string {
	return encodeCursor("filings", timeText(r.FiledAt), r.ID.String())
}

func (s *Server) acknowledgeFiling(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*struct{ Body Filing }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	if !can(p.Role, capSeeFilings) {
		return nil, s.denyRecord(ctx, id, discountSections, notFound())
	}
	if p.Role != kam.RoleGeneralManager {
		return nil, s.denyRecord(ctx, id, discountSections, forbidden("only the General Manager acknowledges a filing"))
	}
	// The filing names its account: the store puts it into the register entry.
	f, err := archiveWrite(s, ctx, nil, discountSections, func(ctx context.Context) (kam.Filing, error) {
		return s.store.AcknowledgeFiling(ctx, id, p.ID)
	})
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Filing }{Body: filingOut(f)}, nil
}

func (s *Server) listGrants(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid"`
	AsOf   string `query:"as_of" format:"date" doc:"Default: today in the company time zone"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Grant] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	r := archiveRead{need: capReadGrants, sections: discountSections, action: kam.AccessView}
	out, err := readAccount(s, ctx, id, r, func(ctx context.Context, _ store.Scope) (Page[Grant], error) {
		f, err := s.grantQuery(id, in.AsOf, in.Cursor, in.Limit)
		if err != nil {
			return Page[Grant]{}, err
		}
		rows, err := s.store.GrantsInForce(ctx, f)
		return pageOf(rows, in.Limit, grantOut, grantCursor), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Grant] }{Body: out}, nil
}

// grantQuery reads a grant list's day (today in the company time zone by
// default) and cursor.
func (s *Server) grantQuery(id uuid.UUID, rawAsOf, cursor string, limit int) (kam.GrantFilter, error) {
	asOf := time.Now().In(s.procs.Settings.Timezone)
	asOf = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	if rawAsOf != "" {
		d, err := optDate("query.as_of", &rawAsOf)
		if err != nil {
			return kam.GrantFilter{}, err
		}
		asOf = *d
	}
	arg := kam.GrantFilter{CustomerID: id, AsOf: asOf, Lim: int32(limit + 1)}
	var category string
	if ok, err := decodeCursor(cursor, "grants", textKey(&category)); err != nil {
		return arg, err
	} else if ok {
		arg.AfterCategory = &category
	}
	return arg, nil
}

func grantOut(g kam.Grant) Grant {
	return Grant{ID: g.ID.String(), RequestID: g.RequestID.String(), CustomerID: g.CustomerID.String(), ProductCategory: g.ProductCategory,
		Rate: rateString(g.Rate), Method: g.Method, ValidFrom: g.ValidFrom.Format(time.DateOnly), ValidTo: g.ValidTo.Format(time.DateOnly),
		GrantedAt: g.GrantedAt, ApprovedBy: g.ApprovedBy.String(), EndedAt: g.EndedAt,
		RevokedAt: g.RevokedAt, RevokedOn: dateString(g.RevokedOn), RevokedBy: uuidString(g.RevokedBy), RevokeReason: g.RevokeReason, Version: g.Version}
}

// revokeGrant ends a grant now (SPEC §7) through an update on its approval
// run, which owns the grant until it ends: the grant row ends, the GM gets a
// filing, and this request's register entry is written in that same
// transaction (the update carries it). A ka_manager revokes standard grants
// (kam.StandardGrant), the General Manager any; a revoked or ended grant is
// 409.
func (s *Server) revokeGrant(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body GrantRevoke
}) (*struct{ Body Grant }, error) {
	g, err := s.loadGrant(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	if !can(p.Role, capRevokeGrants) || !kam.MayRevoke(p.Role, kam.StandardGrant(g.Route, g.Escalated)) {
		return nil, s.deny(ctx, g.CustomerID, discountSections,
			kam.Refused(workflows.ErrNotRevoker, "a ka_manager revokes standard grants, the General Manager any"))
	}
	switch {
	case g.RevokedAt != nil:
		return nil, problemFor(s.log, kam.Conflict(workflows.ErrAlreadyRevoked, "this grant was revoked at %s", g.RevokedAt.UTC().Format(time.RFC3339)))
	case g.EndedAt != nil:
		return nil, problemFor(s.log, kam.Conflict(workflows.ErrGrantEnded, "this grant has already ended"))
	}
	entry := accessOf(ctx, kam.AccessUpdate, []uuid.UUID{g.CustomerID}, discountSections)
	if _, err := s.procs.Revoke(ctx, g.RequestID, workflows.Revocation{By: p.ID, Role: p.Role, Reason: in.Body.Reason, Register: &entry}); err != nil {
		return nil, s.processErr(ctx, g.CustomerID, err)
	}
	s.store.ChangedOutside(ctx)
	after, err := s.store.GetGrant(ctx, store.Scope{}, g.ID)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Grant }{Body: grantOut(after.Grant)}, nil
}

// loadGrant reads a grant the caller may see (an account manager: those of
// their accounts), registering the attempt as denied when they may not.
func (s *Server) loadGrant(ctx context.Context, raw string) (kam.GrantView, error) {
	id, err := parseUUID("path.id", raw)
	if err != nil {
		return kam.GrantView{}, err
	}
	p := callerOf(ctx)
	if !can(p.Role, capReadGrants) {
		return kam.GrantView{}, s.denyRecord(ctx, id, discountSections, notFound())
	}
	g, err := s.store.GetGrant(ctx, scopeOf(p), id)
	if errors.Is(err, kam.ErrNotFound) {
		return g, s.denyRecord(ctx, id, discountSections, notFound())
	}
	if err != nil {
		return g, problemFor(s.log, err)
	}
	return g, nil
}

func grantCursor(g kam.Grant) string { return encodeCursor("grants", g.ProductCategory) }

func (s *Server) putPolicy(ctx context.Context, in *struct {
	Tier            string `path:"tier" maxLength:"16"`
	ProductCategory string `path:"product_category" maxLength:"100"`
	Body            PolicyPut
}) (*struct{ Body DiscountPolicy }, error) {
	if !can(callerOf(ctx).Role, capSetPolicies) {
		return nil, forbidden("discount policies are set by the admin and the KA Department")
	}
	var bad fieldErrors
	maxRate, maxErr := decimal.NewFromString(in.Body.MaxStandardRate)
	if maxErr != nil {
		bad.field("body.max_standard_rate", "not a decimal")
	}
	hardCap, err := decimal.NewFromString(in.Body.HardCapRate)
	switch {
	case err != nil:
		bad.field("body.hard_cap_rate", "not a decimal")
	case maxErr == nil && (hardCap.LessThan(maxRate) || hardCap.GreaterThan(decimal.NewFromInt(100))):
		bad.field("body.hard_cap_rate", "hard_cap_rate must be at least max_standard_rate and at most 100")
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	p, err := s.store.PutDiscountPolicy(ctx, kam.DiscountPolicy{Tier: in.Tier, ProductCategory: in.ProductCategory, MaxStandardRate: maxRate, HardCapRate: hardCap, Methods: in.Body.Methods}, callerOf(ctx).ID)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body DiscountPolicy }{Body: policyOut(p)}, nil
}

// policyHistory lists a discount policy's changes, oldest first, to those
// who may read the policies (Art. 11: discounts are confidential, and so is
// how their policy moved).
func (s *Server) policyHistory(ctx context.Context, in *struct {
	Tier            string `path:"tier" maxLength:"16"`
	ProductCategory string `path:"product_category" maxLength:"100"`
	Limit           int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Cursor          string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[TierChangeEntry] }, error) {
	if !can(callerOf(ctx).Role, capReadPolicies) {
		return nil, forbidden("discount policies are confidential (Art. 11)")
	}
	after, err := int64Cursor(in.Cursor, "policy-history")
	if err != nil {
		return nil, err
	}
	rows, err := s.store.PolicyHistory(ctx, in.Tier, in.ProductCategory, after, int32(in.Limit+1))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	page := pageOf(rows, in.Limit, func(h kam.PolicyHistoryEntry) TierChangeEntry {
		return TierChangeEntry{ID: h.ID, At: h.At, StaffID: uuidString(h.StaffID), StaffName: h.StaffName, Field: h.Field, Old: h.OldValue, New: h.NewValue}
	}, func(h kam.PolicyHistoryEntry) string { return encodeCursor("policy-history", int64Text(h.ID)) })
	return &struct{ Body Page[TierChangeEntry] }{Body: page}, nil
}
