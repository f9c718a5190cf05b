package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	"tier_history", "tier_reviews", "tier_review_proposals", "staff_handovers", "staff_handover_batches", "delegations", "idempotency_keys"}

// fingerprintSource narrows a table to what a request may not change:
// api_tokens.last_used_at is a usage stamp every authenticated request may set.
var fingerprintSource = map[string]string{
	"api_tokens": "(SELECT id, staff_id, token_hash, created_at, expires_at, revoked_at FROM api_tokens)",
}

// fingerprintOnly narrows a table's fingerprint. A refused request sent with
// an Idempotency-Key may leave its refusal (4xx) stored for replay, which is
// how the key works; a key left in progress (no status) or holding a
// success is a change, and counts.
//
// Planned visits are the visit plans' own rows (Art. 20): the reconciler and
// the fixture's new accounts start plans that plan their first visit while
// the generator runs. No request can create one; a request that records a
// visit makes or completes a done one, which still counts.
var fingerprintOnly = map[string]string{
	"idempotency_keys": "WHERE t.status IS NULL OR t.status < 400",
	"visits":           "WHERE t.status <> 'planned'",
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
		if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM %s t %s", src, fingerprintOnly[tbl])).Scan(&sum); err != nil {
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
	// Extreme money and dates (SPEC §7 "Limits on input") and an impossible cron.
	1e15, 1e-9, "1000000000000000", "0.000000001", "0001-01-01", "9999-12-31", "0 0 30 2 *",
	// What kam later emits (the console, CSV, notices, webhooks): markup,
	// script URLs, formulas behind blanks or in fullwidth, template syntax.
	`"><svg onload=alert(1)>`, "<img src=x onerror=alert(1)>", "javascript:alert(1)", " =HYPERLINK(\"http://x\",\"y\")",
	"＝1+1", "\u3000@SUM(A1)", "\u00a0-2+3", "=cmd|' /C calc'!A0", "{{7*7}}", "%s%n%x", "a\r\nSet-Cookie: x=1",
}

// Extreme values for the fields they apply to: money above the cap, below
// zero, below a cent, not a number; dates outside 1900-01-01 … 2200-12-31.
var (
	extremeMoney = []any{"1000000000000000", 1e15, "-1", -1, "0.000000001", 1e-9, "NaN"}
	extremeDates = []any{"0001-01-01", "9999-12-31"}
	// extremeInstants are refused like dates (SPEC §7), 0001-01-01T00:00:00Z
	// too, though it is Go's zero time.
	extremeInstants = []any{"0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "2201-01-01T00:00:00Z", "9999-12-31T00:00:00Z"}
)

// hostileHeaders are values for X-Request-Id, X-Access-Purpose,
// Idempotency-Key and Authorization: invalid UTF-8, a purpose cut mid-character
// by a byte-wise truncate, control characters, and sizes around the server's
// 64 KiB header cap.
var hostileHeaders = []string{
	"\xff\xfe\xfd", "ok\xc3\x28", strings.Repeat("名", 67), strings.Repeat("目的", 300), "\u202e\u200b\u2066",
	strings.Repeat("x", 10_000), strings.Repeat("y", 60_000), strings.Repeat("z", 100_000),
	"<script>alert(1)</script>", "=cmd|' /C calc'!A0", "javascript:alert(1)", "..%2F..%2F",
}

var hostileHeaderNames = []string{"X-Request-Id", "X-Access-Purpose", "Idempotency-Key", "Authorization"}

// contentTypes are Content-Types a JSON body may come under, with the answer
// a body breaking the input bounds gets: huma decodes no type, ";", "+;"
// and "foo+;" as JSON, so the bounds hold there too (422); a type nobody
// reads is 415.
var contentTypes = []struct {
	value string
	json  bool
}{
	{";", true}, {"+;", true}, {"", true}, {"foo+;", true}, {"APPLICATION/JSON; charset=utf-8", true},
	{"application/merge-patch+json", true}, {"application/x-unknown", false}, {"text/plain", false},
}

// requestIDShape is what an X-Request-Id in an answer must look like (SPEC §7).
var requestIDShape = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

const (
	maxProblemBytes = 16 << 10 // SPEC §7: a problem body is never larger
	maxMetricsBytes = 1 << 20
	// maxRSSGrowth bounds how much the process (kam, its embedded Temporal
	// and this test) may grow over the run: a quadratic problem body or an
	// unbounded label set grows it by gigabytes.
	maxRSSGrowth = 1 << 30
)

// prop is the part of a body field's JSON schema the generator uses.
type prop struct {
	Type    any    `json:"type"` // "string", or ["array", "null"]
	Format  string `json:"format"`
	Pattern string `json:"pattern"`
	Enum    []any  `json:"enum"`
	Items   *prop  `json:"items"`
	Ref     string `json:"$ref"`
}

func (p prop) is(typ string) bool {
	switch t := p.Type.(type) {
	case string:
		return t == typ
	case []any:
		for _, x := range t {
			if x == typ {
				return true
			}
		}
	}
	return false
}

// isMoney: kam's money is a decimal string with at most two decimals.
func (p prop) isMoney() bool {
	return p.is("string") && strings.HasSuffix(p.Pattern, `(\.[0-9]{1,2})?$`)
}

type opSpec struct {
	method, path string
	fields       []string
	props        map[string]prop
}

// operations lists every operation of the API with its body's field names
// and schemas, read from the API's own OpenAPI document.
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
				Properties map[string]prop `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var ops []opSpec
	for path, methods := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue // the probes take no input
		}
		for method, o := range methods {
			spec := opSpec{method: strings.ToUpper(method), path: path}
			if o.RequestBody != nil {
				ref := o.RequestBody.Content["application/json"].Schema.Ref
				spec.props = doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")].Properties
				for f := range spec.props {
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

// target is what the targeted cases aim at: real ids, so that a refusal
// comes from the value under test and not from a missing record.
type target struct {
	base, account, manager string
	// A contact and a key person of the account: upkeep routes (Art. 7.2)
	// get hostile values against people that exist.
	contact, person string
	// ka may do nearly everything to an account; finance keeps the ledger.
	ka, finance string
	// charge and payment are entries of the account's ledger (reversible).
	charge, payment string
}

// plausiblePath fills a path's parameters with values that exist or parse.
func (tg target) plausiblePath(path string) string {
	known := map[string]string{"{id}": tg.account, "{year}": "2026", "{code}": "S", "{tier}": "S", "{month}": "2026-01",
		"{product_category}": "steel", "{token_id}": "00000000-0000-0000-0000-000000000001",
		"{contact_id}": tg.contact, "{key_person_id}": tg.person, "{charge_id}": tg.charge, "{payment_id}": tg.payment}
	for k, v := range known {
		path = strings.ReplaceAll(path, k, v)
	}
	return path
}

// plausible is a valid-looking value for a field, so that one hostile value
// among valid ones is what the server must refuse.
func (tg target) plausible(name string, p prop) any {
	byName := map[string]any{
		"customer_id": tg.account, "account_manager_id": tg.manager, "staff_id": tg.manager,
		"settlement_cycle": "0 0 1 * *", "visit_cadence": "0 9 1 * *", "ticket_response_within": "24h",
		"ticket_resolve_within": "72h", "credit_level": "A", "tier": "S", "name": "Hostile", "code": "HOST-2",
		"valid_to": time.Now().AddDate(0, 1, 0).Format(time.DateOnly), "email": "x@example.com",
	}
	if v, ok := byName[name]; ok {
		return v
	}
	switch {
	case len(p.Enum) > 0:
		return p.Enum[0]
	case p.Format == "uuid":
		return tg.account
	case p.Format == "date":
		return time.Now().AddDate(0, 0, -10).Format(time.DateOnly)
	case p.Format == "date-time":
		return time.Now().Add(24 * time.Hour).Format(time.RFC3339)
	case p.Pattern != "":
		return "1"
	case p.is("integer"), p.is("number"):
		return 1
	case p.is("boolean"):
		return false
	case p.is("array"):
		if p.Items != nil {
			return []any{tg.plausible(name+"[]", *p.Items)}
		}
		return []any{}
	case p.Ref != "":
		return map[string]any{"name": "Guest"}
	}
	return "x"
}

func (tg target) plausibleBody(o opSpec) map[string]any {
	m := map[string]any{}
	for _, f := range o.fields {
		m[f] = tg.plausible(f, o.props[f])
	}
	return m
}

// outcome is one answer, kept for the checks at the end.
type outcome struct {
	class, what string
	status      int
	problem     bool // answered application/problem+json
	size        int  // body bytes, read up to maxProblemBytes+1
	code        string
	requestID   string // the X-Request-Id of the answer
	sentID      bool   // the request carried a hostile X-Request-Id
	nosniff     bool   // answered X-Content-Type-Options: nosniff
	err         string
	// want, when set, is the exact status and code SPEC §7 names for the case.
	wantStatus int
	wantCode   string
}

// send makes one request and records its answer; the body is read up to
// just past the problem cap and the rest discarded.
func send(hc *http.Client, req *http.Request, class, what string) outcome {
	out := outcome{class: class, what: what}
	res, err := hc.Do(req)
	if err != nil {
		out.status, out.err = 599, err.Error()
		return out
	}
	defer res.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(res.Body, maxProblemBytes+1))
	_, _ = io.Copy(io.Discard, res.Body)
	out.status, out.size = res.StatusCode, len(head)
	out.problem = strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json")
	out.requestID = res.Header.Get("X-Request-Id")
	out.nosniff = res.Header.Get("X-Content-Type-Options") == "nosniff"
	var p struct {
		Code string `json:"code"`
	}
	if out.problem && json.Unmarshal(head, &p) == nil {
		out.code = p.Code
	}
	return out
}

// madeUpMethod is a valid HTTP token no server knows.
func madeUpMethod(rng *rand.Rand) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&'*+-.^_`|~0123456789"
	b := make([]byte, 3+rng.IntN(20))
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

// vmRSS is this process's resident set in bytes: kam runs in it.
func vmRSS(t *testing.T) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// peakRSS samples the resident set until stop is closed and reports the
// highest value seen.
func peakRSS(t *testing.T, stop <-chan struct{}) <-chan int64 {
	peak := make(chan int64, 1)
	go func() {
		high := vmRSS(t)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peak <- max(high, vmRSS(t))
				return
			case <-tick.C:
				high = max(high, vmRSS(t))
			}
		}
	}()
	return peak
}

// Over 10,000 malformed or hostile requests, spread over every operation the
// API has, plus targeted cases for each class of the hardening issue
// (duplicate-item arrays, made-up methods, slow bodies, invalid UTF-8 and
// oversize headers, extreme money and dates, impossible cron specs): no
// answer is a 5xx, no problem body exceeds 16 KiB, none of them changes a
// business table, and the process's memory and /metrics stay bounded.
func TestHostileRequestsChangeNothing(t *testing.T) {
	dsn, drop, err := dbtest.NewDatabase("hostile")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	cfg := config(t, workflows.DefaultSettings())
	cfg.DatabaseURL = dsn
	// Shrunk so that the slow bodies below are cut off within seconds.
	cfg.HTTPReadTimeout = time.Second
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
	_, finance := c.staff("finance")
	contact := c.do("POST", "/v1/customers/"+account+"/contacts", ka, map[string]any{"name": "Target contact"}, 201)["id"].(string)
	person := c.do("POST", "/v1/customers/"+account+"/key-persons", ka, map[string]any{"name": "Target head", "role": "head"}, 201)["id"].(string)
	// A ledger to aim reversals at (SPEC §7 "Ledger"): finance may reverse
	// these entries, so only the hostile value can refuse it.
	day := time.Now().Format(time.DateOnly)
	c.do("PUT", "/v1/customers/"+account+"/credit", finance, map[string]any{"credit_level": "A", "arrears_limit": "1000000", "settlement_cycle": "0 0 1 * *", "payment_term_days": 30}, 200)
	charge := c.do("POST", "/v1/customers/"+account+"/charges", finance, map[string]any{"amount": "1.00", "reference": "HOST-C", "occurred_on": day}, 201)["id"].(string)
	payment := c.do("POST", "/v1/customers/"+account+"/payments", finance, map[string]any{"amount": "1.00", "reference": "HOST-P", "received_on": day}, 201)["id"].(string)
	tg := target{base: r.URL, account: account, manager: amID, ka: ka, finance: finance, contact: contact, person: person, charge: charge, payment: payment}
	before := fingerprint(t, dsn)
	rssBefore := vmRSS(t)
	stopRSS := make(chan struct{})
	peak := peakRSS(t, stopRSS)

	// A few slow clients hold connections while everything else runs.
	slow := make(chan outcome, 8)
	var slowWG sync.WaitGroup
	for _, sc := range slowCases(account) {
		slowWG.Add(1)
		go func() { defer slowWG.Done(); slow <- slowRequest(r.URL, sc) }()
	}

	const total = 10_000
	results := make(chan outcome, total)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			hc := &http.Client{Timeout: 30 * time.Second}
			for i := w; i < total; i += 8 {
				results <- randomRequest(rng, hc, r.URL, ops, ids, tokens)
			}
		}()
	}
	wg.Wait()
	close(results)
	var targeted []outcome
	hc := &http.Client{Timeout: 30 * time.Second}
	for _, tc := range targetedCases(tg, ops) {
		out := send(hc, tc.req, tc.class, tc.what)
		out.wantStatus, out.wantCode = tc.wantStatus, tc.wantCode
		targeted = append(targeted, out)
	}
	slowWG.Wait()
	close(slow)
	close(stopRSS)
	rssPeak := <-peak

	counts := map[int]int{}
	n := 0
	var failures failureLog
	for res := range results {
		n++
		counts[res.status]++
		failures.check(res)
	}
	if n != total {
		t.Fatalf("%d answers for %d requests", n, total)
	}
	for _, res := range targeted {
		failures.check(res)
	}
	for res := range slow {
		failures.check(res)
		t.Logf("slow: %s -> %d %s", res.what, res.status, res.err)
	}
	failures.report(t)
	t.Logf("statuses over %d requests and %d operations: %v; %d targeted cases", total, len(ops), counts, len(targeted))

	after := fingerprint(t, dsn)
	for _, tbl := range businessTables {
		if before[tbl] != after[tbl] {
			t.Errorf("table %s changed: %s -> %s", tbl, before[tbl], after[tbl])
		}
	}
	t.Logf("resident set: %d MiB before, peak %d MiB", rssBefore>>20, rssPeak>>20)
	if rssPeak-rssBefore > maxRSSGrowth {
		t.Errorf("the process grew by %d MiB over the run (bound %d MiB)", (rssPeak-rssBefore)>>20, maxRSSGrowth>>20)
	}
	metrics := c.get("/metrics")
	t.Logf("/metrics: %d bytes", len(metrics))
	if len(metrics) > maxMetricsBytes {
		t.Errorf("/metrics is %d bytes after the run (bound %d)", len(metrics), maxMetricsBytes)
	}
}

func (c client) get(path string) []byte {
	c.t.Helper()
	res, err := http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return raw
}

// randomRequest sends one request of the random stream: an operation with
// garbage ids, a hostile query or body, sometimes a made-up method, and
// sometimes a hostile header.
func randomRequest(rng *rand.Rand, hc *http.Client, base string, ops []opSpec, ids, tokens []string) outcome {
	o := ops[rng.IntN(len(ops))]
	path := o.path
	for strings.Contains(path, "{") {
		a, b := strings.Index(path, "{"), strings.Index(path, "}")
		path = path[:a] + ids[rng.IntN(len(ids))] + path[b+1:]
	}
	class, kind := "random", "hostile query"
	var body []byte
	switch {
	case o.method == "GET" || o.method == "DELETE":
		// Hostile query strings; DELETE with garbage ids or forged tokens.
		path += "?limit=" + fmt.Sprint(hostile[rng.IntN(len(hostile))]) + "&cursor=%ff&from=2023-02-30&as_of=yesterday&on=" + ids[rng.IntN(len(ids))]
		if rng.IntN(4) == 0 {
			path += "&from=0001-01-01&to=9999-12-31&period_start=0001-01-01&period_end=9999-12-31&awaiting=" + ids[rng.IntN(len(ids))]
		} else if rng.IntN(3) == 0 {
			// The access register reads an instant range: an extreme one
			// in place of the impossible date.
			at := func() string { return url.QueryEscape(extremeInstants[rng.IntN(len(extremeInstants))].(string)) }
			path = strings.Replace(path, "&from=2023-02-30", "&from="+at()+"&to="+at(), 1)
		}
	case strings.HasPrefix(o.path, "/v1/imports/") && rng.IntN(2) == 0:
		body, kind = hostileCSV(rng), "hostile CSV"
	default:
		switch rng.IntN(4) {
		case 0:
			body, kind = []byte(`{"`+strings.Repeat("{", rng.IntN(50))+`:`), "broken JSON"
		case 1:
			body, kind = bytes.Repeat([]byte("A"), 1<<20+rng.IntN(100)), "1 MiB body"
		default:
			kind = "hostile fields"
			// Every known field hostile, plus one field nobody knows.
			m := map[string]any{"'; DROP TABLE staff; --": 1}
			for _, f := range o.fields {
				m[f] = hostile[rng.IntN(len(hostile))]
			}
			body, _ = json.Marshal(m)
		}
	}
	method := o.method
	if rng.IntN(10) == 0 {
		method, class = madeUpMethod(rng), "made-up method"
	}
	what := method + " " + o.path + " (" + kind + ")"
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		// Not even a valid URL: send its escaped form instead.
		req, err = http.NewRequest(method, base+"/"+url.PathEscape(strings.TrimPrefix(path, "/")), bytes.NewReader(body))
		if err != nil {
			return outcome{class: class, what: "cannot build " + path, status: 599, err: err.Error()}
		}
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case kind == "hostile CSV":
		req.Header.Set("Content-Type", "text/csv")
	case rng.IntN(4) == 0:
		ct := contentTypes[rng.IntN(len(contentTypes))].value
		req.Header.Set("Content-Type", ct)
		what += fmt.Sprintf(" as %q", ct)
	}
	if tok := tokens[rng.IntN(len(tokens))]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	sentID, oversize, big := false, false, false
	if rng.IntN(5) == 0 {
		name, value := hostileHeaderNames[rng.IntN(len(hostileHeaderNames))], hostileHeaders[rng.IntN(len(hostileHeaders))]
		if name == "Authorization" {
			value = "Bearer " + value
		}
		req.Header.Set(name, value)
		class, what = "header "+name, what+" with a hostile "+name
		sentID, oversize, big = name == "X-Request-Id", len(value) > 64<<10, len(value) > 8<<10
	}
	// A hostile query makes the request line as long as a hostile header:
	// the same caps hold for it.
	if n := len(req.URL.RequestURI()); n > 64<<10 {
		oversize, big = true, true
	} else if n > 8<<10 {
		big = true
	}
	out := send(hc, req, class, what)
	out.sentID = sentID
	reset := strings.Contains(out.err, "connection reset") || strings.Contains(out.err, "broken pipe")
	switch {
	case oversize && out.status == 599:
		// Over the server's header cap: it answers 431 and closes, and the
		// client, still writing, may see the reset before the answer.
		out.status, out.err = 431, ""
	case big && reset:
		// net/http refused the request line (a made-up method or a raw
		// space in the query) and closed while a large header was still
		// being written: its own 400, which the client never got to read.
		out.status, out.err = 400, ""
	}
	return out
}

type targetedCase struct {
	class, what string
	req         *http.Request
	// wantStatus and wantCode: the answer SPEC §7 names, when it names one.
	wantStatus int
	wantCode   string
}

func jsonRequest(method, url, token string, body any) *http.Request {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// targetedCases are the classes applied to every operation they fit,
// each inside an otherwise valid body sent with a token that may act, so the
// refusal has to come from the value under test.
func targetedCases(tg target, ops []opSpec) []targetedCase {
	var cases []targetedCase
	// Headers and schedules first: the cases after them may, on a server
	// that wrongly accepts them, change the target account.
	// Headers on an archive read, which is registered (Art. 9): a purpose
	// that is not UTF-8 is refused; a long one is cut at a character; a
	// request id that is not of the allowed shape is replaced.
	read := func(name, value string) *http.Request {
		req, _ := http.NewRequest("GET", tg.base+"/v1/customers/"+tg.account, nil)
		req.Header.Set("Authorization", "Bearer "+tg.ka)
		req.Header.Set(name, value)
		return req
	}
	for _, v := range []string{"\xff\xfe\xfd", "ok\xc3\x28"} {
		cases = append(cases, targetedCase{class: "header X-Access-Purpose", what: fmt.Sprintf("archive read, purpose %q", v),
			req: read("X-Access-Purpose", v), wantStatus: 400, wantCode: "malformed_header"})
	}
	for _, v := range []string{strings.Repeat("名", 67), strings.Repeat("目的", 300)} {
		cases = append(cases, targetedCase{class: "header X-Access-Purpose", what: fmt.Sprintf("archive read, purpose of %d characters", len([]rune(v))),
			req: read("X-Access-Purpose", v), wantStatus: 200})
	}
	for _, v := range []string{"\xff\xfe\xfd", "id-\xc3\x28", strings.Repeat("i", 10_000), "two words"} {
		cases = append(cases, targetedCase{class: "header X-Request-Id", what: fmt.Sprintf("archive read, request id of %d bytes", len(v)),
			req: read("X-Request-Id", v), wantStatus: 200})
	}
	// Idempotency-Key values that are not UTF-8, hidden characters or too
	// long, on a create the body of which is refused anyway.
	for _, v := range []string{"\xff\xfe\xfd", "ok\xc3\x28", "\u202e\u200b\u2066", strings.Repeat("名", 67), strings.Repeat("k", 10_000)} {
		req := jsonRequest("POST", tg.base+"/v1/customers/"+tg.account+"/contacts", tg.ka, map[string]any{"name": ""})
		req.Header.Set("Idempotency-Key", v)
		cases = append(cases, targetedCase{class: "header Idempotency-Key", what: fmt.Sprintf("refused create, key of %d bytes %.12q", len(v), v), req: req})
	}
	// 30 February never comes: the schedule would fire never (SPEC §7).
	for _, sc := range []struct{ method, path, field string }{
		{"PUT", "/v1/customers/{id}/credit", "settlement_cycle"},
		{"PUT", "/v1/tiers/{code}", "visit_cadence"},
	} {
		for _, o := range ops {
			if o.method == sc.method && o.path == sc.path {
				b := tg.plausibleBody(o)
				b[sc.field] = "0 0 30 2 *"
				cases = append(cases, targetedCase{class: "impossible cron", what: sc.method + " " + sc.path + " " + sc.field,
					req: jsonRequest(sc.method, tg.base+tg.plausiblePath(sc.path), tg.ka, b), wantStatus: 422, wantCode: "invalid_schedule"})
			}
		}
	}
	// A ticket target past five years (or no positive duration) is no
	// target: "2562047h" put a ticket's due time in the 24th century.
	for _, o := range ops {
		if o.method != "PUT" || o.path != "/v1/tiers/{code}" {
			continue
		}
		for _, f := range []string{"ticket_response_within", "ticket_resolve_within"} {
			for _, v := range []string{"2562047h", "43801h", "-1h", "0s"} {
				b := tg.plausibleBody(o)
				b[f] = v
				cases = append(cases, targetedCase{class: "extreme duration", what: fmt.Sprintf("PUT /v1/tiers/{code} %s=%s", f, v),
					req: jsonRequest("PUT", tg.base+tg.plausiblePath(o.path), tg.ka, b), wantStatus: 422, wantCode: "validation_failed"})
			}
		}
	}
	cases = append(cases, importCases(tg)...)
	// A reversal's reason that is empty, blank, too long or hidden, sent by
	// finance on a real entry: refused, and the entry stays unreversed.
	for _, path := range []string{"/v1/customers/{id}/charges/{charge_id}/reversal", "/v1/customers/{id}/payments/{payment_id}/reversal"} {
		for _, v := range []string{"", "   ", strings.Repeat("r", 501), "\u0000", "\u202e\u200b", strings.Repeat("名", 501)} {
			cases = append(cases, targetedCase{class: "reversal reason", what: fmt.Sprintf("POST %s reason of %d bytes %.12q", path, len(v), v),
				req: jsonRequest("POST", tg.base+tg.plausiblePath(path), tg.finance, map[string]any{"reason": v}), wantStatus: 422, wantCode: "validation_failed"})
		}
	}
	for _, o := range ops {
		if o.props == nil {
			continue
		}
		url := tg.base + tg.plausiblePath(o.path)
		for _, f := range o.fields {
			p := o.props[f]
			switch {
			case p.is("array"):
				// 2,000 copies of one valid item: over the cap, and every
				// copy a duplicate (a quadratic list of errors once).
				item := tg.plausible(f+"[]", prop{})
				if p.Items != nil {
					item = tg.plausible(f+"[]", *p.Items)
				}
				dup := make([]any, 2000)
				for i := range dup {
					dup[i] = item
				}
				b := tg.plausibleBody(o)
				b[f] = dup
				cases = append(cases, targetedCase{class: "duplicate-item array", what: o.method + " " + o.path + " " + f,
					req: jsonRequest(o.method, url, tg.ka, b), wantStatus: 422, wantCode: "validation_failed"})
			case p.isMoney():
				for _, v := range extremeMoney {
					for _, tok := range []string{tg.ka, tg.finance} {
						b := tg.plausibleBody(o)
						b[f] = v
						cases = append(cases, targetedCase{class: "extreme money", what: fmt.Sprintf("%s %s %s=%v", o.method, o.path, f, v),
							req: jsonRequest(o.method, url, tok, b)})
					}
				}
			case p.Format == "date-time":
				// The admin may issue tokens and delegate for anyone, so
				// only the bound can refuse these.
				for _, v := range extremeInstants {
					b := tg.plausibleBody(o)
					b[f] = v
					cases = append(cases, targetedCase{class: "extreme instant", what: fmt.Sprintf("%s %s %s=%v", o.method, o.path, f, v),
						req: jsonRequest(o.method, url, adminToken, b), wantStatus: 422, wantCode: "validation_failed"})
				}
			case p.Format == "date":
				for _, v := range extremeDates {
					for _, tok := range []string{tg.ka, tg.finance} {
						b := tg.plausibleBody(o)
						b[f] = v
						cases = append(cases, targetedCase{class: "extreme date", what: fmt.Sprintf("%s %s %s=%v", o.method, o.path, f, v),
							req: jsonRequest(o.method, url, tok, b)})
					}
				}
			}
		}
	}
	cases = append(cases, contentTypeCases(tg, ops)...)
	cases = append(cases, consoleCases(tg)...)
	return append(cases, handoverCases(tg)...)
}

// contentTypeCases send every JSON body, under every Content-Type of
// contentTypes, with a bidi override in a text field and with an array past
// the cap: refused whatever the type says (the bounds used to trust a type
// without "json" in it, which huma read as JSON all the same).
func contentTypeCases(tg target, ops []opSpec) []targetedCase {
	var cases []targetedCase
	for _, o := range ops {
		if len(o.fields) == 0 {
			continue
		}
		text := ""
		for _, f := range o.fields {
			if p := o.props[f]; p.is("string") && len(p.Enum) == 0 && p.Format == "" && p.Pattern == "" {
				text = f
				break
			}
		}
		for _, ct := range contentTypes {
			status, code := 415, "unsupported_media_type"
			if ct.json {
				status, code = 422, "validation_failed"
			}
			add := func(what string, b map[string]any) {
				raw, _ := json.Marshal(b)
				req, _ := http.NewRequest(o.method, tg.base+tg.plausiblePath(o.path), bytes.NewReader(raw))
				if ct.value != "" {
					req.Header.Set("Content-Type", ct.value)
				}
				req.Header.Set("Authorization", "Bearer "+tg.ka)
				cases = append(cases, targetedCase{class: "content type", what: fmt.Sprintf("%s %s %s as %q", o.method, o.path, what, ct.value),
					req: req, wantStatus: status, wantCode: code})
			}
			if text != "" {
				b := tg.plausibleBody(o)
				b[text] = "A\u202eB"
				add(text+" with a bidi override", b)
			}
			b := tg.plausibleBody(o)
			b[o.fields[0]] = make([]any, 2000)
			add(o.fields[0]+" of 2,000 items", b)
			// 2,000 unknown members: each would cost huma an error.
			b = tg.plausibleBody(o)
			for i := range 2000 {
				b[fmt.Sprintf("x%d", i)] = 1
			}
			add("2,000 unknown members", b)
		}
	}
	return cases
}

// consoleCases: the console (SPEC §7) is static files; a write to it, or a
// path that climbs out of it, gets a problem and nothing else.
func consoleCases(tg target) []targetedCase {
	var cases []targetedCase
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		req, _ := http.NewRequest(m, tg.base+"/console/index.html", strings.NewReader("<script>alert(1)</script>"))
		req.Header.Set("Authorization", "Bearer "+tg.ka)
		cases = append(cases, targetedCase{class: "console", what: m + " /console/index.html", req: req, wantStatus: 405, wantCode: "method_not_allowed"})
	}
	for _, p := range []string{"/console/..%2f..%2fgo.mod", "/console/%2e%2e/%2e%2e/go.mod", "/console/js/../../console.go", "/console/static/index.html", "/console/i18n/../../../../etc/passwd"} {
		req, _ := http.NewRequest("GET", tg.base+p, nil)
		cases = append(cases, targetedCase{class: "console", what: "GET " + p, req: req, wantStatus: 404, wantCode: "not_found"})
	}
	return cases
}

// handoverCases hand the target's manager over (SPEC §7) to no one who may
// take accounts (the manager themself, an account, nobody), or as a role
// that may not hand over: refused, and nothing moves.
func handoverCases(tg target) []targetedCase {
	url := tg.base + "/v1/staff/" + tg.manager + "/handover"
	var cases []targetedCase
	for _, c := range []struct{ to, code string }{
		{tg.manager, "handover_to_self"}, {tg.account, "invalid_handover_target"}, {"00000000-0000-0000-0000-000000000000", "invalid_handover_target"},
	} {
		cases = append(cases, targetedCase{class: "staff handover", what: "hand over to " + c.to,
			req: jsonRequest("POST", url, tg.ka, map[string]any{"to": c.to}), wantStatus: 422, wantCode: c.code})
	}
	return append(cases, targetedCase{class: "staff handover", what: "hand over as finance",
		req: jsonRequest("POST", url, tg.finance, map[string]any{"to": tg.account}), wantStatus: 403, wantCode: "forbidden"})
}

// hostileCells are CSV cells an import must refuse, or read as plain text
// inside a file it refuses anyway.
var hostileCells = []string{
	"=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "'=1+1",
	"\x00", "N\x00UL", "\xff\xfe\xfd", "ok\xc3\x28", "\u202eevil", "\"", "a\"b", "\"unclosed", "x\r\ny", "\t",
	"'; DROP TABLE customers; --", strings.Repeat("x", 70_000), "2023-02-30", "-5", "1e9999", "not-a-uuid", "Z",
}

// hostileCSV is a random file for an import: known and made-up columns,
// hostile cells. Its header always names a column no import has, so a
// server that refuses unknown columns never takes it.
func hostileCSV(rng *rand.Rand) []byte {
	cols := []string{"code", "name", "tier", "role", "birthday", "annual_output_value", "account_manager_id", "'; DROP TABLE staff; --"}
	rng.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
	var b bytes.Buffer
	b.WriteString(strings.Join(cols, ",") + "\n")
	for range 1 + rng.IntN(20) {
		cells := make([]string, len(cols)+rng.IntN(2)) // sometimes one cell too many
		for i := range cells {
			cells[i] = hostileCells[rng.IntN(len(hostileCells))]
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return b.Bytes()
}

// importCases aim the CSV classes at every import route with a
// token that may import: a file over 5 MiB (413), a header of 10,000 columns,
// stray and unclosed quotes, formula cells, NUL bytes, invalid UTF-8, too
// many rows (422 import_rejected), JSON instead of CSV (415); and a valid
// file sent as a dry run (200), which must change nothing either.
func importCases(tg target) []targetedCase {
	csvReq := func(path, body string) *http.Request {
		req, _ := http.NewRequest("POST", tg.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+tg.ka)
		return req
	}
	var cases []targetedCase
	for _, route := range []struct{ path, header, row string }{
		{"/v1/imports/customers", "code,name", "HOST-9,Hostile"},
		{"/v1/imports/contacts", "code,name", "HOST-1,Hostile"},
		{"/v1/imports/key-persons", "code,name,role", "HOST-1,Hostile,head"},
	} {
		refused := func(what, body string) {
			cases = append(cases, targetedCase{class: "hostile CSV", what: route.path + " " + what, req: csvReq(route.path, body),
				wantStatus: 422, wantCode: "import_rejected"})
		}
		h, row := route.header+"\n", route.row
		// Just over the 5 MiB cap, so the server drains the rest and the
		// client reads the answer rather than a reset.
		cases = append(cases, targetedCase{class: "hostile CSV", what: route.path + " file over 5 MiB", wantStatus: 413, wantCode: "body_too_large",
			req: csvReq(route.path, h+strings.Repeat(row+"\n", (5<<20+32<<10)/(len(row)+1)))})
		refused("10,000 columns", route.header+strings.Repeat(",x", 10_000)+"\n"+row+"\n")
		refused("bare quote", h+row+"Na\"me\n")
		refused("unclosed quote", h+"\""+row+"\n")
		refused("quote then text", h+"\"HOST-1\"x,"+row+"\n")
		for _, f := range []string{"=cmd|' /C calc'!A0", "@SUM(1)", "=HYPERLINK(\"\"http://x\"\")"} {
			refused("formula "+f, h+strings.Replace(row, "Hostile", `"`+f+`"`, 1)+"\n")
		}
		refused("NUL byte", h+row+"\x00\n")
		refused("invalid UTF-8", h+row+"\xff\xfe\n")
		refused("10,001 rows", h+strings.Repeat(row+"\n", 10_001))
		if route.path == "/v1/imports/customers" {
			// Parsed as a decimal, four million digits held a core for
			// minutes, past this client's timeout.
			refused("an amount of four million digits", "code,name,annual_output_value\nHOST-9,Hostile,"+strings.Repeat("9", 4<<20)+"\n")
		}
		refused("header only, made-up column", h[:len(h)-1]+",colour\n")
		json := csvReq(route.path, `{"code":"HOST-9","name":"Hostile"}`)
		json.Header.Set("Content-Type", "application/json")
		cases = append(cases, targetedCase{class: "hostile CSV", what: route.path + " JSON body", req: json, wantStatus: 415, wantCode: "unsupported_media_type"})
	}
	dry := csvReq("/v1/imports/customers?dry_run=true", "code,name,phone\nHOST-9,Dry run,'+86 21 1\nHOST-1,Target renamed,\n")
	cases = append(cases, targetedCase{class: "hostile CSV", what: "a valid dry run", req: dry, wantStatus: 200})
	return cases
}

// slowCase is a request sent a byte per 100 ms: its head, or its body.
type slowCase struct {
	what     string
	head     string // request line and headers, without the blank line
	slowHead bool
}

func slowCases(account string) []slowCase {
	body := func(method, path, token, extra string) string {
		h := method + " " + path + " HTTP/1.1\r\nHost: kam\r\nContent-Type: application/json\r\nContent-Length: 600\r\n" + extra
		if token != "" {
			h += "Authorization: Bearer " + token + "\r\n"
		}
		return h
	}
	return []slowCase{
		{what: "slow body, no token", head: body("POST", "/v1/customers", "", "")},
		{what: "slow body, admin", head: body("POST", "/v1/customers", adminToken, "")},
		{what: "slow body, admin, Idempotency-Key", head: body("POST", "/v1/customers/"+account+"/contacts", adminToken, "Idempotency-Key: slow-1\r\n")},
		{what: "slow body, made-up method", head: body("FROBNICATE", "/v1/customers", adminToken, "")},
		{what: "slow headers", head: body("GET", "/v1/customers", adminToken, "X-Padding: "+strings.Repeat("p", 300)+"\r\n"), slowHead: true},
	}
}

// slowRequest sends a slow case and waits for the server to close the
// connection; it gives up (an outcome with status 599) after 20 s, three
// times what the shrunk read timeout and huma's body deadline need.
func slowRequest(base string, sc slowCase) outcome {
	out := outcome{class: "slow body", what: sc.what}
	u, _ := url.Parse(base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		out.status, out.err = 599, err.Error()
		return out
	}
	defer conn.Close()
	slowPart := `{"name":"` + strings.Repeat("S", 589) + `"}`
	if sc.slowHead {
		slowPart = sc.head + "\r\n"
	} else if _, err := io.WriteString(conn, sc.head+"\r\n"); err != nil {
		out.status, out.err = 599, err.Error()
		return out
	}
	var status atomic.Value
	var nosniff atomic.Bool
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		rd := bufio.NewReader(conn)
		line, _ := rd.ReadString('\n')
		status.Store(line)
		for {
			h, err := rd.ReadString('\n')
			if err != nil || strings.TrimSpace(h) == "" {
				break
			}
			if strings.EqualFold(strings.TrimSpace(h), "X-Content-Type-Options: nosniff") {
				nosniff.Store(true)
			}
		}
		_, _ = io.Copy(io.Discard, rd) // until the server closes
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	bound := time.After(20 * time.Second)
	for i := 0; ; i++ {
		select {
		case <-closed:
			line, _ := status.Load().(string)
			if f := strings.Fields(line); len(f) > 1 {
				out.status, _ = strconv.Atoi(f[1])
			} // no status line: closed without an answer (status 0)
			out.nosniff = nosniff.Load()
			return out
		case <-bound:
			out.status, out.err = 599, "connection still open after 20 s"
			return out
		case <-tick.C:
			if i < len(slowPart) {
				_, _ = conn.Write([]byte{slowPart[i]}) // an error: the server is gone; wait for the reader
			}
		}
	}
}

// failureLog groups failed expectations by class and kind, so that a broken
// class reads as one line with a count and examples, not thousands.
type failureLog struct {
	byKind map[string][]string
}

func (f *failureLog) add(class, kind, example string) {
	if f.byKind == nil {
		f.byKind = map[string][]string{}
	}
	k := class + ": " + kind
	f.byKind[k] = append(f.byKind[k], example)
}

// check holds one answer to SPEC §7: never a 5xx (nor a dropped
// connection), never a problem over 16 KiB, never a success for a hostile
// change, the named status and code where SPEC names one, and an
// X-Request-Id of the allowed shape.
func (f *failureLog) check(o outcome) {
	switch {
	case o.status >= 500:
		f.add(o.class, fmt.Sprintf("%d", o.status), fmt.Sprintf("%s %s", o.what, o.err))
	case o.status < 300 && o.status != 0 && o.wantStatus == 0 && !strings.HasPrefix(o.what, "GET"):
		f.add(o.class, "hostile change accepted", fmt.Sprintf("%s (%d)", o.what, o.status))
	}
	if o.wantStatus != 0 && (o.status != o.wantStatus || o.code != o.wantCode) {
		f.add(o.class, fmt.Sprintf("want %d %s", o.wantStatus, o.wantCode), fmt.Sprintf("%s: %d %s", o.what, o.status, o.code))
	}
	if o.status >= 400 && o.size > maxProblemBytes {
		f.add(o.class, "problem body over 16 KiB", o.what)
	}
	if o.requestID != "" && !requestIDShape.MatchString(o.requestID) {
		f.add(o.class, "X-Request-Id answered outside [A-Za-z0-9._:-]{1,128}", fmt.Sprintf("%s: %.40q", o.what, o.requestID))
	}
	// net/http itself answers a request it cannot parse (a made-up method
	// that is not a token, 431) before kam sees it: no id to echo there.
	fromServer := o.status == 431 || (o.status == 400 && !o.problem)
	// Every answer kam writes, problems echoing hostile values included,
	// tells the browser not to sniff it into HTML.
	if o.status != 0 && o.status != 599 && !fromServer && !o.nosniff {
		f.add(o.class, "answered without X-Content-Type-Options: nosniff", fmt.Sprintf("%s (%d)", o.what, o.status))
	}
	if (o.sentID || strings.HasPrefix(o.what, "archive read, request id")) && o.status < 500 && !fromServer && o.requestID == "" {
		f.add(o.class, "hostile X-Request-Id not replaced by an echoed one", fmt.Sprintf("%s (%d %s)", o.what, o.status, o.code))
	}
}

func (f *failureLog) report(t *testing.T) {
	t.Helper()
	kinds := make([]string, 0, len(f.byKind))
	for k := range f.byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		ex := f.byKind[k]
		sort.Strings(ex)
		ex = slices.Compact(ex)
		t.Errorf("%s: %d times, e.g.\n\t%s", k, len(f.byKind[k]), strings.Join(ex[:min(len(ex), 5)], "\n\t"))
	}
}
