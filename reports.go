package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// CategoryMonth is one month of one product-category slot of a report
// (Art. 8.2, 8.3). The top N categories by the period's revenue each have a
// slot (1…N); the rest share slot N+1, and Categories says how many it sums.
type CategoryMonth struct {
	Month      time.Time
	Slot       int32
	Category   string
	Categories int32
	Amount     decimal.Decimal
	Quantity   decimal.Decimal
}

// RegionSlot is where an account's products went (product flow, Art. 8.3),
// bounded like the categories: slot N+1 sums Regions regions.
type RegionSlot struct {
	Slot     int32
	Region   string
	Amount   decimal.Decimal
	Quantity decimal.Decimal
	Regions  int32
}

// TierCount is how many active accounts a tier has.
type TierCount struct {
	Tier     string
	Accounts int32
}

// Overview is the KA base over a period (Art. 8.2). CompanyMonths counts the
// months with a recorded company revenue, Surveys the satisfaction answers
// the average is over.
type Overview struct {
	AtStart         int32
	AtEnd           int32
	Added           int32
	Churned         int32
	KARevenue       decimal.Decimal
	CompanyRevenue  decimal.Decimal
	CompanyMonths   int32
	AvgSatisfaction decimal.Decimal
	Surveys         int32
	ByTier          []TierCount
	Months          []CategoryMonth
}

// CustomerFigures are one account's figures over a period (Art. 8.3).
// Credit is nil when it was not asked for or the account has no agreement.
type CustomerFigures struct {
	Months           []CategoryMonth
	Payments         decimal.Decimal
	PaymentsLastYear decimal.Decimal
	Regions          []RegionSlot
	OpenTickets      int32
	VisitsDone       int32
	VisitsMissed     int32
	Greetings        int32
	Credit           *CreditAgreement
}

// ChurnGroup is one group of lost accounts (Art. 8.4); RevenueLost is what
// they bought in the year before leaving.
type ChurnGroup struct {
	Reason      string
	Destination string
	Competitor  string
	Accounts    int32
	RevenueLost decimal.Decimal
}

// StaffFigures are one account manager's assessment figures over a period
// (Art. 5.2, 22).
type StaffFigures struct {
	ID              uuid.UUID
	Name            string
	Accounts        int32
	Revenue         decimal.Decimal
	Collected       decimal.Decimal
	Billed          decimal.Decimal
	Overdue         decimal.Decimal
	VisitsOnTime    int32
	VisitsMissed    int32
	Tickets         int32
	TicketsMet      int32
	AvgSatisfaction decimal.Decimal
	Surveys         int32
	Findings        int32
	Cost            decimal.Decimal
	Budget          decimal.Decimal
}

// CompanyRevenue is the company's total for a month, recorded by finance.
type CompanyRevenue struct {
	Month     time.Time
	Amount    decimal.Decimal
	UpdatedBy *uuid.UUID
	UpdatedAt time.Time
}
