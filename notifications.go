package kam

import (
	"time"

	"github.com/google/uuid"
)

// Notification is one entry of a staff member's inbox.
type Notification struct {
	ID          uuid.UUID
	RecipientID uuid.UUID
	EventKey    string
	Kind        string
	Title       string
	Body        string
	CustomerID  *uuid.UUID
	CreatedAt   time.Time
	ReadAt      *time.Time
	Version     int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// InboxQuery selects a page of one recipient's inbox, unread first; the
// After fields, all set or all nil, continue after the last entry seen.
type InboxQuery struct {
	RecipientID uuid.UUID
	UnreadOnly  bool
	AfterRead   *bool
	AfterAt     *time.Time
	AfterID     *uuid.UUID
	Limit       int32
}
