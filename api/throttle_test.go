package api_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
)

// One member of staff may not hold more than two heavy operations at once
// (api.DefaultLimits): the third is refused 429 rate_limited with a
// Retry-After, claims no Idempotency-Key, and nobody else is held up. Before,
// an account manager's 30 ten-year reports at once took the database pool
// from everyone (a colleague's archive read: 2.8 s at the median).
func TestHeavyOperationsPerStaffAreBounded(t *testing.T) {
	clerk := newStaff(t, kam.RoleDataClerk)
	other := newStaff(t, kam.RoleDataClerk)
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	// An import whose body is still arriving is in flight: its headers
	// passed the limits, huma waits for the rest (up to 30 s).
	var held []net.Conn
	release := func() {
		for _, c := range held {
			c.Close()
		}
		held = nil
	}
	defer release()
	csv := func(token string, headers ...header) resp {
		hs := append([]header{{"Content-Type", "text/csv"}}, headers...)
		return call(t, "POST", "/v1/imports/contacts?dry_run=true", token, "code,name\n", hs...)
	}
	// A probe that overtakes a held import's headers is served and the
	// import refused instead: then hold two afresh, and wait longer. The
	// refused probe waited its turn first (KAM_HEAVY_WAIT, 10 s), and claimed
	// no Idempotency-Key.
	var refused resp
	var key string
	var waited time.Duration
	for attempt := 1; attempt <= 5; attempt++ {
		release()
		for range 2 {
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, conn)
			fmt.Fprintf(conn, "POST /v1/imports/contacts HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\ncode,name\n", u.Host, clerk.Token)
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		key = uuid.NewString()
		start := time.Now()
		if refused = csv(clerk.Token, header{"Idempotency-Key", key}); refused.Status == http.StatusTooManyRequests {
			waited = time.Since(start)
			break
		}
	}
	problem(t, refused, http.StatusTooManyRequests, "rate_limited")
	if refused.Header.Get("Retry-After") != "1" || !strings.HasPrefix(refused.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("refusal headers %v", refused.Header)
	}
	if waited < 5*time.Second {
		t.Fatalf("refused after %s, without waiting its turn", waited)
	}
	// An archive rebuilt ?as_of= is heavy too (and the limit comes before
	// the role's checks); an ordinary read is not, nor is anyone else's.
	account := newAccount(t, "")
	problem(t, call(t, "GET", "/v1/customers/"+account+"?as_of="+time.Now().Format(time.DateOnly), clerk.Token, nil), http.StatusTooManyRequests, "rate_limited")
	must(t, call(t, "GET", "/v1/customers/"+account, clerk.Token, nil), 200)
	must(t, call(t, "GET", "/v1/me", clerk.Token, nil), 200)
	must(t, csv(other.Token), 200)
	if n := countRows(t, "SELECT count(*) FROM idempotency_keys WHERE key = $1", key); n != 0 {
		t.Fatalf("the refused request claimed its key (%d rows)", n)
	}
	release()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := csv(clerk.Token, header{"Idempotency-Key", key})
		if r.Status == 200 {
			break
		}
		if r.Status != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after the held imports ended: %d %s", r.Status, r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The console's Reports screen opens three reports at once: the third
	// waits for one of the first two and all are served.
	ka := newStaff(t, kam.RoleKAManager)
	answers := make(chan int, 3)
	for _, report := range []string{"overview", "churn", "staff"} {
		go func() { answers <- call(t, "GET", "/v1/reports/"+report, ka.Token, nil).Status }()
	}
	for range 3 {
		if status := <-answers; status != 200 {
			t.Fatalf("one of three reports at once answered %d", status)
		}
	}
}

// The OpenAPI document marks the heavy operations, so a client knows which
// requests count against the heavy limit.
func TestHeavyOperationsAreMarked(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]map[string]any `json:"paths"`
	}
	res, err := http.Get(baseURL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var heavy []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			switch op["x-kam-heavy"] {
			case true:
				heavy = append(heavy, strings.ToUpper(method)+" "+path)
			case "as_of":
				heavy = append(heavy, strings.ToUpper(method)+" "+path+"?as_of")
			}
		}
	}
	for _, want := range []string{"GET /v1/reports/overview", "GET /v1/reports/customers/{id}", "GET /v1/reports/churn", "GET /v1/reports/staff",
		"GET /v1/reports/budget", "POST /v1/imports/customers", "POST /v1/imports/contacts", "POST /v1/imports/key-persons",
		"GET /v1/access-log/verify", "POST /v1/tier-reviews", "POST /v1/inspections", "GET /v1/customers/{id}?as_of"} {
		if !strings.Contains(" "+strings.Join(heavy, " | ")+" |", " "+want+" |") {
			t.Errorf("%s is not marked x-kam-heavy (marked: %v)", want, heavy)
		}
	}
	if len(heavy) != 12 {
		t.Errorf("%d heavy operations: %v", len(heavy), heavy)
	}
}
