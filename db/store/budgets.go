package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
)

func budgetOf(b dbq.KaBudget) kam.Budget {
	return kam.Budget{ID: b.ID, Year: b.Year, CustomerID: b.CustomerID, Tier: b.Tier, Amount: b.Amount, UpdatedAt: b.UpdatedAt, Version: b.Version}
}

func costOf(c dbq.KaCost) kam.Cost {
	return kam.Cost{ID: c.ID, CustomerID: c.CustomerID, Category: c.Category, Amount: c.Amount, IncurredOn: c.IncurredOn,
		Note: c.Note, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt}
}

// PutCustomerBudget sets an account's budget for a year (Art. 21). It runs
// in a transaction so the write's register entry lands with it (Art. 9).
func (s *Store) PutCustomerBudget(ctx context.Context, year int32, customerID uuid.UUID, amount decimal.Decimal) (kam.Budget, error) {
	var out kam.Budget
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		b, err := q.PutCustomerBudget(ctx, dbq.PutCustomerBudgetParams{ID: NewID(), Year: year, CustomerID: &customerID, Amount: amount})
		out = budgetOf(b)
		return err
	})
	return out, err
}

// PutTierBudget sets a tier's budget for a year (Art. 21); an unknown tier is
// kam.ErrNotFound.
func (s *Store) PutTierBudget(ctx context.Context, year int32, tier string, amount decimal.Decimal) (kam.Budget, error) {
	var out kam.Budget
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.GetTier(ctx, tier); err != nil {
			return err
		}
		b, err := q.PutTierBudget(ctx, dbq.PutTierBudgetParams{ID: NewID(), Year: year, Tier: &tier, Amount: amount})
		out = budgetOf(b)
		return err
	})
	return out, err
}

// BudgetReport is each account's spend in a year against its budget, by
// code; managerID, when set, keeps that account manager's accounts.
func (s *Store) BudgetReport(ctx context.Context, year int32, managerID *uuid.UUID, afterCode *string, lim int32) ([]kam.BudgetLine, error) {
	rows, err := s.q.BudgetReport(ctx, dbq.BudgetReportParams{Year: year, ManagerID: managerID, AfterCode: afterCode, Lim: lim})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.BudgetLine, 0, len(rows))
	for _, r := range rows {
		out = append(out, kam.BudgetLine{CustomerID: r.ID, Code: r.Code, Name: r.Name, Tier: r.Tier, AccountManagerID: r.AccountManagerID,
			Budget: r.Budget, OwnBudget: r.OwnBudget, Spent: r.Spent})
	}
	return out, nil
}

// TierBudgets is each tier budget of a year against what the tier's accounts
// without their own budget spent, by tier.
func (s *Store) TierBudgets(ctx context.Context, year int32) ([]kam.TierBudgetLine, error) {
	rows, err := s.q.TierBudgets(ctx, year)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.TierBudgetLine, 0, len(rows))
	for _, r := range rows {
		if r.Tier != nil { // the query keeps tier budgets only
			out = append(out, kam.TierBudgetLine{Tier: *r.Tier, Budget: r.Amount, Spent: r.Spent})
		}
	}
	return out, nil
}

// CostInput is money spent on an account.
type CostInput struct {
	CustomerID uuid.UUID
	Category   string
	Amount     decimal.Decimal
	IncurredOn time.Time
	Note       string
	By         uuid.UUID
}

// RecordCost records a cost of serving an account (Art. 21). It runs in a
// transaction so the write's register entry lands with it (Art. 9).
func (s *Store) RecordCost(ctx context.Context, in CostInput) (kam.Cost, error) {
	var out kam.Cost
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		c, err := q.InsertCost(ctx, dbq.InsertCostParams{ID: NewID(), CustomerID: in.CustomerID, Category: in.Category, Amount: in.Amount,
			IncurredOn: in.IncurredOn, Note: in.Note, CreatedBy: &in.By})
		out = costOf(c)
		return err
	})
	return out, err
}

// ListCosts lists up to lim of an account's costs, newest first, resuming
// before after when it is given.
func (s *Store) ListCosts(ctx context.Context, customerID uuid.UUID, after *kam.CostKey, lim int32) ([]kam.Cost, error) {
	arg := dbq.ListCostsParams{CustomerID: customerID, Lim: lim}
	if after != nil {
		arg.AfterOn, arg.AfterID = &after.IncurredOn, &after.ID
	}
	rows, err := s.q.ListCosts(ctx, arg)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Cost, 0, len(rows))
	for _, c := range rows {
		out = append(out, costOf(c))
	}
	return out, nil
}
