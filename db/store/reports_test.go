package store_test

import (
	"context"
	"testing"
	"time"

	"kam"
	"kam/db/store"
)

// A report of one account answers in domain figures; its credit is there
// only when asked for and when the account has an agreement. Reports across
// accounts keep to the manager's accounts.
// Art. 8.2–8.4: periodic analysis.
func TestReportFiguresInDomainTypes(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, &by)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	sale := store.SaleInput{Product: "p", ProductCategory: "equipment", Region: "North", Quantity: dec("2"), Amount: dec("150.25"), AppliedRate: dec("0"), SoldOn: day("2031-02-03")}
	if _, err := st.RecordSale(ctx, store.Scope{}, c, sale, by); err != nil {
		t.Fatal(err)
	}
	p := store.ReportPeriod{ManagerID: &by, From: day("2031-01-01"), To: day("2031-03-31"), TopN: 5}
	f, err := st.CustomerReport(ctx, c, p, true)
	if err != nil {
		t.Fatal(err)
	}
	if f.Credit != nil || len(f.Regions) != 1 || f.Regions[0].Region != "North" || !f.Regions[0].Amount.Equal(dec("150.25")) {
		t.Fatalf("figures = %+v", f)
	}
	var feb kam.CategoryMonth
	for _, m := range f.Months {
		if m.Month.Month() == time.February {
			feb = m
		}
	}
	if feb.Category != "equipment" || !feb.Quantity.Equal(dec("2")) {
		t.Fatalf("months = %+v", f.Months)
	}
	if _, _, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{CreditLevel: "A", ArrearsLimit: dec("1000"), SettlementCycle: "@monthly", PaymentTermDays: 30}, by, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if f, err = st.CustomerReport(ctx, c, p, true); err != nil || f.Credit == nil || f.Credit.Status != kam.CreditActive {
		t.Fatalf("credit = %+v, %v", f.Credit, err)
	}
	if f, err = st.CustomerReport(ctx, c, p, false); err != nil || f.Credit != nil {
		t.Fatalf("credit not asked for = %+v, %v", f.Credit, err)
	}
	o, err := st.OverviewReport(ctx, p)
	if err != nil || o.AtEnd != 1 || !o.KARevenue.Equal(dec("150.25")) {
		t.Fatalf("overview = %+v, %v", o, err)
	}
	rows, err := st.StaffReport(ctx, p)
	if err != nil || len(rows) != 1 || rows[0].ID != by || rows[0].Accounts != 1 {
		t.Fatalf("staff report = %+v, %v", rows, err)
	}
	rev, err := st.PutCompanyRevenue(ctx, day("2031-02-01"), dec("9000"), by)
	if err != nil || !rev.Amount.Equal(dec("9000")) || rev.UpdatedBy == nil || *rev.UpdatedBy != by {
		t.Fatalf("company revenue = %+v, %v", rev, err)
	}
}
