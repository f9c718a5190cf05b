package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam/db/dbq"
	"kam/db/store"
)

// periodInput is a report's date range, both days included, and its format.
type periodInput struct {
	From   string `query:"from" format:"date" doc:"First day; default 1 January of this year"`
	To     string `query:"to" format:"date" doc:"Last day; default today"`
	Format string `query:"format" enum:"json,csv" default:"json"`
}

// customerPeriodInput is periodInput for one account.
type customerPeriodInput struct {
	ID     string `path:"id" format:"uuid"`
	From   string `query:"from" format:"date" doc:"First day; default 1 January of this year"`
	To     string `query:"to" format:"date" doc:"Last day; default today"`
	Format string `query:"format" enum:"json,csv" default:"json"`
}

func (s *Server) period(p periodInput) (time.Time, time.Time, error) {
	today := s.today()
	from := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	to := today
	if p.From != "" {
		d, err := optDate("query.from", &p.From)
		if err != nil {
			return from, to, err
		}
		from = *d
	}
	if p.To != "" {
		d, err := optDate("query.to", &p.To)
		if err != nil {
			return from, to, err
		}
		to = *d
	}
	if to.Before(from) {
		return from, to, invalidField("query.to", "to is before from")
	}
	if to.Sub(from) > 20*366*24*time.Hour {
		return from, to, invalidField("query.from", "a report covers at most 20 years")
	}
	return from, to, nil
}

// CategoryShare is one product category's part of revenue.
type CategoryShare struct {
	ProductCategory string `json:"product_category"`
	Amount          string `json:"amount"`
	Quantity        string `json:"quantity"`
	Share           string `json:"share" doc:"Percent of the period's revenue"`
}

// MonthCategory is one month of one product category.
type MonthCategory struct {
	Month           string `json:"month" doc:"YYYY-MM"`
	ProductCategory string `json:"product_category"`
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
	CategoryStructure []CategoryShare `json:"category_structure"`
	MonthlyTrend      []MonthCategory `json:"monthly_trend"`
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
	Region   string `json:"region"`
	Amount   string `json:"amount"`
	Quantity string `json:"quantity"`
}

// CustomerReport is Art. 8.3: one account over a period.
type CustomerReport struct {
	CustomerID        string            `json:"customer_id"`
	From              string            `json:"from"`
	To                string            `json:"to"`
	ProductStructure  []CategoryShare   `json:"product_structure"`
	MonthlyTrend      []MonthCategory   `json:"monthly_trend" doc:"Amount and quantity (demand) by month"`
	Payments          PaymentComparison `json:"payments"`
	Regions           []RegionFlow      `json:"regions"`
	OpenTickets       int32             `json:"open_tickets"`
	VisitsDone        int32             `json:"visits_done"`
	VisitsMissed      int32             `json:"visits_missed"`
	Greetings         int32             `json:"greetings"`
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

// report is a JSON or CSV answer.
type report struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
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
		o := op(id, http.MethodGet, path, summary+"; ?format=csv for CSV", "reports")
		schema := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(body), true, "")
		o.Responses = map[string]*huma.Response{"200": {Description: "OK", Content: map[string]*huma.MediaType{
			"application/json": {Schema: schema}, "text/csv": {Schema: &huma.Schema{Type: "string"}},
		}}}
		switch h := h.(type) {
		case func(context.Context, *periodInput) (*report, error):
			huma.Register(s.api, o, h)
		case func(context.Context, *customerPeriodInput) (*report, error):
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

// answer renders a report as JSON, or as CSV rows.
func answer(format string, v any, rows func() [][]string) (*report, error) {
	if format == "csv" {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.WriteAll(rows())
		return &report{ContentType: "text/csv; charset=utf-8", Body: buf.Bytes()}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &report{ContentType: "application/json", Body: b}, nil
}

func (s *Server) reportGate(ctx context.Context, name string) (*uuid.UUID, error) {
	p := callerOf(ctx)
	if !can(p.Role, capReports) {
		return nil, s.deny(ctx, uuid.Nil, []string{"report:" + name}, forbidden("your role does not read reports"))
	}
	if err := s.register(ctx, store.AccessExport, nil, []string{"report:" + name}); err != nil {
		return nil, err
	}
	return scopeOf(p).ManagerID, nil
}

func categories(rows []dbq.CategoryMonthsRow) ([]CategoryShare, []MonthCategory, decimal.Decimal) {
	type tot struct{ amount, qty decimal.Decimal }
	order := []string{}
	sums := map[string]*tot{}
	trend := make([]MonthCategory, 0, len(rows))
	total := decimal.Zero
	for _, r := range rows {
		t, ok := sums[r.ProductCategory]
		if !ok {
			t = &tot{}
			sums[r.ProductCategory] = t
			order = append(order, r.ProductCategory)
		}
		t.amount, t.qty = t.amount.Add(r.Amount), t.qty.Add(r.Quantity)
		total = total.Add(r.Amount)
		trend = append(trend, MonthCategory{Month: r.Month.Format("2006-01"), ProductCategory: r.ProductCategory, Amount: money(r.Amount), Quantity: r.Quantity.String()})
	}
	shares := make([]CategoryShare, 0, len(order))
	for _, c := range order {
		share := "0.00"
		if p := pct(sums[c].amount, total); p != nil {
			share = *p
		}
		shares = append(shares, CategoryShare{ProductCategory: c, Amount: money(sums[c].amount), Quantity: sums[c].qty.String(), Share: share})
	}
	return shares, trend, total
}

func (s *Server) overviewReport(ctx context.Context, in *periodInput) (*report, error) {
	from, to, err := s.period(*in)
	if err != nil {
		return nil, err
	}
	mgr, err := s.reportGate(ctx, "overview")
	if err != nil {
		return nil, err
	}
	q := s.store.Q()
	c, err := q.OverviewCounts(ctx, dbq.OverviewCountsParams{ManagerID: mgr, FromDate: from, ToDate: to})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	tiers, err := q.OverviewTiers(ctx, mgr)
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	months, err := q.CategoryMonths(ctx, dbq.CategoryMonthsParams{ManagerID: mgr, FromDate: from, ToDate: to})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	shares, trend, _ := categories(months)
	r := OverviewReport{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), AccountsAtStart: c.AtStart, AccountsAtEnd: c.AtEnd,
		Added: c.Added, Churned: c.Churned, KARevenue: money(c.KaRevenue), CompanyRevenue: optDec(c.CompanyRevenue, c.CompanyMonths),
		AvgSatisfaction: optDec(c.AvgSatisfaction, c.Surveys), Surveys: c.Surveys, CategoryStructure: shares, MonthlyTrend: trend, ByTier: []TierCount{}}
	if c.CompanyMonths > 0 {
		r.KAShare = pct(c.KaRevenue, c.CompanyRevenue)
	}
	for _, t := range tiers {
		r.ByTier = append(r.ByTier, TierCount{Tier: t.Tier, Accounts: t.Accounts})
	}
	return answer(in.Format, r, func() [][]string {
		out := [][]string{{"section", "key", "value", "quantity"},
			{"summary", "accounts_at_start", itoa(int(r.AccountsAtStart)), ""}, {"summary", "accounts_at_end", itoa(int(r.AccountsAtEnd)), ""},
			{"summary", "added", itoa(int(r.Added)), ""}, {"summary", "churned", itoa(int(r.Churned)), ""},
			{"summary", "ka_revenue", r.KARevenue, ""}, {"summary", "company_revenue", deref(r.CompanyRevenue), ""},
			{"summary", "ka_share", deref(r.KAShare), ""}, {"summary", "avg_satisfaction", deref(r.AvgSatisfaction), ""}}
		for _, t := range r.ByTier {
			out = append(out, []string{"tier", t.Tier, itoa(int(t.Accounts)), ""})
		}
		for _, c := range r.CategoryStructure {
			out = append(out, []string{"category", c.ProductCategory, c.Amount, c.Quantity})
		}
		for _, m := range r.MonthlyTrend {
			out = append(out, []string{"trend", m.Month + "/" + m.ProductCategory, m.Amount, m.Quantity})
		}
		return out
	})
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
	from, to, err := s.period(periodInput{From: in.From, To: in.To, Format: in.Format})
	if err != nil {
		return nil, err
	}
	sections := []string{"report:customer"}
	scope, err := s.gateAccount(ctx, id, capReports, sections)
	if err != nil {
		return nil, err
	}
	if err := s.store.Visible(ctx, scope, id); err != nil {
		return nil, s.archiveErr(ctx, id, sections, err)
	}
	q := s.store.Q()
	months, err := q.CategoryMonths(ctx, dbq.CategoryMonthsParams{CustomerID: &id, FromDate: from, ToDate: to})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	shares, trend, _ := categories(months)
	now, err := q.PaymentsBetween(ctx, dbq.PaymentsBetweenParams{CustomerID: id, FromDate: from, ToDate: to})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	before, err := q.PaymentsBetween(ctx, dbq.PaymentsBetweenParams{CustomerID: id, FromDate: from.AddDate(-1, 0, 0), ToDate: to.AddDate(-1, 0, 0)})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	regions, err := q.CustomerRegions(ctx, dbq.CustomerRegionsParams{CustomerID: id, FromDate: from, ToDate: to})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	facts, err := q.CustomerServiceFacts(ctx, dbq.CustomerServiceFactsParams{CustomerID: id, FromDate: from, ToDate: to})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	if err := s.register(ctx, store.AccessExport, []uuid.UUID{id}, sections); err != nil {
		return nil, err
	}
	r := CustomerReport{CustomerID: id.String(), From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), ProductStructure: shares,
		MonthlyTrend: trend, Regions: []RegionFlow{}, OpenTickets: facts.OpenTickets, VisitsDone: facts.VisitsDone,
		VisitsMissed: facts.VisitsMissed, Greetings: facts.Greetings,
		Payments: PaymentComparison{ThisPeriod: money(now), SamePeriodLastYear: money(before), Change: money(now.Sub(before)), ChangePercent: pct(now.Sub(before), before)}}
	for _, g := range regions {
		r.Regions = append(r.Regions, RegionFlow{Region: g.Region, Amount: money(g.Amount), Quantity: g.Quantity.String()})
	}
	if can(callerOf(ctx).Role, capReadCredit) {
		if c, err := q.GetCredit(ctx, id); err == nil {
			o := creditOut(c)
			r.CreditStatus, r.CreditOutstanding = &o.Status, &o.Outstanding
		}
	}
	return answer(in.Format, r, func() [][]string {
		out := [][]string{{"section", "key", "value", "quantity"},
			{"payments", "this_period", r.Payments.ThisPeriod, ""}, {"payments", "same_period_last_year", r.Payments.SamePeriodLastYear, ""},
			{"payments", "change", r.Payments.Change, ""}, {"payments", "change_percent", deref(r.Payments.ChangePercent), ""},
			{"service", "open_tickets", itoa(int(r.OpenTickets)), ""}, {"service", "visits_done", itoa(int(r.VisitsDone)), ""},
			{"service", "visits_missed", itoa(int(r.VisitsMissed)), ""}, {"service", "greetings", itoa(int(r.Greetings)), ""}}
		for _, c := range r.ProductStructure {
			out = append(out, []string{"category", c.ProductCategory, c.Amount, c.Quantity})
		}
		for _, m := range r.MonthlyTrend {
			out = append(out, []string{"trend", m.Month + "/" + m.ProductCategory, m.Amount, m.Quantity})
		}
		for _, g := range r.Regions {
			out = append(out, []string{"region", g.Region, g.Amount, g.Quantity})
		}
		return out
	})
}

func (s *Server) churnReport(ctx context.Context, in *periodInput) (*report, error) {
	from, to, err := s.period(*in)
	if err != nil {
		return nil, err
	}
	mgr, err := s.reportGate(ctx, "churn")
	if err != nil {
		return nil, err
	}
	rows, err := s.store.Q().ChurnReport(ctx, dbq.ChurnReportParams{ManagerID: mgr, FromDate: from, ToDate: to})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	page := Page[ChurnRow]{Items: make([]ChurnRow, 0, len(rows))}
	for _, r := range rows {
		page.Items = append(page.Items, ChurnRow{Reason: r.Reason, Destination: r.Destination, Competitor: r.Competitor, Accounts: r.Accounts, RevenueLost: money(r.RevenueLost)})
	}
	return answer(in.Format, page, func() [][]string {
		out := [][]string{{"reason", "destination", "competitor", "accounts", "revenue_lost"}}
		for _, r := range page.Items {
			out = append(out, []string{r.Reason, r.Destination, r.Competitor, itoa(int(r.Accounts)), r.RevenueLost})
		}
		return out
	})
}

func (s *Server) staffReport(ctx context.Context, in *periodInput) (*report, error) {
	from, to, err := s.period(*in)
	if err != nil {
		return nil, err
	}
	mgr, err := s.reportGate(ctx, "staff")
	if err != nil {
		return nil, err
	}
	rows, err := s.store.Q().StaffReport(ctx, dbq.StaffReportParams{ManagerID: mgr, FromDate: from, ToDate: to})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	page := Page[StaffRow]{Items: make([]StaffRow, 0, len(rows))}
	for _, r := range rows {
		page.Items = append(page.Items, StaffRow{StaffID: r.ID.String(), Name: r.Name, Accounts: r.Accounts, Revenue: money(r.Revenue),
			Collected: money(r.Collected), Billed: money(r.Billed), Overdue: money(r.Overdue), OverdueShare: pct(r.Overdue, r.Billed),
			VisitsOnTime: r.VisitsOnTime, VisitsMissed: r.VisitsMissed, Tickets: r.Tickets,
			TicketSLAMet: pct(decimal.NewFromInt32(r.TicketsMet), decimal.NewFromInt32(r.Tickets)), AvgSatisfaction: optDec(r.AvgSatisfaction, r.Surveys), Findings: r.Findings,
			Cost: money(r.Cost), Budget: money(r.Budget)})
	}
	return answer(in.Format, page, func() [][]string {
		out := [][]string{{"staff_id", "name", "accounts", "revenue", "collected", "billed", "overdue", "overdue_share", "visits_on_time", "visits_missed", "tickets", "ticket_sla_met", "avg_satisfaction", "inspection_findings", "cost", "budget"}}
		for _, r := range page.Items {
			out = append(out, []string{r.StaffID, r.Name, itoa(int(r.Accounts)), r.Revenue, r.Collected, r.Billed, r.Overdue, deref(r.OverdueShare),
				itoa(int(r.VisitsOnTime)), itoa(int(r.VisitsMissed)), itoa(int(r.Tickets)), deref(r.TicketSLAMet), deref(r.AvgSatisfaction), itoa(int(r.Findings)), r.Cost, r.Budget})
		}
		return out
	})
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
	if p.Role != store.RoleFinance {
		return nil, forbidden("company revenue is recorded by finance")
	}
	month, err := time.Parse("2006-01", in.Month)
	if err != nil {
		return nil, invalidField("path.month", "not a month (YYYY-MM)")
	}
	amount, err := decimal.NewFromString(in.Body.Amount)
	if err != nil {
		return nil, invalidField("body.amount", "not a decimal amount")
	}
	r, err := s.store.Q().PutCompanyRevenue(ctx, dbq.PutCompanyRevenueParams{Month: month, Amount: amount, UpdatedBy: &p.ID})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	return &struct{ Body CompanyRevenue }{Body: CompanyRevenue{Month: r.Month.Format("2006-01"), Amount: money(r.Amount)}}, nil
}
