package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// fuzzRoutes are the writing operations whose request decoding and
// validation the fuzzer drives; {c} is an account the caller may change.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/v1/customers"}, {"PATCH", "/v1/customers/{c}"}, {"POST", "/v1/customers/{c}/contacts"},
	{"POST", "/v1/customers/{c}/key-persons"}, {"PUT", "/v1/customers/{c}/credit"}, {"POST", "/v1/customers/{c}/charges"},
	{"POST", "/v1/customers/{c}/payments"}, {"POST", "/v1/discount-requests"}, {"POST", "/v1/tickets"},
	{"POST", "/v1/customers/{c}/sales"}, {"POST", "/v1/customers/{c}/visits"}, {"POST", "/v1/holidays"},
	{"PUT", "/v1/tiers/B"}, {"PUT", "/v1/discount-policies/B/services"}, {"POST", "/v1/staff"}, {"POST", "/v1/events"},
}

// fuzzContentTypes are the Content-Types a body is sent under: huma reads
// all but the last two as JSON (no type, ";" and "+;" as its default).
var fuzzContentTypes = []string{"application/json", ";", "+;", "", "APPLICATION/JSON; charset=utf-8",
	"application/merge-patch+json", "application/x-unknown", "text/csv"}

// FuzzRequestBodies: no body, however malformed and under whatever
// Content-Type, makes a writing operation answer 5xx, and none carrying a
// bidi override is accepted (SPEC §7 text rules). `go test` runs the seeds;
// `go test ./api -fuzz FuzzRequestBodies` explores (the KA manager's token,
// so most bodies reach validation).
func FuzzRequestBodies(f *testing.F) {
	for i := range fuzzRoutes {
		for _, seed := range []string{`{}`, `{"name":"x","code":"A-1"}`, `{"amount":"-1"}`, `{"rate":"1e999"}`, `[`, `null`,
			`{"settlement_cycle":"@every -1s","credit_level":"A","arrears_limit":"1","payment_term_days":-3}`, "{\"name\":\"\u0000\"}"} {
			f.Add(uint8(i), uint8(0), []byte(seed))
		}
		for ct := range fuzzContentTypes {
			f.Add(uint8(i), uint8(ct), []byte(`{"code":"F-1","name":"A\u202eB"}`))
			f.Add(uint8(i), uint8(ct), []byte(`{"name":"A\u202eB"}`))
			f.Add(uint8(i), uint8(ct), []byte(`{"name":[`+strings.Repeat(`"x",`, 2000)+`"x"]}`))
		}
	}
	f.Fuzz(func(t *testing.T, route, ct uint8, body []byte) {
		ka := staffByRole(t)["ka_manager"]
		account := fuzzAccount(t)
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		path := r.path
		if i := bytes.Index([]byte(path), []byte("{c}")); i >= 0 {
			path = path[:i] + account + path[i+3:]
		}
		req, _ := http.NewRequest(r.method, baseURL+path, bytes.NewReader(body))
		if typ := fuzzContentTypes[int(ct)%len(fuzzContentTypes)]; typ != "" {
			req.Header.Set("Content-Type", typ)
		}
		req.Header.Set("Authorization", "Bearer "+ka.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s as %q with %q: %d", r.method, r.path, req.Header.Get("Content-Type"), body, res.StatusCode)
		}
		if res.StatusCode < 300 && hasBidiOverride(body) {
			t.Fatalf("%s %s as %q accepted %q", r.method, r.path, req.Header.Get("Content-Type"), body)
		}
	})
}

// hasBidiOverride tells whether a JSON text holds U+202E, as is or escaped.
func hasBidiOverride(b []byte) bool {
	return bytes.Contains(b, []byte("\u202e")) || bytes.Contains(bytes.ToLower(b), []byte(`\u202e`))
}

var fuzzAccountID string

func fuzzAccount(t *testing.T) string {
	if fuzzAccountID == "" {
		fuzzAccountID = newAccount(t, "")
	}
	return fuzzAccountID
}
