package kam

import (
	"time"

	"github.com/google/uuid"
)

// AccessEntry is one row of the access register (Art. 9): who saw or
// changed which account, when and why, with its place in the hash chain.
type AccessEntry struct {
	Seq        int64
	At         time.Time
	StaffID    *uuid.UUID
	StaffRole  *string
	CustomerID *uuid.UUID
	Action     string
	Sections   []string
	RequestID  string
	Purpose    string
	Route      string
	ChainPos   *int64
	PrevHash   []byte
	Hash       []byte
}

// AccessQuery filters the access register, newest first; nil fields do not
// filter, Before continues below the last sequence number seen.
type AccessQuery struct {
	StaffID    *uuid.UUID
	CustomerID *uuid.UUID
	Since      *time.Time
	Until      *time.Time
	Action     *string
	Before     *int64
	Limit      int32
}
