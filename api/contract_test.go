package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

func TestHealthReadyMetricsOpenAPI(t *testing.T) {
	must(t, call(t, "GET", "/healthz", "", nil), 200)
	r := must(t, call(t, "GET", "/readyz", "", nil), 200)
	if r.str("postgres") != "ok" || r.str("temporal") != "ok" {
		t.Fatalf("readyz = %s", r.Raw)
	}
	call(t, "GET", "/v1/me", adminToken, nil)
	m := must(t, call(t, "GET", "/metrics", "", nil), 200)
	for _, want := range []string{`kam_http_requests_total{method="GET",route="/v1/me",status="200"}`, "kam_db_pool_total_conns", "temporal_", "go_goroutines"} {
		if !strings.Contains(string(m.Raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	o := must(t, call(t, "GET", "/openapi.json", "", nil), 200)
	if o.str("openapi") != "3.1.0" {
		t.Fatalf("openapi = %v", o.Body["openapi"])
	}
	paths := o.Body["paths"].(map[string]any)
	for _, p := range []string{"/v1/customers", "/v1/customers/{id}", "/v1/customers/{id}/contacts", "/v1/customers/{id}/key-persons",
		"/v1/customers/{id}/history", "/v1/customers/{id}/credit", "/v1/staff", "/v1/staff/{id}/tokens", "/v1/staff/{id}/tokens/{token_id}",
		"/v1/me", "/v1/me/notifications", "/v1/me/notifications/{id}/read", "/v1/access-log", "/v1/access-log/verify", "/v1/tiers", "/v1/tiers/{code}", "/v1/discount-policies"} {
		if paths[p] == nil {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
	// SPEC §3: the document describes every route, the probes too, and
	// they need no token.
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		item, _ := paths[p].(map[string]any)
		get, _ := item["get"].(map[string]any)
		if get == nil {
			t.Errorf("openapi.json lacks GET %s", p)
			continue
		}
		if sec, ok := get["security"]; ok && len(sec.([]any)) > 0 {
			t.Errorf("GET %s is described as needing a token: %v", p, sec)
		}
		if resp, _ := get["responses"].(map[string]any); resp["200"] == nil {
			t.Errorf("GET %s describes no 200 answer", p)
		}
	}
	comps := o.Body["components"].(map[string]any)
	if comps["securitySchemes"].(map[string]any)["bearer"] == nil {
		t.Error("no bearer security scheme")
	}
	if comps["schemas"].(map[string]any)["Problem"] == nil {
		t.Error("no Problem schema")
	}
}

func TestAuthentication(t *testing.T) {
	problem(t, call(t, "GET", "/v1/me", "", nil), 401, "unauthenticated")
	problem(t, call(t, "GET", "/v1/me", "kam_forged_"+strings.Repeat("x", 40), nil), 401, "invalid_token")
	m := newStaff(t, kam.RoleAuditor)
	me := must(t, call(t, "GET", "/v1/me", m.Token, nil), 200)
	if me.str("id") != m.ID || me.str("role") != kam.RoleAuditor {
		t.Fatalf("me = %s", me.Raw)
	}
	// A second token, then revoking the first: it stops working at once, the second goes on.
	tok2 := must(t, call(t, "POST", "/v1/staff/"+m.ID+"/tokens", adminToken, map[string]any{"expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)}), 201)
	if tok2.str("expires_at") == "" {
		t.Fatalf("expiry not echoed: %s", tok2.Raw)
	}
	var firstID string
	if err := running.Store.Pool.QueryRow(context.Background(), "SELECT id FROM api_tokens WHERE staff_id = $1 ORDER BY created_at LIMIT 1", m.ID).Scan(&firstID); err != nil {
		t.Fatal(err)
	}
	// Only an admin or the owner revokes.
	other := newStaff(t, kam.RoleAuditor)
	problem(t, call(t, "DELETE", "/v1/staff/"+m.ID+"/tokens/"+firstID, other.Token, nil), 403, "forbidden")
	must(t, call(t, "DELETE", "/v1/staff/"+m.ID+"/tokens/"+firstID, m.Token, nil), 204)
	problem(t, call(t, "GET", "/v1/me", m.Token, nil), 401, "invalid_token")
	must(t, call(t, "GET", "/v1/me", tok2.str("token"), nil), 200)
	problem(t, call(t, "DELETE", "/v1/staff/"+m.ID+"/tokens/"+uuid.NewString(), adminToken, nil), 404, "not_found")
	// An expired token is refused, also one the API has just accepted (and
	// may hold in its token cache: an entry never outlives its token's
	// expiry). A change made behind the API's back is TestTokenChangedElsewhereIsRefused's.
	short := must(t, call(t, "POST", "/v1/staff/"+m.ID+"/tokens", adminToken, map[string]any{"expires_at": time.Now().Add(2 * time.Second).Format(time.RFC3339Nano)}), 201)
	must(t, call(t, "GET", "/v1/me", short.str("token"), nil), 200)
	expires, err := time.Parse(time.RFC3339Nano, short.str("expires_at"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(expires) + 50*time.Millisecond)
	problem(t, call(t, "GET", "/v1/me", short.str("token"), nil), 401, "invalid_token")
	problem(t, call(t, "POST", "/v1/staff/"+m.ID+"/tokens", adminToken, map[string]any{"expires_at": "2001-01-01T00:00:00Z"}), 422, "validation_failed")
	problem(t, call(t, "POST", "/v1/staff/"+uuid.NewString()+"/tokens", adminToken, nil), 404, "not_found")
}

func TestStaffAdministration(t *testing.T) {
	staff := staffByRole(t)
	for _, role := range kam.Roles {
		r := call(t, "POST", "/v1/staff", staff[role].Token, map[string]any{"name": "X", "role": "auditor"})
		if role == kam.RoleAdmin {
			must(t, r, 201)
		} else {
			problem(t, r, 403, "forbidden")
		}
		r = call(t, "POST", "/v1/staff/"+staff[role].ID+"/tokens", staff[role].Token, nil)
		if role == kam.RoleAdmin {
			must(t, r, 201)
		} else {
			problem(t, r, 403, "forbidden")
		}
		r = call(t, "GET", "/v1/staff?role=account_manager", staff[role].Token, nil)
		switch role {
		case kam.RoleAdmin, kam.RoleKAManager, kam.RoleGeneralManager:
			must(t, r, 200)
			for _, it := range r.items() {
				if it["role"] != kam.RoleAccountManager {
					t.Fatalf("role filter leaked %v", it["role"])
				}
			}
		default:
			problem(t, r, 403, "forbidden")
		}
	}
	email := uuid.NewString()[:8] + "@kam.example"
	must(t, call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": "A", "role": "finance", "email": email}), 201)
	problem(t, call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": "B", "role": "finance", "email": strings.ToUpper(email)}), 409, "duplicate_email")
	problem(t, call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": "C", "role": "emperor"}), 422, "validation_failed")
}

// The archive itself: create, read, optimistic concurrency, history,
// filters and pagination.
// Art. 6: KA information is the basis of service; Art. 7(2): the archive is kept current.
func TestArchiveLifecycle(t *testing.T) {
	staff := staffByRole(t)
	ka := staff[kam.RoleKAManager]
	am := staff[kam.RoleAccountManager]
	code := "L-" + uuid.NewString()[:10]
	c := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{
		"code": code, "name": "Lifecycle Steel", "industry": "steel-" + code, "tier": "S", "service_mode": "resident",
		"annual_output_value": "123456789.5", "founded_on": "1998-02-28", "account_manager_id": am.ID, "email": "ops@steel.example",
	}), 201)
	id := c.str("id")
	if c.Body["version"] != float64(1) || c.str("annual_output_value") != "123456789.50" || c.str("founded_on") != "1998-02-28" || c.str("account_manager_id") != am.ID {
		t.Fatalf("created = %s", c.Raw)
	}
	if c.Body["archive_complete"] != false || c.Header.Get("ETag") != `"1"` {
		t.Fatalf("created = %s etag %q", c.Raw, c.Header.Get("ETag"))
	}
	problem(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": code, "name": "Dup"}), 409, "duplicate_code")

	r := must(t, call(t, "PATCH", "/v1/customers/"+id, am.Token, map[string]any{"phone": "+86 10 8888"}, header{"If-Match", `"1"`}), 200)
	if r.Body["version"] != float64(2) || r.str("phone") != "+86 10 8888" {
		t.Fatalf("patched = %s", r.Raw)
	}
	problem(t, call(t, "PATCH", "/v1/customers/"+id, am.Token, map[string]any{"phone": "stale"}, header{"If-Match", `"1"`}), 412, "version_conflict")
	r = must(t, call(t, "PATCH", "/v1/customers/"+id, ka.Token, map[string]any{"email": ""}, header{"If-Match", "2"}), 200)
	if r.Body["email"] != nil {
		t.Fatalf("email not cleared: %s", r.Raw)
	}
	// Merge-patch nulls clear optional fields, including the assignment;
	// If-Match: * asks for no particular version (RFC 9110).
	r = must(t, call(t, "PATCH", "/v1/customers/"+id, ka.Token, map[string]any{"fax": nil, "founded_on": nil, "account_manager_id": nil}, header{"If-Match", "*"}), 200)
	if r.Body["founded_on"] != nil || r.Body["account_manager_id"] != nil || r.Body["version"] != float64(4) {
		t.Fatalf("nulls not applied: %s", r.Raw)
	}
	h := must(t, call(t, "GET", "/v1/customers/"+id+"/history", ka.Token, nil), 200)
	fields := map[string]map[string]any{}
	for _, e := range h.items() {
		fields[e["field"].(string)] = e
	}
	if fields["account_manager_id"]["old"] != am.ID || fields["account_manager_id"]["new"] != nil {
		t.Fatalf("unassignment not in history: %s", h.Raw)
	}
	if fields["phone"]["new"] != "+86 10 8888" || fields["phone"]["staff_id"] != am.ID || fields["email"]["old"] != "ops@steel.example" || fields["email"]["new"] != nil {
		t.Fatalf("history = %s", h.Raw)
	}

	// Filters and pagination: three accounts of one industry, two pages of two.
	for i := range 2 {
		must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": fmt.Sprintf("%s-%d", code, i), "name": "Page " + code, "industry": "steel-" + code}), 201)
	}
	p1 := must(t, call(t, "GET", "/v1/customers?industry=steel-"+code+"&limit=2", ka.Token, nil), 200)
	if len(p1.items()) != 2 || p1.str("next_cursor") == "" {
		t.Fatalf("page 1 = %s", p1.Raw)
	}
	p2 := must(t, call(t, "GET", "/v1/customers?industry=steel-"+code+"&limit=2&cursor="+p1.str("next_cursor"), ka.Token, nil), 200)
	if len(p2.items()) != 1 || p2.str("next_cursor") != "" {
		t.Fatalf("page 2 = %s", p2.Raw)
	}
	q := must(t, call(t, "GET", "/v1/customers?q="+strings.ToLower(code[:8])+"&tier=S", ka.Token, nil), 200)
	if len(q.items()) != 1 || q.items()[0]["id"] != id {
		t.Fatalf("search = %s", q.Raw)
	}
	must(t, call(t, "PATCH", "/v1/customers/"+id, ka.Token, map[string]any{"account_manager_id": am.ID}), 200)
	mine := must(t, call(t, "GET", "/v1/customers?account_manager_id="+am.ID+"&limit=200", ka.Token, nil), 200)
	for _, it := range mine.items() {
		if it["account_manager_id"] != am.ID {
			t.Fatalf("manager filter leaked %v", it)
		}
	}
	// A literal % in q matches nothing rather than everything.
	pct := must(t, call(t, "GET", "/v1/customers?q=%25", ka.Token, nil), 200)
	if len(pct.items()) != 0 {
		t.Fatalf("q=%% matched %d accounts", len(pct.items()))
	}
}

// Bad input is a 4xx problem with a stable code, and changes nothing.
func TestHostileInputChangesNothing(t *testing.T) {
	staff := staffByRole(t)
	ka := staff[kam.RoleKAManager]
	id := newAccount(t, "")
	before := countRows(t, "SELECT count(*) FROM customers") + countRows(t, "SELECT count(*) FROM customer_history")
	huge := `{"code":"H-1","name":"` + strings.Repeat("x", 1<<20+10) + `"}`
	cases := []struct {
		name, method, path, body string
		headers                  []header
		status                   int
		code                     string
	}{
		{"malformed json", "POST", "/v1/customers", `{"code":"X",`, nil, 400, "malformed_request"},
		{"not an object", "POST", "/v1/customers", `[1,2]`, nil, 422, "validation_failed"},
		{"unknown field", "POST", "/v1/customers", `{"code":"X1","name":"n","colour":"red"}`, nil, 422, "validation_failed"},
		{"wrong type", "POST", "/v1/customers", `{"code":"X1","name":42}`, nil, 422, "validation_failed"},
		{"missing name", "POST", "/v1/customers", `{"code":"X1"}`, nil, 422, "validation_failed"},
		{"over-long name", "POST", "/v1/customers", `{"code":"X1","name":"` + strings.Repeat("名", 201) + `"}`, nil, 422, "validation_failed"},
		{"bad code", "POST", "/v1/customers", `{"code":"'; DROP TABLE customers; --","name":"n"}`, nil, 422, "validation_failed"},
		{"money as number", "POST", "/v1/customers", `{"code":"X1","name":"n","annual_output_value":1e308}`, nil, 422, "validation_failed"},
		{"negative money", "POST", "/v1/customers", `{"code":"X1","name":"n","annual_output_value":"-5"}`, nil, 422, "validation_failed"},
		{"huge money", "POST", "/v1/customers", `{"code":"X1","name":"n","annual_output_value":"99999999999999999999"}`, nil, 422, "validation_failed"},
		{"bad date", "POST", "/v1/customers", `{"code":"X1","name":"n","founded_on":"2023-02-30"}`, nil, 422, "validation_failed"},
		{"bad uuid in body", "POST", "/v1/customers", `{"code":"X1","name":"n","account_manager_id":"nope"}`, nil, 422, "validation_failed"},
		{"unknown tier", "POST", "/v1/customers", `{"code":"X1","name":"n","tier":"Z"}`, nil, 422, "validation_failed"},
		{"bad email", "POST", "/v1/customers", `{"code":"X1","name":"n","email":"not-mail"}`, nil, 422, "validation_failed"},
		{"bad enum", "POST", "/v1/customers", `{"code":"X1","name":"n","service_mode":"telepathy"}`, nil, 422, "validation_failed"},
		{"body over 1 MiB", "POST", "/v1/customers", huge, nil, 413, "body_too_large"},
		{"bad uuid in path", "GET", "/v1/customers/123", "", nil, 422, "validation_failed"},
		{"bad uuid in patch path", "PATCH", "/v1/customers/' OR 1=1", `{"name":"x"}`, nil, 422, "validation_failed"},
		{"bad cursor", "GET", "/v1/customers?cursor=!!!", "", nil, 422, "validation_failed"},
		{"forged cursor", "GET", "/v1/customers?cursor=bm90LWEtdXVpZA", "", nil, 422, "validation_failed"},
		{"limit too big", "GET", "/v1/customers?limit=100000", "", nil, 422, "validation_failed"},
		{"bad If-Match", "PATCH", "/v1/customers/" + id, `{"name":"x"}`, []header{{"If-Match", "yesterday"}}, 400, "malformed_request"},
		{"If-Match naming no version", "PATCH", "/v1/customers/" + id, `{"name":"x"}`, []header{{"If-Match", `"yesterday"`}}, 412, "version_conflict"},
		{"patch unknown field", "PATCH", "/v1/customers/" + id, `{"version":99}`, nil, 422, "validation_failed"},
		{"null name", "PATCH", "/v1/customers/" + id, `{"name":null}`, nil, 422, "validation_failed"},
		{"bad settlement cycle", "PUT", "/v1/customers/" + id + "/credit", `{"credit_level":"A","arrears_limit":"1","settlement_cycle":"when it rains","payment_term_days":3}`, nil, 422, "validation_failed"},
		{"bad key person role", "POST", "/v1/customers/" + id + "/key-persons", `{"name":"n","role":"boss"}`, nil, 422, "validation_failed"},
		{"bad birthday", "POST", "/v1/customers/" + id + "/key-persons", `{"name":"n","role":"head","birthday":"31/12/1970"}`, nil, 422, "validation_failed"},
		{"unknown route", "GET", "/v1/nothing-here", "", nil, 404, "not_found"},
		{"wrong method", "DELETE", "/v1/customers", "", nil, 405, "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			problem(t, call(t, c.method, c.path, ka.Token, body, c.headers...), c.status, c.code)
		})
	}
	after := countRows(t, "SELECT count(*) FROM customers") + countRows(t, "SELECT count(*) FROM customer_history")
	if after != before {
		t.Fatalf("rejected requests changed %d rows", after-before)
	}
	v := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200)
	if v.Body["version"] != float64(1) {
		t.Fatalf("account changed: %s", v.Raw)
	}
}

func TestIdempotencyKeyReplaysCreation(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	key := header{"Idempotency-Key", uuid.NewString()}
	body := map[string]any{"code": "I-" + uuid.NewString()[:10], "name": "Once"}
	first := must(t, call(t, "POST", "/v1/customers", ka.Token, body, key), 201)
	replayID := uuid.NewString()
	again := must(t, call(t, "POST", "/v1/customers", ka.Token, body, key, header{"X-Request-Id", replayID}), 201)
	if again.str("id") != first.str("id") || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay = %s", again.Raw)
	}
	// The replay is the first answer, headers too: the account's ETag.
	if etag := first.Header.Get("ETag"); etag == "" || again.Header.Get("ETag") != etag ||
		again.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
		t.Fatalf("replay headers %v, first answer's %v", again.Header, first.Header)
	}
	// SPEC §5: the replayed answer shows the account again, and is registered
	// as a read of what the first answer registered.
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'view' AND customer_id = $2 AND staff_id = $3",
		replayID, first.str("id"), ka.ID); n != 1 {
		t.Fatalf("%d view rows for the replay, want 1", n)
	}
	if n := countRows(t, "SELECT count(*) FROM customers WHERE code = $1", body["code"]); n != 1 {
		t.Fatalf("%d accounts created", n)
	}
	// A refusal replayed is registered as refused again, never as a view.
	am, other := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	theirs := newAccount(t, other.ID)
	visitKey := header{"Idempotency-Key", uuid.NewString()}
	problem(t, call(t, "POST", "/v1/customers/"+theirs+"/visits", am.Token, map[string]any{"visited_on": today()}, visitKey), 404, "not_found")
	refusedReplay := uuid.NewString()
	problem(t, call(t, "POST", "/v1/customers/"+theirs+"/visits", am.Token, map[string]any{"visited_on": today()}, visitKey,
		header{"X-Request-Id", refusedReplay}), 404, "not_found")
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND action <> 'denied'", refusedReplay, theirs); n != 0 {
		t.Fatalf("a replayed refusal registered %d rows other than denied", n)
	}
	body["name"] = "Twice"
	problem(t, call(t, "POST", "/v1/customers", ka.Token, body, key), 422, "idempotency_key_reused")

	// A replay is answered only while its caller may still see what it
	// shows: moved off the account, the manager is refused (SPEC §2), and
	// the refusal is registered.
	mine := newAccount(t, am.ID)
	keptKey := header{"Idempotency-Key", uuid.NewString()}
	contact := map[string]any{"name": "Replayed contact"}
	must(t, call(t, "POST", "/v1/customers/"+mine+"/contacts", am.Token, contact, keptKey), 201)
	must(t, call(t, "POST", "/v1/customers/"+mine+"/contacts", am.Token, contact, keptKey), 201)
	must(t, call(t, "PATCH", "/v1/customers/"+mine, ka.Token, map[string]any{"account_manager_id": other.ID}), 200)
	movedReplay := uuid.NewString()
	problem(t, call(t, "POST", "/v1/customers/"+mine+"/contacts", am.Token, contact, keptKey, header{"X-Request-Id", movedReplay}), 404, "not_found")
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND action = 'denied'", movedReplay, mine); n != 1 {
		t.Fatalf("%d denied rows for the refused replay, want 1", n)
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action <> 'denied'", movedReplay); n != 0 {
		t.Fatalf("the refused replay registered %d rows other than denied", n)
	}
	// An archive answer shows the credit grade to a role that reads credit,
	// and is registered with the credit section; demoted to a role that may
	// not read credit, its caller is refused the replay (403: the account is
	// still theirs to see, its credit grade is not).
	clerkToBe := newStaff(t, kam.RoleKAManager)
	openKey := header{"Idempotency-Key", uuid.NewString()}
	opened := map[string]any{"code": "I-" + uuid.NewString()[:10], "name": "Graded"}
	openID := uuid.NewString()
	acct := must(t, call(t, "POST", "/v1/customers", clerkToBe.Token, opened, openKey, header{"X-Request-Id", openID}), 201).str("id")
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND 'credit' = ANY(sections)", openID, acct); n != 1 {
		t.Fatalf("%d register rows with the credit section for an answer showing the credit grade", n)
	}
	must(t, call(t, "PATCH", "/v1/staff/"+clerkToBe.ID, adminToken, map[string]any{"role": kam.RoleDataClerk}), 200)
	problem(t, call(t, "POST", "/v1/customers", clerkToBe.Token, opened, openKey), 403, "forbidden")
	readID := uuid.NewString()
	must(t, call(t, "GET", "/v1/customers/"+acct, clerkToBe.Token, nil, header{"X-Request-Id", readID}), 200)
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND 'credit' = ANY(sections)", readID); n != 0 {
		t.Fatalf("a data clerk's read, which shows no credit, registered the credit section")
	}

	// Concurrent retries of one key: one creation, the rest replay or wait.
	key2 := header{"Idempotency-Key", uuid.NewString()}
	body2 := map[string]any{"code": "I-" + uuid.NewString()[:10], "name": "Race"}
	var wg sync.WaitGroup
	statuses := make(chan int, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- call(t, "POST", "/v1/customers", ka.Token, body2, key2).Status
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 201 && s != 409 {
			t.Fatalf("concurrent retry answered %d", s)
		}
	}
	if n := countRows(t, "SELECT count(*) FROM customers WHERE code = $1", body2["code"]); n != 1 {
		t.Fatalf("%d accounts created by concurrent retries", n)
	}
	// A key belongs to its caller: another staff member's same key is a new request.
	dc := staffByRole(t)[kam.RoleDataClerk]
	body3 := map[string]any{"code": "I-" + uuid.NewString()[:10], "name": "Other caller"}
	must(t, call(t, "POST", "/v1/customers", dc.Token, body3, key), 201)
}

// A replay keeps the first answer's Location: a handover's 202 says where to
// follow it, replayed or not.
func TestIdempotencyKeyReplaysLocation(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	leaver, heir := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	newAccount(t, leaver.ID)
	path, key := "/v1/staff/"+leaver.ID+"/handover", header{"Idempotency-Key", uuid.NewString()}
	first := must(t, call(t, "POST", path, ka.Token, map[string]any{"to": heir.ID}, key), 202)
	again := must(t, call(t, "POST", path, ka.Token, map[string]any{"to": heir.ID}, key), 202)
	loc := first.Header.Get("Location")
	if loc == "" || again.Header.Get("Location") != loc || again.Header.Get("Idempotent-Replayed") != "true" || again.str("id") != first.str("id") {
		t.Fatalf("replay %s with headers %v; first answer's Location %q", again.Raw, again.Header, loc)
	}
	waitHandover(t, leaver.ID, first.str("id"))
	if n := countRows(t, "SELECT count(*) FROM staff_handovers WHERE from_staff_id = $1", leaver.ID); n != 1 {
		t.Fatalf("%d handovers, want 1", n)
	}
}

// An Idempotency-Key covers a body of any size the route takes: an import
// (up to 5 MiB) over 1 MiB is hashed whole and replayed, and a retry that
// differs past the first MiB is another request. A body over the route's
// limit is refused as ever and claims nothing.
func TestIdempotencyKeyCoversLargeBodies(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	code := "BIG-" + unique()
	id := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": code, "name": "Large import"}), 201).str("id")
	var b strings.Builder
	b.WriteString("code,name,title\n")
	// Blank rows, as a spreadsheet exports them, carry the contacts past
	// the first MiB.
	for b.Len() < 1<<20+200<<10 {
		b.WriteString(strings.Repeat(" ", 1000) + "\n")
	}
	for i := range 20 {
		fmt.Fprintf(&b, "%s,Contact %02d,Buyer\n", code, i)
	}
	file := b.String()
	const path = "/v1/imports/contacts"
	key := header{"Idempotency-Key", uuid.NewString()}
	first := must(t, importCSV(t, path, ka.Token, file, key), 200)
	if first.Body["created"] != 20.0 || first.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first run: %s", first.Raw)
	}
	again := must(t, importCSV(t, path, ka.Token, file, key), 200)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Raw) != string(first.Raw) {
		t.Fatalf("retry answered %s (replayed %q), first answer %s", again.Raw, again.Header.Get("Idempotent-Replayed"), first.Raw)
	}
	changed := strings.Replace(file, ",Contact 19,", ",Contact 20,", 1)
	problem(t, importCSV(t, path, ka.Token, changed, key), 422, "idempotency_key_reused")
	if n := countRows(t, "SELECT count(*) FROM customer_contacts WHERE customer_id = $1", id); n != 20 {
		t.Fatalf("%d contacts, want 20", n)
	}

	over := header{"Idempotency-Key", uuid.NewString()}
	huge := file + strings.Repeat(strings.Repeat(" ", 1000)+"\n", kam.MaxImportBytes/1000+1)
	problem(t, importCSV(t, path, ka.Token, huge, over), 413, "body_too_large")
	problem(t, importCSV(t, path, ka.Token, huge, over), 413, "body_too_large")
	// The refused body claimed nothing: the key is still free.
	if r := must(t, importCSV(t, path, ka.Token, file, over), 200); r.Header.Get("Idempotent-Replayed") != "" || r.Body["unchanged"] != 20.0 {
		t.Fatalf("after refusals, the key answered %s (replayed %q)", r.Raw, r.Header.Get("Idempotent-Replayed"))
	}
	tooBig := `{"code":"H-1","name":"` + strings.Repeat("x", 1<<20+10) + `"}`
	problem(t, call(t, "POST", "/v1/customers", ka.Token, tooBig, header{"Idempotency-Key", uuid.NewString()}), 413, "body_too_large")
	// A route that reads no body would run unclaimed with a body too large
	// to hash: a keyed one is refused.
	noBody := "/v1/me/notifications/" + uuid.NewString() + "/read"
	problem(t, call(t, "POST", noBody, ka.Token, tooBig, header{"Idempotency-Key", uuid.NewString()}), 413, "body_too_large")
	problem(t, call(t, "POST", noBody, ka.Token, tooBig), 404, "not_found")
}

// Art. 9: the archive is confidential and every access is registered.
func TestAccessRegisterAPI(t *testing.T) {
	staff := staffByRole(t)
	id := newAccount(t, "")
	// 60 concurrent reads of one account: 60 view rows, none lost.
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := call(t, "GET", "/v1/customers/"+id, staff[kam.RoleFinance].Token, nil); r.Status != 200 {
				t.Errorf("read: %d", r.Status)
			}
		}()
	}
	wg.Wait()
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE customer_id = $1 AND action = 'view' AND staff_id = $2", id, staff[kam.RoleFinance].ID); n != 60 {
		t.Fatalf("%d view rows, want 60", n)
	}
	for _, role := range kam.Roles {
		r := call(t, "GET", "/v1/access-log?customer_id="+id, staff[role].Token, nil)
		v := call(t, "GET", "/v1/access-log/verify", staff[role].Token, nil)
		if role != kam.RoleAuditor {
			problem(t, r, 403, "forbidden")
			problem(t, v, 403, "forbidden")
			continue
		}
		must(t, r, 200)
		must(t, v, 200)
		if v.Body["ok"] != true || v.Body["checked"].(float64) < 60 {
			t.Fatalf("verify = %s", v.Raw)
		}
	}
	auditor := staff[kam.RoleAuditor]
	seen := 0
	next := ""
	for {
		path := "/v1/access-log?limit=25&customer_id=" + id + "&staff_id=" + staff[kam.RoleFinance].ID
		if next != "" {
			path += "&cursor=" + next
		}
		r := must(t, call(t, "GET", path, auditor.Token, nil), 200)
		for _, e := range r.items() {
			if e["customer_id"] != id || e["action"] != "view" || e["route"] != "GET /v1/customers/{id}" {
				t.Fatalf("entry = %v", e)
			}
			seen++
		}
		if next = r.str("next_cursor"); next == "" {
			break
		}
	}
	if seen != 60 {
		t.Fatalf("paged through %d entries, want 60", seen)
	}
	from := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if r := must(t, call(t, "GET", "/v1/access-log?from="+from, auditor.Token, nil), 200); len(r.items()) != 0 {
		t.Fatalf("future window returned %d rows", len(r.items()))
	}
	// The register cannot be changed through any API: there is no such route.
	if r := call(t, "DELETE", "/v1/access-log", auditor.Token, nil); r.Status != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /v1/access-log = %d", r.Status)
	}
}

func TestNotificationsInbox(t *testing.T) {
	m := newStaff(t, kam.RoleDataClerk)
	other := newStaff(t, kam.RoleDataClerk)
	staffID := uuid.MustParse(m.ID)
	for i := range 3 {
		if _, err := running.Store.Deliver(context.Background(), []uuid.UUID{staffID}, store.Notification{EventKey: fmt.Sprintf("t/%s/%d", m.ID, i), Kind: "test", Title: fmt.Sprint("n", i)}); err != nil {
			t.Fatal(err)
		}
	}
	r := must(t, call(t, "GET", "/v1/me/notifications", m.Token, nil), 200)
	if len(r.items()) != 3 {
		t.Fatalf("inbox = %s", r.Raw)
	}
	oldest := r.items()[2]["id"].(string)
	problem(t, call(t, "POST", "/v1/me/notifications/"+oldest+"/read", other.Token, nil), 404, "not_found")
	read := must(t, call(t, "POST", "/v1/me/notifications/"+oldest+"/read", m.Token, nil), 200)
	if read.Body["read_at"] == nil {
		t.Fatal("read_at not set")
	}
	r = must(t, call(t, "GET", "/v1/me/notifications", m.Token, nil), 200)
	if items := r.items(); items[2]["id"] != oldest || items[0]["read_at"] != nil {
		t.Fatalf("unread not first: %s", r.Raw)
	}
	if u := must(t, call(t, "GET", "/v1/me/notifications?unread=true", m.Token, nil), 200); len(u.items()) != 2 {
		t.Fatalf("unread = %d", len(u.items()))
	}
	if o := must(t, call(t, "GET", "/v1/me/notifications", other.Token, nil), 200); len(o.items()) != 0 {
		t.Fatalf("another's inbox shows %d", len(o.items()))
	}
}

func TestReferenceData(t *testing.T) {
	staff := staffByRole(t)
	tiers := must(t, call(t, "GET", "/v1/tiers", staff[kam.RoleServiceAgent].Token, nil), 200)
	// The seeded S, A, B come first by rank (tiers other tests create rank
	// 100 and below them).
	if items := tiers.items(); len(items) < 3 || items[0]["code"] != "S" || items[1]["code"] != "A" || items[2]["code"] != "B" {
		t.Fatalf("tiers = %s", tiers.Raw)
	}
	// Art. 2: the seeded grading thresholds (migration 00022).
	for i, want := range [][2]any{{"5000000.00", 10.0}, {"1000000.00", 6.0}, {"200000.00", 3.0}} {
		if it := tiers.items()[i]; it["min_annual_revenue"] != want[0] || it["min_active_months"] != want[1] {
			t.Fatalf("tier %v: thresholds %v %v, want %v", it["code"], it["min_annual_revenue"], it["min_active_months"], want)
		}
	}
	must(t, call(t, "GET", "/v1/tiers/A", staff[kam.RoleServiceAgent].Token, nil), 200)
	problem(t, call(t, "GET", "/v1/tiers/Q", staff[kam.RoleServiceAgent].Token, nil), 404, "not_found")
	for _, role := range kam.Roles {
		r := call(t, "GET", "/v1/discount-policies", staff[role].Token, nil)
		if role == kam.RoleDataClerk || role == kam.RoleServiceAgent {
			problem(t, r, 403, "forbidden")
		} else if must(t, r, 200); len(r.items()) == 0 {
			t.Fatal("no policies seeded")
		}
	}
}
