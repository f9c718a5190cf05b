package kam

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Staff is a member of staff as the store keeps it.
type Staff struct {
	ID        uuid.UUID
	Name      string
	Email     *string
	Role      string
	Active    bool
	CreatedAt time.Time
	Locale    string
	Version   int32
}

// TokenInfo is what may be shown of an API token: never the secret, never
// its hash.
type TokenInfo struct {
	ID         uuid.UUID
	StaffID    uuid.UUID
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	Version    int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// Handover states (SPEC §7 "Staff and identity").
const (
	HandoverRunning = "running"
	HandoverDone    = "done"
	HandoverFailed  = "failed"
)

// Handover moves all of one manager's accounts, with their pending discount
// requests, visit plans and greeting tasks, to another account manager
// (Art. 20: no account is left without its manager). It runs in batches.
type Handover struct {
	ID          uuid.UUID
	FromStaffID uuid.UUID
	ToStaffID   uuid.UUID
	RequestedBy uuid.UUID
	Status      string
	// Reason says why a failed handover stopped.
	Reason         string
	AccountsMoved  int
	RequestsMoved  int
	GreetingsMoved int
	Batches        int
	CreatedAt      time.Time
	FinishedAt     *time.Time
	Version        int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// HandoverBatch is what one batch of a handover moved.
type HandoverBatch struct {
	Batch     int
	Accounts  []uuid.UUID
	Requests  []uuid.UUID
	Greetings int
}

// ReceivesAccounts is the rule for who may be given accounts: an active
// account manager (Art. 20).
func ReceivesAccounts(role string, active bool) bool {
	return active && role == RoleAccountManager
}

// Codes of a refused handover.
const (
	CodeHandoverToSelf  = "handover_to_self"
	CodeHandoverTarget  = "invalid_handover_target"
	CodeHandoverRunning = "handover_running"
	CodeHasAssignments  = "has_assignments"
)

// HandoverToSelf refuses a handover to the person who leaves (field names
// the input that named them).
func HandoverToSelf(field string) *Error {
	return &Error{Kind: KindInvalid, Code: CodeHandoverToSelf, Field: field,
		Message: "the accounts cannot be handed over to the person who leaves them"}
}

// HandoverTarget refuses a receiver who is not an active account manager.
func HandoverTarget(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: CodeHandoverTarget, Field: field, Message: fmt.Sprintf(format, args...)}
}
