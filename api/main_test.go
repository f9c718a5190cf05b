package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/cmd/kam/app"
	"kam/db/dbtest"
	"kam/db/store"
	"kam/workflows"
)

// One kam per test package: a database cloned from the migrated template and
// an embedded Temporal server, behind real HTTP.
var (
	baseURL    string
	ownerDSN   string // the database owner's: tests that change the schema itself
	adminToken = "kam_test_admin_token_0123456789abcdefghij"
	running    *app.Running
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	dsn, drop, err := dbtest.NewDatabase("api")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer drop()
	ownerDSN = dsn
	// Onboarding runs here never fire (cmd/kam/app tests shrink them); the
	// discount approval runs with days shrunk to seconds.
	settings := workflows.DefaultSettings()
	settings.ApprovalRemindEvery = 2 * time.Second
	settings.ApprovalEscalateAfter = 10 * time.Second
	settings.GMDecisionTimeout = 10 * time.Second
	// Credit: a day lasts a second; dunning one and two "days" after due.
	settings.Day = time.Second
	settings.PaymentRemindBefore = 500 * time.Millisecond
	settings.DunningSteps = []time.Duration{time.Second, 2 * time.Second}
	cfg := app.Config{
		DatabaseURL: dsn, TemporalNamespace: "default", HTTPAddr: "127.0.0.1:0",
		BootstrapToken: adminToken, Timezone: time.UTC, Settings: settings,
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	running, err = app.Start(ctx, cfg, app.Parts{EmbeddedTemporal: true, Ephemeral: true, Migrate: true, Bootstrap: true, API: true, Worker: true, Out: io.Discard}, log)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start kam:", err)
		return 1
	}
	defer running.Stop()
	baseURL = running.URL
	code := m.Run()
	if code == 0 && flagValue("test.run") == "" && flagValue("test.bench") == "" {
		// The whole package ran: every route must have been seen both
		// served and refused (SPEC §2 has two sides to every rule).
		if missing := uncoveredRoutes(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "routes not tested on both sides (a 2xx and a 401/403/404):\n  %s\n", strings.Join(missing, "\n  "))
			return 1
		}
	}
	return code
}

func flagValue(name string) string {
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// uncoveredRoutes reads the request counters on /metrics and lists the
// OpenAPI operations that never answered 2xx, or never refused (401/403/404).
func uncoveredRoutes() []string {
	res, err := http.Get(baseURL + "/openapi.json")
	if err != nil {
		return []string{err.Error()}
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	_ = json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	mres, err := http.Get(baseURL + "/metrics")
	if err != nil {
		return []string{err.Error()}
	}
	raw, _ := io.ReadAll(mres.Body)
	mres.Body.Close()
	served, refused := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "kam_http_requests_total{") {
			continue
		}
		labels := map[string]string{}
		for _, kv := range strings.Split(line[strings.Index(line, "{")+1:strings.LastIndex(line, "}")], ",") {
			k, v, _ := strings.Cut(kv, "=")
			labels[k] = strings.Trim(v, `"`)
		}
		key := labels["method"] + " " + labels["route"]
		switch st := labels["status"]; {
		case strings.HasPrefix(st, "2"):
			served[key] = true
		case st == "401" || st == "403" || st == "404":
			refused[key] = true
		}
	}
	var missing []string
	for path, methods := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue // the probes answer without a token
		}
		for method := range methods {
			key := strings.ToUpper(method) + " " + path
			if !served[key] || !refused[key] {
				missing = append(missing, fmt.Sprintf("%s (served %v, refused %v)", key, served[key], refused[key]))
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// resp is a decoded answer.
type resp struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (r resp) str(key string) string {
	v, _ := r.Body[key].(string)
	return v
}

func (r resp) items() []map[string]any {
	raw, _ := r.Body["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

type header struct{ k, v string }

// call sends one request; body may be nil, a string (sent verbatim) or a value (JSON).
func call(t testing.TB, method, path, token string, body any, headers ...header) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, baseURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		req.Header.Set(h.k, h.v)
		if h.v == "" { // a header named empty is sent not at all
			req.Header.Del(h.k)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

func must(t testing.TB, r resp, status int) resp {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

// problem asserts an RFC 9457 answer with the given status and code.
func problem(t testing.TB, r resp, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, r.Raw)
	}
	if got := r.str("code"); got != code {
		t.Fatalf("code %q, want %q: %s", got, code, r.Raw)
	}
	if r.str("title") == "" || r.Body["status"] != float64(status) {
		t.Fatalf("incomplete problem: %s", r.Raw)
	}
}

type member struct {
	ID    string
	Token string
	Role  string
}

// newStaff adds a member of staff with a token, as the admin.
func newStaff(t testing.TB, role string) member {
	t.Helper()
	st := must(t, call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": role + " " + uuid.NewString()[:6], "role": role}), 201)
	tok := must(t, call(t, "POST", "/v1/staff/"+st.str("id")+"/tokens", adminToken, nil), 201)
	return member{ID: st.str("id"), Token: tok.str("token"), Role: role}
}

// roleMembers has one member of every role, made once.
var (
	roleMu      sync.Mutex
	roleMembers map[string]member
)

func staffByRole(t testing.TB) map[string]member {
	t.Helper()
	roleMu.Lock()
	defer roleMu.Unlock()
	if roleMembers == nil {
		roleMembers = map[string]member{}
		for _, r := range kam.Roles {
			roleMembers[r] = newStaff(t, r)
		}
	}
	return roleMembers
}

// newAccount opens an archive as a KA manager, assigned to manager (may be "").
func newAccount(t testing.TB, manager string) string {
	t.Helper()
	ka := staffByRole(t)[kam.RoleKAManager]
	body := map[string]any{"code": "A-" + uuid.NewString()[:13], "name": "Account " + uuid.NewString()[:4], "tier": "A"}
	if manager != "" {
		body["account_manager_id"] = manager
	}
	return must(t, call(t, "POST", "/v1/customers", ka.Token, body), 201).str("id")
}

func countRows(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := running.Store.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// deliverNotice puts one notice into to's inbox, as a process would, and
// answers its id.
func deliverNotice(t testing.TB, to uuid.UUID, key, kind, title, body string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := running.Store.Deliver(ctx, []uuid.UUID{to}, store.Notification{EventKey: key, Kind: kind, Title: title, Body: body}); err != nil {
		t.Fatal(err)
	}
	inbox, err := running.Store.Inbox(ctx, kam.InboxQuery{RecipientID: to, UnreadOnly: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range inbox {
		if n.EventKey == key {
			return n.ID.String()
		}
	}
	t.Fatalf("notice %s is not in the inbox", key)
	return ""
}
