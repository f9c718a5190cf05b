package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/dbq"
)

// VisitInput is a visit as recorded by the one who made it (Art. 7.6, 20).
type VisitInput struct {
	VisitedOn    time.Time
	StaffID      uuid.UUID
	KeyPersonIDs []uuid.UUID
	Notes        string
	Outcome      string
	FollowUps    string
}

// RecordVisit records a visit; it completes the account's oldest planned
// visit if there is one, else it stands as an unplanned visit. It tells
// whether a planned visit was completed.
func (s *Store) RecordVisit(ctx context.Context, scope Scope, customerID uuid.UUID, in VisitInput) (dbq.Visit, bool, error) {
	var out dbq.Visit
	var planned bool
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
			return err
		}
		ids := in.KeyPersonIDs
		if ids == nil {
			ids = []uuid.UUID{}
		}
		if len(ids) > 0 {
			n, err := q.CountKeyPersonsOf(ctx, dbq.CountKeyPersonsOfParams{CustomerID: customerID, Ids: ids})
			if err != nil {
				return err
			}
			if int(n) != len(ids) {
				return kam.Invalid("key_person_ids", "every key person met must be one of this account's")
			}
		}
		v, err := q.OldestPlannedVisit(ctx, customerID)
		switch {
		case err == nil:
			planned = true
			out, err = q.CompleteVisit(ctx, dbq.CompleteVisitParams{ID: v.ID, VisitedOn: &in.VisitedOn, StaffID: &in.StaffID, KeyPersonIds: ids,
				Notes: in.Notes, Outcome: in.Outcome, FollowUps: in.FollowUps})
			return err
		case errors.Is(interpret(err), kam.ErrNotFound):
			out, err = q.InsertDoneVisit(ctx, dbq.InsertDoneVisitParams{ID: NewID(), CustomerID: customerID, VisitedOn: &in.VisitedOn, StaffID: &in.StaffID,
				KeyPersonIds: ids, Notes: in.Notes, Outcome: in.Outcome, FollowUps: in.FollowUps})
			return err
		default:
			return err
		}
	})
	return out, planned, err
}

// PlanVisit makes (or finds) the planned visit of an account at a due time.
func (s *Store) PlanVisit(ctx context.Context, customerID uuid.UUID, due time.Time) (dbq.Visit, error) {
	if err := s.q.PlanVisit(ctx, dbq.PlanVisitParams{ID: NewID(), CustomerID: customerID, DueAt: &due}); err != nil {
		return dbq.Visit{}, interpret(err)
	}
	v, err := s.q.GetVisitByDue(ctx, dbq.GetVisitByDueParams{CustomerID: customerID, DueAt: &due})
	return v, interpret(err)
}

// SweepGreetings makes the greeting tasks due in [today, today+leadDays];
// customerID or holidayID narrow it to what was just added.
func (s *Store) SweepGreetings(ctx context.Context, today time.Time, leadDays int32, customerID, holidayID *uuid.UUID) ([]dbq.Greeting, error) {
	rows, err := s.q.SweepGreetings(ctx, dbq.SweepGreetingsParams{Today: today, LeadDays: leadDays, CustomerID: customerID, HolidayID: holidayID})
	return rows, interpret(err)
}
