package api_test

import (
	"strings"
	"testing"

	"kam"
)

// Every answer, problems, CSV, metrics and the OpenAPI document included,
// says nosniff; kam's own answers may not be framed; /v1 answers are not
// cached. The console keeps its own policy.
func TestEveryAnswerCarriesSecurityHeaders(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	cases := []struct {
		method, path, token string
		status              int
		v1                  bool
	}{
		{"GET", "/healthz", "", 200, false},
		{"GET", "/metrics", "", 200, false},
		{"GET", "/openapi.json", "", 200, false},
		{"GET", "/no/such/path", "", 404, false},
		{"GET", "/v1/customers", "", 401, true},
		{"GET", "/v1/customers/%3Cscript%3E", ka.Token, 422, true},
		{"DELETE", "/v1/customers", ka.Token, 405, true},
		{"GET", "/v1/customers", ka.Token, 200, true},
		{"GET", "/v1/reports/churn?format=csv&from=2026-01-01&to=2026-12-31", ka.Token, 200, true},
	}
	for _, c := range cases {
		r := call(t, c.method, c.path, c.token, nil)
		if r.Status != c.status {
			t.Fatalf("%s %s: status %d, want %d: %s", c.method, c.path, r.Status, c.status, r.Raw)
		}
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options %q", c.method, c.path, got)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s %s: Content-Security-Policy %q", c.method, c.path, csp)
		}
		if cc := r.Header.Get("Cache-Control"); c.v1 && cc != "no-store" {
			t.Errorf("%s %s: Cache-Control %q", c.method, c.path, cc)
		}
	}
	page := call(t, "GET", "/console/", "", nil)
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || page.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("console: Content-Security-Policy %q", csp)
	}
}
