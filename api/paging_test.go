package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// pagingExempt are the Page-shaped answers that are not lists of records:
// aggregate reports, whose CSV export answers whole (SPEC §7 reports).
var pagingExempt = map[string]string{
	"GET /v1/reports/churn": "an aggregate report: its pages are walked in TestReportListsPage",
	"GET /v1/reports/staff": "an aggregate report over every account manager: its pages are walked in TestReportListsPage",
}

// pagingFixture holds more rows than a page for every list, all reachable by
// one fresh account manager (own scope), so no other test's rows interfere.
type pagingFixture struct {
	am, ka, fin, auditor, gm member
	deputy                   member // a deputy of three delegations (SPEC §7)
	account, ticket          string
	ledger                   string // an account with charges and payments and no statements
	year                     string
	tier                     string // a tier created here: its history has a row per field
}

// pagingRoutes says, for every list route, who walks it and with which path
// and filter. A list route missing here fails TestEveryListPagesByCursor.
var pagingRoutes = map[string]func(f *pagingFixture) (path, token string){
	"GET /v1/staff": func(f *pagingFixture) (string, string) { return "/v1/staff", adminToken },
	"GET /v1/staff/{id}/tokens": func(f *pagingFixture) (string, string) {
		return "/v1/staff/" + f.am.ID + "/tokens", adminToken
	},
	"GET /v1/tiers":             func(f *pagingFixture) (string, string) { return "/v1/tiers", adminToken },
	"GET /v1/discount-policies": func(f *pagingFixture) (string, string) { return "/v1/discount-policies", f.ka.Token },
	"GET /v1/holidays":          func(f *pagingFixture) (string, string) { return "/v1/holidays?year=" + f.year, adminToken },
	"GET /v1/customers":         func(f *pagingFixture) (string, string) { return "/v1/customers", f.am.Token },
	"GET /v1/customers/{id}/contacts": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.account + "/contacts", f.am.Token
	},
	"GET /v1/customers/{id}/key-persons": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.account + "/key-persons", f.am.Token
	},
	"GET /v1/customers/{id}/history": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.account + "/history", f.am.Token
	},
	"GET /v1/customers/{id}/statements": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.account + "/statements", f.am.Token
	},
	"GET /v1/customers/{id}/charges": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.ledger + "/charges", f.am.Token
	},
	"GET /v1/customers/{id}/payments": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.ledger + "/payments", f.am.Token
	},
	"GET /v1/credit": func(f *pagingFixture) (string, string) {
		return "/v1/credit?account_manager_id=" + f.am.ID, f.fin.Token
	},
	"GET /v1/customers/{id}/discounts": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.account + "/discounts", f.am.Token
	},
	"GET /v1/discount-requests": func(f *pagingFixture) (string, string) { return "/v1/discount-requests", f.am.Token },
	"GET /v1/filings":           func(f *pagingFixture) (string, string) { return "/v1/filings", f.gm.Token },
	"GET /v1/customers/{id}/visits": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.account + "/visits", f.am.Token
	},
	"GET /v1/tickets": func(f *pagingFixture) (string, string) {
		return "/v1/tickets?customer_id=" + f.account, f.am.Token
	},
	"GET /v1/tickets/{id}/events": func(f *pagingFixture) (string, string) {
		return "/v1/tickets/" + f.ticket + "/events", f.am.Token
	},
	"GET /v1/greetings": func(f *pagingFixture) (string, string) {
		return "/v1/greetings?on=" + time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly), f.am.Token
	},
	"GET /v1/me/notifications": func(f *pagingFixture) (string, string) { return "/v1/me/notifications", f.am.Token },
	// The fixture's account manager: their account's incomplete archive,
	// planned visit, tickets, greetings (SPEC §7 "Approvals and work").
	"GET /v1/me/tasks": func(f *pagingFixture) (string, string) { return "/v1/me/tasks", f.am.Token },
	"GET /v1/customers/{id}/sales": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.account + "/sales", f.am.Token
	},
	"GET /v1/customers/{id}/costs": func(f *pagingFixture) (string, string) {
		return "/v1/customers/" + f.account + "/costs", f.am.Token
	},
	"GET /v1/events":      func(f *pagingFixture) (string, string) { return "/v1/events", f.am.Token },
	"GET /v1/access-log":  func(f *pagingFixture) (string, string) { return "/v1/access-log?staff_id=" + f.am.ID, f.auditor.Token },
	"GET /v1/inspections": func(f *pagingFixture) (string, string) { return "/v1/inspections", f.auditor.Token },
	"GET /v1/tiers/{code}/history": func(f *pagingFixture) (string, string) {
		return "/v1/tiers/" + f.tier + "/history", adminToken
	},
	"GET /v1/tier-reviews": func(f *pagingFixture) (string, string) { return "/v1/tier-reviews", f.gm.Token },
	"GET /v1/discount-policies/{tier}/{product_category}/history": func(f *pagingFixture) (string, string) {
		return "/v1/discount-policies/" + f.tier + "/paging/history", f.ka.Token
	},
	"GET /v1/delegations": func(f *pagingFixture) (string, string) { return "/v1/delegations", f.deputy.Token },
}

// listRoute is a GET whose answer is SPEC's list envelope, read from the
// OpenAPI document, with the bound of its ?limit=.
type listRoute struct {
	op        string
	maxLimit  int
	hasCursor bool
}

// apiSchema is what the tests read of a schema in /openapi.json: a
// reference, or properties (an array property with the reference of its
// items).
type apiSchema struct {
	Ref        string `json:"$ref"`
	Properties map[string]struct {
		Items struct {
			Ref string `json:"$ref"`
		} `json:"items"`
	} `json:"properties"`
}

// apiDoc is what the tests read of /openapi.json: each operation's query
// parameters and answers, and the shared schemas.
type apiDoc struct {
	Paths map[string]map[string]struct {
		Parameters []struct {
			Name, In string
			Schema   struct {
				Maximum *float64 `json:"maximum"`
			} `json:"schema"`
		} `json:"parameters"`
		Responses map[string]struct {
			Content map[string]struct {
				Schema apiSchema `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]apiSchema `json:"schemas"`
	} `json:"components"`
}

func openAPIDoc(t *testing.T) apiDoc {
	t.Helper()
	r := must(t, call(t, "GET", "/openapi.json", "", nil), 200)
	var doc apiDoc
	if err := json.Unmarshal(r.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// resolve follows a schema's reference into the shared schemas.
func (d apiDoc) resolve(s apiSchema) apiSchema {
	if s.Ref != "" {
		return d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

// listRoutes finds every GET that answers {"items": [...]} in /openapi.json.
func listRoutes(t *testing.T) []listRoute {
	t.Helper()
	doc := openAPIDoc(t)
	var out []listRoute
	for path, methods := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		o, ok := methods["get"]
		if !ok {
			continue
		}
		s := doc.resolve(o.Responses["200"].Content["application/json"].Schema)
		if _, ok := s.Properties["items"]; !ok {
			continue
		}
		lr := listRoute{op: "GET " + path}
		for _, p := range o.Parameters {
			switch {
			case p.In == "query" && p.Name == "cursor":
				lr.hasCursor = true
			case p.In == "query" && p.Name == "limit" && p.Schema.Maximum != nil:
				lr.maxLimit = int(*p.Schema.Maximum)
			}
		}
		out = append(out, lr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].op < out[j].op })
	return out
}

func newPagingFixture(t *testing.T) *pagingFixture {
	t.Helper()
	staff := staffByRole(t)
	f := &pagingFixture{am: newStaff(t, kam.RoleAccountManager), ka: staff[kam.RoleKAManager], fin: staff[kam.RoleFinance], auditor: staff[kam.RoleAuditor],
		gm: staff[kam.RoleGeneralManager], year: fmt.Sprint(2150 + int(uuid.New()[0]%40))}
	ctx := context.Background()
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	birthday := time.Date(1970, tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	// A strategic account: its key persons' birthdays are greeting tasks (Art. 19).
	f.account = must(t, call(t, "POST", "/v1/customers", f.ka.Token, map[string]any{"code": "PG-" + unique(), "name": "Paged", "tier": "S", "account_manager_id": f.am.ID}), 201).str("id")
	// The ledger's lists page on an account of their own, whose run has no
	// statements to follow (those below are put in directly).
	f.ledger = newAccount(t, f.am.ID)
	must(t, call(t, "PUT", "/v1/customers/"+f.ledger+"/credit", f.fin.Token, creditTerms), 200)
	for i := range 3 {
		must(t, call(t, "POST", "/v1/customers/"+f.ledger+"/charges", f.fin.Token, chargeBody("1.00", fmt.Sprint("PG-C", i))), 201)
		must(t, call(t, "POST", "/v1/customers/"+f.ledger+"/payments", f.fin.Token, paymentBody("1.00", fmt.Sprint("PG-P", i))), 201)
	}
	must(t, call(t, "POST", "/v1/staff/"+f.am.ID+"/tokens", adminToken, nil), 201)
	must(t, call(t, "PUT", "/v1/customers/"+f.account+"/credit", staff[kam.RoleFinance].Token, creditTerms), 200)
	for i := range 3 {
		n := fmt.Sprint(i)
		must(t, call(t, "POST", "/v1/customers/"+f.account+"/contacts", f.am.Token, map[string]any{"name": "Contact " + n}), 201)
		must(t, call(t, "POST", "/v1/customers/"+f.account+"/key-persons", f.am.Token, map[string]any{"name": "Head " + n, "role": "head", "birthday": birthday}), 201)
		must(t, call(t, "PATCH", "/v1/customers/"+f.account, f.am.Token, map[string]any{"phone": "+86 21 " + unique()}), 200)
		must(t, call(t, "POST", "/v1/customers/"+f.account+"/sales", f.am.Token, map[string]any{"product": "Pump", "product_category": "equipment", "quantity": "1", "amount": "10.00", "sold_on": today()}), 201)
		must(t, call(t, "POST", "/v1/customers/"+f.account+"/costs", f.am.Token, map[string]any{"category": "visit", "amount": "5.00", "incurred_on": today()}), 201)
		must(t, call(t, "POST", "/v1/customers/"+f.account+"/visits", f.am.Token, map[string]any{"visited_on": today(), "notes": "paged " + n}), 201)
		// The longest name a list sorts by still makes a cursor the API takes.
		name := strings.Repeat("<é", 48) + " " + n
		must(t, call(t, "POST", "/v1/holidays", f.ka.Token, map[string]any{"name": name, "on": f.year + "-03-01"}), 201)
		must(t, call(t, "POST", "/v1/events", f.ka.Token, map[string]any{"kind": "training", "title": "Paged " + n, "held_on": today(),
			"invitees": []map[string]any{{"customer_id": f.account}}}), 201)
		f.ticket = must(t, call(t, "POST", "/v1/tickets", f.am.Token, map[string]any{"customer_id": f.account, "kind": "inquiry", "subject": "paged " + n}), 201).str("id")
		must(t, call(t, "POST", "/v1/tickets/"+f.ticket+"/events", f.am.Token, map[string]any{"type": "note", "note": "paged " + n}), 201)
		must(t, call(t, "POST", "/v1/tickets/"+f.ticket+"/events", f.am.Token, map[string]any{"type": "note", "note": "again " + n}), 201)
		deliverNotice(t, uuid.MustParse(f.am.ID), "paging/"+uuid.NewString(), "paging", "Paged", "a notification to page")
		// Statements come from settlement runs; two closes are put in directly.
		end := time.Date(2020, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC)
		if _, err := running.Store.Pool.Exec(ctx, `INSERT INTO statements (id, customer_id, period_start, period_end, amount_due, due_at)
			VALUES ($1, $2, $3, $4, 10, $4)`, store.NewID(), f.account, end.AddDate(0, -1, 0), end); err != nil {
			t.Fatal(err)
		}
	}
	// Two standard discounts in two categories: two grants, two filings (Art. 12).
	for _, cat := range []string{"equipment", "consumables"} {
		body := discountBody(f.account, "3")
		body["product_category"] = cat
		req := must(t, call(t, "POST", "/v1/discount-requests", f.am.Token, body), 201).str("id")
		must(t, call(t, "POST", "/v1/discount-requests/"+req+"/decisions", f.ka.Token, map[string]any{"decision": "approve"}), 200)
	}
	waitFor(t, 30*time.Second, "two grants", func() bool {
		return countRows(t, "SELECT count(*)::int FROM discount_grants WHERE customer_id = $1", f.account) >= 2
	})
	for range 2 {
		must(t, call(t, "POST", "/v1/inspections", f.auditor.Token, map[string]any{"sample_size": 1}), 201)
		must(t, call(t, "POST", "/v1/tier-reviews", f.ka.Token, nil), 201)
	}
	f.tier, _ = newTier(t, f.ka.Token)
	must(t, call(t, "PUT", "/v1/discount-policies/"+f.tier+"/paging", f.ka.Token, map[string]any{"max_standard_rate": "5", "hard_cap_rate": "10", "methods": []string{"percentage"}}), 200)
	f.deputy = newStaff(t, kam.RoleKAManager)
	for range 3 {
		must(t, call(t, "POST", "/v1/delegations", f.ka.Token, map[string]any{"to_staff_id": f.deputy.ID, "ends_at": time.Now().Add(time.Hour).Format(time.RFC3339)}), 201)
	}
	return f
}

// walk reads a list page by page, checking each page's size.
func walk(t *testing.T, path, token string, limit int) ([]string, []string) {
	t.Helper()
	var keys, cursors []string
	cursor := ""
	for page := 0; ; page++ {
		if page > 400 {
			t.Fatalf("%s: more than 400 pages", path)
		}
		r := must(t, call(t, "GET", withQuery(path, limit, cursor), token, nil), 200)
		items := r.items()
		if len(items) > limit {
			t.Fatalf("%s: %d items on a page of %d", path, len(items), limit)
		}
		for _, it := range items {
			keys = append(keys, itemKey(it))
		}
		cursor = r.str("next_cursor")
		if cursor == "" {
			// SPEC's envelope names next_cursor on every page: null on the last.
			if v, ok := r.Body["next_cursor"]; !ok || v != nil {
				t.Fatalf("%s: the last page's next_cursor is %#v (present: %v), want null", path, v, ok)
			}
			return keys, cursors
		}
		if len(items) == 0 {
			t.Fatalf("%s: an empty page with a next_cursor", path)
		}
		cursors = append(cursors, cursor)
	}
}

func withQuery(path string, limit int, cursor string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	q := url.Values{"limit": {fmt.Sprint(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return path + sep + q.Encode()
}

// itemKey names a row: its id, or (for rows without one) the whole row.
func itemKey(it map[string]any) string {
	if id, ok := it["id"].(string); ok {
		return id
	}
	b, _ := json.Marshal(it)
	return string(b)
}

// tampered are cursors the API never issued, made from one it did.
func tampered(issued, foreign string) map[string]string {
	raw, _ := base64.RawURLEncoding.DecodeString(issued)
	var pc map[string]any
	_ = json.Unmarshal(raw, &pc)
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	keys, _ := pc["k"].([]any)
	flipped := []byte(issued)
	flipped[0] ^= 0x01 // the opening brace is gone
	out := map[string]string{
		"garbage":       "not-a-cursor!",
		"flipped byte":  string(flipped),
		"truncated":     issued[:len(issued)/2],
		"extra key":     enc(map[string]any{"v": pc["v"], "l": pc["l"], "k": append(append([]any{}, keys...), "x")}),
		"no keys":       enc(map[string]any{"v": pc["v"], "l": pc["l"], "k": []any{}}),
		"other version": enc(map[string]any{"v": 99, "l": pc["l"], "k": keys}),
		"bad key":       enc(map[string]any{"v": pc["v"], "l": pc["l"], "k": append([]any{12.5}, keys[min(1, len(keys)):]...)}),
		"unknown field": enc(map[string]any{"v": pc["v"], "l": pc["l"], "k": keys, "offset": 10}),
	}
	if foreign != "" {
		out["another list's cursor"] = foreign
	}
	return out
}

// SPEC §7: every list answers {"items", "next_cursor"} with ?limit=&cursor=,
// pages by keyset (no row repeated or skipped) and refuses a cursor it did
// not issue with 422 validation_failed at query.cursor.
func TestEveryListPagesByCursor(t *testing.T) {
	routes := listRoutes(t)
	if len(routes) < len(pagingRoutes) {
		t.Fatalf("the OpenAPI document names %d list routes, fewer than the %d walked here", len(routes), len(pagingRoutes))
	}
	f := newPagingFixture(t)
	foreign := ""
	for _, lr := range routes {
		t.Run(lr.op, func(t *testing.T) {
			if why, ok := pagingExempt[lr.op]; ok {
				t.Skip(why)
			}
			if !lr.hasCursor || lr.maxLimit == 0 {
				t.Fatalf("a list without ?cursor= and a bounded ?limit= (cursor %v, max limit %d)", lr.hasCursor, lr.maxLimit)
			}
			req, ok := pagingRoutes[lr.op]
			if !ok {
				t.Fatalf("a list route with no paging case: add it to pagingRoutes")
			}
			path, token := req(f)
			full := must(t, call(t, "GET", withQuery(path, lr.maxLimit, ""), token, nil), 200)
			if full.str("next_cursor") != "" {
				t.Fatalf("the fixture's list is longer than one full page of %d: narrow its filter", lr.maxLimit)
			}
			want := full.items()
			if len(want) < 2 {
				t.Fatalf("the fixture has %d rows: a walk needs more than a page", len(want))
			}
			limit := max(1, (len(want)+11)/12) // a dozen pages at most
			keys, cursors := walk(t, path, token, limit)
			seen := map[string]bool{}
			for _, k := range keys {
				if seen[k] {
					t.Fatalf("row %s repeated across pages", k)
				}
				seen[k] = true
			}
			// Rows may be added while walking (a workflow plans a visit), never lost.
			for _, it := range want {
				if !seen[itemKey(it)] {
					t.Fatalf("row %s skipped by the walk (limit %d, %d pages)", itemKey(it), limit, len(cursors)+1)
				}
			}
			if len(cursors) == 0 {
				t.Fatalf("%d rows at limit %d gave no next_cursor", len(want), limit)
			}
			for name, bad := range tampered(cursors[0], foreign) {
				r := call(t, "GET", withQuery(path, limit, bad), token, nil)
				problem(t, r, 422, "validation_failed")
				if !strings.Contains(string(r.Raw), `"location":"query.cursor"`) {
					t.Fatalf("%s: the problem does not point at query.cursor: %s", name, r.Raw)
				}
			}
			foreign = cursors[0]
		})
	}
	for op := range pagingRoutes {
		if !slices.ContainsFunc(routes, func(r listRoute) bool { return r.op == op }) {
			t.Errorf("%s is walked here but is no list route in the OpenAPI document", op)
		}
	}
}

// Keyset, not OFFSET: a row added in front of the walk (a new notification
// sorts first among the unread; a complaint sorts before inquiries in the
// queue, Art. 17) neither repeats a row already read nor skips one to come.
func TestPagingUnderInsertsNeitherRepeatsNorSkips(t *testing.T) {
	f := &pagingFixture{am: newStaff(t, kam.RoleAccountManager)}
	notify := func() {
		deliverNotice(t, uuid.MustParse(f.am.ID), "paging/"+uuid.NewString(), "paging", "Paged", "a notification to page")
	}
	account := newAccount(t, f.am.ID)
	ticket := func(kind string) func() {
		return func() {
			must(t, call(t, "POST", "/v1/tickets", f.am.Token, map[string]any{"customer_id": account, "kind": kind, "subject": "paged"}), 201)
		}
	}
	for _, c := range []struct {
		name, path string
		add, front func() // a row at the end, a row in front of the walk
	}{
		{"notifications", "/v1/me/notifications", notify, notify},
		// Inquiries; then a complaint, which the queue puts before them.
		{"tickets", "/v1/tickets?customer_id=" + account, ticket("inquiry"), ticket("complaint")},
	} {
		t.Run(c.name, func(t *testing.T) {
			for range 3 {
				c.add()
			}
			before := must(t, call(t, "GET", withQuery(c.path, 200, ""), f.am.Token, nil), 200).items()
			first := must(t, call(t, "GET", withQuery(c.path, 1, ""), f.am.Token, nil), 200)
			c.front()
			seen := map[string]bool{itemKey(first.items()[0]): true}
			cursor := first.str("next_cursor")
			for cursor != "" {
				r := must(t, call(t, "GET", withQuery(c.path, 1, cursor), f.am.Token, nil), 200)
				for _, it := range r.items() {
					if seen[itemKey(it)] {
						t.Fatalf("row %s repeated after an insert", itemKey(it))
					}
					seen[itemKey(it)] = true
				}
				cursor = r.str("next_cursor")
			}
			for _, it := range before {
				if !seen[itemKey(it)] {
					t.Fatalf("row %s skipped after an insert", itemKey(it))
				}
			}
		})
	}
}
