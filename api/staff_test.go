package api_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// SPEC §7 "Staff and identity": deactivation revokes every token at once and
// never leaves an account without its manager.
func TestStaffDeactivationRevokesTokensAndHandsOver(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	leaver := newStaff(t, kam.RoleAccountManager)
	second := must(t, call(t, "POST", "/v1/staff/"+leaver.ID+"/tokens", adminToken, nil), 201).str("token")
	me := must(t, call(t, "GET", "/v1/me", leaver.Token, nil), 200)
	if me.Body["active"] != true || me.str("locale") != "zh-CN" {
		t.Fatalf("a new staff member = %s, want active and in the default locale zh-CN", me.Raw)
	}
	accounts := []string{newAccount(t, leaver.ID), newAccount(t, leaver.ID)}

	// Accounts assigned: refused, and nothing changes.
	problem(t, call(t, "PATCH", "/v1/staff/"+leaver.ID, adminToken, map[string]any{"active": false}), 409, "has_assignments")
	must(t, call(t, "GET", "/v1/me", leaver.Token, nil), 200)
	// Nor may the accounts go to the leaver, someone who manages no accounts, or nobody real.
	clerk := staffByRole(t)[kam.RoleDataClerk]
	for _, to := range []struct{ id, code string }{{leaver.ID, kam.CodeHandoverToSelf}, {clerk.ID, kam.CodeHandoverTarget}, {uuid.NewString(), kam.CodeHandoverTarget}} {
		r := call(t, "PATCH", "/v1/staff/"+leaver.ID, adminToken, map[string]any{"active": false, "handover_to": to.id})
		problem(t, r, 422, to.code)
		if !strings.Contains(string(r.Raw), "body.handover_to") {
			t.Fatalf("the refusal does not name handover_to: %s", r.Raw)
		}
	}
	must(t, call(t, "GET", "/v1/me", leaver.Token, nil), 200)

	heir := newStaff(t, kam.RoleAccountManager)
	reqID := uuid.NewString()
	r := must(t, call(t, "PATCH", "/v1/staff/"+leaver.ID, adminToken, map[string]any{"active": false, "handover_to": heir.ID},
		header{"X-Request-Id", reqID}, header{"X-Access-Purpose", "leaver handover"}), 200)
	// The same handover as POST .../handover, begun with the deactivation.
	h, _ := r.Body["handover"].(map[string]any)
	if r.Body["active"] != false || h == nil || h["to_staff_id"] != heir.ID || h["link"] != "/v1/staff/"+leaver.ID+"/handovers/"+h["id"].(string) {
		t.Fatalf("after deactivation: %s", r.Raw)
	}
	// At once: both tokens are dead on the next request.
	for _, tok := range []string{leaver.Token, second} {
		problem(t, call(t, "GET", "/v1/me", tok, nil), 401, "invalid_token")
	}
	if done := waitHandover(t, leaver.ID, h["id"].(string)); done.str("status") != kam.HandoverDone || done.Body["accounts_moved"] != float64(2) {
		t.Fatalf("handover: %s", done.Raw)
	}
	for _, id := range accounts {
		got := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200)
		if got.str("account_manager_id") != heir.ID {
			t.Fatalf("account %s not handed over: %s", id, got.Raw)
		}
		if n := countRows(t, `SELECT count(*) FROM customer_history WHERE customer_id = $1 AND field = 'account_manager_id'
			AND old_value = $2 AND new_value = $3`, id, leaver.ID, heir.ID); n != 1 {
			t.Fatalf("account %s: %d history rows of the handover, want 1", id, n)
		}
		if n := countRows(t, `SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND action = 'update'
			AND purpose = 'leaver handover'`, reqID, id); n != 1 {
			t.Fatalf("account %s: %d register rows of the handover, want 1", id, n)
		}
	}
	// The heir now sees the accounts as theirs.
	must(t, call(t, "GET", "/v1/customers/"+accounts[0], heir.Token, nil), 200)

	// An inactive person gets no token and no account.
	problem(t, call(t, "POST", "/v1/staff/"+leaver.ID+"/tokens", adminToken, nil), 409, "staff_inactive")
	r = call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "IN-" + unique(), "name": "Orphan", "account_manager_id": leaver.ID})
	problem(t, r, 422, "validation_failed")
	if !strings.Contains(string(r.Raw), "body.account_manager_id") {
		t.Fatalf("the refusal does not name account_manager_id: %s", r.Raw)
	}
	problem(t, call(t, "PATCH", "/v1/customers/"+accounts[0], ka.Token, map[string]any{"account_manager_id": leaver.ID}), 422, "validation_failed")

	// Reactivation does not bring the revoked tokens back: a new one is issued.
	must(t, call(t, "PATCH", "/v1/staff/"+leaver.ID, adminToken, map[string]any{"active": true}), 200)
	problem(t, call(t, "GET", "/v1/me", leaver.Token, nil), 401, "invalid_token")
	fresh := must(t, call(t, "POST", "/v1/staff/"+leaver.ID+"/tokens", adminToken, nil), 201).str("token")
	must(t, call(t, "GET", "/v1/me", fresh, nil), 200)
	revoked := 0
	for _, it := range must(t, call(t, "GET", "/v1/staff/"+leaver.ID+"/tokens", adminToken, nil), 200).items() {
		if it["revoked_at"] != nil {
			revoked++
		}
	}
	if revoked != 2 {
		t.Fatalf("%d revoked tokens listed, want 2", revoked)
	}
}

// A person who leaves the account_manager role leaves their accounts too.
func TestStaffRoleChangeNeedsHandover(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	heir := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	problem(t, call(t, "PATCH", "/v1/staff/"+am.ID, adminToken, map[string]any{"role": kam.RoleKAManager}), 409, "has_assignments")
	// handover_to goes only with leaving.
	problem(t, call(t, "PATCH", "/v1/staff/"+am.ID, adminToken, map[string]any{"name": "Still here", "handover_to": heir.ID}), 422, "validation_failed")
	r := must(t, call(t, "PATCH", "/v1/staff/"+am.ID, adminToken, map[string]any{"role": kam.RoleKAManager, "handover_to": heir.ID}), 200)
	if r.str("role") != kam.RoleKAManager || r.Body["active"] != true || r.Body["handover"] == nil {
		t.Fatalf("after the role change: %s", r.Raw)
	}
	waitHandover(t, am.ID, r.Body["handover"].(map[string]any)["id"].(string))
	// The person stays active, with the new role's rights.
	must(t, call(t, "GET", "/v1/staff", am.Token, nil), 200)
	if got := must(t, call(t, "GET", "/v1/customers/"+c, am.Token, nil), 200).str("account_manager_id"); got != heir.ID {
		t.Fatalf("account manager %s, want the heir %s", got, heir.ID)
	}
}

func TestStaffPatchFieldsAndVersion(t *testing.T) {
	m := newStaff(t, kam.RoleDataClerk)
	got := must(t, call(t, "GET", "/v1/staff/"+m.ID, adminToken, nil), 200)
	if got.Header.Get("ETag") != `"1"` || got.Body["version"] != float64(1) || got.str("locale") != "zh-CN" {
		t.Fatalf("GET staff: ETag %q, %s", got.Header.Get("ETag"), got.Raw)
	}
	email := "clerk-" + unique() + "@example.com"
	r := must(t, call(t, "PATCH", "/v1/staff/"+m.ID, adminToken, map[string]any{"name": "Renamed", "email": email, "locale": "en"},
		header{"If-Match", `"1"`}), 200)
	if r.str("name") != "Renamed" || r.str("email") != email || r.str("locale") != "en" || r.Body["version"] != float64(2) {
		t.Fatalf("PATCH staff: %s", r.Raw)
	}
	if me := must(t, call(t, "GET", "/v1/me", m.Token, nil), 200); me.str("locale") != "en" || me.Body["active"] != true {
		t.Fatalf("/v1/me after the change: %s", me.Raw)
	}
	problem(t, call(t, "PATCH", "/v1/staff/"+m.ID, adminToken, map[string]any{"name": "Stale"}, header{"If-Match", `"1"`}), 412, "version_conflict")
	problem(t, call(t, "PATCH", "/v1/staff/"+m.ID, adminToken, map[string]any{"locale": "fr"}), 422, "validation_failed")
	problem(t, call(t, "PATCH", "/v1/staff/"+m.ID, adminToken, map[string]any{"email": "not an address"}), 422, "validation_failed")
	other := newStaff(t, kam.RoleDataClerk)
	problem(t, call(t, "PATCH", "/v1/staff/"+other.ID, adminToken, map[string]any{"email": strings.ToUpper(email)}), 409, "duplicate_email")
	problem(t, call(t, "PATCH", "/v1/staff/"+uuid.NewString(), adminToken, map[string]any{"name": "Nobody"}), 404, "not_found")
	problem(t, call(t, "GET", "/v1/staff/"+uuid.NewString(), adminToken, nil), 404, "not_found")
	// An empty e-mail, or null, clears it; a required field cannot be null.
	if r := must(t, call(t, "PATCH", "/v1/staff/"+m.ID, adminToken, map[string]any{"email": ""}), 200); r.Body["email"] != nil {
		t.Fatalf("e-mail not cleared: %s", r.Raw)
	}
	must(t, call(t, "PATCH", "/v1/staff/"+m.ID, adminToken, map[string]any{"email": email}), 200)
	if r := must(t, call(t, "PATCH", "/v1/staff/"+m.ID, adminToken, `{"email": null}`), 200); r.Body["email"] != nil {
		t.Fatalf("e-mail not cleared by null: %s", r.Raw)
	}
	for _, field := range []string{"name", "role", "active", "locale"} {
		problem(t, call(t, "PATCH", "/v1/staff/"+m.ID, adminToken, `{"`+field+`": null}`), 422, "validation_failed")
	}
	// A locale can be chosen at creation.
	en := must(t, call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": "English " + unique(), "role": kam.RoleFinance, "locale": "en"}), 201)
	if en.str("locale") != "en" {
		t.Fatalf("created with locale en: %s", en.Raw)
	}
	// Nobody changes their own record but the admin.
	problem(t, call(t, "PATCH", "/v1/staff/"+m.ID, m.Token, map[string]any{"role": kam.RoleAdmin}), 403, "forbidden")
}

// A token list shows when tokens were made and used, never what they are.
func TestStaffTokenListShowsNoSecret(t *testing.T) {
	m := newStaff(t, kam.RoleServiceAgent)
	must(t, call(t, "GET", "/v1/me", m.Token, nil), 200)
	list := must(t, call(t, "GET", "/v1/staff/"+m.ID+"/tokens", adminToken, nil), 200)
	hash := store.HashToken(m.Token)
	for _, secret := range []string{m.Token, strings.TrimPrefix(m.Token, "kam_"), hex.EncodeToString(hash),
		base64.StdEncoding.EncodeToString(hash), base64.RawURLEncoding.EncodeToString(hash)} {
		if strings.Contains(string(list.Raw), secret) {
			t.Fatalf("the token list shows a secret or its hash: %s", list.Raw)
		}
	}
	items := list.items()
	if len(items) != 1 || items[0]["created_at"] == nil || items[0]["revoked_at"] != nil || items[0]["expires_at"] != nil {
		t.Fatalf("token list = %s", list.Raw)
	}
	for _, k := range []string{"token", "token_hash", "hash", "secret"} {
		if _, ok := items[0][k]; ok {
			t.Fatalf("the token list has a %q field: %s", k, list.Raw)
		}
	}
	firstUse, _ := items[0]["last_used_at"].(string)
	if firstUse == "" {
		t.Fatalf("last_used_at not stamped by a request: %s", list.Raw)
	}
	// Within the minute another request does not write the stamp again.
	must(t, call(t, "GET", "/v1/me", m.Token, nil), 200)
	again := must(t, call(t, "GET", "/v1/staff/"+m.ID+"/tokens", m.Token, nil), 200).items()
	if again[0]["last_used_at"] != firstUse {
		t.Fatalf("last_used_at rewritten within a minute: %v then %v", firstUse, again[0]["last_used_at"])
	}
	// The owner finds the id and revokes it.
	tokenID := items[0]["id"].(string)
	must(t, call(t, "DELETE", "/v1/staff/"+m.ID+"/tokens/"+tokenID, m.Token, nil), 204)
	problem(t, call(t, "GET", "/v1/me", m.Token, nil), 401, "invalid_token")

	// Paged like every list.
	for range 2 {
		must(t, call(t, "POST", "/v1/staff/"+m.ID+"/tokens", adminToken, nil), 201)
	}
	page := must(t, call(t, "GET", "/v1/staff/"+m.ID+"/tokens?limit=2", adminToken, nil), 200)
	if len(page.items()) != 2 || page.str("next_cursor") == "" {
		t.Fatalf("first page = %s", page.Raw)
	}
	rest := must(t, call(t, "GET", "/v1/staff/"+m.ID+"/tokens?limit=2&cursor="+page.str("next_cursor"), adminToken, nil), 200)
	if len(rest.items()) != 1 || rest.str("next_cursor") != "" {
		t.Fatalf("second page = %s", rest.Raw)
	}
	problem(t, call(t, "GET", "/v1/staff/"+uuid.NewString()+"/tokens", adminToken, nil), 404, "not_found")
}

// The KAM_BOOTSTRAP_TOKEN admin's token is a row with an id like any other,
// so it can be listed and revoked.
func TestStaffBootstrapTokenHasID(t *testing.T) {
	admin := must(t, call(t, "GET", "/v1/me", adminToken, nil), 200).str("id")
	var id string
	if err := running.Store.Pool.QueryRow(context.Background(), "SELECT id::text FROM api_tokens WHERE token_hash = $1", store.HashToken(adminToken)).Scan(&id); err != nil {
		t.Fatalf("the bootstrap token has no row: %v", err)
	}
	found := false
	for _, it := range must(t, call(t, "GET", "/v1/staff/"+admin+"/tokens", adminToken, nil), 200).items() {
		found = found || it["id"] == id
	}
	if !found {
		t.Fatalf("the bootstrap token %s is not listed", id)
	}
}

// Art. 12, SPEC §3: the one who asked for a discount never decides it. An
// account manager promoted to KA manager, whose pending request was handed
// over with their accounts, is refused on it (403, registered as denied and
// nothing else), and it waits neither in their tasks nor under
// ?awaiting=me; another KA manager decides it. A caller who may never
// decide is told so (403) before being told a request is closed (409).
func TestPromotedRequesterNeverDecidesTheirHandedOverRequest(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	heir := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	c := newAccount(t, am.ID)
	req := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "4")), 201).str("id")
	r := must(t, call(t, "PATCH", "/v1/staff/"+am.ID, adminToken, map[string]any{"role": kam.RoleKAManager, "handover_to": heir.ID}), 200)
	waitHandover(t, am.ID, r.Body["handover"].(map[string]any)["id"].(string))
	if got := must(t, call(t, "GET", "/v1/discount-requests/"+req, ka.Token, nil), 200).str("requester_id"); got != heir.ID {
		t.Fatalf("requester %s after the handover, want the heir %s", got, heir.ID)
	}

	if w := awaitingOn(t, am.Token, c); w[req] {
		t.Fatalf("the former requester awaits their own request: %v", w)
	}
	if taskOf(myTasks(t, am.Token, 200), kam.TaskDiscountDecision, req) != nil {
		t.Fatal("the former requester is given their own request to decide")
	}
	reqID := uuid.NewString()
	problem(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", am.Token, map[string]any{"decision": "approve"},
		header{"X-Request-Id", reqID}), 403, "not_decider")
	var actions []string
	rows, err := running.Store.Pool.Query(context.Background(), "SELECT action FROM access_log WHERE request_id = $1 ORDER BY seq", reqID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		_ = rows.Scan(&a)
		actions = append(actions, a)
	}
	if rows.Err() != nil || !slices.Equal(actions, []string{kam.AccessDenied}) {
		t.Fatalf("register rows of the refused decision: %v (%v), want only denied", actions, rows.Err())
	}

	must(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", ka.Token, map[string]any{"decision": "reject"}), 200)
	// Closed: the requester, the auditor and the former requester are still
	// refused as callers who may never decide; a KA manager hears 409.
	for _, m := range []member{heir, staffByRole(t)[kam.RoleAuditor], am} {
		problem(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", m.Token, map[string]any{"decision": "approve"}), 403, "not_decider")
	}
	problem(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 409, "already_decided")
}
