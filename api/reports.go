package api

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/store"
)

// maxReportYears bounds a report's period (SPEC §7): the monthly trend and
// every sum grow with it.
const maxReportYears = 10

// otherCategory names the trend's last row: every category beyond the top N.
const otherCategory = "other"

// periodInput is a report's date range, both days included, and its format.
type periodInput struct {
	From   string `query:"from" format:"date" doc:"First day; default 1 January of this year"`
	To     string `query:"to" format:"date" doc:"Last day; default today. A period covers at most 10 years (422 period_too_long)"`
	Format string `query:"format" enum:"json,csv" default:"json"`
}

// listedPeriodInput is periodInput for a report that is a list (SPEC §3
// "Lists: ?limit=&cursor="): the JSON answer comes in pages, the CSV export
// is the whole report.
type listedPeriodInput struct {
	From   string `query:"from" format:"date" doc:"First day; default 1 January of this year"`
	To     string `query:"to" format:"date" doc:"Last day; default today. A period covers at most 10 years (422 period_too_long)"`
	Format string `query:"format" enum:"json,csv" default:"json"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"200" doc:"Rows on this page (JSON); the CSV export is the whole report"`
	Cursor string `query:"cursor" maxLength:"1024"`
}

// reportPage cuts a report's rows, whole and in the report's order, into
// the page after the row the cursor names. The cursor carries the row's
// sort keys and the page starts at the first row after them, so a row gone
// from the report since the last page skips nothing.
func reportPage[T any](rows []T, limit int, cursor string, after func(T) (bool, error), keys func(T) string) (Page[T], error) {
	start := 0
	if cursor != "" {
		start = len(rows)
		for i, r := range rows {
			later, err := after(r)
			if err != nil {
				return Page[T]{}, err
			}
			if later {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(rows))
	p := Page[T]{Items: rows[start:end]}
	if end < len(rows) {
		p.NextCursor = nextCursor(keys(rows[end-1]))
	}
	return p, nil
}

// trendInput is periodInput for a report with a monthly trend by category.
type trendInput struct {
	From       string `query:"from" format:"date" doc:"First day; default 1 January of this year"`
	To         string `query:"to" format:"date" doc:"Last day; default today. A period covers at most 10 years (422 period_too_long)"`
	Format     string `query:"format" enum:"json,csv" default:"json"`
	Categories int    `query:"categories" minimum:"1" maximum:"100" default:"20" doc:"Product categories shown on their own, the top N by the period's revenue; the rest are summed in one \"other\" row"`
}

// customerPeriodInput is trendInput for one account.
type customerPeriodInput struct {
	ID         string `path:"id" format:"uuid"`
	From       string `query:"from" format:"date" doc:"First day; default 1 January of this year"`
	To         string `query:"to" format:"date" doc:"Last day; default today. A period covers at most 10 years (422 period_too_long)"`
	Format     string `query:"format" enum:"json,csv" default:"json"`
	Categories int    `query:"categories" minimum:"1" maximum:"100" default:"20" doc:"Product categories shown on their own, the top N by the period's revenue; the rest are summed in one \"other\" row"`
}

// period reads a report's range: both days included, at most ten years.
func (s *Server) period(rawFrom, rawTo string) (time.Time, time.Time, error) {
	today := s.today()
	from := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	to := today
	var bad fieldErrors
	if rawFrom != "" {
		d, err := optDate("query.from", &rawFrom)
		if bad.add(err) {
			from = *d
		}
	}
	if rawTo != "" {
		d, err := optDate("query.to", &rawTo)
		if bad.add(err) {
			to = *d
		}
	}
	if err := bad.err(); err != nil {
		return from, to, err
	}
	if to.Before(from) {
		return from, to, invalidField("query.to", "to is before from")
	}
	// Ten years of days: 2015-01-01 … 2024-12-31 is the longest from 2015-01-01.
	if !to.Before(from.AddDate(maxReportYears, 0, 0)) {
		p := invalid("period_too_long", "a report covers at most 10 years")
		p.Errors = []FieldError{{Location: "query.to", Message: "at most 10 years after from", Value: rawTo}}
		return from, to, p
	}
	return from, to, nil
}

// CategoryShare is one product category's part of revenue.
type CategoryShare struct {
	ProductCategory string `json:"product_category" doc:"\"other\" on the row that sums the categories beyond the top N"`
	Others          int32  `json:"others,omitempty" doc:"On the \"other\" row: how many categories it sums"`
	Amount          string `json:"amount"`
	Quantity        string `json:"quantity"`
	Share           string `json:"share" doc:"Percent of the period's revenue"`
}

// MonthCategory is one month of one product category.
type MonthCategory struct {
	Month           string `json:"month" doc:"YYYY-MM"`
	ProductCategory string `json:"product_category" doc:"\"other\" on the row that sums the categories beyond the top N"`
	Others          int32  `json:"others,omitempty" doc:"On the \"other\" row: how many categories it sums"`
	Amount          string `json:"amount"`
	Quantity        string `json:"quantity"`
}

// TierCount is how many active accounts a tier has.
type TierCount struct {
	Tier     string `json:"tier"`
	Accounts int32  `json:"accounts"`
}

// OverviewReport is Art. 8.2: the whole KA base over a period.
type OverviewReport struct {
	From              string          `json:"from"`
	To                string          `json:"to"`
	AccountsAtStart   int32           `json:"accounts_at_start"`
	AccountsAtEnd     int32           `json:"accounts_at_end"`
	Added             int32           `json:"added"`
	Churned           int32           `json:"churned"`
	ByTier            []TierCount     `json:"by_tier" doc:"Active accounts by tier, now"`
	KARevenue         string          `json:"ka_revenue"`
	CompanyRevenue    *string         `json:"company_revenue" doc:"From PUT /v1/company-revenue; null when none is recorded"`
	KAShare           *string         `json:"ka_share" doc:"KA revenue as a percent of company revenue"`
	AvgSatisfaction   *string         `json:"avg_satisfaction"`
	Surveys           int32           `json:"surveys"`
	CategoryStructure []CategoryShare `json:"category_structure" doc:"The top N categories by revenue (?categories=, default 20), then one \"other\" row for the rest"`
	MonthlyTrend      []MonthCategory `json:"monthly_trend" doc:"Every month of the period × the categories of category_structure"`
}

// PaymentComparison is the same-period comparison of Art. 8.3.
type PaymentComparison struct {
	ThisPeriod         string  `json:"this_period"`
	SamePeriodLastYear string  `json:"same_period_last_year"`
	Change             string  `json:"change"`
	ChangePercent      *string `json:"change_percent" doc:"null when last year's figure is zero"`
}

// RegionFlow is where an account's products went.
type RegionFlow struct {
	Region   string `json:"region" doc:"\"other\" on the row that sums the regions beyond the top N"`
	Others   int32  `json:"others,omitempty" doc:"On the \"other\" row: how many regions it sums"`
	Amount   string `json:"amount"`
	Quantity string `json:"quantity"`
}

// CustomerReport is Art. 8.3: one account over a period.
type CustomerReport struct {
	CustomerID        string            `json:"customer_id"`
	From              string            `json:"from"`
	To                string            `json:"to"`
	ProductStructure  []CategoryShare   `json:"product_structure" doc:"The top N categories by revenue (?categories=, default 20), then one \"other\" row for the rest"`
	MonthlyTrend      []MonthCategory   `json:"monthly_trend" doc:"Amount and quantity (demand) by month, over the categories of product_structure"`
	Payments          PaymentComparison `json:"payments"`
	Regions           []RegionFlow      `json:"regions" doc:"The top N regions by amount (?categories=), then one \"other\" row"`
	OpenTickets       int32             `json:"open_tickets"`
	VisitsDone        int32             `json:"visits_done"`
	VisitsMissed      int32             `json:"visits_missed"`
	Greetings         int32             `json:"greetings" doc:"Greeting tasks whose occasion falls in the period, cancelled ones not counted"`
	CreditStatus      *string           `json:"credit_status"`
	CreditOutstanding *string           `json:"credit_outstanding"`
}

// ChurnRow is one group of lost accounts (Art. 8.4).
type ChurnRow struct {
	Reason      string `json:"reason"`
	Destination string `json:"destination"`
	Competitor  string `json:"competitor"`
	Accounts    int32  `json:"accounts"`
	RevenueLost string `json:"revenue_lost" doc:"What they bought in the year before leaving"`
}

// StaffRow is one account manager's assessment figures (Art. 5.2, 22).
type StaffRow struct {
	StaffID         string  `json:"staff_id"`
	Name            string  `json:"name"`
	Accounts        int32   `json:"accounts"`
	Revenue         string  `json:"revenue"`
	Collected       string  `json:"collected"`
	Billed          string  `json:"billed"`
	Overdue         string  `json:"overdue"`
	OverdueShare    *string `json:"overdue_share" doc:"Percent of what fell due in the period that is overdue"`
	VisitsOnTime    int32   `json:"visits_on_time"`
	VisitsMissed    int32   `json:"visits_missed"`
	Tickets         int32   `json:"tickets"`
	TicketSLAMet    *string `json:"ticket_sla_met" doc:"Percent of the period's tickets that met both targets"`
	AvgSatisfaction *string `json:"avg_satisfaction"`
	Findings        int32   `json:"inspection_findings"`
	Cost            string  `json:"cost" doc:"Costs of serving their accounts in the period (Art. 21)"`
	Budget          string  `json:"budget" doc:"Their accounts' own yearly budgets for the years the period touches"`
}

// report is a JSON or CSV answer, written to the response as it is encoded.
type report struct {
	ContentType string `header:"Content-Type"`
	Body        func(huma.Context)
}

func pct(part, whole decimal.Decimal) *string {
	if whole.IsZero() {
		return nil
	}
	s := part.Mul(decimal.NewFromInt(100)).Div(whole).StringFixed(2)
	return &s
}

// optDec is d, or null when there was nothing to sum or average (n == 0).
func optDec(d decimal.Decimal, n int32) *string {
	if n == 0 {
		return nil
	}
	s := d.StringFixed(2)
	return &s
}

func (s *Server) reportRoutes() {
	reg := func(id, path, summary string, body any, h any) {
		o := heavyOp(op(id, http.MethodGet, path, summary+"; ?format=csv for CSV (cells that a spreadsheet would run as a formula begin with ')", "reports"))
		schema := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(body), true, "")
		o.Responses = map[string]*huma.Response{"200": {Description: "OK", Content: map[string]*huma.MediaType{
			"application/json": {Schema: schema}, "text/csv": {Schema: &huma.Schema{Type: "string"}},
		}}}
		switch h := h.(type) {
		case func(context.Context, *periodInput) (*report, error):
			huma.Register(s.api, o, h)
		case func(context.Context, *trendInput) (*report, error):
			huma.Register(s.api, o, h)
		case func(context.Context, *customerPeriodInput) (*report, error):
			huma.Register(s.api, o, h)
		case func(context.Context, *listedPeriodInput) (*report, error):
			huma.Register(s.api, o, h)
		default:
			panic("report handler of an unknown shape")
		}
	}
	reg("report-overview", "/v1/reports/overview", "The KA base over a period (Art. 8.2)", OverviewReport{}, s.overviewReport)
	reg("report-customer", "/v1/reports/customers/{id}", "One account over a period (Art. 8.3)", CustomerReport{}, s.customerReport)
	reg("report-churn", "/v1/reports/churn", "Lost accounts (Art. 8.4)", Page[ChurnRow]{}, s.churnReport)
	reg("report-staff", "/v1/reports/staff", "Account managers' assessment figures (Art. 5.2, 22)", Page[StaffRow]{}, s.staffReport)
	put := op("put-company-revenue", http.MethodPut, "/v1/company-revenue/{month}", "The company's revenue for a month (finance)", "reports")
	huma.Register(s.api, put, s.putCompanyRevenue)
}

// answer renders a report as JSON, or as CSV rows streamed through the one
// CSV writer (formula cells defused, SPEC §7).
func answer(format string, v any, cols []csvColumn, rows func(*csvWriter)) *report {
	if format == "csv" {
		return &report{ContentType: "text/csv; charset=utf-8", Body: func(ctx huma.Context) {
			ctx.SetStatus(http.StatusOK)
			w := newCSV(ctx.BodyWriter(), cols...)
			rows(w)
			w.Flush()
		}}
	}
	return &report{ContentType: "application/json", Body: func(ctx huma.Context) {
		ctx.SetStatus(http.StatusOK)
		// The status is sent; a failure now is a client gone away.
		_ = json.NewEncoder(ctx.BodyWriter()).Encode(v)
	}}
}

// sectionCols are the columns of the overview's and the customer report's CSV.
var sectionCols = []csvColumn{col("section"), col("key"), col("value"), col("quantity")}

// trendRows writes the category and trend rows of a report's CSV.
func trendRows(w *csvWriter, shares []CategoryShare, trend []MonthCategory) {
	for _, c := range shares {
		w.Row("category", c.ProductCategory, c.Amount, c.Quantity)
	}
	for _, m := range trend {
		w.Row("trend", m.Month+"/"+m.ProductCategory, m.Amount, m.Quantity)
	}
}

func (s *Server) reportGate(ctx context.Context, name string) (*uuid.UUID, error) {
	p := callerOf(ctx)
	if !can(p.Role, capReports) {
		return nil, s.deny(ctx, uuid.Nil, []string{"report:" + name}, forbidden("your role does not read reports"))
	}
	if err := s.register(ctx, kam.AccessExport, nil, []string{"report:" + name}); err != nil {
		return nil, err
	}
	return scopeOf(p).ManagerID, nil
}

// categories turns the bounded category months (top N by revenue, then one
// "other" slot) into the period's structure and its monthly trend.
func categories(rows []kam.CategoryMonth, topN int) ([]CategoryShare, []MonthCategory, decimal.Decimal) {
	type slot struct {
		name        string
		others      int32
		amount, qty decimal.Decimal
	}
	order := []int32{}
	slots := map[int32]*slot{}
	trend := make([]MonthCategory, 0, len(rows))
	total := decimal.Zero
	for _, r := range rows {
		sl, ok := slots[r.Slot]
		if !ok {
			sl = &slot{name: r.Category}
			if int(r.Slot) > topN {
				sl.name, sl.others = otherCategory, r.Categories
			}
			slots[r.Slot] = sl
			order = append(order, r.Slot)
		}
		sl.amount, sl.qty = sl.amount.Add(r.Amount), sl.qty.Add(r.Quantity)
		total = total.Add(r.Amount)
		trend = append(trend, MonthCategory{Month: r.Month.Format("2006-01"), ProductCategory: sl.name, Others: sl.others, Amount: money(r.Amount), Quantity: r.Quantity.String()})
	}
	shares := make([]CategoryShare, 0, len(order))
	for _, n := range order {
		sl := slots[n]
		share := "0.00"
		if p := pct(sl.amount, total); p != nil {
			share = *p
		}
		shares = append(shares, CategoryShare{ProductCategory: sl.name, Others: sl.others, Amount: money(sl.amount), Quantity: sl.qty.String(), Share: share})
	}
	return shares, trend, total
}

func (s *Server) overviewReport(ctx context.Context, in *trendInput) (*report, error) {
	from, to, err := s.period(in.From, in.To)
	if err != nil {
		return nil, err
	}
	mgr, err := s.reportGate(ctx, "overview")
	if err != nil {
		return nil, err
	}
	o, err := s.store.OverviewReport(ctx, store.ReportPeriod{ManagerID: mgr, From: from, To: to, TopN: in.Categories})
	if err != nil {
		return nil, s.storeErr(err)
	}
	r := overviewOut(o, from, to, in.Categories)
	return answer(in.Format, r, sectionCols, r.csvRows), nil
}

// overviewOut shapes the overview of [from, to) with its top N categories.
func overviewOut(c kam.Overview, from, to time.Time, topN int) OverviewReport {
	shares, trend, _ := categories(c.Months, topN)
	r := OverviewReport{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), AccountsAtStart: c.AtStart, AccountsAtEnd: c.AtEnd,
		Added: c.Added, Churned: c.Churned, KARevenue: money(c.KARevenue), CompanyRevenue: optDec(c.CompanyRevenue, c.CompanyMonths),
		AvgSatisfaction: optDec(c.AvgSatisfaction, c.Surveys), Surveys: c.Surveys, CategoryStructure: shares, MonthlyTrend: trend, ByTier: []TierCount{}}
	if c.CompanyMonths > 0 {
		r.KAShare = pct(c.KARevenue, c.CompanyRevenue)
	}
	for _, t := range c.ByTier {
		r.ByTier = append(r.ByTier, TierCount{Tier: t.Tier, Accounts: t.Accounts})
	}
	return r
}

// csvRows writes the overview as section/key/value rows.
func (r OverviewReport) csvRows(w *csvWriter) {
	w.Row("summary", "accounts_at_start", itoa(int(r.AccountsAtStart)), "")
	w.Row("summary", "accounts_at_end", itoa(int(r.AccountsAtEnd)), "")
	w.Row("summary", "added", itoa(int(r.Added)), "")
	w.Row("summary", "churned", itoa(int(r.Churned)), "")
	w.Row("summary", "ka_revenue", r.KARevenue, "")
	w.Row("summary", "company_revenue", deref(r.CompanyRevenue), "")
	w.Row("summary", "ka_share", deref(r.KAShare), "")
	w.Row("summary", "avg_satisfaction", deref(r.AvgSatisfaction), "")
	for _, t := range r.ByTier {
		w.Row("tier", t.Tier, itoa(int(t.Accounts)), "")
	}
	trendRows(w, r.CategoryStructure, r.MonthlyTrend)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Server) customerReport(ctx context.Context, in *customerPeriodInput) (*report, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	from, to, err := s.period(in.From, in.To)
	if err != nil {
		return nil, err
	}
	// Registered as what the report shows of the account (Art. 9): its
	// product use, tickets, visits and greetings, and its credit standing
	// to a role that may read credit.
	withCredit := can(callerOf(ctx).Role, capReadCredit)
	sections := []string{"report:customer", "product_use", "tickets", "visits", "greetings"}
	if withCredit {
		sections = append(sections, kam.SectionCredit)
	}
	r := archiveRead{need: capReports, sections: sections, action: kam.AccessExport}
	f, err := readAccount(s, ctx, id, r, func(ctx context.Context, _ store.Scope) (kam.CustomerFigures, error) {
		return s.store.CustomerReport(ctx, id, store.ReportPeriod{From: from, To: to, TopN: in.Categories}, withCredit)
	})
	if err != nil {
		return nil, err
	}
	rep := customerReportOut(id, f, from, to, in.Categories)
	return answer(in.Format, rep, sectionCols, rep.csvRows), nil
}

// customerReportOut shapes one account's report of [from, to) with its top
// N categories and regions.
func customerReportOut(id uuid.UUID, f kam.CustomerFigures, from, to time.Time, topN int) CustomerReport {
	shares, trend, _ := categories(f.Months, topN)
	r := CustomerReport{CustomerID: id.String(), From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), ProductStructure: shares,
		MonthlyTrend: trend, Regions: regionFlows(f.Regions, topN), OpenTickets: f.OpenTickets, VisitsDone: f.VisitsDone,
		VisitsMissed: f.VisitsMissed, Greetings: f.Greetings, Payments: paymentComparison(f.Payments, f.PaymentsLastYear)}
	if f.Credit != nil {
		o := creditOut(*f.Credit)
		r.CreditStatus, r.CreditOutstanding = &o.Status, &o.Outstanding
	}
	return r
}

// paymentComparison compares an account's payments over a period with the
// same period a year before.
func paymentComparison(now, before decimal.Decimal) PaymentComparison {
	return PaymentComparison{ThisPeriod: money(now), SamePeriodLastYear: money(before), Change: money(now.Sub(before)), ChangePercent: pct(now.Sub(before), before)}
}

// regionFlows shapes an account's top N regions, the rest in one "other" row.
func regionFlows(regions []kam.RegionSlot, topN int) []RegionFlow {
	flows := []RegionFlow{}
	for _, g := range regions {
		flow := RegionFlow{Region: g.Region, Amount: money(g.Amount), Quantity: g.Quantity.String()}
		if int(g.Slot) > topN {
			flow.Region, flow.Others = otherCategory, g.Regions
		}
		flows = append(flows, flow)
	}
	return flows
}

// csvRows writes the customer report as section/key/value rows.
func (r CustomerReport) csvRows(w *csvWriter) {
	w.Row("payments", "this_period", r.Payments.ThisPeriod, "")
	w.Row("payments", "same_period_last_year", r.Payments.SamePeriodLastYear, "")
	w.Row("payments", "change", r.Payments.Change, "")
	w.Row("payments", "change_percent", deref(r.Payments.ChangePercent), "")
	w.Row("service", "open_tickets", itoa(int(r.OpenTickets)), "")
	w.Row("service", "visits_done", itoa(int(r.VisitsDone)), "")
	w.Row("service", "visits_missed", itoa(int(r.VisitsMissed)), "")
	w.Row("service", "greetings", itoa(int(r.Greetings)), "")
	trendRows(w, r.ProductStructure, r.MonthlyTrend)
	for _, g := range r.Regions {
		w.Row("region", g.Region, g.Amount, g.Quantity)
	}
}

func (s *Server) churnReport(ctx context.Context, in *listedPeriodInput) (*report, error) {
	from, to, err := s.period(in.From, in.To)
	if err != nil {
		return nil, err
	}
	mgr, err := s.reportGate(ctx, "churn")
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ChurnReport(ctx, store.ReportPeriod{ManagerID: mgr, From: from, To: to})
	if err != nil {
		return nil, s.storeErr(err)
	}
	all := make([]ChurnRow, 0, len(rows))
	for _, r := range rows {
		all = append(all, ChurnRow{Reason: r.Reason, Destination: r.Destination, Competitor: r.Competitor, Accounts: r.Accounts, RevenueLost: money(r.RevenueLost)})
	}
	cols := []csvColumn{col("reason"), col("destination"), col("competitor"), col("accounts"), col("revenue_lost")}
	if in.Format == "csv" {
		return answer(in.Format, nil, cols, func(w *csvWriter) {
			for _, r := range all {
				w.Row(r.Reason, r.Destination, r.Competitor, itoa(int(r.Accounts)), r.RevenueLost)
			}
		}), nil
	}
	// Pages follow the report's order: revenue lost, most first, then the
	// group's keys (sorted here too, so the cursor's comparison agrees).
	slices.SortStableFunc(all, func(a, b ChurnRow) int {
		da, _ := decimal.NewFromString(a.RevenueLost)
		db, _ := decimal.NewFromString(b.RevenueLost)
		return cmp.Or(db.Cmp(da), strings.Compare(a.Reason, b.Reason), strings.Compare(a.Destination, b.Destination), strings.Compare(a.Competitor, b.Competitor))
	})
	var lost decimal.Decimal
	var reason, destination, competitor string
	if _, err := decodeCursor(in.Cursor, "report-churn", decimalKey(&lost), textKey(&reason), textKey(&destination), textKey(&competitor)); err != nil {
		return nil, err
	}
	page, err := reportPage(all, in.Limit, in.Cursor, func(r ChurnRow) (bool, error) {
		d, err := decimal.NewFromString(r.RevenueLost)
		if err != nil {
			return false, err
		}
		if c := d.Cmp(lost); c != 0 {
			return c < 0, nil
		}
		return cmp.Or(strings.Compare(r.Reason, reason), strings.Compare(r.Destination, destination), strings.Compare(r.Competitor, competitor)) > 0, nil
	}, func(r ChurnRow) string {
		return encodeCursor("report-churn", r.RevenueLost, r.Reason, r.Destination, r.Competitor)
	})
	if err != nil {
		return nil, s.storeErr(err)
	}
	return answer(in.Format, page, cols, nil), nil
}

func (s *Server) staffReport(ctx context.Context, in *listedPeriodInput) (*report, error) {
	from, to, err := s.period(in.From, in.To)
	if err != nil {
		return nil, err
	}
	mgr, err := s.reportGate(ctx, "staff")
	if err != nil {
		return nil, err
	}
	rows, err := s.store.StaffReport(ctx, store.ReportPeriod{ManagerID: mgr, From: from, To: to})
	if err != nil {
		return nil, s.storeErr(err)
	}
	all := make([]StaffRow, 0, len(rows))
	for _, r := range rows {
		all = append(all, staffRowOut(r))
	}
	if in.Format != "csv" {
		// Pages follow the report's order, by name, then id, sorted here
		// byte-wise so the cursor's comparison agrees whatever the
		// database's collation.
		slices.SortStableFunc(all, func(a, b StaffRow) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.StaffID, b.StaffID))
		})
		var name string
		var id uuid.UUID
		if _, err := decodeCursor(in.Cursor, "report-staff", textKey(&name), uuidKey(&id)); err != nil {
			return nil, err
		}
		page, err := reportPage(all, in.Limit, in.Cursor, func(r StaffRow) (bool, error) {
			return cmp.Or(strings.Compare(r.Name, name), strings.Compare(r.StaffID, id.String())) > 0, nil
		}, func(r StaffRow) string { return encodeCursor("report-staff", r.Name, r.StaffID) })
		if err != nil {
			return nil, s.storeErr(err)
		}
		return answer(in.Format, page, nil, nil), nil
	}
	return answer(in.Format, nil, staffCols(), func(w *csvWriter) {
		for _, r := range all {
			w.Row(r.StaffID, r.Name, itoa(int(r.Accounts)), r.Revenue, r.Collected, r.Billed, r.Overdue, deref(r.OverdueShare),
				itoa(int(r.VisitsOnTime)), itoa(int(r.VisitsMissed)), itoa(int(r.Tickets)), deref(r.TicketSLAMet), deref(r.AvgSatisfaction), itoa(int(r.Findings)), r.Cost, r.Budget)
		}
	}), nil
}

func staffRowOut(r kam.StaffFigures) StaffRow {
	return StaffRow{StaffID: r.ID.String(), Name: r.Name, Accounts: r.Accounts, Revenue: money(r.Revenue),
		Collected: money(r.Collected), Billed: money(r.Billed), Overdue: money(r.Overdue), OverdueShare: pct(r.Overdue, r.Billed),
		VisitsOnTime: r.VisitsOnTime, VisitsMissed: r.VisitsMissed, Tickets: r.Tickets,
		TicketSLAMet: pct(decimal.NewFromInt32(r.TicketsMet), decimal.NewFromInt32(r.Tickets)), AvgSatisfaction: optDec(r.AvgSatisfaction, r.Surveys), Findings: r.Findings,
		Cost: money(r.Cost), Budget: money(r.Budget)}
}

// staffCols are the columns of the staff report's CSV.
func staffCols() []csvColumn {
	cols := []csvColumn{col("staff_id"), col("name")}
	for _, n := range []string{"accounts", "revenue", "collected", "billed", "overdue", "overdue_share", "visits_on_time", "visits_missed", "tickets", "ticket_sla_met", "avg_satisfaction", "inspection_findings", "cost", "budget"} {
		cols = append(cols, col(n))
	}
	return cols
}

// CompanyRevenue is the company's total for a month.
type CompanyRevenue struct {
	Month  string `json:"month" doc:"YYYY-MM"`
	Amount string `json:"amount"`
}

func (s *Server) putCompanyRevenue(ctx context.Context, in *struct {
	Month string `path:"month" pattern:"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$" patternDescription:"a month YYYY-MM from 1900-01 to 2200-12"`
	Body  struct {
		Amount string `json:"amount" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99"`
	}
}) (*struct{ Body CompanyRevenue }, error) {
	p := callerOf(ctx)
	if p.Role != kam.RoleFinance {
		return nil, forbidden("company revenue is recorded by finance")
	}
	var bad fieldErrors
	month, err := time.Parse("2006-01", in.Month)
	if err != nil {
		bad.field("path.month", "not a month (YYYY-MM)")
	}
	amount, err := decimal.NewFromString(in.Body.Amount)
	if err != nil {
		bad.field("body.amount", "not a decimal amount")
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	r, err := s.store.PutCompanyRevenue(ctx, month, amount, p.ID)
	if err != nil {
		return nil, s.storeErr(err)
	}
	return &struct{ Body CompanyRevenue }{Body: CompanyRevenue{Month: r.Month.Format("2006-01"), Amount: money(r.Amount)}}, nil
}
