package api_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
)

// SPEC §7 "Limits on input": the bounds every request is held to.

const maxProblemBytes = 16 << 10

// fieldLocations lists a problem's error locations, failing on a repeat:
// a validation error lists each offending field once.
func fieldLocations(t *testing.T, r resp) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	errs, _ := r.Body["errors"].([]any)
	for _, e := range errs {
		loc, _ := e.(map[string]any)["location"].(string)
		if seen[loc] {
			t.Fatalf("location %q listed twice: %.2000s", loc, r.Raw)
		}
		seen[loc] = true
	}
	return seen
}

// wantFieldError asserts a 422 validation_failed naming location.
func wantFieldError(t *testing.T, r resp, location string) {
	t.Helper()
	problem(t, r, 422, "validation_failed")
	if !fieldLocations(t, r)[location] {
		t.Fatalf("no error at %s: %s", location, r.Raw)
	}
}

func repeated(v string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// A long array of duplicates in a uniqueItems field used to answer one
// error per duplicate, each echoing the whole array (gigabytes). Any token
// holder could do it: the body is validated before the role check. Up to
// 1000 items the schema answers (each field once, no echoed array); beyond,
// the body's shape is refused before it is decoded.
func TestLimitsDuplicateArrayProblemIsBounded(t *testing.T) {
	agent := staffByRole(t)[kam.RoleServiceAgent]
	ka := staffByRole(t)[kam.RoleKAManager]
	for _, n := range []int{1000, 100_000} {
		for _, c := range []struct{ method, path, token, field, item string }{
			{"PUT", "/v1/discount-policies/B/services", agent.Token, "methods", "rebate"},
			{"PUT", "/v1/tiers/B", ka.Token, "greeting_occasions", "holiday"},
		} {
			body := map[string]any{"max_standard_rate": "5", "hard_cap_rate": "10", "name": "B", "visit_cadence": "@monthly",
				"ticket_response_within": "2h", "ticket_resolve_within": "24h", c.field: repeated(c.item, n)}
			r := call(t, c.method, c.path, c.token, body)
			problem(t, r, 422, "validation_failed")
			if len(r.Raw) > maxProblemBytes {
				t.Fatalf("%s %s: problem body of %d bytes", c.method, c.path, len(r.Raw))
			}
			want := "body." + c.field
			if n > 1000 {
				want = "body"
			}
			if !fieldLocations(t, r)[want] {
				t.Fatalf("%s: no error at %s: %.2000s", c.path, want, r.Raw)
			}
			if strings.Count(string(r.Raw), c.item) > 2 {
				t.Fatalf("%s: the array is echoed: %.2000s", c.path, r.Raw)
			}
		}
	}
}

// Many distinct offending fields: listed once each, capped, within 16 KiB.
func TestLimitsManyOffendingItemsStayBounded(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	invitees := make([]map[string]any, 900)
	for i := range invitees {
		invitees[i] = map[string]any{"staff_id": strings.Repeat("x", 150) + strconv.Itoa(i)}
	}
	r := call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "training", "title": "x", "held_on": "2030-05-01", "invitees": invitees})
	problem(t, r, 422, "validation_failed")
	if len(r.Raw) > maxProblemBytes {
		t.Fatalf("problem body of %d bytes", len(r.Raw))
	}
	if locs := fieldLocations(t, r); len(locs) > 20 || !locs["body.invitees"] {
		t.Fatalf("%d locations listed: %.2000s", len(locs), r.Raw)
	}
}

// Deep nesting is refused before decoding, too.
func TestLimitsDeepBody(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	deep := `{"name":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	wantFieldError(t, call(t, "POST", "/v1/customers", ka.Token, deep), "body")
}

func TestLimitsArraysAtMost100(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	invitees := make([]map[string]any, 101)
	for i := range invitees {
		invitees[i] = map[string]any{"staff_id": ka.ID}
	}
	wantFieldError(t, call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "training", "title": "x", "held_on": "2030-05-01", "invitees": invitees}), "body.invitees")
}

// TestLimitsInSchema holds every request body in the OpenAPI document to
// the limits, so a new route cannot forget them: arrays carry maxItems ≤ 100,
// money carries the ≤ 999,999,999,999.99 pattern.
func TestLimitsInSchema(t *testing.T) {
	o := must(t, call(t, "GET", "/openapi.json", "", nil), 200)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(o.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	const moneyPattern = `^[0-9]{1,12}(\.[0-9]{1,2})?$`
	moneyNames := map[string]bool{"amount": true, "arrears_limit": true, "annual_output_value": true, "revenue": true, "min_annual_revenue": true}
	moneyLike := regexp.MustCompile(`^\^\[0-9\]\{1,[0-9]+\}\(\\\.\[0-9\]\{1,2\}\)\?\$$`)
	seen := map[string]bool{}
	var walk func(where string, s map[string]any)
	walk = func(where string, s map[string]any) {
		if ref, ok := s["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/components/schemas/")
			if seen[name] {
				return
			}
			seen[name] = true
			walk(name, doc.Components.Schemas[name])
			return
		}
		if strings.Contains(string(mustJSON(t, s["type"])), "array") {
			if mi, ok := s["maxItems"].(float64); !ok || mi > 100 {
				t.Errorf("%s: an array without maxItems ≤ 100", where)
			}
		}
		if p, ok := s["pattern"].(string); ok && moneyLike.MatchString(p) && p != moneyPattern {
			t.Errorf("%s: money pattern %s, want %s", where, p, moneyPattern)
		}
		for name, raw := range mapOf(s["properties"]) {
			prop, _ := raw.(map[string]any)
			if (moneyNames[name] || strings.HasSuffix(name, "_amount")) && prop["pattern"] != moneyPattern {
				t.Errorf("%s.%s: money without the bounded pattern", where, name)
			}
			walk(where+"."+name, prop)
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(where+"[]", items)
		}
	}
	bodies := 0
	for path, methods := range doc.Paths {
		for method, raw := range methods {
			var op struct {
				RequestBody struct {
					Content map[string]struct {
						Schema map[string]any `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			_ = json.Unmarshal(raw, &op)
			for _, mt := range op.RequestBody.Content {
				if mt.Schema != nil {
					bodies++
					walk(strings.ToUpper(method)+" "+path, mt.Schema)
				}
			}
		}
	}
	if bodies < 20 {
		t.Fatalf("only %d request bodies found in the OpenAPI document", bodies)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }

// Money above 999,999,999,999.99 is refused at input, so sums stay in range.
func TestLimitsMoney(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	fin := staffByRole(t)[kam.RoleFinance]
	c := newAccount(t, am.ID)
	for _, huge := range []string{"1000000000000000", "1000000000000.00"} {
		wantFieldError(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, map[string]any{"amount": huge, "reference": "INV-" + huge, "occurred_on": today()}), "body.amount")
		wantFieldError(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, map[string]any{"amount": huge, "reference": "PAY-" + huge, "received_on": today()}), "body.amount")
		wantFieldError(t, call(t, "POST", "/v1/customers/"+c+"/sales", am.Token, map[string]any{"product": "p", "product_category": "services", "quantity": "1", "amount": huge, "sold_on": today()}), "body.amount")
		wantFieldError(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, map[string]any{"credit_level": "A", "arrears_limit": huge, "settlement_cycle": "@monthly", "payment_term_days": 30}), "body.arrears_limit")
		wantFieldError(t, call(t, "PATCH", "/v1/customers/"+c, am.Token, map[string]any{"annual_output_value": huge}), "body.annual_output_value")
	}
	// The largest amount is accepted.
	must(t, call(t, "POST", "/v1/customers/"+c+"/sales", am.Token, map[string]any{"product": "p", "product_category": "services", "quantity": "1", "amount": "999999999999.99", "sold_on": today()}), 201)
}

// Dates are 1900-01-01 … 2200-12-31; a far valid_to used to fail the
// approval workflow's start and answer 503.
func TestLimitsDates(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	req := func(from, to string) resp {
		return call(t, "POST", "/v1/discount-requests", am.Token, map[string]any{"customer_id": c, "product_category": "services",
			"rate": "3", "method": "percentage", "valid_from": from, "valid_to": to})
	}
	wantFieldError(t, req(today(), "9999-12-31"), "body.valid_to")
	wantFieldError(t, req("1899-12-31", today()), "body.valid_from")
	wantFieldError(t, call(t, "POST", "/v1/customers/"+c+"/key-persons", am.Token, map[string]any{"name": "Li", "role": "head", "birthday": "1800-01-01"}), "body.birthday")
	wantFieldError(t, call(t, "POST", "/v1/customers/"+c+"/sales", am.Token, map[string]any{"product": "p", "product_category": "services", "quantity": "1", "amount": "1", "sold_on": "2201-01-01"}), "body.sold_on")
	wantFieldError(t, call(t, "GET", "/v1/reports/overview?from=1800-01-01&to=2000-01-01", am.Token, nil), "query.from")
	fin := staffByRole(t)[kam.RoleFinance]
	wantFieldError(t, call(t, "PUT", "/v1/company-revenue/0001-01", fin.Token, map[string]any{"amount": "1"}), "path.month")
	// The bounds themselves are dates.
	must(t, call(t, "POST", "/v1/customers/"+c+"/key-persons", am.Token, map[string]any{"name": "Wang", "role": "other", "birthday": "1900-01-01"}), 201)
}

// Control characters, bidi overrides and invisible characters are refused in
// identifying fields; free text keeps newlines and tabs but not the others.
func TestLimitsControlCharacters(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	fin := staffByRole(t)[kam.RoleFinance]
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	for _, bad := range []string{"evil\u202Etxt.exe", "a\u200Bb", "\x1b[31mred", "tab\tname", "line\nbreak", "bom\uFEFF", "iso\u2066x", "c1\u0085"} {
		wantFieldError(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "A-" + uuid.NewString()[:8], "name": bad}), "body.name")
		wantFieldError(t, call(t, "POST", "/v1/customers/"+c+"/contacts", am.Token, map[string]any{"name": bad}), "body.name")
		wantFieldError(t, call(t, "POST", "/v1/customers/"+c+"/key-persons", am.Token, map[string]any{"name": bad, "role": "head"}), "body.name")
		wantFieldError(t, call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": bad, "role": "auditor"}), "body.name")
		wantFieldError(t, call(t, "POST", "/v1/tickets", am.Token, map[string]any{"customer_id": c, "kind": "inquiry", "subject": bad}), "body.subject")
		wantFieldError(t, call(t, "PATCH", "/v1/customers/"+c, am.Token, map[string]any{"legal_representative": bad}), "body.legal_representative")
		wantFieldError(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, map[string]any{"amount": "1", "reference": bad, "occurred_on": today()}), "body.reference")
		wantFieldError(t, call(t, "POST", "/v1/holidays", ka.Token, map[string]any{"name": bad, "on": today()}), "body.name")
		wantFieldError(t, call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "training", "title": "t", "held_on": today(), "invitees": []map[string]any{{"staff_id": bad}}}), "body.invitees[0].staff_id")
	}
	// Free text: newlines and tabs stay; an override or an escape does not.
	must(t, call(t, "POST", "/v1/customers/"+c+"/visits", am.Token, map[string]any{"visited_on": today(), "notes": "line one\n\tline two"}), 201)
	wantFieldError(t, call(t, "POST", "/v1/customers/"+c+"/visits", am.Token, map[string]any{"visited_on": today(), "notes": "x\u202Ey"}), "body.notes")
	wantFieldError(t, call(t, "POST", "/v1/tickets", am.Token, map[string]any{"customer_id": c, "kind": "inquiry", "subject": "s", "body": "\x1b]0;title\x07"}), "body.body")
	// Ordinary non-ASCII names are fine.
	must(t, call(t, "POST", "/v1/customers/"+c+"/contacts", am.Token, map[string]any{"name": "王小明 (Wang)"}), 201)
}

// A value Postgres cannot hold answers without Postgres's own words.
func TestLimitsNoPostgresWording(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	c := newAccount(t, "")
	// Two sales at the column's maximum, as the old input limit allowed:
	// their sum does not fit the report's numeric(18,2).
	for range 2 {
		if _, err := running.Store.Pool.Exec(context.Background(), `INSERT INTO sales (id, customer_id, product, product_category, quantity, amount, sold_on)
			VALUES ($1, $2, 'p', 'overflow', 1, 9999999999999999.99, '1901-06-01')`, uuid.New(), c); err != nil {
			t.Fatal(err)
		}
	}
	r := call(t, "GET", "/v1/reports/customers/"+c+"?from=1901-01-01&to=1901-12-31", ka.Token, nil)
	if r.Status >= 500 {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	for _, pg := range []string{"numeric field overflow", "precision", "SQLSTATE", "violates", "constraint", "relation"} {
		if strings.Contains(string(r.Raw), pg) {
			t.Fatalf("Postgres wording %q in the answer: %s", pg, r.Raw)
		}
	}
}

// A visit is recorded in the caller's own name (a KA manager may record it
// for the account's manager) and never dated after today.
func TestLimitsVisitRule(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	am := newStaff(t, kam.RoleAccountManager)
	other := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	visits := "/v1/customers/" + c + "/visits"
	denied := func() int {
		return countRows(t, "SELECT count(*) FROM access_log WHERE customer_id = $1 AND action = 'denied'", c)
	}
	before := denied()
	r := call(t, "POST", visits, am.Token, map[string]any{"visited_on": today(), "staff_id": other.ID})
	problem(t, r, 403, "visit_not_yours")
	r = call(t, "POST", visits, ka.Token, map[string]any{"visited_on": today(), "staff_id": other.ID})
	problem(t, r, 403, "visit_not_yours")
	if got := denied(); got != before+2 {
		t.Fatalf("%d denied attempts registered, want %d", got-before, 2)
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	r = call(t, "POST", visits, am.Token, map[string]any{"visited_on": tomorrow})
	problem(t, r, 422, "visit_in_future")
	if !fieldLocations(t, r)["body.visited_on"] {
		t.Fatalf("no error at body.visited_on: %s", r.Raw)
	}
	if n := countRows(t, "SELECT count(*) FROM visits WHERE customer_id = $1 AND status = 'done'", c); n != 0 {
		t.Fatalf("%d visits recorded by refused requests", n)
	}
	// Allowed: one's own name; a KA manager for the account's manager.
	must(t, call(t, "POST", visits, am.Token, map[string]any{"visited_on": today(), "staff_id": am.ID}), 201)
	v := must(t, call(t, "POST", visits, ka.Token, map[string]any{"visited_on": today(), "staff_id": am.ID}), 201)
	if v.str("staff_id") != am.ID {
		t.Fatalf("visit = %s", v.Raw)
	}
}

// rawCall sends body as is under the Content-Type ct, or none when ct is "".
func rawCall(t *testing.T, method, path, token, ct string, body []byte) resp {
	t.Helper()
	return call(t, method, path, token, body, header{"Content-Type", ct})
}

// The body bounds hold for every body huma decodes as JSON, whatever its
// Content-Type says: huma takes ";", "+;" or no type at all for JSON, and
// those bodies used to pass the bounds unchecked (a bidi override stored, a
// huge array decoded). A type nobody reads is 415 and nothing is stored.
func TestLimitsHoldWhateverTheContentType(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	huge := []byte(`{"code":"HUGE","name":"x","main_products":[` + strings.Repeat(`"p",`, 100_000) + `"p"]}`)
	for _, ct := range []string{";", "+;", "", "application/json", "APPLICATION/JSON; charset=utf-8", "application/merge-patch+json", "foo+;bar", " ;"} {
		code := "CT-" + uuid.NewString()[:8]
		bidi := []byte(`{"code":"` + code + `","name":"A\u202eB"}`)
		r := rawCall(t, "POST", "/v1/customers", ka.Token, ct, bidi)
		if r.Status != 415 {
			wantFieldError(t, r, "body.name")
		}
		if r = rawCall(t, "POST", "/v1/customers", ka.Token, ct, huge); r.Status != 415 {
			wantFieldError(t, r, "body")
		}
		if n := countRows(t, "SELECT count(*) FROM customers WHERE code = $1 OR code = 'HUGE'", code); n != 0 {
			t.Fatalf("Content-Type %q: a refused body was stored", ct)
		}
	}
	for _, ct := range []string{"application/x-unknown", "text/plain", "text/csv"} {
		r := rawCall(t, "POST", "/v1/customers", ka.Token, ct, []byte(`{"code":"CT-X","name":"A\u202eB"}`))
		problem(t, r, 415, "unsupported_media_type")
	}
	// Media types are case-insensitive (RFC 9110 §8.3.1): a JSON body under
	// any spelling of application/json is read.
	for _, ct := range []string{"", "APPLICATION/JSON; charset=utf-8", "Application/Json"} {
		code := "CT-" + uuid.NewString()[:8]
		must(t, rawCall(t, "POST", "/v1/customers", ka.Token, ct, []byte(`{"code":"`+code+`","name":"Plain"}`)), 201)
	}
	// CSV is read raw by the imports: what would be JSON nested too deep is
	// just a name there.
	code := "CT-" + uuid.NewString()[:8]
	r := rawCall(t, "POST", "/v1/imports/customers", ka.Token, "text/csv", []byte("code,name\n"+code+","+strings.Repeat("[", 40)+"\n"))
	wantReport(t, r, 1, 1, 0, 0)
}

// wantFieldErrors asserts a 422 validation_failed naming every location,
// each once.
func wantFieldErrors(t *testing.T, r resp, locations ...string) {
	t.Helper()
	problem(t, r, 422, "validation_failed")
	got := fieldLocations(t, r)
	for _, l := range locations {
		if !got[l] {
			t.Fatalf("no error at %s: %s", l, r.Raw)
		}
	}
}

// A validation error lists each offending field once (SPEC §7): every
// missing required property at its own location (huma put them all at
// "body", and all but the first were dropped as repeats), and every field a
// handler checks itself, not only the first one it read.
func TestLimitsEveryOffendingFieldListed(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	wantFieldErrors(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{}), "body.code", "body.name")
	wantFieldErrors(t, call(t, "POST", "/v1/customers/"+c+"/key-persons", ka.Token, map[string]any{}), "body.name", "body.role")
	// Checked by the handler: a date, an e-mail and nulls of required
	// fields in one PATCH.
	wantFieldErrors(t, call(t, "PATCH", "/v1/customers/"+c, ka.Token, map[string]any{
		"founded_on": "1800-01-01", "email": "not an address", "code": nil, "name": nil}),
		"body.founded_on", "body.email", "body.code", "body.name")
	wantFieldErrors(t, call(t, "POST", "/v1/discount-requests", am.Token, map[string]any{"customer_id": c, "product_category": "services",
		"rate": "3", "method": "percentage", "valid_from": "1800-01-01", "valid_to": "9999-12-31"}), "body.valid_from", "body.valid_to")
	fin := staffByRole(t)[kam.RoleFinance]
	wantFieldErrors(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, map[string]any{"amount": "0", "reference": "X", "occurred_on": "2300-01-01"}),
		"body.amount", "body.occurred_on")
	wantFieldErrors(t, call(t, "GET", "/v1/reports/overview?from=1800-01-01&to=2300-01-01", ka.Token, nil), "query.from", "query.to")
	wantFieldErrors(t, call(t, "POST", "/v1/customers/"+c+"/visits", am.Token, map[string]any{"visited_on": "1800-01-01", "key_person_ids": []string{"x", "y"}}),
		"body.visited_on", "body.key_person_ids[0]", "body.key_person_ids[1]")
	// Nothing of the refused PATCHes was stored.
	if got := must(t, call(t, "GET", "/v1/customers/"+c, ka.Token, nil), 200); got.Body["founded_on"] != nil {
		t.Fatalf("a refused PATCH was stored: %s", got.Raw)
	}
}

// Instants are held to 1900-01-01 … 2200-12-31 like dates (SPEC §7): a
// token issued to 9999-12-31 was stored, an access-log range of ten
// thousand years was read. boundedInstants is every instant input there is;
// TestLimitsInstantInputsAreBounded holds the OpenAPI document to it.
var boundedInstants = map[string]bool{
	"POST /v1/staff/{id}/tokens body.expires_at": true,
	"GET /v1/access-log query.from":              true, "GET /v1/access-log query.to": true,
	"POST /v1/delegations body.starts_at": true, "POST /v1/delegations body.ends_at": true,
}

func TestLimitsInstants(t *testing.T) {
	member := newStaff(t, kam.RoleAccountManager)
	for _, far := range []string{"9999-12-31T00:00:00Z", "2201-01-01T00:00:00Z"} {
		wantFieldError(t, call(t, "POST", "/v1/staff/"+member.ID+"/tokens", adminToken, map[string]any{"expires_at": far}), "body.expires_at")
		wantFieldError(t, call(t, "POST", "/v1/delegations", member.Token, map[string]any{"to_staff_id": staffByRole(t)[kam.RoleKAManager].ID, "ends_at": far, "reason": "x"}), "body.ends_at")
	}
	if n := countRows(t, "SELECT count(*) FROM api_tokens WHERE staff_id = $1 AND expires_at > '2200-12-31'", member.ID); n != 0 {
		t.Fatalf("%d far tokens stored", n)
	}
	must(t, call(t, "POST", "/v1/staff/"+member.ID+"/tokens", adminToken, map[string]any{"expires_at": "2200-12-31T23:59:59Z"}), 201)
	auditor := staffByRole(t)[kam.RoleAuditor]
	wantFieldErrors(t, call(t, "GET", "/v1/access-log?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z", auditor.Token, nil), "query.from", "query.to")
	must(t, call(t, "GET", "/v1/access-log?from=1900-01-01T00:00:00Z&to=2200-12-31T00:00:00Z", auditor.Token, nil), 200)
}

// Every instant a request may carry is one of boundedInstants, so a new one
// is bounded and tested before it ships.
func TestLimitsInstantInputsAreBounded(t *testing.T) {
	o := must(t, call(t, "GET", "/openapi.json", "", nil), 200)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string         `json:"name"`
				In     string         `json:"in"`
				Schema map[string]any `json:"schema"`
			} `json:"parameters"`
			RequestBody struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(o.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	var walk func(op, at string, s map[string]any, depth int)
	walk = func(op, at string, s map[string]any, depth int) {
		if ref, ok := s["$ref"].(string); ok && depth < 8 {
			walk(op, at, doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")], depth+1)
			return
		}
		if s["format"] == "date-time" {
			found[op+" "+at] = true
		}
		for name, p := range mapOf(s["properties"]) {
			prop, _ := p.(map[string]any)
			walk(op, at+"."+name, prop, depth+1)
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(op, at+"[]", items, depth+1)
		}
	}
	for path, methods := range doc.Paths {
		for method, op := range methods {
			key := strings.ToUpper(method) + " " + path
			for _, p := range op.Parameters {
				walk(key, p.In+"."+p.Name, p.Schema, 0)
			}
			for _, mt := range op.RequestBody.Content {
				walk(key, "body", mt.Schema, 0)
			}
		}
	}
	for k := range found {
		if !boundedInstants[k] {
			t.Errorf("%s: an instant input not held to 1900–2200; bound it (instantInRange) and add it to boundedInstants", k)
		}
	}
	for k := range boundedInstants {
		if !found[k] {
			t.Errorf("%s: in boundedInstants, not in the OpenAPI document", k)
		}
	}
}

// A tier's ticket targets are positive Go durations of at most five years
// (SPEC §7's horizon for schedules): "2562047h" put respond_by in 2318.
func TestLimitsTicketTargets(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	b := must(t, call(t, "GET", "/v1/tiers/B", ka.Token, nil), 200).Body
	tier := func(respond, resolve string) resp {
		return call(t, "PUT", "/v1/tiers/B", ka.Token, map[string]any{"name": b["name"], "visit_cadence": b["visit_cadence"],
			"greeting_occasions": b["greeting_occasions"], "ticket_response_within": respond, "ticket_resolve_within": resolve})
	}
	t.Cleanup(func() { must(t, tier(b["ticket_response_within"].(string), b["ticket_resolve_within"].(string)), 200) })
	wantFieldErrors(t, tier("2562047h", "43801h"), "body.ticket_response_within", "body.ticket_resolve_within")
	wantFieldErrors(t, tier("-1h", "0s"), "body.ticket_response_within", "body.ticket_resolve_within")
	must(t, tier("1h", "43800h"), 200)
}
