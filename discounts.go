package kam

import (
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Discount routes, states and stages (SPEC §4; Art. 11, 12).
const (
	RouteStandard       = "standard"
	RouteBeyondStandard = "beyond_standard"

	StatePending        = "pending"
	StateApproved       = "approved"
	StateRejected       = "rejected"
	StateWithdrawn      = "withdrawn"
	StateExpired        = "expired"
	StageKADepartment   = "ka_department"
	StageGeneralManager = "general_manager"
)

// DiscountMethods are the ways a discount is given.
var DiscountMethods = []string{"percentage", "fixed_price", "rebate"}

// Route decides who must approve a rate under a policy (Art. 12): within the
// standard the KA Department approves and files with the GM; beyond it the GM
// approves; above the hard cap nobody may.
func Route(rate, maxStandard, hardCap decimal.Decimal) (string, error) {
	if !rate.IsPositive() {
		return "", Invalid("rate", "a discount rate must be above 0")
	}
	if rate.GreaterThan(hardCap) {
		return "", &Error{Kind: KindInvalid, Code: "above_hard_cap", Field: "rate",
			Message: "the rate is above the hard cap of " + hardCap.String() + "% for this tier and product category"}
	}
	if rate.LessThanOrEqual(maxStandard) {
		return RouteStandard, nil
	}
	return RouteBeyondStandard, nil
}

// StandardGrant tells whether a grant is a standard one: routed within the
// standard and approved by the KA Department itself (not escalated to the
// General Manager). Art. 12 gives the KA Department the standard discounts;
// what it may grant it may also revoke, the rest is the GM's.
func StandardGrant(route string, escalated bool) bool {
	return route == RouteStandard && !escalated
}

// MayRevoke tells whether role may revoke a grant (SPEC §7): a ka_manager a
// standard one, the General Manager any.
func MayRevoke(role string, standard bool) bool {
	return role == RoleGeneralManager || (role == RoleKAManager && standard)
}

// RevokedOn is the company's day of a revocation at t: the last day a
// revoked grant covers a sale (a sale carries a date, not an instant).
func RevokedOn(t time.Time, tz *time.Location) time.Time {
	if tz == nil {
		tz = time.UTC
	}
	d := t.In(tz)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// Decider is the role that decides a pending request's current stage
// (Art. 12): the GM decides stage 2, and stage 1 once it is escalated to
// them; the KA Department decides stage 1 otherwise. The requester never
// decides their own request, whatever their role.
func Decider(stage string, escalated bool) string {
	if stage == StageGeneralManager || escalated {
		return RoleGeneralManager
	}
	return RoleKAManager
}

// GrantEndsAt is when a grant valid to validTo ends: at the end of that day in
// the company's time zone (Art. 12; UTC when none is set).
func GrantEndsAt(validTo time.Time, tz *time.Location) time.Time {
	if tz == nil {
		tz = time.UTC
	}
	return time.Date(validTo.Year(), validTo.Month(), validTo.Day()+1, 0, 0, 0, 0, tz)
}

// DiscountState is what the approval workflow persists after each step.
type DiscountState struct {
	RequestID uuid.UUID
	State     string
	Stage     *string
	Escalated bool
	Deadline  *time.Time
	Reminders int32
	// Seq orders the saves of one run; only a newer one is applied.
	Seq int64
	// Decision, when set, is recorded in the same transaction (once per stage).
	Decision *DiscountDecision
	// At is when the run changed its state (and took Decision); zero: now.
	At time.Time
}

// DiscountDecision is one stage's decision.
type DiscountDecision struct {
	Stage, Decision, Comment string
	By                       uuid.UUID
	// OnBehalfOf is the delegator a deputy decided for (SPEC §7), if any.
	OnBehalfOf *uuid.UUID
	// At is when it was taken; zero: the state's At.
	At time.Time
}

// InspectionRun is one discount inspection (Art. 14).
type InspectionRun struct {
	ID          uuid.UUID
	Trigger     string
	RequestedBy *uuid.UUID
	SampleSize  int32
	Seed        int64
}

// DiscountRequest is a discount request and where its approval stands; the
// policy it was routed under is kept with it (Art. 11, 12).
type DiscountRequest struct {
	ID          uuid.UUID
	CustomerID  uuid.UUID
	RequesterID uuid.UUID
	// FormerRequesters asked before a handover made someone else the
	// requester (Art. 11); like the requester, they never decide it.
	FormerRequesters      []uuid.UUID
	ProductCategory       string
	Rate                  decimal.Decimal
	Method                string
	ValidFrom             time.Time
	ValidTo               time.Time
	Reason                string
	Route                 string
	PolicyMaxStandardRate decimal.Decimal
	PolicyHardCapRate     decimal.Decimal
	State                 string
	Stage                 *string
	Escalated             bool
	Deadline              *time.Time
	Reminders             int32
	CreatedAt             time.Time
	UpdatedAt             time.Time
	ClosedAt              *time.Time
	Version               int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// Asked tells whether id is or was the request's requester: one who asked
// never decides it, in person or through a deputy (Art. 12).
func (r DiscountRequest) Asked(id uuid.UUID) bool {
	return id == r.RequesterID || slices.Contains(r.FormerRequesters, id)
}

// StageDecision is a stage's recorded decision on a request.
type StageDecision struct {
	RequestID uuid.UUID
	Stage     string
	Decision  string
	DecidedBy uuid.UUID
	DecidedAt time.Time
	Comment   string
	// OnBehalfOf is the delegator a deputy decided for, if any.
	OnBehalfOf *uuid.UUID
}

// DiscountView is a request with its decisions, oldest first.
type DiscountView struct {
	Request   DiscountRequest
	Decisions []StageDecision
}

// DecidedStageOne tells whether id decided the KA Department's stage of the
// request, or was decided for there by a deputy: Art. 11's level-by-level
// approval keeps them from deciding the General Manager's stage too.
func (v DiscountView) DecidedStageOne(id uuid.UUID) bool {
	for _, d := range v.Decisions {
		if d.Stage == StageKADepartment && (d.DecidedBy == id || d.OnBehalfOf != nil && *d.OnBehalfOf == id) {
			return true
		}
	}
	return false
}

// Grant is one entry of an account's discount standard (Art. 7.8); EndedAt
// is set once it has ended.
type Grant struct {
	ID              uuid.UUID
	RequestID       uuid.UUID
	CustomerID      uuid.UUID
	ProductCategory string
	Rate            decimal.Decimal
	Method          string
	ValidFrom       time.Time
	ValidTo         time.Time
	GrantedAt       time.Time
	ApprovedBy      uuid.UUID
	EndedAt         *time.Time
	// Revocation, when the grant was revoked before its valid_to.
	RevokedAt    *time.Time
	RevokedOn    *time.Time // the company's day of the revocation: its last day
	RevokedBy    *uuid.UUID
	RevokeReason *string
	Version      int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// GrantView is a grant with what deciding its revocation needs of its
// request.
type GrantView struct {
	Grant
	Route       string
	Escalated   bool
	RequesterID uuid.UUID
}

// GrantRevocation ends a grant before its valid_to (SPEC §7).
type GrantRevocation struct {
	RequestID uuid.UUID
	By        uuid.UUID
	Reason    string
	// On is the company's day of the revocation (RevokedOn).
	On time.Time
}

// Filing kinds: a standard discount filed with the GM (Art. 12), and the
// revocation of a grant.
const (
	FilingGrant      = "grant"
	FilingRevocation = "revocation"
)

// GrantFilter selects a page of the grants in force for an account on a day,
// one per product category, resuming after AfterCategory when it is set.
type GrantFilter struct {
	CustomerID    uuid.UUID
	AsOf          time.Time
	AfterCategory *string
	Lim           int32
}

// Filing is a standard discount filed with the General Manager (Art. 12), or
// the revocation of a grant.
type Filing struct {
	ID             uuid.UUID
	RequestID      uuid.UUID
	GrantID        uuid.UUID
	CustomerID     uuid.UUID
	FiledAt        time.Time
	AcknowledgedAt *time.Time
	AcknowledgedBy *uuid.UUID
	Kind           string // FilingGrant or FilingRevocation
	Version        int32  // moves by one on each change a reader of it sees (SPEC §3)
}

// FiledDiscount is a filing with what its request asked for.
type FiledDiscount struct {
	Filing
	Rate            decimal.Decimal
	Method          string
	ProductCategory string
	RequesterID     uuid.UUID
}

// FilingKey is where a list of filings (newest first) resumes: before this
// filing time and id.
type FilingKey struct {
	FiledAt time.Time
	ID      uuid.UUID
}

// FilingFilter selects a page of filings; Unacknowledged keeps those the GM
// has not acknowledged.
type FilingFilter struct {
	Unacknowledged bool
	Before         *FilingKey
	Lim            int32
}
