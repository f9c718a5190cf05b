package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"kam"
)

// Hand-computed answers over a fixture of three accounts of one account
// manager, in the first quarter of a leap year (2024), with a month (March)
// without sales. The manager's scope keeps other tests' data out.
// Art. 8: periodic analysis; Art. 22: service quality is assessed.
func TestReportsOnAFixture(t *testing.T) {
	staff := staffByRole(t)
	ka, fin := staff[kam.RoleKAManager], staff[kam.RoleFinance]
	am := newStaff(t, kam.RoleAccountManager)
	mk := func(tier, created string) string {
		id := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "R-" + tier + created + am.ID[:6], "name": "Report " + tier, "tier": tier, "account_manager_id": am.ID}), 201).str("id")
		if _, err := running.Store.Pool.Exec(context.Background(), "UPDATE customers SET created_at = $2::date, opened_on = $2::date WHERE id = $1", id, created); err != nil {
			t.Fatal(err)
		}
		return id
	}
	a1, a2, a3 := mk("S", "2023-06-01"), mk("B", "2024-02-10"), mk("A", "2023-01-01")
	sale := func(c, category, amount, qty, on string) {
		must(t, call(t, "POST", "/v1/customers/"+c+"/sales", am.Token, map[string]any{"product": "p", "product_category": category, "quantity": qty,
			"amount": amount, "region": "East", "sold_on": on}), 201)
	}
	sale(a1, "equipment", "1000", "10", "2024-01-15")
	sale(a1, "equipment", "500", "5", "2024-02-29")
	sale(a2, "consumables", "250.50", "3", "2024-02-20")
	sale(a3, "equipment", "300", "1", "2023-12-20")
	must(t, call(t, "POST", "/v1/customers/"+a1+"/satisfaction", am.Token, map[string]any{"score": 4, "surveyed_on": "2024-01-10"}), 201)
	must(t, call(t, "POST", "/v1/customers/"+a2+"/satisfaction", am.Token, map[string]any{"score": 5, "surveyed_on": "2024-03-01"}), 201)
	must(t, call(t, "POST", "/v1/customers/"+a3+"/churn", ka.Token, map[string]any{"reason": "competitor", "destination": "Shenzhen", "competitor": "Rival Co", "effective_on": "2024-03-15"}), 201)
	must(t, call(t, "PUT", "/v1/company-revenue/2024-01", fin.Token, map[string]any{"amount": "10000"}), 200)
	must(t, call(t, "PUT", "/v1/company-revenue/2024-02", fin.Token, map[string]any{"amount": "5000"}), 200)
	problem(t, call(t, "PUT", "/v1/company-revenue/2024-02", am.Token, map[string]any{"amount": "1"}), 403, "forbidden")
	problem(t, call(t, "PUT", "/v1/company-revenue/2024-13", fin.Token, map[string]any{"amount": "1"}), 422, "validation_failed")
	must(t, call(t, "PUT", "/v1/customers/"+a1+"/credit", fin.Token, agreement("@monthly", "100000", 30)), 200)
	must(t, call(t, "POST", "/v1/customers/"+a1+"/payments", fin.Token, map[string]any{"amount": "800", "reference": "P-2024", "received_on": "2024-02-01"}), 201)
	must(t, call(t, "POST", "/v1/customers/"+a1+"/payments", fin.Token, map[string]any{"amount": "500", "reference": "P-2023", "received_on": "2023-02-10"}), 201)

	const q = "?from=2024-01-01&to=2024-03-31"
	o := must(t, call(t, "GET", "/v1/reports/overview"+q, am.Token, nil), 200)
	for key, want := range map[string]any{"accounts_at_start": 2.0, "accounts_at_end": 2.0, "added": 1.0, "churned": 1.0,
		"ka_revenue": "1750.50", "company_revenue": "15000.00", "ka_share": "11.67", "avg_satisfaction": "4.50", "surveys": 2.0} {
		if o.Body[key] != want {
			t.Errorf("overview %s = %v, want %v", key, o.Body[key], want)
		}
	}
	if got := fmt.Sprint(o.Body["category_structure"]); got != "[map[amount:1500.00 product_category:equipment quantity:15 share:85.69] map[amount:250.50 product_category:consumables quantity:3 share:14.31]]" &&
		got != "[map[amount:250.50 product_category:consumables quantity:3 share:14.31] map[amount:1500.00 product_category:equipment quantity:15 share:85.69]]" {
		t.Errorf("category structure = %s", got)
	}
	trend := map[string]string{}
	for _, m := range o.Body["monthly_trend"].([]any) {
		r := m.(map[string]any)
		trend[r["month"].(string)+"/"+r["product_category"].(string)] = r["amount"].(string)
	}
	wantTrend := map[string]string{"2024-01/equipment": "1000.00", "2024-01/consumables": "0.00", "2024-02/equipment": "500.00",
		"2024-02/consumables": "250.50", "2024-03/equipment": "0.00", "2024-03/consumables": "0.00"}
	if fmt.Sprint(trend) != fmt.Sprint(wantTrend) {
		t.Errorf("trend = %v", trend)
	}
	if fmt.Sprint(o.Body["by_tier"]) != "[map[accounts:1 tier:B] map[accounts:1 tier:S]]" {
		t.Errorf("by tier = %v", o.Body["by_tier"])
	}

	c := must(t, call(t, "GET", "/v1/reports/customers/"+a1+q, am.Token, nil), 200)
	pay := c.Body["payments"].(map[string]any)
	if pay["this_period"] != "800.00" || pay["same_period_last_year"] != "500.00" || pay["change"] != "300.00" || pay["change_percent"] != "60.00" {
		t.Errorf("payments = %v", pay)
	}
	if fmt.Sprint(c.Body["regions"]) != "[map[amount:1500.00 quantity:15 region:East]]" || c.Body["credit_status"] != "active" {
		t.Errorf("customer report = %s", c.Raw)
	}
	// An account without a credit agreement reports none.
	if c2 := must(t, call(t, "GET", "/v1/reports/customers/"+a2+q, am.Token, nil), 200); c2.Body["credit_status"] != nil || c2.Body["credit_outstanding"] != nil {
		t.Errorf("customer report without credit = %s", c2.Raw)
	}

	ch := must(t, call(t, "GET", "/v1/reports/churn"+q, am.Token, nil), 200).items()
	if len(ch) != 1 || ch[0]["reason"] != "competitor" || ch[0]["destination"] != "Shenzhen" || ch[0]["competitor"] != "Rival Co" || ch[0]["revenue_lost"] != "300.00" {
		t.Errorf("churn report = %v", ch)
	}

	sr := must(t, call(t, "GET", "/v1/reports/staff"+q, am.Token, nil), 200).items()
	if len(sr) != 1 || sr[0]["staff_id"] != am.ID || sr[0]["accounts"] != 2.0 || sr[0]["revenue"] != "1750.50" || sr[0]["collected"] != "800.00" ||
		sr[0]["avg_satisfaction"] != "4.50" || sr[0]["ticket_sla_met"] != nil {
		t.Errorf("staff report = %v", sr)
	}

	csv := call(t, "GET", "/v1/reports/churn"+q+"&format=csv", am.Token, nil)
	if csv.Status != 200 || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") ||
		string(csv.Raw) != "reason,destination,competitor,accounts,revenue_lost\ncompetitor,Shenzhen,Rival Co,1,300.00\n" {
		t.Errorf("csv = %d %q", csv.Status, csv.Raw)
	}
	if oc := call(t, "GET", "/v1/reports/overview"+q+"&format=csv", am.Token, nil); !strings.Contains(string(oc.Raw), "summary,ka_share,11.67,") {
		t.Errorf("overview csv = %q", oc.Raw)
	}

	// Another account manager's reports do not include these accounts.
	other := newStaff(t, kam.RoleAccountManager)
	if x := must(t, call(t, "GET", "/v1/reports/overview"+q, other.Token, nil), 200); x.Body["ka_revenue"] != "0.00" || x.Body["accounts_at_end"] != 0.0 {
		t.Errorf("another manager's overview = %s", x.Raw)
	}
	problem(t, call(t, "GET", "/v1/reports/customers/"+a1+q, other.Token, nil), 404, "not_found")
	for _, role := range []string{kam.RoleAdmin, kam.RoleDataClerk, kam.RoleServiceAgent} {
		problem(t, call(t, "GET", "/v1/reports/overview", staff[role].Token, nil), 403, "forbidden")
	}
	problem(t, call(t, "GET", "/v1/reports/overview?from=2024-02-01&to=2024-01-01", am.Token, nil), 422, "validation_failed")
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE staff_id = $1 AND action = 'export'", am.ID); n < 5 {
		t.Errorf("%d report exports registered", n)
	}
}

// Art. 22 assesses each account manager by the accounts they held: a sale
// counts for whoever held its account on the day it was made, not for
// today's manager, and so does a survey.
func TestStaffReportCountsForTheManagerAtTheTime(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	before, after := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	acct := newAccount(t, before.ID)
	sale := func(amount, on string) {
		must(t, call(t, "POST", "/v1/customers/"+acct+"/sales", ka.Token, map[string]any{"product": "p", "product_category": "equipment", "quantity": "1",
			"amount": amount, "region": "East", "sold_on": on}), 201)
	}
	sale("1000", "2024-01-15")
	sale("300", "2024-03-10")
	must(t, call(t, "POST", "/v1/customers/"+acct+"/satisfaction", ka.Token, map[string]any{"score": 2, "surveyed_on": "2024-01-20"}), 201)
	must(t, call(t, "POST", "/v1/customers/"+acct+"/satisfaction", ka.Token, map[string]any{"score": 5, "surveyed_on": "2024-03-20"}), 201)
	must(t, call(t, "PATCH", "/v1/customers/"+acct, ka.Token, map[string]any{"account_manager_id": after.ID}), 200)
	// The hand-over happened on 1 February 2024: date the history so.
	if _, err := running.Store.Pool.Exec(context.Background(), `UPDATE customer_history SET at = CASE WHEN new_value = $2 THEN '2024-02-01 10:00+00'::timestamptz ELSE '2023-06-01 10:00+00'::timestamptz END
		WHERE customer_id = $1 AND field = 'account_manager_id'`, acct, after.ID); err != nil {
		t.Fatal(err)
	}
	rows := must(t, call(t, "GET", "/v1/reports/staff?from=2024-01-01&to=2024-03-31", ka.Token, nil), 200).items()
	got := map[string]string{}
	for _, r := range rows {
		if id := r["staff_id"]; id == before.ID || id == after.ID {
			got[id.(string)] = fmt.Sprintf("accounts=%v revenue=%v satisfaction=%v", r["accounts"], r["revenue"], r["avg_satisfaction"])
		}
	}
	want := map[string]string{
		before.ID: "accounts=0 revenue=1000.00 satisfaction=2.00",
		after.ID:  "accounts=1 revenue=300.00 satisfaction=5.00",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("staff report = %v, want %v", got, want)
	}
}
