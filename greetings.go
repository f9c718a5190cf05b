package kam

import (
	"time"

	"github.com/google/uuid"
)

// Holiday is a day of the company calendar (Art. 19).
type Holiday struct {
	ID     uuid.UUID
	Name   string
	OnDate time.Time
}

// HolidayFilter selects one page of the calendar: an optional year, and the
// place to resume after (date, name, id).
type HolidayFilter struct {
	Year      *int32
	AfterOn   *time.Time
	AfterName *string
	AfterID   *uuid.UUID
	Limit     int32
}

// Greeting is a greeting task for an account manager (Art. 19).
type Greeting struct {
	ID          uuid.UUID
	CustomerID  uuid.UUID
	Occasion    string
	OccasionOn  time.Time
	KeyPersonID *uuid.UUID
	HolidayID   *uuid.UUID
	// CustomerName and Subject are what the task's title is worded from, in
	// each reader's locale (SPEC §7 "Language"): the account's name, and
	// whom or what the occasion greets — the key person's name (birthday),
	// the founding date (anniversary), the holiday's name (holiday).
	CustomerName     string
	Subject          string
	Gift             bool
	AccountManagerID *uuid.UUID
	Status           string
	DoneAt           *time.Time
	Version          int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// GreetingFilter selects one page of a day's greeting tasks, resuming after
// (occasion, customer, id): those of Status, or, when it is nil, all but the
// cancelled (a removed key person gets no greeting, SPEC §7).
type GreetingFilter struct {
	On            time.Time
	Status        *string
	AfterOccasion *string
	AfterCustomer *uuid.UUID
	AfterID       *uuid.UUID
	Limit         int32
}
