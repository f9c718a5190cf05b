package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
)

// ReportPeriod is what a report covers: the accounts of one account manager
// (ManagerID; nil: every account), the days From…To, and how many product
// categories (regions) are shown on their own, the rest summed in one slot.
type ReportPeriod struct {
	ManagerID *uuid.UUID
	From, To  time.Time
	TopN      int
}

// OverviewReport reads the figures of the KA base over a period (Art. 8.2).
func (s *Store) OverviewReport(ctx context.Context, p ReportPeriod) (kam.Overview, error) {
	c, err := s.q.OverviewCounts(ctx, dbq.OverviewCountsParams{ManagerID: p.ManagerID, FromDate: p.From, ToDate: p.To})
	if err != nil {
		return kam.Overview{}, interpret(err)
	}
	tiers, err := s.q.OverviewTiers(ctx, p.ManagerID)
	if err != nil {
		return kam.Overview{}, interpret(err)
	}
	months, err := s.categoryMonths(ctx, dbq.CategoryMonthsParams{ManagerID: p.ManagerID, FromDate: p.From, ToDate: p.To, TopN: int64(p.TopN)})
	if err != nil {
		return kam.Overview{}, err
	}
	return kam.Overview{AtStart: c.AtStart, AtEnd: c.AtEnd, Added: c.Added, Churned: c.Churned, KARevenue: c.KaRevenue,
		CompanyRevenue: c.CompanyRevenue, CompanyMonths: c.CompanyMonths, AvgSatisfaction: c.AvgSatisfaction, Surveys: c.Surveys,
		ByTier: mapRows(tiers, func(t dbq.OverviewTiersRow) kam.TierCount { return kam.TierCount(t) }), Months: months}, nil
}

func (s *Store) categoryMonths(ctx context.Context, arg dbq.CategoryMonthsParams) ([]kam.CategoryMonth, error) {
	rows, err := s.q.CategoryMonths(ctx, arg)
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.CategoryMonthsRow) kam.CategoryMonth { return kam.CategoryMonth(r) }), nil
}

// CustomerReport reads one account's figures over a period (Art. 8.3); the
// period's ManagerID is not used (the caller has checked the account is in
// scope). withCredit adds its credit agreement, when it has one.
func (s *Store) CustomerReport(ctx context.Context, customerID uuid.UUID, p ReportPeriod, withCredit bool) (kam.CustomerFigures, error) {
	var out kam.CustomerFigures
	var err error
	if out.Months, err = s.categoryMonths(ctx, dbq.CategoryMonthsParams{CustomerID: &customerID, FromDate: p.From, ToDate: p.To, TopN: int64(p.TopN)}); err != nil {
		return out, err
	}
	if out.Payments, out.PaymentsLastYear, err = s.paymentsComparison(ctx, customerID, p.From, p.To); err != nil {
		return out, err
	}
	regions, err := s.q.CustomerRegions(ctx, dbq.CustomerRegionsParams{CustomerID: customerID, FromDate: p.From, ToDate: p.To, TopN: int64(p.TopN)})
	if err != nil {
		return out, interpret(err)
	}
	out.Regions = mapRows(regions, func(r dbq.CustomerRegionsRow) kam.RegionSlot { return kam.RegionSlot(r) })
	f, err := s.q.CustomerServiceFacts(ctx, dbq.CustomerServiceFactsParams{CustomerID: customerID, FromDate: p.From, ToDate: p.To})
	if err != nil {
		return out, interpret(err)
	}
	out.OpenTickets, out.VisitsDone, out.VisitsMissed, out.Greetings = f.OpenTickets, f.VisitsDone, f.VisitsMissed, f.Greetings
	if withCredit {
		out.Credit, err = s.creditIfAny(ctx, customerID)
	}
	return out, err
}

// paymentsComparison reads an account's payments over from…to and over the
// same days a year before.
func (s *Store) paymentsComparison(ctx context.Context, customerID uuid.UUID, from, to time.Time) (now, before decimal.Decimal, err error) {
	if now, err = s.q.PaymentsBetween(ctx, dbq.PaymentsBetweenParams{CustomerID: customerID, FromDate: from, ToDate: to}); err != nil {
		return now, before, interpret(err)
	}
	before, err = s.q.PaymentsBetween(ctx, dbq.PaymentsBetweenParams{CustomerID: customerID, FromDate: yearBefore(from), ToDate: yearBefore(to)})
	return now, before, interpret(err)
}

// yearBefore is the same day a year earlier, or the last day of that month
// when it has no such day: 29 February is 28 February, where AddDate's 1
// March put that day in the comparison of both February and March.
func yearBefore(d time.Time) time.Time {
	y, m, day := d.Date()
	last := time.Date(y-1, m+1, 0, 0, 0, 0, 0, d.Location()).Day()
	return time.Date(y-1, m, min(day, last), d.Hour(), d.Minute(), d.Second(), d.Nanosecond(), d.Location())
}

// creditIfAny reads an account's credit agreement; nil when it has none.
func (s *Store) creditIfAny(ctx context.Context, customerID uuid.UUID) (*kam.CreditAgreement, error) {
	c, err := s.q.GetCredit(ctx, customerID)
	if err = interpret(err); errors.Is(err, kam.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	a := creditOf(c)
	return &a, nil
}

// ChurnReport reads the lost accounts of a period by reason, destination and
// competitor (Art. 8.4).
func (s *Store) ChurnReport(ctx context.Context, p ReportPeriod) ([]kam.ChurnGroup, error) {
	rows, err := s.q.ChurnReport(ctx, dbq.ChurnReportParams{ManagerID: p.ManagerID, FromDate: p.From, ToDate: p.To})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.ChurnReportRow) kam.ChurnGroup { return kam.ChurnGroup(r) }), nil
}

// StaffReport reads each account manager's assessment figures over a period
// (Art. 5.2, 22).
func (s *Store) StaffReport(ctx context.Context, p ReportPeriod) ([]kam.StaffFigures, error) {
	rows, err := s.q.StaffReport(ctx, dbq.StaffReportParams{ManagerID: p.ManagerID, FromDate: p.From, ToDate: p.To})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.StaffReportRow) kam.StaffFigures { return kam.StaffFigures(r) }), nil
}

// PutCompanyRevenue records the company's revenue for the month that begins
// on month.
func (s *Store) PutCompanyRevenue(ctx context.Context, month time.Time, amount decimal.Decimal, by uuid.UUID) (kam.CompanyRevenue, error) {
	r, err := s.q.PutCompanyRevenue(ctx, dbq.PutCompanyRevenueParams{Month: month, Amount: amount, UpdatedBy: &by})
	return kam.CompanyRevenue(r), interpret(err)
}
