package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
)

// ChurnReasons is the fixed list of Art. 8.4; reason_text adds the detail.
var ChurnReasons = []string{"price", "quality", "service", "delivery", "relocation", "closure", "competitor", "other"}

// SaleInput is one record of product use (Art. 7.5, 8).
type SaleInput struct {
	Product, ProductCategory, Region string
	Quantity, Amount, AppliedRate    decimal.Decimal
	SoldOn                           time.Time
}

// RecordSale records product use on an account within scope.
// It runs in a transaction so the write's register entry lands with it (Art. 9).
func (s *Store) RecordSale(ctx context.Context, scope Scope, customerID uuid.UUID, in SaleInput, by uuid.UUID) (kam.Sale, error) {
	var sale dbq.Sale
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.GetCustomer(ctx, dbq.GetCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
			return err
		}
		var err error
		sale, err = q.InsertSale(ctx, dbq.InsertSaleParams{ID: NewID(), CustomerID: customerID, Product: in.Product, ProductCategory: in.ProductCategory,
			Quantity: in.Quantity, Amount: in.Amount, AppliedRate: in.AppliedRate, Region: in.Region, SoldOn: in.SoldOn, CreatedBy: &by})
		return err
	})
	return kam.Sale(sale), err
}

// RecordSatisfaction records a satisfaction survey answer (Art. 8.2).
// It runs in a transaction so the write's register entry lands with it (Art. 9).
func (s *Store) RecordSatisfaction(ctx context.Context, scope Scope, customerID uuid.UUID, score int32, channel, comment string, on time.Time, by uuid.UUID) (kam.Satisfaction, error) {
	var r dbq.Satisfaction
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.GetCustomer(ctx, dbq.GetCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
			return err
		}
		var err error
		r, err = q.InsertSatisfaction(ctx, dbq.InsertSatisfactionParams{ID: NewID(), CustomerID: customerID, Score: score, Channel: channel, Comment: comment, SurveyedOn: on, CreatedBy: &by})
		return err
	})
	return kam.Satisfaction(r), err
}

// ChurnInput is a lost account's record (Art. 8.4).
type ChurnInput struct {
	Reason, ReasonText, Destination, Competitor string
	EffectiveOn                                 time.Time
}

// Churn registers a lost account and marks it churned, with history, in one
// transaction, withdrawing its open greeting tasks. Its credit stays as it
// is: what is owed is still recovered.
func (s *Store) Churn(ctx context.Context, customerID uuid.UUID, in ChurnInput, by uuid.UUID) (kam.Churn, error) {
	var out dbq.Churn
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		c, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: customerID})
		if err != nil {
			return err
		}
		if c.Status != "active" {
			return kam.Errorf(kam.KindConflict, "already_churned", "the account is already churned")
		}
		if out, err = q.InsertChurn(ctx, dbq.InsertChurnParams{ID: NewID(), CustomerID: customerID, Reason: in.Reason, ReasonText: in.ReasonText,
			Destination: in.Destination, Competitor: in.Competitor, EffectiveOn: in.EffectiveOn, RecordedBy: &by}); err != nil {
			return err
		}
		changes := apply(&c, CustomerPatch{Status: strp("churned")})
		if _, err = saveCustomer(ctx, q, c, changes, by); err != nil {
			return err
		}
		// No greeting work is left for a lost account (Art. 19).
		return q.CancelOpenGreetings(ctx, customerID)
	})
	return kam.Churn(out), err
}

// Reactivate records a win-back: the account is active again.
func (s *Store) Reactivate(ctx context.Context, customerID uuid.UUID, by uuid.UUID) (kam.Customer, error) {
	var out dbq.Customer
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		c, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: customerID})
		if err != nil {
			return err
		}
		if c.Status != "churned" {
			return kam.Errorf(kam.KindConflict, "not_churned", "the account is active")
		}
		if err := q.MarkReactivated(ctx, dbq.MarkReactivatedParams{CustomerID: customerID, ReactivatedBy: &by}); err != nil {
			return err
		}
		out, err = saveCustomer(ctx, q, c, apply(&c, CustomerPatch{Status: strp("active")}), by)
		return err
	})
	return kam.Customer(out), err
}

// Inspect samples active grants with the recorded seed, checks the sales of
// their accounts and categories against the grants in force, and records the
// findings. Running it again for the same inspection adds nothing.
func (s *Store) Inspect(ctx context.Context, r kam.InspectionRun) (kam.Inspection, error) {
	var out dbq.Inspection
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.CreateInspection(ctx, dbq.CreateInspectionParams{ID: r.ID, Trigger: r.Trigger, RequestedBy: r.RequestedBy, SampleSize: r.SampleSize, Seed: r.Seed}); err != nil {
			return err
		}
		grants, err := q.SampleGrants(ctx, dbq.SampleGrantsParams{Seed: r.Seed, Lim: r.SampleSize})
		if err != nil {
			return err
		}
		if err := q.InspectSales(ctx, dbq.InspectSalesParams{InspectionID: r.ID, GrantIds: grants}); err != nil {
			return err
		}
		checked, err := q.CountInspectedSales(ctx, grants)
		if err != nil {
			return err
		}
		out, err = q.FinishInspection(ctx, dbq.FinishInspectionParams{ID: r.ID, SampledGrants: grants, SalesChecked: checked})
		return err
	})
	return kam.Inspection(out), err
}

// InspectionOutcome counts an inspection's findings and lists the account
// managers of the accounts they concern (Art. 14).
func (s *Store) InspectionOutcome(ctx context.Context, inspectionID uuid.UUID) (findings int, managers []uuid.UUID, err error) {
	rows, err := s.q.ListFindings(ctx, inspectionID)
	if err != nil {
		return 0, nil, interpret(err)
	}
	ms, err := s.q.FindingManagers(ctx, inspectionID)
	if err != nil {
		return 0, nil, interpret(err)
	}
	managers = []uuid.UUID{}
	for _, m := range ms {
		if m != nil {
			managers = append(managers, *m)
		}
	}
	return len(rows), managers, nil
}

// FindingsByManager counts an inspection's findings per manager of the
// accounts they are on.
func (s *Store) FindingsByManager(ctx context.Context, inspectionID uuid.UUID) (map[uuid.UUID]int, error) {
	rows, err := s.q.FindingsByManager(ctx, inspectionID)
	if err != nil {
		return nil, interpret(err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.ManagerID] = int(r.Findings)
	}
	return out, nil
}

// SalesPage selects a page of an account's sales, newest first: sold within
// [From, To] (each bound when given), after the sale (AfterOn, AfterID) when
// given, at most Limit rows.
type SalesPage struct {
	CustomerID uuid.UUID
	From, To   *time.Time
	AfterOn    *time.Time
	AfterID    *uuid.UUID
	Limit      int32
}

// ListSales reads a page of an account's product use (Art. 7.5, 8).
func (s *Store) ListSales(ctx context.Context, p SalesPage) ([]kam.Sale, error) {
	rows, err := s.q.ListSales(ctx, dbq.ListSalesParams{CustomerID: p.CustomerID, FromDate: p.From, ToDate: p.To,
		AfterOn: p.AfterOn, AfterID: p.AfterID, Lim: p.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.Sale) kam.Sale { return kam.Sale(r) }), nil
}

// InspectionsPage selects a page of inspections, newest first: after the
// inspection (AfterAt, AfterID) when given, at most Limit rows.
type InspectionsPage struct {
	AfterAt *time.Time
	AfterID *uuid.UUID
	Limit   int32
}

// ListInspections reads a page of discount inspections (Art. 14).
func (s *Store) ListInspections(ctx context.Context, p InspectionsPage) ([]kam.Inspection, error) {
	rows, err := s.q.ListInspections(ctx, dbq.ListInspectionsParams{AfterAt: p.AfterAt, AfterID: p.AfterID, Lim: p.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.Inspection) kam.Inspection { return kam.Inspection(r) }), nil
}

// GetInspection reads one inspection; kam.ErrNotFound when there is none.
func (s *Store) GetInspection(ctx context.Context, id uuid.UUID) (kam.Inspection, error) {
	i, err := s.q.GetInspection(ctx, id)
	return kam.Inspection(i), interpret(err)
}

// FindingsPage selects a page of an inspection's findings, by kind and sale:
// after (AfterKind, AfterSale) when given, at most Limit rows.
type FindingsPage struct {
	InspectionID uuid.UUID
	AfterKind    *string
	AfterSale    *uuid.UUID
	Limit        int32
}

// ListFindings reads a page of an inspection's findings (Art. 14).
func (s *Store) ListFindings(ctx context.Context, p FindingsPage) ([]kam.Finding, error) {
	rows, err := s.q.ListFindingsPage(ctx, dbq.ListFindingsPageParams{InspectionID: p.InspectionID, AfterKind: p.AfterKind, AfterSale: p.AfterSale, Lim: p.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.InspectionFinding) kam.Finding { return kam.Finding(r) }), nil
}

// InspectedAccounts lists the accounts whose grants the inspections sampled
// (none when they sampled none).
func (s *Store) InspectedAccounts(ctx context.Context, inspections ...kam.Inspection) ([]uuid.UUID, error) {
	var grants []uuid.UUID
	for _, i := range inspections {
		grants = append(grants, i.SampledGrants...)
	}
	if len(grants) == 0 {
		return nil, nil
	}
	ids, err := s.q.GrantAccounts(ctx, grants)
	return ids, interpret(err)
}
