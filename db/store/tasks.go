package store

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
)

// firstDue is where the first page of a task list starts: before every due
// time kam can hold, so each kind's index scan starts at its beginning.
var firstDue = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)

// MyTasks reads one page of what waits on a member of staff, soonest due
// first, in one query (SPEC §7 "Approvals and work"); q.Scope says which
// kinds are theirs and over which accounts.
func (s *Store) MyTasks(ctx context.Context, q kam.TaskQuery) ([]kam.Task, error) {
	if q.Scope.Empty() {
		return []kam.Task{}, nil
	}
	var rows []dbq.MyTasksRow
	err := s.readTx(ctx, func(tx *dbq.Queries) error {
		if err := tx.PlanTasksOnce(ctx); err != nil {
			return err
		}
		var err error
		rows, err = tx.MyTasks(ctx, taskParams(q))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]kam.Task, len(rows))
	for i, r := range rows {
		out[i] = taskOf(r)
	}
	return out, nil
}

func taskParams(q kam.TaskQuery) dbq.MyTasksParams {
	sc := q.Scope
	p := dbq.MyTasksParams{
		StaffID: q.StaffID, AfterDue: firstDue, Lim: q.Lim, Tz: tzName(q.Timezone),
		ArchiveGraceUs: q.ArchiveGrace.Microseconds(),
		DecideAs:       sc.DecideAs, Filings: sc.Filings, Visits: sc.Visits, Greetings: sc.Greetings,
		TicketsAll: sc.Tickets == kam.TasksAll, TicketsEscalated: sc.Tickets == kam.TasksEscalated, TicketsMine: sc.Tickets == kam.TasksMine,
		ArchivesAll: sc.Archives == kam.TasksAll, ArchivesMine: sc.Archives == kam.TasksMine,
		HideCredit:    sc.HideCredit,
		StatementsAll: sc.Statements == kam.TasksAll, StatementsMine: sc.Statements == kam.TasksMine,
	}
	if q.After != nil {
		p.AfterDue, p.AfterKind, p.AfterID = q.After.DueAt, q.After.Kind, q.After.ID
	}
	return p
}

// tzName is the IANA name Postgres knows a location by; Go's "Local" has
// none, so it is read as UTC.
func tzName(loc *time.Location) string {
	if loc == nil || loc.String() == "Local" || loc.String() == "" {
		return "UTC"
	}
	return loc.String()
}

func taskOf(r dbq.MyTasksRow) kam.Task {
	t := kam.Task{Kind: r.Kind, ID: r.ID, CustomerID: r.CustomerID, CustomerName: r.CustomerName,
		Rate: decimalOf(r.Rate), Missing: r.Missing, Outstanding: decimalOf(r.Outstanding)}
	if r.DueAt != nil {
		t.DueAt = *r.DueAt
	}
	if r.Subject != nil {
		t.Subject = *r.Subject
	}
	if r.State != nil {
		t.State = *r.State
	}
	return t
}

func decimalOf(d decimal.NullDecimal) *decimal.Decimal {
	if !d.Valid {
		return nil
	}
	return &d.Decimal
}
