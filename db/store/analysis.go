package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/dbq"
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
func (s *Store) RecordSale(ctx context.Context, scope Scope, customerID uuid.UUID, in SaleInput, by uuid.UUID) (dbq.Sale, error) {
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
	return sale, err
}

// RecordSatisfaction records a satisfaction survey answer (Art. 8.2).
// It runs in a transaction so the write's register entry lands with it (Art. 9).
func (s *Store) RecordSatisfaction(ctx context.Context, scope Scope, customerID uuid.UUID, score int32, channel, comment string, on time.Time, by uuid.UUID) (dbq.Satisfaction, error) {
	var r dbq.Satisfaction
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.GetCustomer(ctx, dbq.GetCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
			return err
		}
		var err error
		r, err = q.InsertSatisfaction(ctx, dbq.InsertSatisfactionParams{ID: NewID(), CustomerID: customerID, Score: score, Channel: channel, Comment: comment, SurveyedOn: on, CreatedBy: &by})
		return err
	})
	return r, err
}

// ChurnInput is a lost account's record (Art. 8.4).
type ChurnInput struct {
	Reason, ReasonText, Destination, Competitor string
	EffectiveOn                                 time.Time
}

// Churn registers a lost account and marks it churned, with history, in one
// transaction. Its credit stays as it is: what is owed is still recovered.
func (s *Store) Churn(ctx context.Context, customerID uuid.UUID, in ChurnInput, by uuid.UUID) (dbq.Churn, error) {
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
		_, err = saveCustomer(ctx, q, c, changes, by)
		return err
	})
	return out, err
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
func (s *Store) Inspect(ctx context.Context, r kam.InspectionRun) (dbq.Inspection, error) {
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
	return out, err
}

// CreateEvent stores an event and, through invite, its invitees, in one transaction.
func (s *Store) CreateEvent(ctx context.Context, e dbq.CreateEventParams, invite func(*dbq.Queries, uuid.UUID) error) (dbq.KaEvent, error) {
	var out dbq.KaEvent
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		var err error
		if out, err = q.CreateEvent(ctx, e); err != nil {
			return err
		}
		return invite(q, out.ID)
	})
	return out, err
}

// SetAttendance records whether an invitee came. The invited account, if the
// invitee is one, is named in the request's register entry, which the same
// transaction writes (Art. 9).
func (s *Store) SetAttendance(ctx context.Context, eventID, inviteeID uuid.UUID, attended bool) (dbq.KaEventInvitee, error) {
	var out dbq.KaEventInvitee
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		var err error
		if out, err = q.SetAttendance(ctx, dbq.SetAttendanceParams{ID: inviteeID, EventID: eventID, Attended: &attended}); err != nil {
			return err
		}
		if out.CustomerID != nil {
			SetAccessCustomers(ctx, *out.CustomerID)
		}
		return nil
	})
	return out, err
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
