package kam

import (
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
}

// DiscountDecision is one stage's decision.
type DiscountDecision struct {
	Stage, Decision, Comment string
	By                       uuid.UUID
}

// InspectionRun is one discount inspection (Art. 14).
type InspectionRun struct {
	ID          uuid.UUID
	Trigger     string
	RequestedBy *uuid.UUID
	SampleSize  int32
	Seed        int64
}
