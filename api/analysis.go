package api

import (
	"context"
	"crypto/rand"
	"encoding/binary"
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

var (
	salesSections = []string{"product_use"}
	churnSections = []string{kam.SectionService, "churn"}
	// An inspection names accounts' discount grants and, in its findings,
	// their sales (Art. 14): reading it is a read of those records (Art. 9).
	inspectionSections = []string{"discounts", "product_use"}
)

// SaleCreate records product use (Art. 7.5, 8).
type SaleCreate struct {
	Product         string `json:"product" minLength:"1" maxLength:"200"`
	ProductCategory string `json:"product_category" minLength:"1" maxLength:"100"`
	Quantity        string `json:"quantity" pattern:"^[0-9]{1,15}(\\.[0-9]{1,3})?$"`
	Amount          string `json:"amount" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99" doc:"Money as a decimal string"`
	AppliedRate     string `json:"applied_rate,omitempty" pattern:"^[0-9]{1,3}(\\.[0-9]{1,3})?$" doc:"Discount applied, percent; default 0"`
	Region          string `json:"region,omitempty" maxLength:"100" doc:"Where the product went (product flow)"`
	SoldOn          string `json:"sold_on" format:"date"`
}

// Sale is a recorded sale.
type Sale struct {
	ID              string    `json:"id" format:"uuid"`
	CustomerID      string    `json:"customer_id" format:"uuid"`
	Product         string    `json:"product"`
	ProductCategory string    `json:"product_category"`
	Quantity        string    `json:"quantity"`
	Amount          string    `json:"amount"`
	AppliedRate     string    `json:"applied_rate"`
	Region          string    `json:"region"`
	SoldOn          string    `json:"sold_on"`
	CreatedAt       time.Time `json:"created_at"`
}

func saleOut(s kam.Sale) Sale {
	return Sale{ID: s.ID.String(), CustomerID: s.CustomerID.String(), Product: s.Product, ProductCategory: s.ProductCategory,
		Quantity: s.Quantity.String(), Amount: money(s.Amount), AppliedRate: rateString(s.AppliedRate), Region: s.Region,
		SoldOn: s.SoldOn.Format(time.DateOnly), CreatedAt: s.CreatedAt}
}

// SatisfactionCreate is one survey answer (Art. 8.2).
type SatisfactionCreate struct {
	Score      int32  `json:"score" minimum:"1" maximum:"5"`
	Channel    string `json:"channel,omitempty" maxLength:"50"`
	Comment    string `json:"comment,omitempty" maxLength:"5000"`
	SurveyedOn string `json:"surveyed_on" format:"date"`
}

// ChurnCreate registers a lost account (Art. 8.4).
type ChurnCreate struct {
	Reason      string `json:"reason" enum:"price,quality,service,delivery,relocation,closure,competitor,other"`
	ReasonText  string `json:"reason_text,omitempty" maxLength:"2000"`
	Destination string `json:"destination,omitempty" maxLength:"200" doc:"Where the account went"`
	Competitor  string `json:"competitor,omitempty" maxLength:"200"`
	EffectiveOn string `json:"effective_on" format:"date"`
}

// InspectionCreate asks for an inspection now (Art. 14).
type InspectionCreate struct {
	SampleSize int32 `json:"sample_size" minimum:"1" maximum:"10000"`
}

// Inspection is one discount inspection and what it found.
type Inspection struct {
	ID            string     `json:"id" format:"uuid"`
	Trigger       string     `json:"trigger" enum:"schedule,manual"`
	SampleSize    int32      `json:"sample_size"`
	Seed          int64      `json:"seed" doc:"Draws the same sample again"`
	Status        string     `json:"status" enum:"running,done"`
	SampledGrants []string   `json:"sampled_grants"`
	SalesChecked  int32      `json:"sales_checked"`
	CreatedAt     time.Time  `json:"created_at"`
	FinishedAt    *time.Time `json:"finished_at"`
	Version       int32      `json:"version" doc:"1 while running; 2 once done (SPEC §3)"`
	// A pointer, so that GET /v1/inspections/{id} names `findings` even when
	// there are none (SPEC §3), while the list leaves it out.
	Findings *[]Finding `json:"findings,omitempty" doc:"A page of findings (?limit=, default 50, at most 200); [] when there are none. Only on GET /v1/inspections/{id}"`
	// The findings after this page: GET /v1/inspections/{id}?cursor=….
	FindingsNextCursor string `json:"findings_next_cursor,omitempty" doc:"Pass as ?cursor= for the next page of findings"`
}

// Finding is one sale that does not match the discount standard.
type Finding struct {
	SaleID      string  `json:"sale_id" format:"uuid"`
	CustomerID  string  `json:"customer_id" format:"uuid"`
	GrantID     *string `json:"grant_id" format:"uuid"`
	Kind        string  `json:"kind" enum:"rate_above_grant,outside_validity,no_grant"`
	AppliedRate string  `json:"applied_rate"`
	GrantedRate *string `json:"granted_rate"`
}

func inspectionOut(i kam.Inspection) Inspection {
	out := Inspection{ID: i.ID.String(), Trigger: i.Trigger, SampleSize: i.SampleSize, Seed: i.Seed, Status: i.Status,
		SalesChecked: i.SalesChecked, CreatedAt: i.CreatedAt, FinishedAt: i.FinishedAt, Version: i.Version, SampledGrants: []string{}}
	for _, g := range i.SampledGrants {
		out.SampledGrants = append(out.SampledGrants, g.String())
	}
	return out
}

func (s *Server) analysisRoutes() {
	huma.Register(s.api, created(op("record-sale", http.MethodPost, "/v1/customers/{id}/sales", "Record product use (Art. 7.5, 8)", "analysis")), s.recordSale)
	huma.Register(s.api, op("list-sales", http.MethodGet, "/v1/customers/{id}/sales", "Product use of an account", "analysis"), s.listSales)
	huma.Register(s.api, created(op("record-satisfaction", http.MethodPost, "/v1/customers/{id}/satisfaction", "Record a satisfaction survey answer (Art. 8.2)", "analysis")), s.recordSatisfaction)
	churn := created(op("record-churn", http.MethodPost, "/v1/customers/{id}/churn", "Register a lost account (Art. 8.4)", "analysis"))
	churn.Errors = append(churn.Errors, 409)
	huma.Register(s.api, churn, s.recordChurn)
	re := op("reactivate-customer", http.MethodPost, "/v1/customers/{id}/reactivate", "Record a win-back", "analysis")
	re.Errors = append(re.Errors, 409)
	huma.Register(s.api, re, s.reactivate)
	huma.Register(s.api, heavyOp(created(op("create-inspection", http.MethodPost, "/v1/inspections", "Inspect discount application now (Art. 14)", "analysis"))), s.createInspection)
	huma.Register(s.api, op("list-inspections", http.MethodGet, "/v1/inspections", "Discount inspections", "analysis"), s.listInspections)
	huma.Register(s.api, op("get-inspection", http.MethodGet, "/v1/inspections/{id}", "An inspection with its findings", "analysis"), s.getInspection)
}

func (s *Server) recordSale(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body SaleCreate
}) (*struct{ Body Sale }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	sale, err := saleInput(in.Body)
	if err != nil {
		return nil, err
	}
	out, err := writeAccount(s, ctx, id, capRecordSales, salesSections, salesSections, func(ctx context.Context, scope store.Scope) (kam.Sale, error) {
		return s.store.RecordSale(ctx, scope, id, sale, callerOf(ctx).ID)
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Sale }{Body: saleOut(out)}, nil
}

// saleInput reads a recorded sale: a positive quantity and a rate of at most
// 100 percent.
func saleInput(b SaleCreate) (store.SaleInput, error) {
	var bad fieldErrors
	on, err := optDate("body.sold_on", &b.SoldOn)
	bad.add(err)
	qty, _ := decimal.NewFromString(b.Quantity)
	if !qty.IsPositive() {
		bad.field("body.quantity", "quantity must be above 0")
	}
	amount, _ := decimal.NewFromString(b.Amount)
	rate := decimal.Zero
	if b.AppliedRate != "" {
		rate, _ = decimal.NewFromString(b.AppliedRate)
		if rate.GreaterThan(decimal.NewFromInt(100)) {
			bad.field("body.applied_rate", "a rate is at most 100")
		}
	}
	if err := bad.err(); err != nil {
		return store.SaleInput{}, err
	}
	return store.SaleInput{Product: b.Product, ProductCategory: b.ProductCategory,
		Region: b.Region, Quantity: qty, Amount: amount, AppliedRate: rate, SoldOn: *on}, nil
}

func (s *Server) listSales(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid"`
	From   string `query:"from" format:"date"`
	To     string `query:"to" format:"date"`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"200"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Sale] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	page, err := salesQuery(id, in.From, in.To, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	// Sales carry the applied discount: discount readers only (Art. 11).
	r := archiveRead{need: capReadGrants, sections: salesSections, action: kam.AccessView}
	out, err := readAccount(s, ctx, id, r, func(ctx context.Context, _ store.Scope) (Page[Sale], error) {
		rows, err := s.store.ListSales(ctx, page)
		return pageOf(rows, in.Limit, saleOut, saleCursor), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Sale] }{Body: out}, nil
}

// salesQuery reads a sales list's cursor and date range.
func salesQuery(id uuid.UUID, rawFrom, rawTo, cursor string, limit int) (store.SalesPage, error) {
	afterOn, afterID, err := keyIDCursor(cursor, "sales", dateKey)
	if err != nil {
		return store.SalesPage{}, err
	}
	from, to, err := dateRange(rawFrom, rawTo)
	return store.SalesPage{CustomerID: id, From: from, To: to, AfterOn: afterOn, AfterID: afterID, Limit: int32(limit + 1)}, err
}

func saleCursor(r kam.Sale) string { return encodeCursor("sales", dateText(r.SoldOn), r.ID.String()) }

func (s *Server) recordSatisfaction(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body SatisfactionCreate
}) (*struct{ Body satisfactionRecord }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	on, err := optDate("body.surveyed_on", &in.Body.SurveyedOn)
	if err != nil {
		return nil, err
	}
	r, err := writeAccount(s, ctx, id, capSurvey, salesSections, []string{"satisfaction"}, func(ctx context.Context, scope store.Scope) (kam.Satisfaction, error) {
		return s.store.RecordSatisfaction(ctx, scope, id, in.Body.Score, in.Body.Channel, in.Body.Comment, *on, callerOf(ctx).ID)
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body satisfactionRecord }{Body: satisfactionRecord{ID: r.ID.String(), CustomerID: r.CustomerID.String(), Score: r.Score,
		Channel: r.Channel, Comment: r.Comment, SurveyedOn: r.SurveyedOn.Format(time.DateOnly), CreatedBy: uuidString(r.CreatedBy), CreatedAt: r.CreatedAt}}, nil
}

// satisfactionRecord is a recorded survey, returned whole (SPEC §3).
type satisfactionRecord struct {
	ID         string    `json:"id" format:"uuid"`
	CustomerID string    `json:"customer_id" format:"uuid"`
	Score      int32     `json:"score"`
	Channel    string    `json:"channel"`
	Comment    string    `json:"comment"`
	SurveyedOn string    `json:"surveyed_on" format:"date"`
	CreatedBy  *string   `json:"created_by" format:"uuid"`
	CreatedAt  time.Time `json:"created_at"`
}

// churnRecord is a recorded churn, returned whole (SPEC §3).
type churnRecord struct {
	ID          string    `json:"id" format:"uuid"`
	CustomerID  string    `json:"customer_id" format:"uuid"`
	Reason      string    `json:"reason"`
	ReasonText  string    `json:"reason_text"`
	Destination string    `json:"destination"`
	Competitor  string    `json:"competitor"`
	EffectiveOn string    `json:"effective_on" format:"date"`
	RecordedBy  *string   `json:"recorded_by" format:"uuid"`
	CreatedAt   time.Time `json:"created_at"`
}

func (s *Server) recordChurn(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body ChurnCreate
}) (*struct{ Body churnRecord }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	on, err := optDate("body.effective_on", &in.Body.EffectiveOn)
	if err != nil {
		return nil, err
	}
	// The churn withdraws the account's open greeting tasks too.
	c, err := writeAccount(s, ctx, id, capAssign, churnSections, append(slices.Clone(churnSections), "greetings"), func(ctx context.Context, _ store.Scope) (kam.Churn, error) {
		return s.store.Churn(ctx, id, store.ChurnInput{Reason: in.Body.Reason, ReasonText: in.Body.ReasonText, Destination: in.Body.Destination,
			Competitor: in.Body.Competitor, EffectiveOn: *on}, callerOf(ctx).ID)
	})
	if err != nil {
		return nil, err
	}
	// Churn stops the visit plan; credit recovery goes on.
	s.serviceChanged(ctx, id, []store.Change{{Field: "status"}})
	return &struct{ Body churnRecord }{Body: churnRecord{ID: c.ID.String(), CustomerID: id.String(), Reason: c.Reason, ReasonText: c.ReasonText,
		Destination: c.Destination, Competitor: c.Competitor, EffectiveOn: c.EffectiveOn.Format(time.DateOnly),
		RecordedBy: uuidString(c.RecordedBy), CreatedAt: c.CreatedAt}}, nil
}

func (s *Server) reactivate(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*customerOutput, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	// The answer is the archive: registered as what it shows, too.
	shown := append(slices.Clone(churnSections), archiveShown(callerOf(ctx).Role)...)
	if _, err := writeAccount(s, ctx, id, capAssign, churnSections, shown, func(ctx context.Context, _ store.Scope) (kam.Customer, error) {
		return s.store.Reactivate(ctx, id, callerOf(ctx).ID)
	}); err != nil {
		return nil, err
	}
	active := "active"
	s.serviceChanged(ctx, id, []store.Change{{Field: "status", New: &active}})
	// A won-back account's archive is followed again until complete (Art. 7.1).
	s.archiveChanged(ctx, id)
	return s.customerAnswer(ctx, store.Scope{}, id, callerOf(ctx).Role)
}

func (s *Server) createInspection(ctx context.Context, in *struct{ Body InspectionCreate }) (*struct{ Body Inspection }, error) {
	p := callerOf(ctx)
	if p.Role != kam.RoleAuditor {
		return nil, forbidden("inspections are run by auditors (Art. 14)")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	seed := int64(binary.BigEndian.Uint64(b[:])>>11) + 1 // at most 2^53: exact in every JSON client
	id := store.NewID()
	by := p.ID
	if err := s.procs.StartInspection(ctx, workflows.InspectionInput{InspectionID: id, Trigger: "manual", RequestedBy: &by, SampleSize: in.Body.SampleSize, Seed: seed}); err != nil {
		s.log.Error("inspection", "error", err)
		return nil, problemFor(s.log, kam.Unavailable("the inspection could not be run; try again"))
	}
	return s.inspection(ctx, id, "", findingsPage)
}

// findingsPage is how many findings an inspection carries by default; the
// rest follow with ?cursor=findings_next_cursor.
const findingsPage = 50

// findingCursor reads the (kind, sale id) a page of findings ended at.
func findingCursor(c string) (*string, *uuid.UUID, error) {
	if c == "" {
		return nil, nil, nil
	}
	var kind string
	var id uuid.UUID
	if _, err := decodeCursor(c, "findings", textKey(&kind), uuidKey(&id)); err != nil {
		return nil, nil, err
	}
	return &kind, &id, nil
}

func (s *Server) inspection(ctx context.Context, id uuid.UUID, cursor string, limit int) (*struct{ Body Inspection }, error) {
	afterKind, afterSale, err := findingCursor(cursor)
	if err != nil {
		return nil, err
	}
	i, err := s.store.GetInspection(ctx, id)
	if err != nil {
		return nil, s.storeErr(err)
	}
	findings, err := s.store.ListFindings(ctx, store.FindingsPage{InspectionID: id, AfterKind: afterKind, AfterSale: afterSale, Limit: int32(limit + 1)})
	if err != nil {
		return nil, s.storeErr(err)
	}
	findings, next := cutFindings(findings, limit)
	shown, err := s.inspectionShows(ctx, i, findings)
	if err != nil {
		return nil, s.storeErr(err)
	}
	// Registered even when it names no account yet: it is still a read of
	// the inspection (one row without an account).
	if err := s.register(ctx, kam.AccessView, shown, inspectionSections); err != nil {
		return nil, err
	}
	out := inspectionOut(i)
	page := findingsOut(findings)
	out.Findings, out.FindingsNextCursor = &page, next
	return &struct{ Body Inspection }{Body: out}, nil
}

// inspectionShows lists, once each, the accounts an inspection page shows:
// those whose grants it sampled and those its findings name.
func (s *Server) inspectionShows(ctx context.Context, i kam.Inspection, findings []kam.Finding) ([]uuid.UUID, error) {
	shown, err := s.store.InspectedAccounts(ctx, i)
	if err != nil {
		return nil, err
	}
	for _, f := range findings {
		shown = append(shown, f.CustomerID)
	}
	return uniqueIDs(shown), nil
}

// cutFindings cuts a page of findings read one over limit, and names the
// cursor of the next.
func cutFindings(findings []kam.Finding, limit int) ([]kam.Finding, string) {
	if len(findings) <= limit {
		return findings, ""
	}
	findings = findings[:limit]
	last := findings[len(findings)-1]
	return findings, encodeCursor("findings", last.Kind, last.SaleID.String())
}

func findingsOut(findings []kam.Finding) []Finding {
	out := []Finding{}
	for _, f := range findings {
		out = append(out, findingOut(f))
	}
	return out
}

func findingOut(f kam.Finding) Finding {
	var granted *string
	if f.GrantedRate.Valid {
		g := rateString(f.GrantedRate.Decimal)
		granted = &g
	}
	return Finding{SaleID: f.SaleID.String(), CustomerID: f.CustomerID.String(), GrantID: uuidString(f.GrantID),
		Kind: f.Kind, AppliedRate: rateString(f.AppliedRate), GrantedRate: granted}
}

func (s *Server) listInspections(ctx context.Context, in *struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Inspection] }, error) {
	r := archiveRead{need: capSeeInspections, sections: []string{"discounts"}, action: kam.AccessList,
		refusal: "inspections are the auditors' and the General Manager's"}
	out, err := readList(s, ctx, r, func(ctx context.Context, _ store.Scope) (Page[Inspection], []uuid.UUID, error) {
		afterAt, afterID, err := keyIDCursor(in.Cursor, "inspections", timeKey)
		if err != nil {
			return Page[Inspection]{}, nil, err
		}
		rows, err := s.store.ListInspections(ctx, store.InspectionsPage{AfterAt: afterAt, AfterID: afterID, Limit: int32(in.Limit + 1)})
		if err != nil {
			return Page[Inspection]{}, nil, err
		}
		out := pageOf(rows, in.Limit, inspectionOut, inspectionCursor)
		shown, err := s.store.InspectedAccounts(ctx, rows[:len(out.Items)]...)
		return out, shown, err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Inspection] }{Body: out}, nil
}

func inspectionCursor(r kam.Inspection) string {
	return encodeCursor("inspections", timeText(r.CreatedAt), r.ID.String())
}

// uniqueIDs keeps the first of each id, in order.
func uniqueIDs(ids []uuid.UUID) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) getInspection(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Findings on this page"`
	Cursor string `query:"cursor" maxLength:"1024" doc:"findings_next_cursor of the previous page"`
}) (*struct{ Body Inspection }, error) {
	if !can(callerOf(ctx).Role, capSeeInspections) {
		return nil, s.deny(ctx, uuid.Nil, inspectionSections, notFound())
	}
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	out, err := s.inspection(ctx, id, in.Cursor, in.Limit)
	if err != nil && errors.Is(err, kam.ErrNotFound) {
		return nil, notFound()
	}
	return out, err
}
