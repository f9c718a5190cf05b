package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/workflows"
)

func inAnHour() string { return time.Now().Add(time.Hour).UTC().Format(time.RFC3339) }

// grantOf waits for a request's grant and answers its id.
func grantOf(t *testing.T, requestID string) string {
	t.Helper()
	var id string
	waitFor(t, 30*time.Second, "the grant", func() bool {
		return running.Store.Pool.QueryRow(context.Background(), "SELECT id::text FROM discount_grants WHERE request_id = $1", requestID).Scan(&id) == nil
	})
	return id
}

func decisionsOf(t *testing.T, r resp) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, d := range r.Body["decisions"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// SPEC §7 (Art. 12): while the GM is away, the KA manager deputising for them
// decides an escalated request, and the record shows on_behalf_of; reminders
// reach the deputy; the deputy never decides their own request; a delegation
// ended mid-stage takes effect at once, and one that starts while a request
// is pending applies to it.
func TestDeputyDecidesEscalatedRequestWhileGMAway(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	gm := newStaff(t, kam.RoleGeneralManager)
	deputy := newStaff(t, kam.RoleKAManager)
	c := newAccount(t, am.ID)
	r1 := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "5")), 201).str("id")
	r2 := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "6")), 201).str("id")
	own := must(t, call(t, "POST", "/v1/discount-requests", deputy.Token, discountBody(c, "7")), 201).str("id")
	for _, id := range []string{r1, r2, own} {
		waitFor(t, 30*time.Second, "the escalation", func() bool {
			return must(t, call(t, "GET", "/v1/discount-requests/"+id, gm.Token, nil), 200).Body["escalated"] == true
		})
	}
	// Escalated, the stage is the GM's: a KA manager alone may not decide it.
	problem(t, call(t, "POST", "/v1/discount-requests/"+r1+"/decisions", deputy.Token, map[string]any{"decision": "approve"}), 403, "not_decider")
	if w := awaitingOn(t, deputy.Token, c); w[r1] || w[r2] {
		t.Fatalf("before the delegation, the deputy awaits %v", w)
	}

	// The GM leaves: a delegation that starts while the requests wait.
	del := must(t, call(t, "POST", "/v1/delegations", gm.Token, map[string]any{"to_staff_id": deputy.ID, "ends_at": inAnHour(), "reason": "annual leave"}), 201)
	if del.str("from_staff_id") != gm.ID || del.Body["in_force"] != true {
		t.Fatalf("delegation = %s", del.Raw)
	}
	waitFor(t, 15*time.Second, "a reminder to the deputy", func() bool { return inboxKinds(t, deputy.Token)["discount_reminder"] >= 1 })
	// What the GM decides now waits on the deputy too, never their own request.
	if w := awaitingOn(t, deputy.Token, c); !w[r1] || !w[r2] || w[own] {
		t.Fatalf("with the delegation, the deputy awaits %v (want %s and %s, not %s)", w, r1, r2, own)
	}
	if tasks := myTasks(t, deputy.Token, 200); taskOf(tasks, "discount_decision", r1) == nil || taskOf(tasks, "discount_decision", own) != nil {
		t.Fatalf("the deputy's tasks lack %s or hold their own request", r1)
	}

	defer recordHistory(t, workflows.DiscountWorkflowID(uuid.MustParse(r1)))
	d := must(t, call(t, "POST", "/v1/discount-requests/"+r1+"/decisions", deputy.Token, map[string]any{"decision": "approve", "comment": "for Grace"}), 200)
	if d.str("state") != "approved" {
		t.Fatalf("decided = %s", d.Raw)
	}
	got := decisionsOf(t, must(t, call(t, "GET", "/v1/discount-requests/"+r1, am.Token, nil), 200))
	if len(got) != 1 || got[0]["by"] != deputy.ID || got[0]["on_behalf_of"] != gm.ID || got[0]["stage"] != "ka_department" {
		t.Fatalf("decisions = %v", got)
	}
	// Never the deputy's own request.
	problem(t, call(t, "POST", "/v1/discount-requests/"+own+"/decisions", deputy.Token, map[string]any{"decision": "approve"}), 403, "not_decider")

	// The GM is back early: the delegation ends at once.
	problem(t, call(t, "DELETE", "/v1/delegations/"+del.str("id"), deputy.Token, nil), 403, "forbidden")
	must(t, call(t, "DELETE", "/v1/delegations/"+del.str("id"), gm.Token, nil), 204)
	problem(t, call(t, "DELETE", "/v1/delegations/"+del.str("id"), gm.Token, nil), 409, "delegation_ended")
	if w := awaitingOn(t, deputy.Token, c); w[r2] {
		t.Fatalf("after the delegation ended, the deputy still awaits %v", w)
	}
	problem(t, call(t, "POST", "/v1/discount-requests/"+r2+"/decisions", deputy.Token, map[string]any{"decision": "approve"}), 403, "not_decider")
	d2 := must(t, call(t, "POST", "/v1/discount-requests/"+r2+"/decisions", gm.Token, map[string]any{"decision": "reject"}), 200)
	if got := decisionsOf(t, d2); got[0]["by"] != gm.ID || got[0]["on_behalf_of"] != nil {
		t.Fatalf("decisions = %v", got)
	}
	// Both hear of what the deputy decided for the GM (SPEC §7).
	waitFor(t, 15*time.Second, "the GM's notice", func() bool { return inboxKinds(t, gm.Token)["discount_approve"] >= 1 })
	waitFor(t, 15*time.Second, "the deputy's notice", func() bool { return inboxKinds(t, deputy.Token)["discount_approve"] >= 1 })
}

// SPEC §7: a delegation is one's own (a decider's), or the admin's to make for
// anyone; its parties see it, the admin, GM and auditor see all; the
// delegator or the admin ends it. Both sides of each rule.
func TestDelegationRules(t *testing.T) {
	staff := staffByRole(t)
	ka, ka2, gm := newStaff(t, kam.RoleKAManager), newStaff(t, kam.RoleKAManager), newStaff(t, kam.RoleGeneralManager)
	am := newStaff(t, kam.RoleAccountManager)
	body := func(from, to string) map[string]any {
		b := map[string]any{"to_staff_id": to, "ends_at": inAnHour()}
		if from != "" {
			b["from_staff_id"] = from
		}
		return b
	}
	mine := must(t, call(t, "POST", "/v1/delegations", ka.Token, body("", ka2.ID)), 201).str("id")
	must(t, call(t, "POST", "/v1/delegations", gm.Token, body(gm.ID, ka.ID)), 201)
	byAdmin := must(t, call(t, "POST", "/v1/delegations", adminToken, body(ka2.ID, gm.ID)), 201)
	if byAdmin.str("from_staff_id") != ka2.ID || byAdmin.str("created_by") == ka2.ID {
		t.Fatalf("admin's delegation = %s", byAdmin.Raw)
	}
	// Refused: another's approvals; a role that decides none.
	problem(t, call(t, "POST", "/v1/delegations", ka.Token, body(ka2.ID, gm.ID)), 403, "forbidden")
	problem(t, call(t, "POST", "/v1/delegations", am.Token, body("", ka.ID)), 403, "forbidden")
	problem(t, call(t, "POST", "/v1/delegations", staff[kam.RoleAuditor].Token, body("", ka.ID)), 403, "forbidden")
	// Invalid: to oneself, to someone who decides nothing, to someone
	// inactive or unknown, backwards, past, an admin's own, a long reason.
	inactive := newStaff(t, kam.RoleKAManager)
	must(t, call(t, "PATCH", "/v1/staff/"+inactive.ID, adminToken, map[string]any{"active": false}), 200)
	bad := []map[string]any{body("", ka.ID), body("", am.ID), body("", inactive.ID), body("", uuid.NewString()),
		{"to_staff_id": ka2.ID, "starts_at": inAnHour(), "ends_at": time.Now().UTC().Format(time.RFC3339)},
		{"to_staff_id": ka2.ID, "ends_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)},
		{"to_staff_id": ka2.ID, "ends_at": "9999-12-31T00:00:00Z"},
		{"to_staff_id": ka2.ID, "ends_at": inAnHour(), "reason": strings.Repeat("x", 501)}}
	for _, b := range bad {
		problem(t, call(t, "POST", "/v1/delegations", ka.Token, b), 422, "validation_failed")
	}
	problem(t, call(t, "POST", "/v1/delegations", adminToken, body("", ka.ID)), 422, "validation_failed")
	// Nor for an inactive delegator: it would come back into force with them.
	off := call(t, "POST", "/v1/delegations", adminToken, body(inactive.ID, ka.ID))
	problem(t, off, 422, "validation_failed")
	if errs, _ := off.Body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["location"] != "body.from_staff_id" {
		t.Fatalf("an inactive delegator's refusal: %s, want it at body.from_staff_id", off.Raw)
	}
	// Each deputy is told, in their own language, and so is a delegator for
	// whom the admin made one; nothing refused told anyone.
	for m, want := range map[member]int{ka: 1, ka2: 2, gm: 1} {
		var titles []string
		for _, it := range must(t, call(t, "GET", "/v1/me/notifications?limit=200", m.Token, nil), 200).items() {
			if it["kind"] == "delegation" {
				titles = append(titles, it["title"].(string))
			}
		}
		if len(titles) != want || titles[0] != "审批已委托" {
			t.Errorf("%s: delegation notices %q, want %d", m.Role, titles, want)
		}
	}
	// A retried creation makes one delegation.
	key, same := header{"Idempotency-Key", uuid.NewString()}, body("", ka2.ID)
	a := must(t, call(t, "POST", "/v1/delegations", gm.Token, same, key), 201)
	if b := must(t, call(t, "POST", "/v1/delegations", gm.Token, same, key), 201); b.str("id") != a.str("id") {
		t.Fatal("a retried delegation was made twice")
	}

	// Lists: the parties see theirs; the GM, auditor and admin see all.
	ids := func(token, query string) map[string]bool {
		out := map[string]bool{}
		for _, it := range must(t, call(t, "GET", "/v1/delegations?limit=200"+query, token, nil), 200).items() {
			out[it["id"].(string)] = true
		}
		return out
	}
	if l := ids(ka2.Token, ""); !l[mine] || !l[byAdmin.str("id")] {
		t.Fatalf("the deputy's list lacks theirs: %v", l)
	}
	if l := ids(am.Token, ""); len(l) != 0 {
		t.Fatalf("an account manager sees %d delegations", len(l))
	}
	for _, tok := range []string{staff[kam.RoleGeneralManager].Token, staff[kam.RoleAuditor].Token, adminToken} {
		if l := ids(tok, "&staff_id="+ka.ID); !l[mine] {
			t.Fatal("a seer of every delegation misses one")
		}
	}
	problem(t, call(t, "GET", "/v1/delegations?staff_id="+ka.ID, ka2.Token, nil), 403, "forbidden")
	if l := ids(ka.Token, "&in_force=true&staff_id="+ka.ID); !l[mine] {
		t.Fatal("in_force misses a delegation in force")
	}

	// Ending: the deputy and a seer may not; a stranger does not see it.
	problem(t, call(t, "DELETE", "/v1/delegations/"+mine, ka2.Token, nil), 403, "forbidden")
	problem(t, call(t, "DELETE", "/v1/delegations/"+mine, staff[kam.RoleGeneralManager].Token, nil), 403, "forbidden")
	problem(t, call(t, "DELETE", "/v1/delegations/"+mine, staff[kam.RoleKAManager].Token, nil), 404, "not_found")
	problem(t, call(t, "DELETE", "/v1/delegations/"+uuid.NewString(), adminToken, nil), 404, "not_found")
	must(t, call(t, "DELETE", "/v1/delegations/"+mine, ka.Token, nil), 204)
	must(t, call(t, "DELETE", "/v1/delegations/"+byAdmin.str("id"), adminToken, nil), 204)
	if l := ids(ka.Token, "&in_force=true"); l[mine] {
		t.Fatal("an ended delegation is still in force")
	}
	problem(t, call(t, "GET", "/v1/delegations", "", nil), 401, "unauthenticated")
}

// SPEC §7: a revoked grant ends now: it leaves the discount standard, the
// GM gets a filing, the requester and the account manager are told, the
// change is registered, and the next inspection flags a later sale (Art. 14).
func TestRevokedGrantEndsAndInspectionFlagsLaterSale(t *testing.T) {
	staff := staffByRole(t)
	am, ka := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleKAManager)
	c := newAccount(t, am.ID)
	req := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "5")), 201).str("id")
	must(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
	grant := grantOf(t, req)
	before := must(t, call(t, "POST", "/v1/customers/"+c+"/sales", am.Token, saleBody("equipment", "5", today())), 201).str("id")

	problem(t, call(t, "POST", "/v1/discount-grants/"+grant+"/revoke", ka.Token, map[string]any{"reason": ""}), 422, "validation_failed")
	defer recordHistory(t, workflows.DiscountWorkflowID(uuid.MustParse(req)))
	rid := uuid.NewString()
	g := must(t, call(t, "POST", "/v1/discount-grants/"+grant+"/revoke", ka.Token, map[string]any{"reason": "volume commitment broken"},
		header{"X-Request-Id", rid}, header{"X-Access-Purpose", "revocation"}), 200)
	if g.Body["revoked_at"] == nil || g.Body["ended_at"] == nil || g.str("revoked_on") != today() || g.str("revoked_by") != ka.ID || g.str("revoke_reason") != "volume commitment broken" {
		t.Fatalf("revoked = %s", g.Raw)
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'update' AND customer_id = $2 AND 'discounts' = ANY(sections)", rid, c); n != 1 {
		t.Fatalf("%d register rows for the revocation", n)
	}
	problem(t, call(t, "POST", "/v1/discount-grants/"+grant+"/revoke", ka.Token, map[string]any{"reason": "again"}), 409, "already_revoked")
	if l := must(t, call(t, "GET", "/v1/customers/"+c+"/discounts", am.Token, nil), 200).items(); len(l) != 0 {
		t.Fatalf("a revoked grant is still in force: %v", l)
	}
	var filing map[string]any
	for _, f := range must(t, call(t, "GET", "/v1/filings?unacknowledged=true&limit=200", staff[kam.RoleGeneralManager].Token, nil), 200).items() {
		if f["request_id"] == req && f["kind"] == "revocation" {
			filing = f
		}
	}
	if filing == nil || filing["grant_id"] != grant {
		t.Fatal("no revocation filed with the GM")
	}
	waitFor(t, 15*time.Second, "the notices", func() bool {
		return inboxKinds(t, am.Token)["grant_revoked"] == 1 && inboxKinds(t, staff[kam.RoleGeneralManager].Token)["discount_revocation_filed"] >= 1
	})

	// A sale dated after the revocation's day is a finding; one before is not.
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	after := must(t, call(t, "POST", "/v1/customers/"+c+"/sales", am.Token, saleBody("equipment", "5", tomorrow)), 201).str("id")
	ins := must(t, call(t, "POST", "/v1/inspections", staff[kam.RoleAuditor].Token, map[string]any{"sample_size": 10000}), 201)
	kinds := map[string]string{}
	for _, f := range ins.Body["findings"].([]any) {
		m := f.(map[string]any)
		kinds[m["sale_id"].(string)] = m["kind"].(string)
	}
	if kinds[after] != "outside_validity" || kinds[before] != "" {
		t.Fatalf("findings: later sale %q, earlier sale %q", kinds[after], kinds[before])
	}
}

// SPEC §7: a ka_manager revokes standard grants only, the General Manager
// any; those who see the grant but may not revoke get 403, others 404.
func TestRevokeAuthorization(t *testing.T) {
	staff := staffByRole(t)
	am, ka, gm := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleKAManager), newStaff(t, kam.RoleGeneralManager)
	c := newAccount(t, am.ID)
	req := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "15")), 201).str("id")
	must(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
	must(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", gm.Token, map[string]any{"decision": "approve"}), 200)
	grant := grantOf(t, req)
	path := "/v1/discount-grants/" + grant + "/revoke"
	why := map[string]any{"reason": "policy review"}
	problem(t, call(t, "POST", path, ka.Token, why), 403, "not_revoker") // beyond the standard: the GM's
	problem(t, call(t, "POST", path, am.Token, why), 403, "not_revoker")
	problem(t, call(t, "POST", path, staff[kam.RoleFinance].Token, why), 403, "not_revoker")
	problem(t, call(t, "POST", path, newStaff(t, kam.RoleAccountManager).Token, why), 404, "not_found")
	problem(t, call(t, "POST", path, staff[kam.RoleServiceAgent].Token, why), 403, "forbidden") // sees the account, not its grants
	problem(t, call(t, "POST", "/v1/discount-grants/"+uuid.NewString()+"/revoke", gm.Token, why), 404, "not_found")
	if g := must(t, call(t, "POST", path, gm.Token, why), 200); g.str("revoked_by") != gm.ID {
		t.Fatalf("revoked = %s", g.Raw)
	}
	problem(t, call(t, "POST", path, gm.Token, why), 409, "already_revoked")
}

// awaitingOn is the set of an account's requests awaiting the caller
// (?awaiting=me).
func awaitingOn(t *testing.T, token, customer string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range must(t, call(t, "GET", "/v1/discount-requests?awaiting=me&limit=200&customer_id="+customer, token, nil), 200).items() {
		out[r["id"].(string)] = true
	}
	return out
}

// SPEC §7: a deputy decides, and sees, only while able to decide approvals.
// Moved to a role that decides none, their delegations end with the change:
// what the delegator decides no longer waits on them.
func TestRoleChangeEndsDelegations(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	gm, deputy := newStaff(t, kam.RoleGeneralManager), newStaff(t, kam.RoleKAManager)
	c := newAccount(t, am.ID)
	del := must(t, call(t, "POST", "/v1/delegations", gm.Token, map[string]any{"to_staff_id": deputy.ID, "ends_at": inAnHour()}), 201).str("id")
	req := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "15")), 201).str("id")
	must(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", staffByRole(t)[kam.RoleKAManager].Token, map[string]any{"decision": "approve"}), 200)
	if taskOf(myTasks(t, deputy.Token, 200), kam.TaskDiscountDecision, req) == nil {
		t.Fatal("the deputy does not see the GM's stage while the delegation is in force")
	}
	must(t, call(t, "PATCH", "/v1/staff/"+deputy.ID, adminToken, map[string]any{"role": kam.RoleDataClerk}), 200)
	var d map[string]any
	for _, it := range must(t, call(t, "GET", "/v1/delegations?limit=200&staff_id="+deputy.ID, adminToken, nil), 200).items() {
		if it["id"] == del {
			d = it
		}
	}
	if d == nil || d["in_force"] != false || d["ended_at"] == nil {
		t.Fatalf("the delegation after its deputy left deciding roles: %v", d)
	}
	if taskOf(myTasks(t, deputy.Token, 200), kam.TaskDiscountDecision, req) != nil {
		t.Fatal("the former deputy still sees the GM's stage")
	}
}

// Art. 11, 12: level by level. Who decided the KA Department's stage of a
// beyond-standard request, or was decided for there, does not decide the
// General Manager's too: not as the GM's deputy (a), and not in their own
// role after deciding stage 1 as a KA manager's deputy (b). Neither sees it
// as waiting on them; someone else at the GM's level decides it.
func TestNoOneDecidesBothLevels(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	approve := map[string]any{"decision": "approve"}
	stageTwo := func(token, id string) {
		t.Helper()
		s1 := must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", token, approve), 200)
		if s1.str("state") != "pending" || s1.str("stage") != "general_manager" {
			t.Fatalf("after stage 1: %s", s1.Raw)
		}
	}
	waitsOn := func(token, id string) bool {
		t.Helper()
		return awaitingOn(t, token, c)[id] || taskOf(myTasks(t, token, 200), "discount_decision", id) != nil
	}

	// (a) The KA manager who approved stage 1 stands in for the GM.
	gm, ka := newStaff(t, kam.RoleGeneralManager), newStaff(t, kam.RoleKAManager)
	must(t, call(t, "POST", "/v1/delegations", gm.Token, map[string]any{"to_staff_id": ka.ID, "ends_at": inAnHour(), "reason": "leave"}), 201)
	a := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "15")), 201).str("id")
	stageTwo(ka.Token, a)
	if waitsOn(ka.Token, a) {
		t.Fatal("(a) stage 2 waits on the one who decided stage 1")
	}
	problem(t, call(t, "POST", "/v1/discount-requests/"+a+"/decisions", ka.Token, approve), 403, "not_decider")
	if !waitsOn(gm.Token, a) {
		t.Fatal("(a) stage 2 does not wait on the GM")
	}
	if d := must(t, call(t, "POST", "/v1/discount-requests/"+a+"/decisions", gm.Token, approve), 200); d.str("state") != "approved" {
		t.Fatalf("(a) the GM's decision: %s", d.Raw)
	}

	// (b) A GM decides stage 1 as a KA manager's deputy, then may not
	// decide stage 2 in their own role; another GM does.
	gm2, ka2, gm3 := newStaff(t, kam.RoleGeneralManager), newStaff(t, kam.RoleKAManager), newStaff(t, kam.RoleGeneralManager)
	must(t, call(t, "POST", "/v1/delegations", ka2.Token, map[string]any{"to_staff_id": gm2.ID, "ends_at": inAnHour(), "reason": "leave"}), 201)
	b := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "15")), 201).str("id")
	stageTwo(gm2.Token, b)
	if waitsOn(gm2.Token, b) {
		t.Fatal("(b) stage 2 waits on the one who decided stage 1 as a deputy")
	}
	problem(t, call(t, "POST", "/v1/discount-requests/"+b+"/decisions", gm2.Token, approve), 403, "not_decider")
	d := must(t, call(t, "POST", "/v1/discount-requests/"+b+"/decisions", gm3.Token, approve), 200)
	if got := decisionsOf(t, d); d.str("state") != "approved" || len(got) != 2 || got[0]["by"] != gm2.ID || got[0]["on_behalf_of"] != ka2.ID || got[1]["by"] != gm3.ID {
		t.Fatalf("(b) decisions: %s", d.Raw)
	}
}

// A delegation is never back-dated: a starts_at in the past is taken as now,
// so the record of who could act for whom stays true (Art. 9, 14).
func TestDelegationStartsNoEarlierThanNow(t *testing.T) {
	gm, ka := newStaff(t, kam.RoleGeneralManager), newStaff(t, kam.RoleKAManager)
	sent := time.Now().Add(-time.Second)
	d := must(t, call(t, "POST", "/v1/delegations", gm.Token, map[string]any{"to_staff_id": ka.ID, "starts_at": "2020-01-01T00:00:00Z", "ends_at": inAnHour()}), 201)
	if starts, err := time.Parse(time.RFC3339Nano, d.str("starts_at")); err != nil || starts.Before(sent) {
		t.Fatalf("a back-dated delegation starts %s (sent at %s)", d.str("starts_at"), sent.UTC().Format(time.RFC3339))
	}
}
