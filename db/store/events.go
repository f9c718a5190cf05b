package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

func eventOf(e dbq.KaEvent) kam.Event {
	return kam.Event{ID: e.ID, Kind: e.Kind, Title: e.Title, HeldOn: e.HeldOn, Location: e.Location, Notes: e.Notes,
		CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt}
}

func inviteeOf(i dbq.KaEventInvitee) kam.Invitee {
	return kam.Invitee{ID: i.ID, EventID: i.EventID, Attended: i.Attended, Version: i.Version,
		Invited: kam.Invitation{CustomerID: i.CustomerID, KeyPersonID: i.KeyPersonID, StaffID: i.StaffID}}
}

// EventInput is a new symposium, customer event or training.
type EventInput struct {
	Kind, Title     string
	HeldOn          time.Time
	Location, Notes string
	By              uuid.UUID
}

// CreateEvent stores an event and its invitations in one transaction, which
// also writes the request's register entry (Art. 5.4, 9).
func (s *Store) CreateEvent(ctx context.Context, in EventInput, invited []kam.Invitation) (kam.Event, error) {
	var out kam.Event
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		e, err := q.CreateEvent(ctx, dbq.CreateEventParams{ID: NewID(), Kind: in.Kind, Title: in.Title, HeldOn: in.HeldOn,
			Location: in.Location, Notes: in.Notes, CreatedBy: &in.By})
		if err != nil {
			return err
		}
		out = eventOf(e)
		for _, x := range invited {
			if _, err := q.InviteToEvent(ctx, dbq.InviteToEventParams{ID: NewID(), EventID: e.ID, CustomerID: x.CustomerID,
				KeyPersonID: x.KeyPersonID, StaffID: x.StaffID}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// SetAttendance records whether an invitee came. The invited account, if the
// invitee is one, is named in the request's register entry, which the same
// transaction writes (Art. 9).
func (s *Store) SetAttendance(ctx context.Context, eventID, inviteeID uuid.UUID, attended bool) (kam.Invitee, error) {
	var out kam.Invitee
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		i, err := q.SetAttendance(ctx, dbq.SetAttendanceParams{ID: inviteeID, EventID: eventID, Attended: &attended})
		if err != nil {
			return err
		}
		out = inviteeOf(i)
		if i.CustomerID != nil {
			SetAccessCustomers(ctx, *i.CustomerID)
		}
		return nil
	})
	return out, err
}

// GetEvent reads one event; an unknown id is kam.ErrNotFound.
func (s *Store) GetEvent(ctx context.Context, id uuid.UUID) (kam.Event, error) {
	e, err := s.q.GetEvent(ctx, id)
	if err != nil {
		return kam.Event{}, interpret(err)
	}
	return eventOf(e), nil
}

// ListEvents reads a page of events, newest first (see kam.EventFilter).
func (s *Store) ListEvents(ctx context.Context, f kam.EventFilter) ([]kam.Event, error) {
	arg := dbq.ListEventsParams{FromDate: f.From, ToDate: f.To, Kind: f.Kind, ManagerID: f.ManagerID, Lim: f.Lim}
	if f.After != nil {
		arg.AfterOn, arg.AfterID = &f.After.HeldOn, &f.After.ID
	}
	rows, err := s.q.ListEvents(ctx, arg)
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Event, 0, len(rows))
	for _, e := range rows {
		out = append(out, eventOf(e))
	}
	return out, nil
}

// ListInvitees reads the invitees of the events, by event; managerID, when
// set, keeps of the invited accounts only that account manager's (staff
// invitees are no account's data and stay).
func (s *Store) ListInvitees(ctx context.Context, eventIDs []uuid.UUID, managerID *uuid.UUID) ([]kam.Invitee, error) {
	rows, err := s.q.ListInvitees(ctx, dbq.ListInviteesParams{EventIds: eventIDs, ManagerID: managerID})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Invitee, 0, len(rows))
	for _, i := range rows {
		out = append(out, inviteeOf(i))
	}
	return out, nil
}
