package api_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"

	"kam"
)

var serverRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// registeredPurposes returns the purposes the register holds for requestID.
func registeredRows(t *testing.T, requestID string) []string {
	t.Helper()
	rows, err := running.Store.Pool.Query(context.Background(), "SELECT purpose FROM access_log WHERE request_id = $1", requestID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// SPEC §7: X-Access-Purpose is cut at 200 characters, at a character
// boundary; a byte-wise cut split a Chinese character and the register
// refused the row (503).
func TestAccessPurposeCutAtCharacter(t *testing.T) {
	finance := staffByRole(t)[kam.RoleFinance]
	id := newAccount(t, "")
	for _, n := range []int{67, 70, 250} {
		purpose := strings.Repeat("审", n)
		rid := "purpose-" + uuid.NewString()
		r := must(t, call(t, "GET", "/v1/customers/"+id, finance.Token, nil, header{"X-Access-Purpose", purpose}, header{"X-Request-Id", rid}), 200)
		if got := r.Header.Get("X-Request-Id"); got != rid {
			t.Fatalf("echoed request id %q, want %q", got, rid)
		}
		rows := registeredRows(t, rid)
		if len(rows) != 1 {
			t.Fatalf("%d register rows for %s", len(rows), rid)
		}
		want := min(n, 200)
		if !utf8.ValidString(rows[0]) || utf8.RuneCountInString(rows[0]) != want || rows[0] != strings.Repeat("审", want) {
			t.Fatalf("%d characters in: registered %d characters (%q)", n, utf8.RuneCountInString(rows[0]), rows[0])
		}
	}
}

// SPEC §7: invalid UTF-8 in X-Access-Purpose is 400 malformed_header.
func TestAccessPurposeInvalidUTF8Refused(t *testing.T) {
	finance := staffByRole(t)[kam.RoleFinance]
	id := newAccount(t, "")
	rid := "badpurpose-" + uuid.NewString()
	r := call(t, "GET", "/v1/customers/"+id, finance.Token, nil, header{"X-Access-Purpose", "audit \xff\xfe"}, header{"X-Request-Id", rid})
	problem(t, r, http.StatusBadRequest, "malformed_header")
	if r.Header.Get("X-Request-Id") != rid {
		t.Fatalf("problem echoed request id %q", r.Header.Get("X-Request-Id"))
	}
}

// SPEC §7: an X-Request-Id outside [A-Za-z0-9._:-]{1,128} is replaced by the
// server's own, which is echoed and registered; the request succeeds.
func TestAccessRequestIDReplacedWhenMalformed(t *testing.T) {
	finance := staffByRole(t)[kam.RoleFinance]
	id := newAccount(t, "")
	for name, sent := range map[string]string{
		"non-UTF-8 byte": "abc\xffdef",
		"129 characters": strings.Repeat("a", 129),
		"space":          "two words",
		"slash":          "host/123",
		"500 KB":         strings.Repeat("x", 500<<10),
	} {
		r := call(t, "GET", "/v1/customers/"+id, finance.Token, nil, header{"X-Request-Id", sent})
		if name == "500 KB" && r.Status == http.StatusRequestHeaderFieldsTooLarge {
			continue // a header limit below 500 KB refuses it before kam: nothing stored
		}
		must(t, r, 200)
		got := r.Header.Get("X-Request-Id")
		if got == sent || !serverRequestID.MatchString(got) {
			t.Fatalf("%s: echoed %.40q", name, got)
		}
		if rows := registeredRows(t, got); len(rows) != 1 {
			t.Fatalf("%s: %d register rows under the server's id %s", name, len(rows), got)
		}
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE length(request_id) > 128 OR request_id !~ '^[A-Za-z0-9._:-]*$'"); n != 0 {
		t.Fatalf("%d register rows hold a request id outside SPEC §7's shape", n)
	}
}

// A well-formed X-Request-Id is kept and echoed, on every response: served,
// refused, unauthenticated and outside /v1.
func TestAccessRequestIDEchoedOnEveryResponse(t *testing.T) {
	finance := staffByRole(t)[kam.RoleFinance]
	for _, c := range []struct {
		path, token string
		status      int
	}{
		{"/v1/me", finance.Token, 200},
		{"/v1/access-log", finance.Token, 403},
		{"/v1/me", "", 401},
		{"/v1/no-such-route", finance.Token, 404},
		{"/healthz", "", 200},
	} {
		rid := "Echo-" + uuid.NewString() + ":1.2_3"
		r := call(t, "GET", c.path, c.token, nil, header{"X-Request-Id", rid})
		if r.Status != c.status || r.Header.Get("X-Request-Id") != rid {
			t.Fatalf("GET %s: %d, X-Request-Id %q; want %d and %q", c.path, r.Status, r.Header.Get("X-Request-Id"), c.status, rid)
		}
		r = call(t, "GET", c.path, c.token, nil)
		if got := r.Header.Get("X-Request-Id"); !serverRequestID.MatchString(got) {
			t.Fatalf("GET %s without an id: echoed %q", c.path, got)
		}
	}
}

// Bytes Go's own client would not send reach the server over a raw
// connection: a request id with a high byte and a purpose in Latin-1.
func TestAccessRawHeaderBytes(t *testing.T) {
	finance := staffByRole(t)[kam.RoleFinance]
	id := newAccount(t, "")
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	send := func(extra string) (int, http.Header) {
		t.Helper()
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /v1/customers/%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n%sConnection: close\r\n\r\n", id, u.Host, finance.Token, extra)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header
	}
	status, h := send("X-Request-Id: r\x80\xfe\r\n")
	if status != 200 || !serverRequestID.MatchString(h.Get("X-Request-Id")) {
		t.Fatalf("raw request id: %d, echoed %q", status, h.Get("X-Request-Id"))
	}
	status, _ = send("X-Access-Purpose: Pr\xfcfung\r\n")
	if status != http.StatusBadRequest {
		t.Fatalf("Latin-1 purpose: %d", status)
	}
}
