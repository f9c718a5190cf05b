package api_test

import (
	"testing"
	"time"

	"kam"
)

// Both sides of the rules that the feature tests exercise on one side only;
// TestMain checks that every route of the OpenAPI document was both served
// and refused somewhere in this package.
func TestRemainingRulesBothSides(t *testing.T) {
	staff := staffByRole(t)
	am, ka, fin := staff[kam.RoleAccountManager], staff[kam.RoleKAManager], staff[kam.RoleFinance]
	clerk, agent, auditor := staff[kam.RoleDataClerk], staff[kam.RoleServiceAgent], staff[kam.RoleAuditor]
	c := newAccount(t, am.ID)

	// Visits (Art. 20): the account's manager records and reads; finance may
	// read the archive but not record visits; an admin does not see the account.
	// The account's visit plan plans its first visit soon after the account
	// opens; a visit recorded before or after that was a race here (on a busy
	// machine the plan came first). Waiting for it, the record completes it.
	waitFor(t, 90*time.Second, "the account's planned visit", func() bool {
		return countRows(t, "SELECT count(*) FROM visits WHERE customer_id = $1 AND status = 'planned'", c) == 1
	})
	v := must(t, call(t, "POST", "/v1/customers/"+c+"/visits", am.Token, map[string]any{"visited_on": today(), "notes": "call"}), 201)
	if v.str("status") != "done" || v.Body["due_at"] == nil {
		t.Fatalf("the planned visit, recorded = %s", v.Raw)
	}
	problem(t, call(t, "POST", "/v1/customers/"+c+"/visits", fin.Token, map[string]any{"visited_on": today()}), 403, "forbidden")
	problem(t, call(t, "POST", "/v1/customers/"+c+"/visits", adminToken, map[string]any{"visited_on": today()}), 404, "not_found")
	if l := must(t, call(t, "GET", "/v1/customers/"+c+"/visits", fin.Token, nil), 200).items(); len(l) == 0 {
		t.Fatal("no visits listed")
	}
	problem(t, call(t, "GET", "/v1/customers/"+c+"/visits", adminToken, nil), 404, "not_found")

	problem(t, call(t, "GET", "/v1/customers/"+c+"/costs", agent.Token, nil), 403, "forbidden")
	for _, path := range []string{"/v1/events", "/v1/reports/budget", "/v1/reports/churn", "/v1/reports/staff"} {
		problem(t, call(t, "GET", path, clerk.Token, nil), 403, "forbidden")
	}
	for _, path := range []string{"/v1/holidays", "/v1/tiers", "/v1/me/notifications"} {
		problem(t, call(t, "GET", path, "", nil), 401, "unauthenticated")
	}
	must(t, call(t, "GET", "/v1/inspections", auditor.Token, nil), 200)

	must(t, call(t, "POST", "/v1/customers/"+c+"/churn", ka.Token, map[string]any{"reason": "price", "effective_on": today()}), 201)
	problem(t, call(t, "POST", "/v1/customers/"+c+"/reactivate", am.Token, nil), 403, "forbidden")
	must(t, call(t, "POST", "/v1/customers/"+c+"/reactivate", ka.Token, nil), 200)

	ev := must(t, call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "training", "title": "Hotline etiquette", "held_on": today(),
		"invitees": []map[string]any{{"staff_id": agent.ID}}}), 201)
	inv := ev.Body["invitees"].([]any)[0].(map[string]any)["id"].(string)
	problem(t, call(t, "POST", "/v1/events/"+ev.str("id")+"/attendance", am.Token, map[string]any{"invitee_id": inv, "attended": true}), 403, "forbidden")

	ticket := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": c, "kind": "inquiry", "subject": "q"}), 201).str("id")
	problem(t, call(t, "POST", "/v1/tickets/"+ticket+"/events", fin.Token, map[string]any{"type": "note", "note": "x"}), 403, "forbidden") // sees the account, not its tickets
	problem(t, call(t, "POST", "/v1/tickets/"+ticket+"/events", auditor.Token, map[string]any{"type": "note", "note": "x"}), 403, "forbidden")
}
