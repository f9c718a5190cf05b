package kam

import (
	"time"

	"github.com/google/uuid"
)

// Event is a symposium, customer event or staff training (Art. 5.4, 5.7, 19).
type Event struct {
	ID        uuid.UUID
	Kind      string
	Title     string
	HeldOn    time.Time
	Location  string
	Notes     string
	CreatedBy *uuid.UUID
	CreatedAt time.Time
}

// Invitation names who is invited: an account (with an optional key person)
// or a member of staff.
type Invitation struct {
	CustomerID  *uuid.UUID
	KeyPersonID *uuid.UUID
	StaffID     *uuid.UUID
}

// Invitee is one stored invitation to an event and whether they came (nil:
// not recorded yet).
type Invitee struct {
	ID       uuid.UUID
	EventID  uuid.UUID
	Invited  Invitation
	Attended *bool
	Version  int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// EventKey is where a list of events (newest first) resumes: before this day
// and id.
type EventKey struct {
	HeldOn time.Time
	ID     uuid.UUID
}

// EventFilter selects a page of events; nil fields do not filter. ManagerID
// keeps the events an account manager's accounts, or they, are invited to
// (Art. 9).
type EventFilter struct {
	From, To  *time.Time
	Kind      *string
	ManagerID *uuid.UUID
	After     *EventKey
	Lim       int32
}
