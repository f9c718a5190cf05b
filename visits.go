package kam

import (
	"time"

	"github.com/google/uuid"
)

// Visit is a planned, done, missed or cancelled visit to an account
// (Art. 7.6, 20).
type Visit struct {
	ID           uuid.UUID
	CustomerID   uuid.UUID
	Status       string
	DueAt        *time.Time
	VisitedOn    *time.Time
	StaffID      *uuid.UUID
	KeyPersonIDs []uuid.UUID
	Notes        string
	Outcome      string
	FollowUps    string
	CreatedAt    time.Time
	CompletedAt  *time.Time
	Version      int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// VisitFilter selects one page of an account's visits: an optional status,
// and the place to resume after (due or recording time, then id).
type VisitFilter struct {
	Status  *string
	AfterAt *time.Time
	AfterID *uuid.UUID
	Limit   int32
}
