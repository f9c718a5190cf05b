package api_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/workflows"
)

func today() string { return time.Now().UTC().Format(time.DateOnly) }

func nextMonth() string { return time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly) }

// discountBody asks for rate% on equipment for a tier A account (standard up
// to 10%, hard cap 20%, percentage or rebate).
func discountBody(customer, rate string) map[string]any {
	return map[string]any{"customer_id": customer, "product_category": "equipment", "rate": rate,
		"method": "percentage", "valid_from": today(), "valid_to": nextMonth(), "reason": "volume commitment"}
}

func inboxKinds(t *testing.T, token string) map[string]int {
	t.Helper()
	k := map[string]int{}
	for _, it := range must(t, call(t, "GET", "/v1/me/notifications?limit=200", token, nil), 200).items() {
		k[it["kind"].(string)]++
	}
	return k
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Art. 12, within the standard: the KA Department approves, the grant becomes
// the account's discount standard, and the decision is filed with the GM.
func TestStandardDiscountGrantedAndFiled(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	gm := newStaff(t, kam.RoleGeneralManager)
	c := newAccount(t, am.ID)

	r := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "8.5")), 201)
	id := r.str("id")
	if r.str("route") != "standard" || r.str("state") != "pending" || r.str("stage") != "ka_department" || r.str("rate") != "8.5" || r.Body["deadline"] == nil {
		t.Fatalf("submitted = %s", r.Raw)
	}
	d := must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve", "comment": "fine"}), 200)
	if d.str("state") != "approved" || d.Body["stage"] != nil || d.Body["deadline"] != nil {
		t.Fatalf("decided = %s", d.Raw)
	}
	decs := d.Body["decisions"].([]any)
	if len(decs) != 1 || decs[0].(map[string]any)["by"] != ka.ID || decs[0].(map[string]any)["stage"] != "ka_department" {
		t.Fatalf("decisions = %v", decs)
	}
	problem(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "reject"}), 409, "already_decided")

	var grants resp
	waitFor(t, 30*time.Second, "the grant", func() bool {
		grants = must(t, call(t, "GET", "/v1/customers/"+c+"/discounts", am.Token, nil), 200)
		return len(grants.items()) == 1
	})
	if g := grants.items()[0]; g["rate"] != "8.5" || g["method"] != "percentage" || g["request_id"] != id || g["approved_by"] != ka.ID {
		t.Fatalf("grant = %v", g)
	}
	// Outside its validity, nothing is in force.
	if g := must(t, call(t, "GET", "/v1/customers/"+c+"/discounts?as_of=2001-01-01", am.Token, nil), 200); len(g.items()) != 0 {
		t.Fatalf("grant in force in 2001: %s", g.Raw)
	}

	var filing map[string]any
	waitFor(t, 30*time.Second, "the filing", func() bool {
		for _, f := range must(t, call(t, "GET", "/v1/filings?unacknowledged=true&limit=200", gm.Token, nil), 200).items() {
			if f["request_id"] == id {
				filing = f
			}
		}
		return filing != nil
	})
	if filing["acknowledged"] != false || filing["rate"] != "8.5" {
		t.Fatalf("filing = %v", filing)
	}
	problem(t, call(t, "POST", "/v1/filings/"+filing["id"].(string)+"/acknowledge", ka.Token, nil), 403, "forbidden")
	ack := must(t, call(t, "POST", "/v1/filings/"+filing["id"].(string)+"/acknowledge", gm.Token, nil), 200)
	if ack.Body["acknowledged"] != true || ack.str("acknowledged_by") != gm.ID {
		t.Fatalf("acknowledged = %s", ack.Raw)
	}
	waitFor(t, 30*time.Second, "the notifications", func() bool {
		return inboxKinds(t, am.Token)["discount_granted"] == 1 && inboxKinds(t, am.Token)["discount_approve"] == 1 && inboxKinds(t, gm.Token)["discount_filed"] >= 1
	})
}

// Art. 12, beyond the standard: the KA Department, then the GM; no filing.
func TestBeyondStandardGoesToTheGM(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	gm := newStaff(t, kam.RoleGeneralManager)
	c := newAccount(t, am.ID)
	r := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "15")), 201)
	id := r.str("id")
	if r.str("route") != "beyond_standard" {
		t.Fatalf("route = %s", r.str("route"))
	}
	// The GM may not skip the KA Department.
	problem(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", gm.Token, map[string]any{"decision": "approve"}), 403, "not_decider")
	s1 := must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
	if s1.str("state") != "pending" || s1.str("stage") != "general_manager" {
		t.Fatalf("after stage 1: %s", s1.Raw)
	}
	problem(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 403, "not_decider")
	defer recordHistory(t, workflows.DiscountWorkflowID(uuid.MustParse(id)))
	s2 := must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", gm.Token, map[string]any{"decision": "approve", "comment": "strategic"}), 200)
	if s2.str("state") != "approved" || len(s2.Body["decisions"].([]any)) != 2 {
		t.Fatalf("after stage 2: %s", s2.Raw)
	}
	waitFor(t, 30*time.Second, "the grant", func() bool {
		return len(must(t, call(t, "GET", "/v1/customers/"+c+"/discounts", ka.Token, nil), 200).items()) == 1
	})
	for _, f := range must(t, call(t, "GET", "/v1/filings?limit=200", gm.Token, nil), 200).items() {
		if f["request_id"] == id {
			t.Fatal("a GM-approved discount was filed with the GM")
		}
	}
}

// Art. 12: above the hard cap is never approvable; Art. 5.5: discount policies are the KA Department's.
func TestDiscountSubmissionRules(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	before := countRows(t, "SELECT count(*) FROM discount_requests")
	problem(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "20.001")), 422, "above_hard_cap")
	problem(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "0")), 422, "validation_failed")
	b := discountBody(c, "5")
	b["method"] = "fixed_price" // tier A equipment: percentage or rebate
	problem(t, call(t, "POST", "/v1/discount-requests", am.Token, b), 422, "validation_failed")
	b = discountBody(c, "5")
	b["valid_to"] = "2001-01-01"
	problem(t, call(t, "POST", "/v1/discount-requests", am.Token, b), 422, "validation_failed")
	b = discountBody(c, "5")
	b["product_category"] = "spaceships"
	problem(t, call(t, "POST", "/v1/discount-requests", am.Token, b), 422, "validation_failed")
	b = discountBody(c, "5")
	b["rate"] = 5
	problem(t, call(t, "POST", "/v1/discount-requests", am.Token, b), 422, "validation_failed")
	// Another manager's account does not exist for this one (SPEC §2: 404),
	// and answers exactly as an account that does not exist at all.
	other := newAccount(t, newStaff(t, kam.RoleAccountManager).ID)
	problem(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(other, "5")), 404, "not_found")
	problem(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(uuid.NewString(), "5")), 404, "not_found")
	// A churned account gets no discount.
	ka := staffByRole(t)[kam.RoleKAManager]
	churned := newAccount(t, am.ID)
	must(t, call(t, "POST", "/v1/customers/"+churned+"/churn", ka.Token, map[string]any{"reason": "price", "effective_on": today()}), 201)
	problem(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(churned, "5")), 409, "account_not_active")
	if after := countRows(t, "SELECT count(*) FROM discount_requests"); after != before {
		t.Fatalf("refused submissions stored %d requests", after-before)
	}

	// The policy that routed a request is kept with it.
	adminPut := func(max string) {
		must(t, call(t, "PUT", "/v1/discount-policies/A/equipment", adminToken, map[string]any{"max_standard_rate": max, "hard_cap_rate": "20", "methods": []string{"percentage", "rebate"}}), 200)
	}
	r := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "9")), 201)
	adminPut("5")
	defer adminPut("10")
	got := must(t, call(t, "GET", "/v1/discount-requests/"+r.str("id"), am.Token, nil), 200)
	if got.str("route") != "standard" || got.str("policy_max_standard_rate") != "10" {
		t.Fatalf("re-routed: %s", got.Raw)
	}
	problem(t, call(t, "PUT", "/v1/discount-policies/A/equipment", adminToken, map[string]any{"max_standard_rate": "30", "hard_cap_rate": "20", "methods": []string{"percentage"}}), 422, "validation_failed")
	problem(t, call(t, "PUT", "/v1/discount-policies/Z/equipment", adminToken, map[string]any{"max_standard_rate": "3", "hard_cap_rate": "20", "methods": []string{"percentage"}}), 404, "not_found")
}

// The requester never decides their own request, even as a KA manager.
// Art. 11: discounts are confidential and approved level by level.
func TestNoSelfApproval(t *testing.T) {
	ka1 := newStaff(t, kam.RoleKAManager)
	ka2 := newStaff(t, kam.RoleKAManager)
	c := newAccount(t, "")
	id := must(t, call(t, "POST", "/v1/discount-requests", ka1.Token, discountBody(c, "3")), 201).str("id")
	problem(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka1.Token, map[string]any{"decision": "approve"}), 403, "not_decider")
	must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka2.Token, map[string]any{"decision": "approve"}), 200)
}

// Two managers click at the same moment: exactly one decision wins.
func TestConcurrentDecisionsOneWins(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	for round := range 3 {
		id := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "4")), 201).str("id")
		deciders := []member{newStaff(t, kam.RoleKAManager), newStaff(t, kam.RoleKAManager), newStaff(t, kam.RoleKAManager)}
		var wg sync.WaitGroup
		codes := make(chan int, len(deciders))
		for i, d := range deciders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				decision := []string{"approve", "reject", "approve"}[i]
				codes <- call(t, "POST", "/v1/discount-requests/"+id+"/decisions", d.Token, map[string]any{"decision": decision}).Status
			}()
		}
		wg.Wait()
		close(codes)
		ok, conflict := 0, 0
		for c := range codes {
			switch c {
			case 200:
				ok++
			case 409:
				conflict++
			default:
				t.Fatalf("round %d: status %d", round, c)
			}
		}
		if ok != 1 || conflict != 2 {
			t.Fatalf("round %d: %d accepted, %d conflicts", round, ok, conflict)
		}
		if n := countRows(t, "SELECT count(*) FROM discount_decisions WHERE request_id = $1", id); n != 1 {
			t.Fatalf("round %d: %d decisions stored", round, n)
		}
	}
}

func TestWithdraw(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	c := newAccount(t, am.ID)
	id := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "6")), 201).str("id")
	problem(t, call(t, "POST", "/v1/discount-requests/"+id+"/withdraw", newStaff(t, kam.RoleAccountManager).Token, nil), 404, "not_found")
	problem(t, call(t, "POST", "/v1/discount-requests/"+id+"/withdraw", ka.Token, nil), 403, "not_requester")
	w := must(t, call(t, "POST", "/v1/discount-requests/"+id+"/withdraw", am.Token, nil), 200)
	if w.str("state") != "withdrawn" {
		t.Fatalf("withdrawn = %s", w.Raw)
	}
	problem(t, call(t, "POST", "/v1/discount-requests/"+id+"/withdraw", am.Token, nil), 409, "not_pending")
	problem(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 409, "already_decided")
}

func TestDiscountIdempotencyKey(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	key := header{"Idempotency-Key", uuid.NewString()}
	a := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "2"), key), 201)
	b := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "2"), key), 201)
	if a.str("id") != b.str("id") || countRows(t, "SELECT count(*) FROM discount_requests WHERE customer_id = $1", c) != 1 {
		t.Fatal("a retried submission created a second request")
	}
}

// Discount data is confidential (Art. 11): both sides of every rule.
func TestDiscountConfidentiality(t *testing.T) {
	staff := staffByRole(t)
	am := staff[kam.RoleAccountManager]
	c := newAccount(t, am.ID)
	id := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "1")), 201).str("id")
	otherAM := newStaff(t, kam.RoleAccountManager)
	seeAll := map[string]bool{kam.RoleKAManager: true, kam.RoleGeneralManager: true, kam.RoleFinance: true, kam.RoleAuditor: true}
	for _, role := range kam.Roles {
		m := staff[role]
		t.Run(role, func(t *testing.T) {
			get := call(t, "GET", "/v1/discount-requests/"+id, m.Token, nil)
			list := call(t, "GET", "/v1/discount-requests?customer_id="+c, m.Token, nil)
			grants := call(t, "GET", "/v1/customers/"+c+"/discounts", m.Token, nil)
			filings := call(t, "GET", "/v1/filings", m.Token, nil)
			create := call(t, "POST", "/v1/discount-requests", m.Token, discountBody(c, "1"))
			policy := call(t, "PUT", "/v1/discount-policies/B/services", m.Token, map[string]any{"max_standard_rate": "3", "hard_cap_rate": "8", "methods": []string{"percentage"}})
			switch {
			case role == kam.RoleAccountManager:
				must(t, get, 200)
				if len(must(t, list, 200).items()) != 1 {
					t.Fatalf("own list = %s", list.Raw)
				}
				must(t, grants, 200)
				problem(t, filings, 403, "forbidden")
				must(t, create, 201)
				problem(t, policy, 403, "forbidden")
			case seeAll[role]:
				must(t, get, 200)
				must(t, list, 200)
				must(t, grants, 200)
				if role == kam.RoleFinance {
					problem(t, filings, 403, "forbidden")
				} else {
					must(t, filings, 200)
				}
				if role == kam.RoleKAManager {
					must(t, create, 201)
					must(t, policy, 200)
				} else {
					problem(t, create, 403, "forbidden")
					problem(t, policy, 403, "forbidden")
				}
			default: // admin, data_clerk, service_agent
				if role == kam.RoleAdmin {
					problem(t, get, 404, "not_found") // sees no account
				} else {
					problem(t, get, 403, "forbidden") // sees the account, not its discounts (SPEC §2)
				}
				problem(t, list, 403, "forbidden")
				problem(t, filings, 403, "forbidden")
				problem(t, create, 403, "forbidden")
				if role == kam.RoleAdmin {
					problem(t, grants, 404, "not_found")
					must(t, policy, 200)
				} else {
					problem(t, grants, 403, "forbidden")
					problem(t, policy, 403, "forbidden")
				}
			}
		})
	}
	// Another account manager sees neither the request nor the account's grants.
	problem(t, call(t, "GET", "/v1/discount-requests/"+id, otherAM.Token, nil), 404, "not_found")
	problem(t, call(t, "GET", "/v1/customers/"+c+"/discounts", otherAM.Token, nil), 404, "not_found")
	if l := must(t, call(t, "GET", "/v1/discount-requests", otherAM.Token, nil), 200); len(l.items()) != 0 {
		t.Fatalf("another manager lists %d requests", len(l.items()))
	}
	// Reads of discount data are registered like archive reads.
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE customer_id = $1 AND 'discounts' = ANY(sections) AND action = 'view'", c); n == 0 {
		t.Fatal("discount reads were not registered")
	}
}

// Stage 1 left alone escalates to the GM, who then decides; stage 2 left
// alone expires. Durations are seconds here (see TestMain).
// Art. 12: within standard: KA Department and filing; beyond: the GM.
func TestEscalationAndExpiry(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	gm := newStaff(t, kam.RoleGeneralManager)
	c := newAccount(t, am.ID)
	esc := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "7")), 201).str("id")
	exp := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "16")), 201).str("id")
	must(t, call(t, "POST", "/v1/discount-requests/"+exp+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)

	waitFor(t, 60*time.Second, "escalation", func() bool {
		return must(t, call(t, "GET", "/v1/discount-requests/"+esc, gm.Token, nil), 200).Body["escalated"] == true
	})
	problem(t, call(t, "POST", "/v1/discount-requests/"+esc+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 403, "not_decider")
	d := must(t, call(t, "POST", "/v1/discount-requests/"+esc+"/decisions", gm.Token, map[string]any{"decision": "approve"}), 200)
	if d.str("state") != "approved" {
		t.Fatalf("GM decision on escalated request: %s", d.Raw)
	}
	waitFor(t, 60*time.Second, "expiry", func() bool {
		return must(t, call(t, "GET", "/v1/discount-requests/"+exp, am.Token, nil), 200).str("state") == "expired"
	})
	got := must(t, call(t, "GET", "/v1/discount-requests/"+exp, am.Token, nil), 200)
	if got.Body["reminders"].(float64) < 1 {
		t.Fatalf("no reminders before expiry: %s", got.Raw)
	}
	waitFor(t, 30*time.Second, "the notices", func() bool {
		k := inboxKinds(t, am.Token)
		return k["discount_expired"] == 1 && k["discount_escalated"] == 1 && inboxKinds(t, gm.Token)["discount_escalated"] >= 1
	})
	events := countRows(t, "SELECT count(*) FROM discount_events WHERE request_id = $1 AND kind = 'discount_escalated'", esc)
	if events != 1 {
		t.Fatalf("%d escalation events persisted", events)
	}

}

// recordHistory keeps a run's history for the replay test when asked (run one test):
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/discount-beyond.json go test ./api -run BeyondStandard
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/settlement.json go test ./api -run CreditSuspended
func recordHistory(t *testing.T, workflowID string) {
	path := os.Getenv("KAM_RECORD_HISTORY")
	if path == "" {
		return
	}
	if err := workflows.RecordHistory(context.Background(), running.Temporal, workflowID, path); err != nil {
		t.Fatal(err)
	}
}

// SPEC §7: a discount policy's changes are in its history, with who made
// them; a policy never set has none to show (Art. 5.5, 11).
func TestDiscountPolicyHistory(t *testing.T) {
	staff := staffByRole(t)
	ka := staff[kam.RoleKAManager]
	tier, _ := newTier(t, ka.Token)
	path := "/v1/discount-policies/" + tier + "/history-test"
	problem(t, call(t, "GET", path+"/history", ka.Token, nil), 404, "not_found")
	must(t, call(t, "PUT", path, ka.Token, map[string]any{"max_standard_rate": "5", "hard_cap_rate": "10", "methods": []string{"rebate", "percentage"}}), 200)
	// The same methods in another order change nothing; the rate does.
	must(t, call(t, "PUT", path, adminToken, map[string]any{"max_standard_rate": "6", "hard_cap_rate": "10", "methods": []string{"percentage", "rebate"}}), 200)
	rows := must(t, call(t, "GET", path+"/history", staff[kam.RoleAuditor].Token, nil), 200).items()
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%v %v->%v by %v", r["field"], r["old"], r["new"], r["staff_id"]))
	}
	admin := must(t, call(t, "GET", "/v1/me", adminToken, nil), 200).str("id")
	want := []string{
		"max_standard_rate <nil>->5.00 by " + ka.ID, "hard_cap_rate <nil>->10.00 by " + ka.ID, "methods <nil>->percentage,rebate by " + ka.ID,
		"max_standard_rate 5.00->6.00 by " + admin,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history = %v, want %v", got, want)
	}
	for _, role := range []string{kam.RoleDataClerk, kam.RoleServiceAgent} {
		problem(t, call(t, "GET", path+"/history", staff[role].Token, nil), 403, "forbidden")
	}
}

// SPEC §2: an account manager sees only the accounts assigned to them, their
// own discount requests included. Moved off the account, the requester no
// longer reads, lists or withdraws its requests (404, registered as denied)
// and is no longer told of them; the account's new manager is.
func TestMovedRequesterLosesTheRequests(t *testing.T) {
	am, heir := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	ka := staffByRole(t)[kam.RoleKAManager]
	c := newAccount(t, am.ID)
	id := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "8")), 201).str("id")
	must(t, call(t, "GET", "/v1/discount-requests/"+id, am.Token, nil), 200)

	must(t, call(t, "PATCH", "/v1/customers/"+c, ka.Token, map[string]any{"account_manager_id": heir.ID}), 200)
	getID, withdrawID := uuid.NewString(), uuid.NewString()
	problem(t, call(t, "GET", "/v1/discount-requests/"+id, am.Token, nil, header{"X-Request-Id", getID}), 404, "not_found")
	problem(t, call(t, "POST", "/v1/discount-requests/"+id+"/withdraw", am.Token, nil, header{"X-Request-Id", withdrawID}), 404, "not_found")
	for _, req := range []string{getID, withdrawID} {
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND action = 'denied'", req, c); n != 1 {
			t.Fatalf("request %s: %d denied rows, want 1", req, n)
		}
	}
	if l := must(t, call(t, "GET", "/v1/discount-requests", am.Token, nil), 200); len(l.items()) != 0 {
		t.Fatalf("%d requests listed to the manager moved off the account", len(l.items()))
	}
	problem(t, call(t, "GET", "/v1/discount-requests?customer_id="+c, am.Token, nil), 404, "not_found")
	if st := must(t, call(t, "GET", "/v1/discount-requests/"+id, ka.Token, nil), 200).str("state"); st != "pending" {
		t.Fatalf("the refused withdrawal left the request %s", st)
	}

	must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
	waitFor(t, 30*time.Second, "the new manager's notice", func() bool { return inboxKinds(t, heir.Token)["discount_granted"] == 1 })
	if k := inboxKinds(t, am.Token); k["discount_approve"]+k["discount_granted"] != 0 {
		t.Fatalf("the manager moved off the account was told of its discount: %v", k)
	}
}

// Art. 9: a notice about an account shows something of it (here a discount
// decision), so reading the inbox is registered as a list of those accounts
// with the sections the notices speak of.
func TestReadingNoticesIsRegistered(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka := staffByRole(t)[kam.RoleKAManager]
	c := newAccount(t, am.ID)
	id := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "6")), 201).str("id")
	must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
	waitFor(t, 30*time.Second, "the decision's notice", func() bool { return inboxKinds(t, am.Token)["discount_approve"] == 1 })
	reqID := uuid.NewString()
	must(t, call(t, "GET", "/v1/me/notifications", am.Token, nil, header{"X-Request-Id", reqID}), 200)
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND action = 'list' AND 'discounts' = ANY(sections) AND staff_id = $3",
		reqID, c, am.ID); n != 1 {
		t.Fatalf("%d register rows for the inbox page naming the account and its discounts, want 1", n)
	}
}
