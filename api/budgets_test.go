package api_test

import (
	"testing"

	"github.com/google/uuid"

	"kam"
)

// Art. 21 budgets and costs, and Art. 5.4/5.7 events, with the staff report's
// cost against budget.
func TestBudgetsCostsAndEvents(t *testing.T) {
	staff := staffByRole(t)
	ka, fin := staff[kam.RoleKAManager], staff[kam.RoleFinance]
	am := newStaff(t, kam.RoleAccountManager)
	mk := func(tier string) string {
		return must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "BU-" + tier + am.ID[:8], "name": "Budget " + tier, "tier": tier, "account_manager_id": am.ID}), 201).str("id")
	}
	own, pooled := mk("S"), mk("A")
	problem(t, call(t, "PUT", "/v1/budgets/2030/customers/"+own, am.Token, map[string]any{"amount": "1"}), 403, "forbidden")
	must(t, call(t, "PUT", "/v1/budgets/2030/customers/"+own, ka.Token, map[string]any{"amount": "5000"}), 200)
	must(t, call(t, "PUT", "/v1/budgets/2030/tiers/A", fin.Token, map[string]any{"amount": "20000"}), 200)
	problem(t, call(t, "PUT", "/v1/budgets/2030/tiers/Q", fin.Token, map[string]any{"amount": "1"}), 404, "not_found")
	must(t, call(t, "POST", "/v1/customers/"+own+"/costs", am.Token, map[string]any{"category": "gift", "amount": "300", "incurred_on": "2030-02-01", "note": "mooncakes"}), 201)
	must(t, call(t, "POST", "/v1/customers/"+pooled+"/costs", am.Token, map[string]any{"category": "travel", "amount": "100", "incurred_on": "2030-03-01"}), 201)
	problem(t, call(t, "POST", "/v1/customers/"+own+"/costs", staff[kam.RoleServiceAgent].Token, map[string]any{"category": "gift", "amount": "1", "incurred_on": "2030-02-01"}), 403, "forbidden")
	if c := must(t, call(t, "GET", "/v1/customers/"+own+"/costs", am.Token, nil), 200).items(); len(c) != 1 || c[0]["amount"] != "300.00" {
		t.Fatalf("costs = %v", c)
	}

	rep := must(t, call(t, "GET", "/v1/reports/budget?year=2030", am.Token, nil), 200)
	lines := map[string]map[string]any{}
	for _, l := range rep.Body["accounts"].([]any) {
		m := l.(map[string]any)
		lines[m["customer_id"].(string)] = m
	}
	if l := lines[own]; l["budget"] != "5000.00" || l["own_budget"] != true || l["spent"] != "300.00" || l["remaining"] != "4700.00" {
		t.Fatalf("own budget line = %v", l)
	}
	if l := lines[pooled]; l["own_budget"] != false || l["spent"] != "100.00" || len(lines) != 2 {
		t.Fatalf("pooled line = %v (%d lines)", l, len(lines))
	}
	// Art. 9: each account the report shows is registered; the list pages
	// like any other (one account a page here).
	reqID := uuid.NewString()
	page1 := must(t, call(t, "GET", "/v1/reports/budget?year=2030&limit=1", am.Token, nil, header{"X-Request-Id", reqID}), 200)
	if n := len(page1.Body["accounts"].([]any)); n != 1 || page1.str("next_cursor") == "" {
		t.Fatalf("first page: %s", page1.Raw)
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'list' AND customer_id IS NOT NULL", reqID); n != 1 {
		t.Fatalf("%d accounts registered for a page of one", n)
	}
	second := must(t, call(t, "GET", "/v1/reports/budget?year=2030&limit=1&cursor="+page1.str("next_cursor"), am.Token, nil), 200)
	a1, a2 := page1.Body["accounts"].([]any)[0].(map[string]any), second.Body["accounts"].([]any)[0].(map[string]any)
	if a1["customer_id"] == a2["customer_id"] || second.str("next_cursor") != "" {
		t.Fatalf("second page: %s", second.Raw)
	}
	if v, ok := second.Body["next_cursor"]; !ok || v != nil {
		t.Fatalf("the last page's next_cursor is %#v (present: %v), want null", v, ok)
	}
	problem(t, call(t, "GET", "/v1/reports/budget?year=2030&cursor=bm90LWEtY3Vyc29y", am.Token, nil), 422, "validation_failed")
	tiers := must(t, call(t, "GET", "/v1/reports/budget?year=2030", ka.Token, nil), 200).Body["tiers"].([]any)
	if len(tiers) != 1 || tiers[0].(map[string]any)["tier"] != "A" || tiers[0].(map[string]any)["budget"] != "20000.00" {
		t.Fatalf("tier lines = %v", tiers)
	}
	sr := must(t, call(t, "GET", "/v1/reports/staff?from=2030-01-01&to=2030-12-31", am.Token, nil), 200).items()
	if len(sr) != 1 || sr[0]["cost"] != "400.00" || sr[0]["budget"] != "5000.00" {
		t.Fatalf("staff report = %v", sr)
	}

	problem(t, call(t, "POST", "/v1/events", am.Token, map[string]any{"kind": "symposium", "title": "x", "held_on": "2030-05-01"}), 403, "forbidden")
	ev := must(t, call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "symposium", "title": "KA symposium 2030", "held_on": "2030-05-01",
		"location": "Shanghai", "invitees": []map[string]any{{"customer_id": own}, {"staff_id": am.ID}}}), 201)
	inv := ev.Body["invitees"].([]any)
	if len(inv) != 2 {
		t.Fatalf("event = %s", ev.Raw)
	}
	first := inv[0].(map[string]any)["id"].(string)
	att := must(t, call(t, "POST", "/v1/events/"+ev.str("id")+"/attendance", ka.Token, map[string]any{"invitee_id": first, "attended": true}), 200)
	came := 0
	for _, i := range att.Body["invitees"].([]any) {
		if i.(map[string]any)["attended"] == true {
			came++
		}
	}
	if came != 1 {
		t.Fatalf("attendance = %s", att.Raw)
	}
	problem(t, call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "training", "title": "x", "held_on": "2030-05-01", "invitees": []map[string]any{{}}}), 422, "validation_failed")
	if l := must(t, call(t, "GET", "/v1/events?from=2030-01-01&kind=symposium", am.Token, nil), 200).items(); len(l) == 0 {
		t.Fatal("no events listed")
	}
}
