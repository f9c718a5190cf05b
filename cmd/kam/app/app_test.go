package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"

	"kam/cmd/kam/app"
	"kam/db"
	"kam/db/dbtest"
	"kam/workflows"
)

const adminToken = "kam_app_test_admin_token_0123456789abcdef"

var dsn string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	var drop func()
	var err error
	dsn, drop, err = dbtest.NewDatabase("app")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer drop()
	return m.Run()
}

func quiet() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// testLog keeps the app's warnings and errors of one test and shows the last
// of them only if the test fails: a process that stalls (a lost start, a
// refused activity) then says why, and a passing run stays quiet.
func testLog(t *testing.T) *slog.Logger {
	buf := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			out := buf.String()
			if len(out) > 32<<10 {
				out = "…" + out[len(out)-32<<10:]
			}
			t.Logf("the app's warnings and errors:\n%s", out)
		}
	})
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 { // only the tail is ever shown
		b.buf.Next(b.buf.Len() - 256<<10)
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func config(t *testing.T, settings workflows.Settings) app.Config {
	return app.Config{
		DatabaseURL: dsn, TemporalNamespace: "default", HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(),
		BootstrapToken: adminToken, Timezone: time.UTC, Settings: settings,
	}
}

func start(t *testing.T, cfg app.Config, ephemeral bool) *app.Running {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := app.Start(ctx, cfg, app.Parts{EmbeddedTemporal: true, Ephemeral: ephemeral, Migrate: true, Bootstrap: true, API: true, Worker: true, Out: io.Discard}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type client struct {
	t    *testing.T
	base string
}

func (c client) do(method, path, token string, body any, want int) map[string]any {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out
}

func (c client) staff(role string) (id, token string) {
	st := c.do("POST", "/v1/staff", adminToken, map[string]any{"name": role, "role": role}, 201)
	tok := c.do("POST", "/v1/staff/"+st["id"].(string)+"/tokens", adminToken, nil, 201)
	return st["id"].(string), tok["token"].(string)
}

// inbox counts the caller's notices of a kind about one account (customer
// "": any). Counting only the test's own account matters: the database is
// the package's, and a role-wide notice about an earlier test's account
// (a reconciled run that escalates again) reaches this test's staff too.
func (c client) inbox(token, kind, customer string) int {
	n := 0
	for _, it := range c.do("GET", "/v1/me/notifications?limit=200", token, nil, 200)["items"].([]any) {
		m := it.(map[string]any)
		if m["kind"] == kind && (customer == "" || m["customer_id"] == customer) {
			n++
		}
	}
	return n
}

// eventually polls cond until it holds or the deadline passes; the machine may be slow.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// completeArchive fills in every Art. 7 section through the API.
func completeArchive(c client, token, id, manager string) {
	c.do("PATCH", "/v1/customers/"+id, token, map[string]any{
		"nature": "state-owned", "industry": "steel", "product_category": "equipment", "legal_representative": "Li Wei",
		"company_size": "2000 staff", "main_products": "rebar", "annual_output_value": "880000000.00", "credibility": "AAA",
		"profit_status": "profit", "address": "1 Harbour Rd", "postcode": "200000", "phone": "+86 21 5555 0000",
		"email": "ka@steel.example", "account_manager_id": manager,
	}, 200)
	c.do("POST", "/v1/customers/"+id+"/contacts", token, map[string]any{"name": "Wang Fang", "phone": "+86 139 0000 0000"}, 201)
	c.do("POST", "/v1/customers/"+id+"/key-persons", token, map[string]any{"name": "Zhao Min", "role": "head", "birthday": "1968-05-04"}, 201)
	c.do("POST", "/v1/customers/"+id+"/key-persons", token, map[string]any{"name": "Qian Lei", "role": "handler"}, 201)
	c.do("PUT", "/v1/customers/"+id+"/credit", token, map[string]any{"credit_level": "A", "arrears_limit": "2000000", "settlement_cycle": "@monthly", "payment_term_days": 30}, 200)
}

// webhook records signed deliveries.
type webhook struct {
	mu     sync.Mutex
	keys   map[string]int
	badSig int
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	defer w.mu.Unlock()
	// Standard Webhooks (SPEC §7), verified as a receiver would: HMAC-SHA256
	// of "id.timestamp.body" under the raw secret.
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, []byte("hook-secret"))
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	if id == "" || ts == "" || r.Header.Get("webhook-signature") != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		w.badSig++
	}
	var payload struct {
		EventKey string `json:"event_key"`
	}
	_ = json.Unmarshal(body, &payload)
	w.keys[payload.EventKey]++
}

// Art. 7.1 end to end with days shrunk to seconds: a new account's data
// clerks are reminded, the KA manager is told once after the escalation
// period, the webhook gets signed copies, and completing the archive through
// the API ends the run.
func TestOnboardingThroughTheAPI(t *testing.T) {
	hook := &webhook{keys: map[string]int{}}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	settings := workflows.DefaultSettings()
	settings.OnboardingRemindEvery, settings.OnboardingEscalateAfter = time.Second, 3*time.Second
	cfg := config(t, settings)
	cfg.WebhookURL, cfg.WebhookSecret = hs.URL, "hook-secret"
	r := start(t, cfg, true)
	defer r.Stop()
	c := client{t: t, base: r.URL}
	_, clerk := c.staff("data_clerk")
	_, ka := c.staff("ka_manager")
	am, _ := c.staff("account_manager")

	id := c.do("POST", "/v1/customers", ka, map[string]any{"code": "ONB-" + uuid.NewString()[:8], "name": "Onboarding Ltd"}, 201)["id"].(string)
	eventually(t, 60*time.Second, "two reminders and one escalation", func() bool {
		return c.inbox(clerk, "archive_incomplete", id) >= 2 && c.inbox(ka, "archive_escalated", id) == 1
	})
	got := c.do("GET", "/v1/customers/"+id, ka, nil, 200)
	if got["archive_complete"] != false || len(got["missing_sections"].([]any)) != 5 {
		t.Fatalf("customer = %v", got)
	}

	completeArchive(c, ka, id, am)
	wid := workflows.OnboardingWorkflowID(uuid.MustParse(id))
	eventually(t, 30*time.Second, "the onboarding run to complete", func() bool {
		d, err := r.Temporal.DescribeWorkflowExecution(context.Background(), wid, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	got = c.do("GET", "/v1/customers/"+id, ka, nil, 200)
	if got["archive_complete"] != true || len(got["missing_sections"].([]any)) != 0 {
		t.Fatalf("customer = %v", got)
	}
	var st workflows.OnboardingState
	if err := r.Temporal.GetWorkflow(context.Background(), wid, "").Get(context.Background(), &st); err != nil {
		t.Fatal(err)
	}
	if !st.Complete || !st.Escalated || st.Reminders < 2 {
		t.Fatalf("result = %+v", st)
	}
	// Exactly once per event: every reminder number appears once per clerk.
	if n := c.inbox(ka, "archive_escalated", id); n != 1 {
		t.Fatalf("%d escalations", n)
	}
	if n := c.inbox(clerk, "archive_incomplete", id); n != st.Reminders {
		t.Fatalf("clerk has %d reminders, the run sent %d", n, st.Reminders)
	}
	recordHistory(t, r, wid)
	// The webhook copy is sent by the deliverer after the inbox entry is
	// written (SPEC §7: delivery never delays a process), so it may trail.
	eventually(t, 30*time.Second, "the webhook copies of the escalation and the first reminder", func() bool {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		return hookKeys(hook, wid, "/escalate") >= 1 && hookKeys(hook, wid, "/remind/1") >= 1
	})
	hook.mu.Lock()
	defer hook.mu.Unlock()
	if hook.badSig != 0 {
		t.Fatalf("webhook saw %v, %d bad signatures", hook.keys, hook.badSig)
	}
}

// hookKeys counts the webhook copies of one onboarding run's notices: keys
// begin with the workflow ID and end with what the notice is.
func hookKeys(hook *webhook, wid, suffix string) int {
	n := 0
	for k, v := range hook.keys {
		if strings.HasPrefix(k, wid+"/") && strings.HasSuffix(k, suffix) {
			n += v
		}
	}
	return n
}

// inboxFor counts one account's notices of a kind in a caller's inbox.
func (c client) inboxFor(token, kind, customer string) int {
	n := 0
	for _, it := range c.do("GET", "/v1/me/notifications?limit=200", token, nil, 200)["items"].([]any) {
		if m := it.(map[string]any); m["kind"] == kind && m["customer_id"] == customer {
			n++
		}
	}
	return n
}

// Art. 7.2 end to end: a complete archive ends its onboarding run; removing
// its head makes it incomplete again, a new run reminds the data clerks again
// (under keys of its own, so no reminder is dropped as already sent), and
// putting a head back ends that run too. Re-record its history with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/onboarding-again.json go test ./cmd/kam/app -run OnboardingAgain
func TestOnboardingAgainAfterARemoval(t *testing.T) {
	settings := workflows.DefaultSettings()
	settings.OnboardingRemindEvery, settings.OnboardingEscalateAfter = time.Second, time.Hour
	r := start(t, config(t, settings), true)
	defer r.Stop()
	c := client{t: t, base: r.URL}
	_, clerk := c.staff("data_clerk")
	_, ka := c.staff("ka_manager")
	am, _ := c.staff("account_manager")
	id := c.do("POST", "/v1/customers", ka, map[string]any{"code": "AGAIN-" + uuid.NewString()[:8], "name": "Upkeep Ltd"}, 201)["id"].(string)
	completeArchive(c, ka, id, am)
	wid := workflows.OnboardingWorkflowID(uuid.MustParse(id))
	runOf := func() (string, enumspb.WorkflowExecutionStatus) {
		d, err := r.Temporal.DescribeWorkflowExecution(context.Background(), wid, "")
		if err != nil {
			return "", 0
		}
		return d.WorkflowExecutionInfo.Execution.RunId, d.WorkflowExecutionInfo.Status
	}
	eventually(t, 30*time.Second, "the first run to complete", func() bool {
		_, st := runOf()
		return st == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	first, _ := runOf()
	before := c.inboxFor(clerk, "archive_incomplete", id)

	var head string
	for _, it := range c.do("GET", "/v1/customers/"+id+"/key-persons", ka, nil, 200)["items"].([]any) {
		if k := it.(map[string]any); k["role"] == "head" {
			head = k["id"].(string)
		}
	}
	c.do("DELETE", "/v1/customers/"+id+"/key-persons/"+head, ka, nil, 204)
	if got := c.do("GET", "/v1/customers/"+id, ka, nil, 200); got["archive_complete"] != false || fmt.Sprint(got["missing_sections"]) != "[key_persons]" {
		t.Fatalf("after the removal: %v", got)
	}
	eventually(t, 30*time.Second, "a new run reminding the data clerks again", func() bool {
		run, st := runOf()
		return run != first && st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && c.inboxFor(clerk, "archive_incomplete", id) >= before+2
	})
	second, _ := runOf()
	c.do("POST", "/v1/customers/"+id+"/key-persons", ka, map[string]any{"name": "Sun Li", "role": "head"}, 201)
	eventually(t, 30*time.Second, "the new run to complete", func() bool {
		run, st := runOf()
		return run == second && st == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	var st workflows.OnboardingState
	if err := r.Temporal.GetWorkflow(context.Background(), wid, second).Get(context.Background(), &st); err != nil {
		t.Fatal(err)
	}
	if !st.Complete || st.Reminders < 2 || st.Escalated {
		t.Fatalf("second run = %+v", st)
	}
	recordHistory(t, r, wid)
}

// kam dev keeps Temporal in a SQLite file, or with --temporal-store postgres
// in Postgres: either way a run opened before a restart is still there after
// it, and finishes when the archive is completed.
func TestRestartPicksUpOpenWorkflows(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) { restartPicksUpOpenWorkflows(t, store) })
	}
}

func restartPicksUpOpenWorkflows(t *testing.T, store string) {
	settings := workflows.DefaultSettings()
	settings.OnboardingRemindEvery, settings.OnboardingEscalateAfter = time.Hour, 2*time.Hour
	cfg := config(t, settings)
	cfg.TemporalStore = store
	if store == "postgres" {
		pg, err := app.TemporalDatabases(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dropDatabases(t, pg.Database, pg.VisibilityDatabase) })
	}
	r := start(t, cfg, false)
	c := client{t: t, base: r.URL}
	_, ka := c.staff("ka_manager")
	am, _ := c.staff("account_manager")
	id := c.do("POST", "/v1/customers", ka, map[string]any{"code": "RST-" + uuid.NewString()[:8], "name": "Restart Co"}, 201)["id"].(string)
	wid := workflows.OnboardingWorkflowID(uuid.MustParse(id))
	eventually(t, 30*time.Second, "the run to be open", func() bool {
		d, err := r.Temporal.DescribeWorkflowExecution(context.Background(), wid, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && d.WorkflowExecutionInfo.HistoryLength > 3
	})
	r.Stop()

	r = start(t, cfg, false)
	defer r.Stop()
	c.base = r.URL
	d, err := r.Temporal.DescribeWorkflowExecution(context.Background(), wid, "")
	if err != nil || d.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("after restart: %v %v", d, err)
	}
	completeArchive(c, ka, id, am)
	eventually(t, 30*time.Second, "the run to complete after restart", func() bool {
		d, err := r.Temporal.DescribeWorkflowExecution(context.Background(), wid, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	if store == "postgres" {
		// The run lives in Temporal's own tables in Postgres, not in a file.
		pg, err := app.TemporalDatabases(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		tdsn, _ := db.WithDatabase(dsn, pg.Database)
		conn, err := pgx.Connect(context.Background(), tdsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM executions WHERE workflow_id = $1", wid).Scan(&n); err != nil || n != 1 {
			t.Fatalf("executions rows for %s: %d, %v", wid, n, err)
		}
		// The data dir holds only the access register's key and checkpoints.
		entries, _ := os.ReadDir(cfg.DataDir)
		for _, e := range entries {
			if e.Name() != "register.key" && e.Name() != "register-checkpoints.jsonl" {
				t.Fatalf("the Postgres store left files in the data dir: %v", entries)
			}
		}
	}
}

func dropDatabases(t *testing.T, names ...string) {
	admin, err := db.WithDatabase(dsn, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, n := range names {
		if _, err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	}
}

// recordHistory writes a finished run's history for the workflows package's
// replay test, when KAM_RECORD_HISTORY names the file:
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/onboarding.json go test ./cmd/kam/app -run Onboarding
func recordHistory(t *testing.T, r *app.Running, wid string) {
	if path := os.Getenv("KAM_RECORD_HISTORY"); path != "" {
		if err := workflows.RecordHistory(context.Background(), r.Temporal, wid, path); err != nil {
			t.Fatal(err)
		}
	}
}

// Art. 20 end to end with seconds for days: the tier's cadence plans a visit,
// the account manager is told ahead, a recorded visit completes it, an
// unrecorded one is missed and the KA manager told; churn stops the plan.
func TestVisitPlanThroughTheAPI(t *testing.T) {
	settings := workflows.DefaultSettings()
	settings.VisitLead, settings.VisitGrace = time.Second, 3*time.Second
	r := start(t, config(t, settings), true)
	defer r.Stop()
	c := client{t: t, base: r.URL}
	_, ka := c.staff("ka_manager")
	amID, am := c.staff("account_manager")
	tier := c.do("GET", "/v1/tiers/S", ka, nil, 200)
	tier["visit_cadence"] = "@every 4s"
	delete(tier, "code")
	delete(tier, "rank")
	delete(tier, "updated_at")
	c.do("PUT", "/v1/tiers/S", adminToken, tier, 200)

	id := c.do("POST", "/v1/customers", ka, map[string]any{"code": "VIS-" + uuid.NewString()[:8], "name": "Visited Ltd", "tier": "S", "account_manager_id": amID}, 201)["id"].(string)
	visits := func(status string) int {
		n := 0
		for _, v := range c.do("GET", "/v1/customers/"+id+"/visits", am, nil, 200)["items"].([]any) {
			if v.(map[string]any)["status"] == status {
				n++
			}
		}
		return n
	}
	eventually(t, 30*time.Second, "a planned visit and its notice", func() bool { return visits("planned") == 1 && c.inbox(am, "visit_due", id) >= 1 })
	v := c.do("POST", "/v1/customers/"+id+"/visits", am, map[string]any{"visited_on": time.Now().Format(time.DateOnly), "notes": "plant tour", "outcome": "renewal agreed"}, 201)
	if v["status"] != "done" || v["due_at"] == nil {
		t.Fatalf("recorded visit = %v", v)
	}
	eventually(t, 30*time.Second, "a missed visit told to the KA manager", func() bool { return visits("missed") >= 1 && c.inbox(ka, "visit_missed", id) >= 1 })
	c.do("POST", "/v1/customers/"+id+"/churn", ka, map[string]any{"reason": "competitor", "effective_on": time.Now().Format(time.DateOnly)}, 201)
	wid := workflows.VisitPlanWorkflowID(uuid.MustParse(id))
	eventually(t, 30*time.Second, "the plan to stop", func() bool {
		d, err := r.Temporal.DescribeWorkflowExecution(context.Background(), wid, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED && visits("planned") == 0
	})
	recordHistory(t, r, wid)
	// The greeting sweep is a Schedule the Temporal CLI can see.
	desc, err := r.Temporal.ScheduleClient().GetHandle(context.Background(), workflows.GreetingScheduleID).Describe(context.Background())
	if err != nil || len(desc.Schedule.Spec.CronExpressions) == 0 && len(desc.Schedule.Spec.Calendars) == 0 {
		t.Fatalf("greeting schedule: %+v %v", desc, err)
	}
}
