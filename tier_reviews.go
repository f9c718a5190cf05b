package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// ReviewMonths is how far back a tier review looks (Art. 2: "over a period").
const ReviewMonths = 12

// Tier review triggers, statuses and proposal decisions.
const (
	ReviewScheduled = "schedule"
	ReviewManual    = "manual"

	ReviewRunning = "running"
	ReviewDone    = "done"

	ProposalPending  = "pending"
	ProposalAccepted = "accepted"
	ProposalRejected = "rejected"
)

// ChurnDowngraded is the churn register's reason for an account a tier
// review found to meet no tier any more, once the KA Department accepted it
// (Art. 2, 8.4): it is no longer a key account.
const ChurnDowngraded = "downgraded"

// ReviewPeriod is what a review dated asOf grades: the twelve full calendar
// months before asOf's month, from its first day to its last day inclusive.
// A quarterly review on 1 April grades April to March; one in mid-month
// leaves the unfinished month out.
func ReviewPeriod(asOf time.Time) (from, to time.Time) {
	first := time.Date(asOf.Year(), asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	return first.AddDate(0, -ReviewMonths, 0), first.AddDate(0, 0, -1)
}

// Grade is Art. 2–3's rule: of the tiers whose revenue and stability an
// account meets (revenue ≥ MinAnnualRevenue and bought in ≥ MinActiveMonths
// months), the highest, i.e. the one of the lowest rank. nil: the account
// meets no tier and is no longer a key account.
func Grade(tiers []Tier, revenue decimal.Decimal, activeMonths int32) *string {
	var best *Tier
	for i := range tiers {
		t := &tiers[i]
		if revenue.LessThan(t.MinAnnualRevenue) || activeMonths < t.MinActiveMonths {
			continue
		}
		if best == nil || t.Rank < best.Rank {
			best = t
		}
	}
	if best == nil {
		return nil
	}
	code := best.Code
	return &code
}

// TierReviewRun is one tier review to carry out (Art. 2, 3).
type TierReviewRun struct {
	ID          uuid.UUID
	Trigger     string
	RequestedBy *uuid.UUID
	AsOf        time.Time
}

// TierReview is a review as recorded: when it ran, which months it graded,
// how many active accounts it graded and how many proposals it made.
type TierReview struct {
	ID          uuid.UUID
	Trigger     string
	RequestedBy *uuid.UUID
	AsOf        time.Time
	PeriodFrom  time.Time
	PeriodTo    time.Time
	Status      string
	Graded      int32
	Proposals   int32
	Pending     int32
	CreatedAt   time.Time
	FinishedAt  *time.Time
	Version     int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// TierProposal is a review's proposal for one account whose grade differs
// from its tier: To nil means no longer a key account.
type TierProposal struct {
	ReviewID     uuid.UUID
	CustomerID   uuid.UUID
	From         string
	To           *string
	Revenue12m   decimal.Decimal
	ActiveMonths int32
	Decision     string
	DecidedBy    *uuid.UUID
	DecidedAt    *time.Time
	Comment      string
	Version      int32 // moves by one on each change a reader of it sees (SPEC §3)
}

// AccountGrade is what a review reads of one active account.
type AccountGrade struct {
	CustomerID   uuid.UUID
	Tier         string
	Revenue12m   decimal.Decimal
	ActiveMonths int32
}

// Proposals grades every account and keeps those whose grade differs from
// their tier (Art. 3: accounts are graded, and regraded).
func Proposals(tiers []Tier, accounts []AccountGrade) []TierProposal {
	var out []TierProposal
	for _, a := range accounts {
		to := Grade(tiers, a.Revenue12m, a.ActiveMonths)
		if to != nil && *to == a.Tier {
			continue
		}
		out = append(out, TierProposal{CustomerID: a.CustomerID, From: a.Tier, To: to,
			Revenue12m: a.Revenue12m, ActiveMonths: a.ActiveMonths, Decision: ProposalPending})
	}
	return out
}

// TierDecision is the KA Department's decision on one proposal, taken On the
// company's date.
type TierDecision struct {
	ReviewID   uuid.UUID
	CustomerID uuid.UUID
	Decision   string // accept | reject
	Comment    string
	By         uuid.UUID
	On         time.Time
}

// ProposalQuery pages a review's proposals by account id; a nil Decision
// does not filter.
type ProposalQuery struct {
	ReviewID uuid.UUID
	Decision *string
	After    *uuid.UUID
	Limit    int32
}

// TierReviewKey is where a list of reviews resumes: after this creation
// instant and id (newest first).
type TierReviewKey struct {
	CreatedAt time.Time
	ID        uuid.UUID
}
