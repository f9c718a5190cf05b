package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"kam/cmd/kam/app"
	"kam/db/dbtest"
	"kam/workflows"
)

// businessTables are every table a request can write, besides the access
// register (refusals are registered) and the inbox.
var businessTables = []string{"staff", "api_tokens", "customers", "customer_contacts", "key_persons", "customer_history",
	"credit_agreements", "credit_charges", "credit_payments", "statements", "discount_requests", "discount_decisions",
	"discount_grants", "filings", "discount_policies", "tiers", "tickets", "ticket_events", "visits", "holidays", "greetings",
	"sales", "satisfaction", "churns", "inspections", "company_revenue", "ka_budgets", "ka_costs", "ka_events", "ka_event_invitees",
	"idempotency_keys"}

// fingerprintSource narrows a table to what a request may not change:
// api_tokens.last_used_at is a usage stamp every authenticated request may set.
var fingerprintSource = map[string]string{
	"api_tokens": "(SELECT id, staff_id, token_hash, created_at, expires_at, revoked_at FROM api_tokens)",
}

func fingerprint(t *testing.T, dsn string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	out := map[string]string{}
	for _, tbl := range businessTables {
		src := tbl
		if narrowed, ok := fingerprintSource[tbl]; ok {
			src = narrowed
		}
		var sum string
		if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM %s t", src)).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		out[tbl] = sum
	}
	return out
}

// hostile values: wrong types, huge numbers, negative money, unicode,
// SQL-looking strings, bad cron specs, control characters, nothing at all.
var hostile = []any{
	nil, true, -1, 0, 1e308, -1e308, 9223372036854775807, "-5.00", "1e9999", "NaN", "", " ",
	"'; DROP TABLE customers; --", "\" OR 1=1 --", "<script>alert(1)</script>", "${jndi:ldap://x}",
	"名字" + strings.Repeat("ß", 300), "\u0000\u202e\ufeff", "every full moon", "@every -1s", "99 99 99 99 99",
	"0000-00-00", "2023-02-30", "not-a-uuid", "00000000-0000-0000-0000-000000000000",
	[]any{1, "a", nil}, map[string]any{"$gt": ""}, strings.Repeat("x", 70_000),
}

type opSpec struct {
	method, path string
	fields       []string
}

// operations lists every operation of the API with its body's field names,
// read from the API's own OpenAPI document.
func operations(t *testing.T, base string) []opSpec {
	t.Helper()
	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody *struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var ops []opSpec
	for path, methods := range doc.Paths {
		for method, o := range methods {
			spec := opSpec{method: strings.ToUpper(method), path: path}
			if o.RequestBody != nil {
				ref := o.RequestBody.Content["application/json"].Schema.Ref
				for f := range doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")].Properties {
					spec.fields = append(spec.fields, f)
				}
				sort.Strings(spec.fields)
			}
			ops = append(ops, spec)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	return ops
}

// Over 10,000 malformed or hostile requests, spread over every operation the
// API has: no answer is a 5xx, and none of them changes a business table.
func TestHostileRequestsChangeNothing(t *testing.T) {
	dsn, drop, err := dbtest.NewDatabase("hostile")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	cfg := config(t, workflows.DefaultSettings())
	cfg.DatabaseURL = dsn
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	r, err := app.Start(ctx, cfg, app.Parts{EmbeddedTemporal: true, Ephemeral: true, Migrate: true, Bootstrap: true, API: true, Worker: true, Out: io.Discard}, quiet())
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	c := client{t: t, base: r.URL}
	_, ka := c.staff("ka_manager")
	amID, am := c.staff("account_manager")
	account := c.do("POST", "/v1/customers", ka, map[string]any{"code": "HOST-1", "name": "Target", "tier": "S", "account_manager_id": amID}, 201)["id"].(string)
	tokens := []string{adminToken, ka, am, "", "kam_forged_" + strings.Repeat("A", 43), "Bearer", strings.Repeat("z", 5000)}
	ids := []string{account, "not-a-uuid", "00000000-0000-0000-0000-000000000000", "' OR '1'='1", "%00", "..%2F..%2Fetc%2Fpasswd", strings.Repeat("9", 300)}
	ops := operations(t, r.URL)
	if len(ops) < 60 {
		t.Fatalf("only %d operations in the OpenAPI document", len(ops))
	}
	before := fingerprint(t, dsn)

	const total = 10_000
	type result struct {
		status int
		what   string
	}
	results := make(chan result, total)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			hc := &http.Client{Timeout: 30 * time.Second}
			for i := w; i < total; i += 8 {
				o := ops[rng.IntN(len(ops))]
				path := o.path
				for strings.Contains(path, "{") {
					a, b := strings.Index(path, "{"), strings.Index(path, "}")
					path = path[:a] + ids[rng.IntN(len(ids))] + path[b+1:]
				}
				var body []byte
				switch {
				case o.method == "GET" || o.method == "DELETE":
					// Hostile query strings; DELETE with garbage ids or forged tokens.
					path += "?limit=" + fmt.Sprint(hostile[rng.IntN(len(hostile))]) + "&cursor=%ff&from=2023-02-30&as_of=yesterday&on=" + ids[rng.IntN(len(ids))]
				default:
					switch rng.IntN(4) {
					case 0:
						body = []byte(`{"` + strings.Repeat("{", rng.IntN(50)) + `:`)
					case 1:
						body = bytes.Repeat([]byte("A"), 1<<20+rng.IntN(100))
					default:
						// Every known field hostile, plus one field nobody knows.
						m := map[string]any{"'; DROP TABLE staff; --": 1}
						for _, f := range o.fields {
							m[f] = hostile[rng.IntN(len(hostile))]
						}
						body, _ = json.Marshal(m)
					}
				}
				req, err := http.NewRequest(o.method, r.URL+path, bytes.NewReader(body))
				if err != nil {
					// Not even a valid URL: send its escaped form instead.
					req, err = http.NewRequest(o.method, r.URL+"/"+url.PathEscape(strings.TrimPrefix(path, "/")), bytes.NewReader(body))
					if err != nil {
						results <- result{599, "cannot build " + path}
						continue
					}
				}
				req.Header.Set("Content-Type", "application/json")
				if tok := tokens[rng.IntN(len(tokens))]; tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				res, err := hc.Do(req)
				if err != nil {
					results <- result{599, o.method + " " + path + ": " + err.Error()}
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				results <- result{res.StatusCode, o.method + " " + o.path}
			}
		}()
	}
	wg.Wait()
	close(results)
	counts := map[int]int{}
	n := 0
	for res := range results {
		n++
		counts[res.status]++
		if res.status >= 500 {
			t.Errorf("%d from %s", res.status, res.what)
		}
		if res.status < 300 && !strings.HasPrefix(res.what, "GET") {
			t.Errorf("a hostile %s was accepted (%d)", res.what, res.status)
		}
	}
	if n != total {
		t.Fatalf("%d answers for %d requests", n, total)
	}
	t.Logf("statuses over %d requests and %d operations: %v", total, len(ops), counts)
	after := fingerprint(t, dsn)
	for _, tbl := range businessTables {
		if before[tbl] != after[tbl] {
			t.Errorf("table %s changed: %s -> %s", tbl, before[tbl], after[tbl])
		}
	}
}
