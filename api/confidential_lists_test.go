package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
)

// SPEC §7, Art. 9: credit terms never appear in /history for a caller who
// may not see credit; finance and the account's manager still see them.
func TestHistoryHidesCreditFromDataClerksAndServiceAgents(t *testing.T) {
	staff := staffByRole(t)
	fin := staff[kam.RoleFinance]
	am := newStaff(t, kam.RoleAccountManager)
	acct := newAccount(t, am.ID)
	must(t, call(t, "PUT", "/v1/customers/"+acct+"/credit", fin.Token, agreement("@monthly", "123456.78", 30)), 200)
	must(t, call(t, "PATCH", "/v1/customers/"+acct, staff[kam.RoleDataClerk].Token, map[string]any{"credibility": "good"}), 200)

	fields := func(token string) []string {
		t.Helper()
		var out []string
		for _, h := range must(t, call(t, "GET", "/v1/customers/"+acct+"/history", token, nil), 200).items() {
			out = append(out, h["field"].(string))
			if v, _ := h["new"].(string); strings.Contains(v, "123456.78") && h["field"] != "credit.arrears_limit" {
				t.Errorf("credit terms under field %v", h["field"])
			}
		}
		return out
	}
	for _, who := range []member{fin, am, staff[kam.RoleAuditor]} {
		if f := fields(who.Token); !slices.Contains(f, "credit.arrears_limit") || !slices.Contains(f, "credibility") {
			t.Errorf("%s history = %v, want the credit rows", who.Role, f)
		}
	}
	for _, role := range []string{kam.RoleDataClerk, kam.RoleServiceAgent} {
		f := fields(staff[role].Token)
		if slices.ContainsFunc(f, func(field string) bool { return strings.HasPrefix(field, "credit") }) {
			t.Errorf("%s sees credit terms in the history: %v", role, f)
		}
		if !slices.Contains(f, "credibility") {
			t.Errorf("%s lost an archive field: %v", role, f)
		}
	}
}

// GET /v1/events is scoped in the query: an account manager sees only events
// with their own accounts, and of the invitees only their accounts; each
// listed account is registered (Art. 9).
func TestEventsScopedToTheAccountManager(t *testing.T) {
	staff := staffByRole(t)
	ka := staff[kam.RoleKAManager]
	am1, am2 := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	a1, a2 := newAccount(t, am1.ID), newAccount(t, am2.ID)
	day := "2031-0" + fmt.Sprint(1+uuid.New()[0]%9) + "-15" // a day of its own, so the page holds only these
	both := must(t, call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "symposium", "title": "Both", "held_on": day,
		"invitees": []map[string]any{{"customer_id": a1}, {"customer_id": a2}, {"staff_id": ka.ID}}}), 201).str("id")
	only2 := must(t, call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "customer_event", "title": "Only 2", "held_on": day,
		"invitees": []map[string]any{{"customer_id": a2}}}), 201).str("id")

	list := func(m member) map[string][]string {
		t.Helper()
		reqID := uuid.NewString()
		r := must(t, call(t, "GET", "/v1/events?from="+day+"&to="+day, m.Token, nil, header{"X-Request-Id", reqID}), 200)
		out := map[string][]string{}
		shown := map[string]bool{}
		for _, e := range r.items() {
			var inv []string
			for _, i := range e["invitees"].([]any) {
				if c, ok := i.(map[string]any)["customer_id"].(string); ok {
					inv = append(inv, c)
					shown[c] = true
				} else {
					inv = append(inv, "staff")
				}
			}
			slices.Sort(inv)
			out[e["id"].(string)] = inv
		}
		for c := range shown {
			if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'list' AND customer_id = $2 AND 'events' = ANY(sections)", reqID, c); n != 1 {
				t.Errorf("account %s listed with %d register rows", c, n)
			}
		}
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1", reqID); n != len(shown) {
			t.Errorf("%d register rows for %d accounts shown", n, len(shown))
		}
		return out
	}
	if got := list(am1); len(got) != 1 || fmt.Sprint(got[both]) != fmt.Sprint([]string{a1, "staff"}) {
		t.Errorf("first manager sees %v, want only %s with their account", got, both)
	}
	if got := list(am2); len(got) != 2 || fmt.Sprint(got[both]) != fmt.Sprint([]string{a2, "staff"}) || fmt.Sprint(got[only2]) != fmt.Sprint([]string{a2}) {
		t.Errorf("second manager sees %v", got)
	}
	all := []string{a1, a2, "staff"}
	slices.Sort(all)
	if got := list(ka); len(got) != 2 || fmt.Sprint(got[both]) != fmt.Sprint(all) {
		t.Errorf("the KA manager sees %v", got)
	}
	// A page of one continues with the cursor.
	p1 := must(t, call(t, "GET", "/v1/events?limit=1&from="+day+"&to="+day, ka.Token, nil), 200)
	if len(p1.items()) != 1 || p1.str("next_cursor") == "" {
		t.Fatalf("first page = %s", p1.Raw)
	}
	p2 := must(t, call(t, "GET", "/v1/events?limit=1&from="+day+"&to="+day+"&cursor="+p1.str("next_cursor"), ka.Token, nil), 200)
	if len(p2.items()) != 1 || p2.str("next_cursor") != "" || p2.items()[0]["id"] == p1.items()[0]["id"] {
		t.Fatalf("second page = %s", p2.Raw)
	}
	problem(t, call(t, "GET", "/v1/events?cursor=bm9wZQ", ka.Token, nil), 422, "validation_failed")
}

// Inspections name accounts' grants and sales: reading one is registered for
// the accounts it shows.
// Art. 9: the archive is confidential and every access is registered.
func TestInspectionReadsAreRegistered(t *testing.T) {
	staff := staffByRole(t)
	auditor := staff[kam.RoleAuditor]
	am := newStaff(t, kam.RoleAccountManager)
	acct := newAccount(t, am.ID)
	// A granted standard discount, then a sale above it: a finding.
	req := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(acct, "3")), 201).str("id")
	must(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", staff[kam.RoleKAManager].Token, map[string]any{"decision": "approve"}), 200)
	waitFor(t, 30*time.Second, "the grant", func() bool {
		return countRows(t, "SELECT count(*) FROM discount_grants WHERE customer_id = $1", acct) > 0
	})
	var body = discountBody(acct, "3")
	must(t, call(t, "POST", "/v1/customers/"+acct+"/sales", am.Token, map[string]any{"product": "p", "product_category": body["product_category"],
		"quantity": "1", "amount": "10.00", "applied_rate": "9", "sold_on": today()}), 201)
	id := must(t, call(t, "POST", "/v1/inspections", auditor.Token, map[string]any{"sample_size": 10000}), 201).str("id")
	waitFor(t, 30*time.Second, "the inspection", func() bool {
		return must(t, call(t, "GET", "/v1/inspections/"+id, auditor.Token, nil), 200).str("status") == "done"
	})
	reqID := uuid.NewString()
	r := must(t, call(t, "GET", "/v1/inspections/"+id, auditor.Token, nil, header{"X-Request-Id", reqID}), 200)
	found := false
	for _, f := range r.Body["findings"].([]any) {
		found = found || f.(map[string]any)["customer_id"] == acct
	}
	if !found {
		t.Fatalf("no finding on %s: %s", acct, r.Raw)
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'view' AND customer_id = $2", reqID, acct); n != 1 {
		t.Errorf("the inspection's account has %d view rows, want 1", n)
	}
	listID := uuid.NewString()
	must(t, call(t, "GET", "/v1/inspections?limit=1", auditor.Token, nil, header{"X-Request-Id", listID}), 200)
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'list' AND customer_id = $2", listID, acct); n != 1 {
		t.Errorf("the inspection list registered %d rows for the sampled account, want 1", n)
	}
}

// Contacts, key persons and a ticket's handling records are paged
// (?limit=&cursor=, default 50, at most 200), not returned whole.
func TestContactsKeyPersonsAndTicketEventsArePaged(t *testing.T) {
	staff := staffByRole(t)
	ka, agent := staff[kam.RoleKAManager], staff[kam.RoleServiceAgent]
	acct := newAccount(t, "")
	for i := 0; i < 3; i++ {
		must(t, call(t, "POST", "/v1/customers/"+acct+"/contacts", ka.Token, map[string]any{"name": fmt.Sprint("Contact ", i)}), 201)
		must(t, call(t, "POST", "/v1/customers/"+acct+"/key-persons", ka.Token, map[string]any{"name": fmt.Sprint("Person ", i), "role": "other"}), 201)
	}
	ticket := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": acct, "kind": "inquiry", "subject": "paged"}), 201).str("id")
	for i := 0; i < 3; i++ {
		must(t, call(t, "POST", "/v1/tickets/"+ticket+"/events", agent.Token, map[string]any{"type": "note", "note": fmt.Sprint("note ", i)}), 201)
	}
	pages := func(path, key string, token string) []string {
		t.Helper()
		var got []string
		cursor := ""
		for n := 0; ; n++ {
			p := path + "?limit=2"
			if cursor != "" {
				p += "&cursor=" + cursor
			}
			r := must(t, call(t, "GET", p, token, nil), 200)
			items := r.items()
			if len(items) > 2 {
				t.Fatalf("%s: %d items on a page of 2", path, len(items))
			}
			for _, it := range items {
				got = append(got, fmt.Sprint(it[key]))
			}
			cursor = r.str("next_cursor")
			if cursor == "" || n > 5 {
				return got
			}
		}
	}
	if got := pages("/v1/customers/"+acct+"/contacts", "name", ka.Token); fmt.Sprint(got) != "[Contact 0 Contact 1 Contact 2]" {
		t.Errorf("contacts = %v", got)
	}
	if got := pages("/v1/customers/"+acct+"/key-persons", "name", ka.Token); fmt.Sprint(got) != "[Person 0 Person 1 Person 2]" {
		t.Errorf("key persons = %v", got)
	}
	if got := pages("/v1/tickets/"+ticket+"/events", "note", agent.Token); len(got) != 4 || got[3] != "note 2" {
		t.Errorf("ticket events = %v", got)
	}
	problem(t, call(t, "GET", "/v1/customers/"+acct+"/contacts?limit=201", ka.Token, nil), 422, "validation_failed")
	problem(t, call(t, "GET", "/v1/customers/"+acct+"/key-persons?cursor=bm9wZQ", ka.Token, nil), 422, "validation_failed")
	// Another manager's account stays invisible whatever the page.
	other := newStaff(t, kam.RoleAccountManager)
	problem(t, call(t, "GET", "/v1/customers/"+acct+"/contacts?limit=1", other.Token, nil), 404, "not_found")
}
