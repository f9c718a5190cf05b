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

// MaxRequestID is the longest request id the register keeps (SPEC §7).
const MaxRequestID = 128

// RequestIDRune tells whether r may stand in a request id the register
// keeps: SPEC §7's [A-Za-z0-9._:-].
func RequestIDRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-'
}

// RequestIDOK tells whether id has SPEC §7's shape of a request id.
func RequestIDOK(id string) bool {
	if id == "" || len(id) > MaxRequestID {
		return false
	}
	for _, r := range id {
		if !RequestIDRune(r) {
			return false
		}
	}
	return true
}
