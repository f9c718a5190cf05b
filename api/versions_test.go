package api_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
)

// version reads a resource's version: SPEC §3 says every answer that shows
// a resource that changes carries it.
func version(t *testing.T, what string, m map[string]any) int {
	t.Helper()
	v, ok := m["version"].(float64)
	if !ok {
		t.Fatalf("%s has no version: %v", what, m)
	}
	return int(v)
}

// wantVersion checks a resource's version in one answer.
func wantVersion(t *testing.T, what string, m map[string]any, want int) {
	t.Helper()
	if got := version(t, what, m); got != want {
		t.Fatalf("%s: version %d, want %d: %v", what, got, want, m)
	}
}

// itemWith finds the list item whose key is val, or fails.
func itemWith(t *testing.T, items []map[string]any, key, val string) map[string]any {
	t.Helper()
	for _, it := range items {
		if it[key] == val {
			return it
		}
	}
	t.Fatalf("no item with %s %s in %v", key, val, items)
	return nil
}

// listed finds the item whose key is val in a list, following its pages.
func listed(t *testing.T, path, token, key, val string) map[string]any {
	t.Helper()
	it := lookup(t, path, token, func(it map[string]any) bool { return it[key] == val })
	if it == nil {
		t.Fatalf("no item with %s %s in %s", key, val, path)
	}
	return it
}

// lookup answers the first item of a list that matches, following its
// pages, or nil.
func lookup(t *testing.T, path, token string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	next := path + sep + "limit=200"
	for {
		page := must(t, call(t, "GET", next, token, nil), 200)
		for _, it := range page.items() {
			if match(it) {
				return it
			}
		}
		cursor, _ := page.Body["next_cursor"].(string)
		if cursor == "" {
			return nil
		}
		next = path + sep + "limit=200&cursor=" + url.QueryEscape(cursor)
	}
}

// SPEC §3: a ticket's version starts at 1 and moves by one with each
// handling record, a note too, in the action's answer, GET and the queue.
func TestVersionTicket(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	agent := newStaff(t, kam.RoleServiceAgent)
	c := newAccount(t, "")
	tk := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": c, "kind": "inquiry", "subject": "versions"}), 201)
	wantVersion(t, "a new ticket", tk.Body, 1)
	id := tk.str("id")
	note := must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "note", "note": "called"}), 201)
	wantVersion(t, "a noted ticket", note.Body, 2)
	ack := must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "acknowledge"}), 201)
	wantVersion(t, "an acknowledged ticket", ack.Body, 3)
	problem(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "close"}), 409, "invalid_transition")
	wantVersion(t, "GET a ticket", must(t, call(t, "GET", "/v1/tickets/"+id, ka.Token, nil), 200).Body, 3)
	wantVersion(t, "a listed ticket", listed(t, "/v1/tickets?customer_id="+c, ka.Token, "id", id), 3)
}

// SPEC §3: a discount request's version moves with its run's saves (a
// decision, a withdrawal), and the answer to the action names the version
// the save left; its grant's moves when revoked, its filings' when
// acknowledged.
func TestVersionDiscountRequestGrantAndFiling(t *testing.T) {
	st := staffByRole(t)
	ka, gm := st[kam.RoleKAManager], st[kam.RoleGeneralManager]
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)

	r := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "5")), 201)
	wantVersion(t, "a new request", r.Body, 1)
	id := r.str("id")
	wantVersion(t, "GET a new request", must(t, call(t, "GET", "/v1/discount-requests/"+id, ka.Token, nil), 200).Body, 1)
	dec := must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
	if dec.str("state") != "approved" {
		t.Fatalf("decision answer %s", dec.Raw)
	}
	wantVersion(t, "the decision's answer", dec.Body, 2)

	var grant map[string]any
	waitFor(t, 30*time.Second, "the grant", func() bool {
		for _, g := range must(t, call(t, "GET", "/v1/customers/"+c+"/discounts", ka.Token, nil), 200).items() {
			if g["request_id"] == id {
				grant = g
			}
		}
		return grant != nil
	})
	wantVersion(t, "a new grant", grant, 1)
	// The grant and its filing change nothing the request shows.
	wantVersion(t, "GET an approved request", must(t, call(t, "GET", "/v1/discount-requests/"+id, ka.Token, nil), 200).Body, 2)
	wantVersion(t, "a listed request", itemWith(t, must(t, call(t, "GET", "/v1/discount-requests?customer_id="+c, ka.Token, nil), 200).items(), "id", id), 2)

	filing := func(kind string) map[string]any {
		return lookup(t, "/v1/filings", gm.Token, func(f map[string]any) bool { return f["request_id"] == id && f["kind"] == kind })
	}
	var filed map[string]any
	waitFor(t, 30*time.Second, "the filing", func() bool { filed = filing("grant"); return filed != nil })
	wantVersion(t, "a new filing", filed, 1)
	ack := must(t, call(t, "POST", "/v1/filings/"+filed["id"].(string)+"/acknowledge", gm.Token, nil), 200)
	wantVersion(t, "the acknowledgement's answer", ack.Body, 2)
	// Acknowledged again: nothing changes, nor does the version.
	wantVersion(t, "acknowledged twice", must(t, call(t, "POST", "/v1/filings/"+filed["id"].(string)+"/acknowledge", gm.Token, nil), 200).Body, 2)
	wantVersion(t, "a listed acknowledged filing", filing("grant"), 2)

	rv := must(t, call(t, "POST", "/v1/discount-grants/"+grant["id"].(string)+"/revoke", ka.Token, map[string]any{"reason": "terms broken"}), 200)
	wantVersion(t, "the revocation's answer", rv.Body, 2)
	var revocation map[string]any
	waitFor(t, 30*time.Second, "the revocation filing", func() bool { revocation = filing("revocation"); return revocation != nil })
	wantVersion(t, "a revocation filing", revocation, 1)

	w := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "4")), 201)
	wd := must(t, call(t, "POST", "/v1/discount-requests/"+w.str("id")+"/withdraw", am.Token, nil), 200)
	if wd.str("state") != "withdrawn" {
		t.Fatalf("withdrawal answer %s", wd.Raw)
	}
	wantVersion(t, "the withdrawal's answer", wd.Body, 2)
	wantVersion(t, "GET a withdrawn request", must(t, call(t, "GET", "/v1/discount-requests/"+w.str("id"), ka.Token, nil), 200).Body, 2)
}

// SPEC §3: a delegation ended early is a new version.
func TestVersionDelegation(t *testing.T) {
	gm := newStaff(t, kam.RoleGeneralManager)
	deputy := newStaff(t, kam.RoleKAManager)
	d := must(t, call(t, "POST", "/v1/delegations", gm.Token, map[string]any{"to_staff_id": deputy.ID, "ends_at": inAnHour()}), 201)
	wantVersion(t, "a new delegation", d.Body, 1)
	wantVersion(t, "a listed delegation", listed(t, "/v1/delegations", gm.Token, "id", d.str("id")), 1)
	must(t, call(t, "DELETE", "/v1/delegations/"+d.str("id"), gm.Token, nil), 204)
	wantVersion(t, "an ended delegation", listed(t, "/v1/delegations", gm.Token, "id", d.str("id")), 2)
}

// SPEC §3: a PUT that changes a tier or a discount policy is a new version;
// the same PUT again changes nothing, nor the version.
func TestVersionTierAndPolicy(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	code, _ := newTier(t, ka.Token)
	wantVersion(t, "a new tier", must(t, call(t, "GET", "/v1/tiers/"+code, ka.Token, nil), 200).Body, 1)
	wantVersion(t, "a renamed tier", must(t, call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("Renamed", nil)), 200).Body, 2)
	wantVersion(t, "the same PUT again", must(t, call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("Renamed", nil)), 200).Body, 2)
	wantVersion(t, "GET the tier", must(t, call(t, "GET", "/v1/tiers/"+code, ka.Token, nil), 200).Body, 2)
	wantVersion(t, "a listed tier", listed(t, "/v1/tiers", ka.Token, "code", code), 2)

	path := "/v1/discount-policies/" + code + "/pumps"
	policy := func(max string) map[string]any {
		return map[string]any{"max_standard_rate": max, "hard_cap_rate": "20", "methods": []string{"percentage"}}
	}
	wantVersion(t, "a new policy", must(t, call(t, "PUT", path, ka.Token, policy("5")), 200).Body, 1)
	wantVersion(t, "a changed policy", must(t, call(t, "PUT", path, ka.Token, policy("6")), 200).Body, 2)
	wantVersion(t, "the same policy again", must(t, call(t, "PUT", path, ka.Token, policy("6")), 200).Body, 2)
	wantVersion(t, "a listed policy", listed(t, "/v1/discount-policies", ka.Token, "tier", code), 2)
}

// SPEC §3: budgets, and who came to an event.
func TestVersionBudgetAndAttendance(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	c := newAccount(t, "")
	path := "/v1/budgets/2031/customers/" + c
	wantVersion(t, "a new budget", must(t, call(t, "PUT", path, ka.Token, map[string]any{"amount": "100"}), 200).Body, 1)
	wantVersion(t, "a changed budget", must(t, call(t, "PUT", path, ka.Token, map[string]any{"amount": "200"}), 200).Body, 2)
	wantVersion(t, "the same budget again", must(t, call(t, "PUT", path, ka.Token, map[string]any{"amount": "200.00"}), 200).Body, 2)

	ev := must(t, call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "symposium", "title": "Versions", "held_on": "2031-05-01",
		"invitees": []map[string]any{{"customer_id": c}}}), 201)
	inv := ev.Body["invitees"].([]any)[0].(map[string]any)
	wantVersion(t, "a new invitee", inv, 1)
	att := must(t, call(t, "POST", "/v1/events/"+ev.str("id")+"/attendance", ka.Token, map[string]any{"invitee_id": inv["id"], "attended": true}), 200)
	wantVersion(t, "an invitee who came", att.Body["invitees"].([]any)[0].(map[string]any), 2)
	listed := itemWith(t, must(t, call(t, "GET", "/v1/events?limit=200&from=2031-05-01&to=2031-05-01", ka.Token, nil), 200).items(), "id", ev.str("id"))
	wantVersion(t, "a listed invitee", listed["invitees"].([]any)[0].(map[string]any), 2)
}

// SPEC §3: a notice read, a token revoked; a token's use is no change.
func TestVersionNotificationAndToken(t *testing.T) {
	me := newStaff(t, kam.RoleAccountManager)
	n := deliverNotice(t, uuid.MustParse(me.ID), "versions/"+unique(), "test", "Versions", "")
	wantVersion(t, "a new notice", itemWith(t, must(t, call(t, "GET", "/v1/me/notifications", me.Token, nil), 200).items(), "id", n), 1)
	wantVersion(t, "a read notice", must(t, call(t, "POST", "/v1/me/notifications/"+n+"/read", me.Token, nil), 200).Body, 2)
	wantVersion(t, "read twice", must(t, call(t, "POST", "/v1/me/notifications/"+n+"/read", me.Token, nil), 200).Body, 2)
	wantVersion(t, "a listed read notice", itemWith(t, must(t, call(t, "GET", "/v1/me/notifications", me.Token, nil), 200).items(), "id", n), 2)

	tok := must(t, call(t, "POST", "/v1/staff/"+me.ID+"/tokens", adminToken, nil), 201)
	wantVersion(t, "a new token", tok.Body, 1)
	// Its use moves last_used_at, not the version.
	must(t, call(t, "GET", "/v1/me", tok.str("token"), nil), 200)
	wantVersion(t, "a used token", itemWith(t, must(t, call(t, "GET", "/v1/staff/"+me.ID+"/tokens", adminToken, nil), 200).items(), "id", tok.str("id")), 1)
	must(t, call(t, "DELETE", "/v1/staff/"+me.ID+"/tokens/"+tok.str("id"), adminToken, nil), 204)
	wantVersion(t, "a revoked token", itemWith(t, must(t, call(t, "GET", "/v1/staff/"+me.ID+"/tokens", adminToken, nil), 200).items(), "id", tok.str("id")), 2)
}

// SPEC §3: the visit plan plans a visit (1); the visit recorded completes
// it (2). A greeting task the process made is done (2).
func TestVersionVisitAndGreeting(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	am := newStaff(t, kam.RoleAccountManager)
	c := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "VG-" + unique(), "name": "Versioned", "tier": "S", "account_manager_id": am.ID}), 201).str("id")
	var planned map[string]any
	waitFor(t, 60*time.Second, "a planned visit", func() bool {
		for _, v := range must(t, call(t, "GET", "/v1/customers/"+c+"/visits", am.Token, nil), 200).items() {
			if v["status"] == "planned" {
				planned = v
			}
		}
		return planned != nil
	})
	wantVersion(t, "a planned visit", planned, 1)
	done := must(t, call(t, "POST", "/v1/customers/"+c+"/visits", am.Token, map[string]any{"visited_on": today(), "notes": "versions"}), 201)
	if done.str("id") != planned["id"] || done.str("status") != "done" {
		t.Fatalf("the visit recorded did not complete the planned one: %s", done.Raw)
	}
	wantVersion(t, "a visit done", done.Body, 2)
	wantVersion(t, "a listed visit done", itemWith(t, must(t, call(t, "GET", "/v1/customers/"+c+"/visits", am.Token, nil), 200).items(), "id", planned["id"].(string)), 2)

	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	birthday := time.Date(1970, tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	must(t, call(t, "POST", "/v1/customers/"+c+"/key-persons", am.Token, map[string]any{"name": "Qian Li", "role": "head", "birthday": birthday}), 201)
	on := tomorrow.Format(time.DateOnly)
	task := itemWith(t, must(t, call(t, "GET", "/v1/greetings?on="+on+"&limit=200", am.Token, nil), 200).items(), "customer_id", c)
	wantVersion(t, "a new greeting task", task, 1)
	wantVersion(t, "a greeting done", must(t, call(t, "POST", "/v1/greetings/"+task["id"].(string)+"/done", am.Token, nil), 200).Body, 2)
	wantVersion(t, "a listed greeting done", itemWith(t, must(t, call(t, "GET", "/v1/greetings?on="+on+"&limit=200", am.Token, nil), 200).items(), "id", task["id"].(string)), 2)
}

// SPEC §3: an inspection is 1 while it runs and 2 once done.
func TestVersionInspection(t *testing.T) {
	aud := staffByRole(t)[kam.RoleAuditor]
	ins := must(t, call(t, "POST", "/v1/inspections", aud.Token, map[string]any{"sample_size": 3}), 201)
	id := ins.str("id")
	var got resp
	waitFor(t, 60*time.Second, "the inspection", func() bool {
		got = must(t, call(t, "GET", "/v1/inspections/"+id, aud.Token, nil), 200)
		return got.str("status") == "done"
	})
	if ins.str("status") == "running" {
		wantVersion(t, "a running inspection", ins.Body, 1)
	} else {
		wantVersion(t, "an inspection done when answered", ins.Body, 2)
	}
	wantVersion(t, "GET an inspection done", got.Body, 2)
	wantVersion(t, "a listed inspection", listed(t, "/v1/inspections", aud.Token, "id", id), 2)
}

// SPEC §3: a handover's version moves with each batch and its end.
func TestVersionHandover(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	leaver, heir := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	newAccount(t, leaver.ID)
	h := must(t, call(t, "POST", "/v1/staff/"+leaver.ID+"/handover", ka.Token, map[string]any{"to": heir.ID}), 202)
	wantVersion(t, "a handover begun", h.Body, 1)
	var got resp
	waitFor(t, 60*time.Second, "the handover", func() bool {
		got = must(t, call(t, "GET", "/v1/staff/"+leaver.ID+"/handovers/"+h.str("id"), ka.Token, nil), 200)
		return got.str("status") == "done"
	})
	wantVersion(t, "a handover done", got.Body, 2+int(got.Body["batches"].(float64)))
}

// SPEC §3: the credit agreement's outstanding and credit balance are what
// it shows; a charge and a payment each move its version by one.
func TestVersionCreditTotals(t *testing.T) {
	fin := newStaff(t, kam.RoleFinance)
	c := newAccount(t, "")
	a := must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@every 720h", "1000", 30)), 200)
	v := version(t, "a new agreement", a.Body)
	must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("300", "INV-V1")), 201)
	cr := must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200)
	if cr.str("outstanding") != "300.00" {
		t.Fatalf("credit %s", cr.Raw)
	}
	wantVersion(t, "an agreement charged", cr.Body, v+1)
	must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("500", "RCPT-V1")), 201)
	cr = must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200)
	if cr.str("outstanding") != "0.00" || cr.str("credit_balance") != "200.00" {
		t.Fatalf("credit %s", cr.Raw)
	}
	wantVersion(t, "an agreement paid", cr.Body, v+2)
	// The same charge again is a replay: nothing changes.
	if r := call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("300", "INV-V1")); r.Status/100 != 2 {
		t.Fatalf("replayed charge: %d %s", r.Status, r.Raw)
	}
	wantVersion(t, "a replayed charge", must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200).Body, v+2)

	// A charge and a payment reversed show their reversal: a new version;
	// the reversal is a new entry.
	charge := listed(t, "/v1/customers/"+c+"/charges", fin.Token, "reference", "INV-V1")
	wantVersion(t, "a new charge", charge, 1)
	rev := must(t, call(t, "POST", "/v1/customers/"+c+"/charges/"+charge["id"].(string)+"/reversal", fin.Token, map[string]any{"reason": "wrong account"}), 201)
	wantVersion(t, "a charge's reversal", rev.Body, 1)
	wantVersion(t, "a reversed charge", listed(t, "/v1/customers/"+c+"/charges", fin.Token, "id", charge["id"].(string)), 2)
	pay := listed(t, "/v1/customers/"+c+"/payments", fin.Token, "reference", "RCPT-V1")
	wantVersion(t, "a new payment", pay, 1)
	must(t, call(t, "POST", "/v1/customers/"+c+"/payments/"+pay["id"].(string)+"/reversal", fin.Token, map[string]any{"reason": "bounced"}), 201)
	wantVersion(t, "a reversed payment", listed(t, "/v1/customers/"+c+"/payments", fin.Token, "id", pay["id"].(string)), 2)
}
