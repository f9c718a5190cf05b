package kam

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

func seededTiers() []Tier {
	return []Tier{
		{Code: "B", Rank: 3, MinAnnualRevenue: decimal.RequireFromString("5000"), MinActiveMonths: 3},
		{Code: "S", Rank: 1, MinAnnualRevenue: decimal.RequireFromString("100000"), MinActiveMonths: 10},
		{Code: "A", Rank: 2, MinAnnualRevenue: decimal.RequireFromString("30000"), MinActiveMonths: 6},
	}
}

// Art. 2: volume (revenue) and stability (months with a purchase) both; the
// highest tier met wins, whatever order the tiers come in; none met is nil.
func TestGradeHighestTierMet(t *testing.T) {
	for _, c := range []struct {
		revenue string
		months  int32
		want    string
	}{
		{"120000", 12, "S"}, {"100000", 10, "S"}, {"99999.99", 12, "A"}, {"240000", 6, "A"}, {"240000", 5, "B"},
		{"5000", 3, "B"}, {"4999.99", 12, ""}, {"1000000", 2, ""}, {"0", 0, ""},
	} {
		got := Grade(seededTiers(), decimal.RequireFromString(c.revenue), c.months)
		if (got == nil) != (c.want == "") || (got != nil && *got != c.want) {
			t.Errorf("Grade(%s, %d) = %v, want %q", c.revenue, c.months, got, c.want)
		}
	}
	if Grade(nil, decimal.NewFromInt(1e9), 12) != nil {
		t.Error("no tiers, yet a grade")
	}
}

// Art. 3: only accounts whose grade differs from their tier get a proposal.
func TestProposalsOnlyWhereGradeDiffers(t *testing.T) {
	up, stay, out := uuid.New(), uuid.New(), uuid.New()
	ps := Proposals(seededTiers(), []AccountGrade{
		{CustomerID: up, Tier: "B", Revenue12m: decimal.NewFromInt(120000), ActiveMonths: 12},
		{CustomerID: stay, Tier: "A", Revenue12m: decimal.NewFromInt(240000), ActiveMonths: 6},
		{CustomerID: out, Tier: "A", Revenue12m: decimal.NewFromInt(5000), ActiveMonths: 1},
	})
	if len(ps) != 2 || ps[0].CustomerID != up || *ps[0].To != "S" || ps[0].From != "B" || ps[1].CustomerID != out || ps[1].To != nil ||
		ps[0].Decision != ProposalPending {
		t.Fatalf("proposals %+v", ps)
	}
}

// A review grades the twelve full calendar months before its date's month.
func TestReviewPeriod(t *testing.T) {
	for _, c := range []struct{ asOf, from, to string }{
		{"2026-04-01", "2025-04-01", "2026-03-31"},
		{"2025-07-15", "2024-07-01", "2025-06-30"},
		{"2024-03-31", "2023-03-01", "2024-02-29"},
		{"2026-01-01", "2025-01-01", "2025-12-31"},
	} {
		asOf, _ := time.Parse(time.DateOnly, c.asOf)
		from, to := ReviewPeriod(asOf)
		if from.Format(time.DateOnly) != c.from || to.Format(time.DateOnly) != c.to {
			t.Errorf("ReviewPeriod(%s) = %s … %s, want %s … %s", c.asOf, from.Format(time.DateOnly), to.Format(time.DateOnly), c.from, c.to)
		}
	}
}
