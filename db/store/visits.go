package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
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
func (s *Store) RecordVisit(ctx context.Context, scope Scope, customerID uuid.UUID, in VisitInput) (kam.Visit, bool, error) {
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
	return visitOf(out), planned, err
}

func visitOf(v dbq.Visit) kam.Visit {
	return kam.Visit{ID: v.ID, CustomerID: v.CustomerID, Status: v.Status, DueAt: v.DueAt, VisitedOn: v.VisitedOn, StaffID: v.StaffID,
		KeyPersonIDs: v.KeyPersonIds, Notes: v.Notes, Outcome: v.Outcome, FollowUps: v.FollowUps, CreatedAt: v.CreatedAt, CompletedAt: v.CompletedAt, Version: v.Version}
}

// ListVisits lists one page of an account's visits in plan order.
func (s *Store) ListVisits(ctx context.Context, customerID uuid.UUID, f kam.VisitFilter) ([]kam.Visit, error) {
	rows, err := s.q.ListVisits(ctx, dbq.ListVisitsParams{CustomerID: customerID, Status: f.Status, AfterAt: f.AfterAt, AfterID: f.AfterID, Lim: f.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Visit, 0, len(rows))
	for _, v := range rows {
		out = append(out, visitOf(v))
	}
	return out, nil
}

// StaffExists tells whether id is a staff member; an unknown id is
// kam.ErrNotFound.
func (s *Store) StaffExists(ctx context.Context, id uuid.UUID) error {
	_, err := s.q.GetStaff(ctx, id)
	return interpret(err)
}

// AccountManager reads who manages an account within scope (nil when no one
// does); an account outside scope is kam.ErrNotFound.
func (s *Store) AccountManager(ctx context.Context, scope Scope, customerID uuid.UUID) (*uuid.UUID, error) {
	c, err := s.q.GetCustomer(ctx, dbq.GetCustomerParams{ID: customerID, ManagerID: scope.ManagerID})
	if err != nil {
		return nil, interpret(err)
	}
	return c.AccountManagerID, nil
}

// PlanVisit makes (or finds) the planned visit of an account at a due time
// and returns its id. A visit it plans is a change of the account's visits
// by the plan's run, registered in the same transaction (Art. 9); finding
// it already planned (a retry) registers nothing.
func (s *Store) PlanVisit(ctx context.Context, customerID uuid.UUID, due time.Time) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		n, err := q.PlanVisit(ctx, dbq.PlanVisitParams{ID: NewID(), CustomerID: customerID, DueAt: &due})
		if err != nil {
			return err
		}
		if n > 0 {
			if err := registerProcessChange(ctx, q, customerID, []string{"visits"}, "Art. 20: the visit plan schedules the next regular visit"); err != nil {
				return err
			}
		}
		v, err := q.GetVisitByDue(ctx, dbq.GetVisitByDueParams{CustomerID: customerID, DueAt: &due})
		id = v.ID
		return err
	})
	return id, err
}

// SweepGreetings makes the greeting tasks due in [today, today+leadDays];
// customerID or holidayID narrow it to what was just added. The tasks it
// answers carry their Subject as made, but no CustomerName: nothing words
// their titles from the sweep's answer.
//
// The accounts that got a task are registered in the same transaction
// (Art. 9): under the request that set the sweep off (WithActor), or the
// sweep's run; a sweep that makes nothing registers nothing.
func (s *Store) SweepGreetings(ctx context.Context, today time.Time, leadDays int32, customerID, holidayID *uuid.UUID) ([]kam.Greeting, error) {
	var out []kam.Greeting
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		rows, err := q.SweepGreetings(ctx, dbq.SweepGreetingsParams{Today: today, LeadDays: leadDays, CustomerID: customerID, HolidayID: holidayID})
		if err != nil {
			return err
		}
		out = make([]kam.Greeting, len(rows))
		var accounts []uuid.UUID
		for i, g := range rows {
			out[i] = greetingOf(g, "", g.Title)
			if !slices.Contains(accounts, g.CustomerID) {
				accounts = append(accounts, g.CustomerID)
			}
		}
		return registerProcessChanges(ctx, q, accounts, []string{"greetings"}, "Art. 19: greeting tasks of the coming occasions")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// VisitPlanFacts reads an account's status and its tier's visit cadence.
func (s *Store) VisitPlanFacts(ctx context.Context, customerID uuid.UUID) (status, cadence string, err error) {
	f, err := s.q.VisitPlanFacts(ctx, customerID)
	if err != nil {
		return "", "", interpret(err)
	}
	return f.Status, f.VisitCadence, nil
}

// VisitStatus reads a visit's status.
func (s *Store) VisitStatus(ctx context.Context, visitID uuid.UUID) (string, error) {
	v, err := s.q.GetVisit(ctx, visitID)
	return v.Status, interpret(err)
}

// MarkVisitMissed marks a still-planned visit missed and tells whether it is
// missed; a visit done or withdrawn is left as it is. Asked again after an
// attempt whose answer was lost (Temporal retries it), it still answers
// true, so the miss's notice is not lost with it.
func (s *Store) MarkVisitMissed(ctx context.Context, visitID uuid.UUID) (bool, error) {
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		v, err := q.MarkVisitMissed(ctx, visitID)
		if err != nil {
			return err
		}
		return registerProcessChange(ctx, q, v.CustomerID, []string{"visits"}, "Art. 20: no visit was recorded by its due time and grace")
	})
	if !errors.Is(err, kam.ErrNotFound) {
		return err == nil, err
	}
	v, err := s.q.GetVisit(ctx, visitID)
	if err != nil {
		return false, interpret(err)
	}
	return v.Status == "missed", nil
}

// CancelVisit withdraws a planned visit (rescheduled, or the account left),
// registered as the run's change in the same transaction (Art. 9); a visit
// no longer planned is left as it is, and nothing is registered.
func (s *Store) CancelVisit(ctx context.Context, visitID uuid.UUID) error {
	return s.inTx(ctx, func(q *dbq.Queries) error {
		accounts, err := q.CancelVisit(ctx, visitID)
		if err != nil {
			return err
		}
		return registerProcessChanges(ctx, q, accounts, []string{"visits"}, "Art. 20: the visit plan withdraws a planned visit")
	})
}

// GreetingsOn lists every greeting task for occasions on day (Art. 19),
// each with the account's manager now as the one whose task it is.
func (s *Store) GreetingsOn(ctx context.Context, day time.Time) ([]kam.GreetingTask, error) {
	rows, err := s.q.ListGreetings(ctx, dbq.ListGreetingsParams{OnDate: day})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.ListGreetingsRow) kam.GreetingTask {
		t := greetingTaskOf(r.Greeting, r.CustomerName, r.Subject)
		t.AccountManagerID = r.ManagerNow
		return t
	}), nil
}

func greetingTaskOf(g dbq.Greeting, customerName, subject string) kam.GreetingTask {
	return kam.GreetingTask{ID: g.ID, CustomerID: g.CustomerID, AccountManagerID: g.AccountManagerID, Status: g.Status,
		Occasion: g.Occasion, CustomerName: customerName, Subject: subject, OccasionOn: g.OccasionOn, Gift: g.Gift}
}

func holidayOf(h dbq.Holiday) kam.Holiday {
	return kam.Holiday{ID: h.ID, Name: h.Name, OnDate: h.OnDate}
}

func greetingOf(g dbq.Greeting, customerName, subject string) kam.Greeting {
	return kam.Greeting{ID: g.ID, CustomerID: g.CustomerID, Occasion: g.Occasion, OccasionOn: g.OccasionOn, KeyPersonID: g.KeyPersonID,
		HolidayID: g.HolidayID, CustomerName: customerName, Subject: subject, Gift: g.Gift, AccountManagerID: g.AccountManagerID,
		Status: g.Status, DoneAt: g.DoneAt, Version: g.Version}
}

// CreateHoliday adds a day to the company calendar (Art. 19); a holiday
// already there is a constraint violation, interpreted as a *kam.Error.
func (s *Store) CreateHoliday(ctx context.Context, name string, on time.Time) (kam.Holiday, error) {
	h, err := s.q.CreateHoliday(ctx, dbq.CreateHolidayParams{ID: NewID(), Name: name, OnDate: on})
	if err != nil {
		return kam.Holiday{}, interpret(err)
	}
	return holidayOf(h), nil
}

// ListHolidays lists one page of the company calendar.
func (s *Store) ListHolidays(ctx context.Context, f kam.HolidayFilter) ([]kam.Holiday, error) {
	rows, err := s.q.ListHolidays(ctx, dbq.ListHolidaysParams{Year: f.Year, AfterOn: f.AfterOn, AfterName: f.AfterName, AfterID: f.AfterID, Lim: f.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Holiday, 0, len(rows))
	for _, h := range rows {
		out = append(out, holidayOf(h))
	}
	return out, nil
}

// DeleteHoliday removes a holiday and tells how many rows went (0: none such).
func (s *Store) DeleteHoliday(ctx context.Context, id uuid.UUID) (int64, error) {
	n, err := s.q.DeleteHoliday(ctx, id)
	return n, interpret(err)
}

// ListGreetingsPage lists one page of a day's greeting tasks within scope.
func (s *Store) ListGreetingsPage(ctx context.Context, scope Scope, f kam.GreetingFilter) ([]kam.Greeting, error) {
	rows, err := s.q.ListGreetingsPage(ctx, dbq.ListGreetingsPageParams{OnDate: f.On, ManagerID: scope.ManagerID, Status: f.Status, AfterOccasion: f.AfterOccasion,
		AfterCustomer: f.AfterCustomer, AfterID: f.AfterID, Lim: f.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, func(r dbq.ListGreetingsPageRow) kam.Greeting {
		return greetingOf(r.Greeting, r.CustomerName, r.Subject)
	}), nil
}

// CompleteGreeting marks a greeting task done within scope (409
// greeting_cancelled for a cancelled one, Art. 19); the task names
// its account, which goes into the pending register entry so the change and
// its register row commit together (Art. 9). A task outside scope is
// kam.ErrNotFound.
func (s *Store) CompleteGreeting(ctx context.Context, scope Scope, id uuid.UUID) (kam.Greeting, error) {
	var done dbq.GetGreetingRow
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		g, err := q.CompleteGreeting(ctx, dbq.CompleteGreetingParams{ID: id, ManagerID: scope.ManagerID})
		if err != nil {
			return err
		}
		if g.Status == "cancelled" {
			return kam.Conflict("greeting_cancelled", "this greeting task was cancelled: its key person was removed or their birthday corrected")
		}
		SetAccessCustomers(ctx, g.CustomerID)
		// Read again for what the answer's title is worded from.
		done, err = q.GetGreeting(ctx, id)
		return err
	})
	if err != nil {
		return kam.Greeting{}, err
	}
	return greetingOf(done.Greeting, done.CustomerName, done.Subject), nil
}
