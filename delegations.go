package kam

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// A delegation hands a decider's approvals (Art. 11, 12) to a deputy for a
// while (SPEC §7 "Approvals and work"): while it is in force the deputy
// decides what the delegator may decide — never the deputy's own request, nor
// the delegator's — and hears the reminders and escalations the delegator
// hears. It is not passed on: a deputy's own delegation covers only the
// deputy's own approvals.
type Delegation struct {
	ID          uuid.UUID
	FromStaffID uuid.UUID
	ToStaffID   uuid.UUID
	StartsAt    time.Time
	EndsAt      time.Time
	Reason      string
	CreatedBy   uuid.UUID
	CreatedAt   time.Time
	// EndedAt is set when the delegation was ended early (DELETE).
	EndedAt *time.Time
	EndedBy *uuid.UUID
	Version int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// InForceAt tells whether the delegation is in force at t: started, not yet
// at its end, and not ended early.
func (d Delegation) InForceAt(t time.Time) bool {
	return !t.Before(d.StartsAt) && t.Before(d.Until())
}

// Until is when the delegation stops being in force: its end, or the moment
// it was ended early.
func (d Delegation) Until() time.Time {
	if d.EndedAt != nil && d.EndedAt.Before(d.EndsAt) {
		return *d.EndedAt
	}
	return d.EndsAt
}

// Deputyship is a delegation in force for its deputy, with the delegator's
// role: what the deputy may decide for them.
type Deputyship struct {
	ID       uuid.UUID
	From     uuid.UUID
	FromRole string
	StartsAt time.Time
	EndsAt   time.Time
}

// DelegationInput is a delegation to be made.
type DelegationInput struct {
	From, To  uuid.UUID
	StartsAt  time.Time
	EndsAt    time.Time
	Reason    string
	CreatedBy uuid.UUID
}

// MaxDelegationReason bounds a delegation's reason, in characters.
const MaxDelegationReason = 500

// FromNow takes a starts_at before now as now: a delegation gives no power
// over the past, and a back-dated one would make the record of who could act
// for whom false (Art. 9, 14).
func (in *DelegationInput) FromNow(now time.Time) {
	if in.StartsAt.Before(now) {
		in.StartsAt = now
	}
}

// Check holds a delegation to the rules that need no record: another person,
// an end after its start and after now, a bounded reason.
func (in DelegationInput) Check(now time.Time) error {
	switch {
	case in.To == in.From:
		return Invalid("to_staff_id", "a delegation goes to someone else")
	case !in.EndsAt.After(in.StartsAt):
		return Invalid("ends_at", "ends_at must be after starts_at")
	case !in.EndsAt.After(now):
		return Invalid("ends_at", "ends_at is in the past")
	case len([]rune(in.Reason)) > MaxDelegationReason:
		return Invalid("reason", "a reason is at most %d characters", MaxDelegationReason)
	}
	return nil
}

// approvalRoles are the roles that decide approvals (Art. 12: the KA
// Department, the General Manager), and so the only ones that delegate them
// or stand in for someone who does.
var approvalRoles = []string{RoleKAManager, RoleGeneralManager}

// DecidesApprovals tells whether a role decides discount approvals.
func DecidesApprovals(role string) bool { return slices.Contains(approvalRoles, role) }

// DelegationFilter selects a page of delegations, newest first.
type DelegationFilter struct {
	// Party, when set, keeps the delegations from or to that person.
	Party   *uuid.UUID
	InForce bool
	Before  *uuid.UUID
	Lim     int32
}
