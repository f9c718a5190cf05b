package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"kam/db/dbtest"
)

const crashToken = "kam_crash_test_admin_token_0123456789abcdef"

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The kam binary the subprocess tests run, built once per test process.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// kamBinary builds cmd/kam once for the package's tests (TestMain removes it).
func kamBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "kam-test-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "kam")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

type crashClient struct {
	base string
	hc   *http.Client
}

// do sends a request; during a crash it may fail, which the driver tolerates.
func (c crashClient) do(method, path, token string, body any) (int, map[string]any) {
	return c.doWith(method, path, token, body, nil)
}

// doWith is do with extra headers (an Idempotency-Key, say).
func (c crashClient) doWith(method, path, token string, body any, header map[string]string) (int, map[string]any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// kam dev is killed with SIGKILL 20 times at random moments while approvals
// and settlement cycles are driven through the API; afterwards Postgres must
// show every request in exactly one terminal state and no grant, filing,
// statement, suspension or notification duplicated or missing. Charges are
// reversed moments after they are made, racing the 3-second cycle closes,
// and some of the debtors' settling payments bounce (SPEC §7 "Ledger"): a
// statement must bill a charge and its reversal together or neither, and
// its paid state, the suspension and the reinstatement follow the corrected
// ledger.
// It takes a minute or two; -short skips it. KAM_CRASH_DEBUG=1 also dumps
// the server's view of any request left pending.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts kam dev 20 times")
	}
	dsn, drop, err := dbtest.NewDatabase("crash")
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	if keep := os.Getenv("KAM_CRASH_KEEP"); keep != "" {
		// Keep the database and Temporal's file for a look afterwards.
		dataDir = keep
		t.Logf("keeping %s and %s", dsn, dataDir)
	} else {
		defer drop()
	}
	bin := kamBinary(t)
	httpPort, temporalPort := freePort(t), freePort(t)
	c := crashClient{base: "http://127.0.0.1:" + strconv.Itoa(httpPort), hc: &http.Client{Timeout: 5 * time.Second}}
	env := append(os.Environ(), "DATABASE_URL="+dsn, "KAM_DATA_DIR="+dataDir, "KAM_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(httpPort),
		"KAM_TEMPORAL_PORT="+strconv.Itoa(temporalPort), "KAM_BOOTSTRAP_TOKEN="+crashToken, "KAM_LOG_LEVEL=warn",
		"KAM_APPROVAL_REMIND_EVERY=1s", "KAM_APPROVAL_ESCALATE_AFTER=3s", "KAM_GM_DECISION_TIMEOUT=4s",
		"KAM_DAY=1s", "KAM_PAYMENT_REMIND_BEFORE=500ms", "KAM_DUNNING_STEPS=1s,2s")
	var cmd *exec.Cmd
	start := func() {
		t.Helper()
		cmd = exec.Command(bin, "dev")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if f := os.Getenv("KAM_CRASH_LOG"); f != "" {
			if lf, err := os.OpenFile(f, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
				cmd.Stderr = lf
			}
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			if res, err := c.hc.Get(c.base + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("kam dev did not become ready")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	start()
	staff := func(role string) (string, string) {
		_, st := c.do("POST", "/v1/staff", crashToken, map[string]any{"name": role, "role": role})
		_, tok := c.do("POST", "/v1/staff/"+st["id"].(string)+"/tokens", crashToken, nil)
		return st["id"].(string), tok["token"].(string)
	}
	amID, am := staff("account_manager")
	_, ka := staff("ka_manager")
	_, gm := staff("general_manager")
	_, fin := staff("finance")
	// Payers pay more than they are charged; debtors are only charged, so
	// their statements fall overdue and credit is suspended (Art. 13) until
	// the driver now and then settles what is overdue.
	var accounts, payers, debtors []string
	for i := range 6 {
		_, a := c.do("POST", "/v1/customers", ka, map[string]any{"code": fmt.Sprintf("CR-%d", i), "name": "Crash", "tier": "A", "account_manager_id": amID})
		id := a["id"].(string)
		accounts = append(accounts, id)
		if i < 4 {
			payers = append(payers, id)
		} else {
			debtors = append(debtors, id)
		}
		c.do("PUT", "/v1/customers/"+id+"/credit", fin, map[string]any{"credit_level": "A", "arrears_limit": "100000", "settlement_cycle": "@every 3s", "payment_term_days": 1})
	}

	// The driver keeps working across crashes; failed calls are simply lost.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, 2))
		today := time.Now().Format(time.DateOnly)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			acct := payers[rng.IntN(len(payers))]
			switch rng.IntN(6) {
			case 0, 1:
				rate := []string{"4", "15"}[rng.IntN(2)]
				st, r := c.do("POST", "/v1/discount-requests", am, map[string]any{"customer_id": acct, "product_category": "equipment", "rate": rate,
					"method": "percentage", "valid_from": today, "valid_to": today})
				if st == 201 && rng.IntN(3) > 0 {
					id := r["id"].(string)
					c.do("POST", "/v1/discount-requests/"+id+"/decisions", ka, map[string]any{"decision": "approve"})
					if rate == "15" {
						c.do("POST", "/v1/discount-requests/"+id+"/decisions", gm, map[string]any{"decision": []string{"approve", "reject"}[rng.IntN(2)]})
					}
				}
			case 2:
				st, ch := c.do("POST", "/v1/customers/"+acct+"/charges", fin, map[string]any{"amount": "10", "reference": fmt.Sprintf("C-%d", n), "occurred_on": today})
				if st == 201 && rng.IntN(2) == 0 {
					// A reversal racing the cycle close: moments after its charge.
					time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
					c.do("POST", "/v1/customers/"+acct+"/charges/"+ch["id"].(string)+"/reversal", fin, map[string]any{"reason": "crash test"})
				}
			case 3:
				c.do("POST", "/v1/customers/"+acct+"/payments", fin, map[string]any{"amount": "25", "reference": fmt.Sprintf("P-%d", n), "received_on": today})
			case 4:
				// Refused with 409 while the debtor is suspended.
				d := debtors[rng.IntN(len(debtors))]
				c.do("POST", "/v1/customers/"+d+"/charges", fin, map[string]any{"amount": "10", "reference": fmt.Sprintf("D-%d", n), "occurred_on": today})
			case 5:
				if rng.IntN(3) == 0 {
					// A debtor settles what the arrears overview shows overdue
					// (never ahead, so its next statement falls overdue too);
					// now and then the settlement bounces, and the statements
					// it paid are overdue again.
					d := debtors[rng.IntN(len(debtors))]
					if due := overdueOf(c, fin, d); due != "" {
						st, p := c.do("POST", "/v1/customers/"+d+"/payments", fin, map[string]any{"amount": due, "reference": fmt.Sprintf("S-%d", n), "received_on": today})
						if st == 201 && rng.IntN(3) == 0 {
							c.do("POST", "/v1/customers/"+d+"/payments/"+p["id"].(string)+"/reversal", fin, map[string]any{"reason": "bounced"})
						}
					}
				}
			}
			time.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond)
		}
	}()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	count := func(sql string) int {
		var n int
		if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// At least 20 kills; on a slow, busy machine more, until the driver has
	// done enough under the kills to prove something (up to 40).
	enough := func() bool {
		return count("SELECT count(*) FROM discount_requests") >= 20 && count("SELECT count(*) FROM statements") > 0 &&
			count("SELECT count(*) FROM credit_events WHERE kind = 'credit_suspended'") > 0 &&
			count("SELECT count(*) FROM credit_charges WHERE reverses_id IS NOT NULL") > 0
	}
	rng := rand.New(rand.NewPCG(3, 4))
	kills := 0
	for ; kills < 20 || (kills < 40 && !enough()); kills++ {
		time.Sleep(time.Duration(300+rng.IntN(2500)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		start()
	}
	// A machine too busy for the driver to get that far between kills: let
	// it go on without kills until it has (the runs it left half-done are
	// still the ones the checks below judge).
	for calm := time.Now(); !enough() && time.Since(calm) < 120*time.Second; {
		time.Sleep(time.Second)
	}
	close(stop)
	wg.Wait()
	// Let every run reach its end (the longest is an expiry: 3s + 4s), the
	// grants' filings be written and every check below hold, without any
	// further restart. An activity cut off by the kill is retried only after
	// its start-to-close timeout (15s), so a run can be a while behind: a
	// payment whose signal the kill lost, for one, reinstates credit at the
	// run's next wake. A check that still fails after 180s is a state kam
	// does not leave by itself, and fails the test.
	checks := func(dueBefore string) []struct {
		what string
		sql  string
	} {
		return []struct {
			what string
			sql  string
		}{
			{"requests not in a terminal state", "SELECT count(*) FROM discount_requests WHERE state NOT IN ('approved','rejected','withdrawn','expired')"},
			{"approved requests without exactly one grant", "SELECT count(*) FROM discount_requests r WHERE r.state = 'approved' AND (SELECT count(*) FROM discount_grants g WHERE g.request_id = r.id) <> 1"},
			{"grants of requests not approved", "SELECT count(*) FROM discount_grants g JOIN discount_requests r ON r.id = g.request_id WHERE r.state <> 'approved'"},
			{"standard approvals without a filing", "SELECT count(*) FROM discount_requests r WHERE r.state = 'approved' AND r.route = 'standard' AND NOT r.escalated AND NOT EXISTS (SELECT 1 FROM filings f WHERE f.request_id = r.id)"},
			{"filings of beyond-standard requests", "SELECT count(*) FROM filings f JOIN discount_requests r ON r.id = f.request_id WHERE r.route <> 'standard'"},
			{"decided stages with more than one decision", "SELECT count(*) FROM (SELECT request_id, stage FROM discount_decisions GROUP BY 1, 2 HAVING count(*) > 1) x"},
			{"recorded events without their notification", "SELECT count(*) FROM discount_events e WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_key = e.event_key)"},
			{"credit events without their notification", "SELECT count(*) FROM credit_events e WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_key = e.event_key)"},
			{"charges billed to no or two statements", "SELECT count(*) FROM credit_charges ch WHERE ch.statement_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.id = ch.statement_id)"},
			{"statements whose amount less reversals is not their charges", "SELECT count(*) FROM statements s WHERE s.amount_due - s.reversed <> (SELECT coalesce(sum(amount), 0) FROM credit_charges ch WHERE ch.statement_id = s.id)"},
			{"reversals billed apart from their charges", "SELECT count(*) FROM credit_charges r JOIN credit_charges o ON o.id = r.reverses_id WHERE r.statement_id IS DISTINCT FROM o.statement_id"},
			{"statements whose paid state disagrees with their balance", "SELECT count(*) FROM statements WHERE (status = 'paid') <> (paid >= amount_due - reversed)"},
			{"agreements whose payments are not on statements or in the balance", "SELECT count(*) FROM credit_agreements a WHERE a.paid_total <> a.unapplied + (SELECT coalesce(sum(paid), 0) FROM statements s WHERE s.customer_id = a.customer_id)"},
			{"agreements whose running totals disagree with the ledger", "SELECT count(*) FROM credit_agreements a WHERE a.charged_total <> (SELECT coalesce(sum(amount), 0) FROM credit_charges ch WHERE ch.customer_id = a.customer_id) OR a.paid_total <> (SELECT coalesce(sum(amount), 0) FROM credit_payments p WHERE p.customer_id = a.customer_id)"},
			{"suspended agreements with nothing overdue", "SELECT count(*) FROM credit_agreements a WHERE a.status = 'suspended' AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.customer_id = a.customer_id AND s.status = 'overdue')"},
			{"active agreements with an overdue statement", "SELECT count(*) FROM credit_agreements a WHERE a.status = 'active' AND EXISTS (SELECT 1 FROM statements s WHERE s.customer_id = a.customer_id AND s.status = 'overdue' AND s.due_at < " + dueBefore + ")"},
			{"statements past due still open", "SELECT count(*) FROM statements WHERE status = 'open' AND due_at < " + dueBefore},
			{"overdue statements without their suspension event", "SELECT count(*) FROM statements s WHERE s.status = 'overdue' AND s.due_at < " + dueBefore + " AND NOT EXISTS (SELECT 1 FROM credit_events e WHERE e.event_key LIKE '%statement/' || s.id || '%/suspended')"},
			{"accounts reinstated more often than suspended", "SELECT count(*) FROM credit_agreements a WHERE (SELECT count(*) FROM credit_events e WHERE e.customer_id = a.customer_id AND e.kind = 'credit_reinstated') > (SELECT count(*) FROM credit_events e WHERE e.customer_id = a.customer_id AND e.kind = 'credit_suspended')"},
		}
	}
	pending := func(dueBefore string) (n int) {
		for _, ch := range checks(dueBefore) {
			n += count(ch.sql)
		}
		return n
	}
	settle := time.Now()
	for time.Since(settle) < 180*time.Second && pending("now() - interval '2 seconds'") > 0 {
		time.Sleep(time.Second)
	}
	t.Logf("settled %s after the last restart", time.Since(settle).Round(time.Second))
	if os.Getenv("KAM_CRASH_DEBUG") != "" {
		dumpStuck(t, conn, "127.0.0.1:"+strconv.Itoa(temporalPort))
	}
	time.Sleep(5 * time.Second)
	// What fell due while kam was still running must have been handled, with
	// a margin: from a statement's due time to its suspension event the run
	// takes three activities (mark it overdue, suspend, record), and a stop
	// between them rightly leaves the rest to the next start. So a statement
	// that fell due in the last seconds before the stop is not judged.
	stopped := time.Now().Add(-4 * time.Second).UTC().Format(time.RFC3339Nano)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	for _, ch := range checks("'" + stopped + "'::timestamptz") {
		if n := count(ch.sql); n != 0 {
			t.Errorf("%s: %d", ch.what, n)
		}
	}
	if os.Getenv("KAM_CRASH_DEBUG") != "" {
		rows, _ := conn.Query(ctx, "SELECT id::text, state, coalesce(stage,''), route, escalated, reminders, state_seq, created_at::text, updated_at::text, (SELECT count(*) FROM discount_decisions d WHERE d.request_id = r.id), (SELECT count(*) FROM discount_grants g WHERE g.request_id = r.id) FROM discount_requests r WHERE state NOT IN ('approved','rejected','withdrawn','expired') OR (state = 'approved' AND route = 'standard' AND NOT escalated AND NOT EXISTS (SELECT 1 FROM filings f WHERE f.request_id = r.id))")
		for rows.Next() {
			var id, state, stage, route, ca, ua string
			var esc bool
			var rem, seq, decs, grants int
			_ = rows.Scan(&id, &state, &stage, &route, &esc, &rem, &seq, &ca, &ua, &decs, &grants)
			t.Logf("%s %s %s %s esc=%v rem=%d seq=%d created %s updated %s decisions=%d grants=%d", id, state, stage, route, esc, rem, seq, ca, ua, decs, grants)
		}
		rows.Close()
	}
	requests, statements := count("SELECT count(*) FROM discount_requests"), count("SELECT count(*) FROM statements")
	t.Logf("after %d kills: %d requests, %d grants, %d filings, %d statements, %d suspensions, %d notifications",
		kills, requests, count("SELECT count(*) FROM discount_grants"), count("SELECT count(*) FROM filings"), statements,
		count("SELECT count(*) FROM credit_events WHERE kind = 'credit_suspended'"), count("SELECT count(*) FROM notifications"))
	suspensions := count("SELECT count(*) FROM credit_events WHERE kind = 'credit_suspended'")
	t.Logf("%d reinstatements", count("SELECT count(*) FROM credit_events WHERE kind = 'credit_reinstated'"))
	reversals := count("SELECT count(*) FROM credit_charges WHERE reverses_id IS NOT NULL")
	t.Logf("%d charge reversals, %d payment reversals, %d statements reopened", reversals,
		count("SELECT count(*) FROM credit_payments WHERE reverses_id IS NOT NULL"), count("SELECT count(*) FROM statements WHERE reopened > 0"))
	if requests < 20 || statements == 0 || suspensions == 0 || reversals == 0 {
		t.Fatalf("the driver did too little to prove anything: %d requests, %d statements, %d suspensions, %d reversals", requests, statements, suspensions, reversals)
	}
}

// overdueOf is an account's overdue amount in the arrears overview, or ""
// when nothing is overdue (or kam did not answer).
func overdueOf(c crashClient, token, account string) string {
	st, page := c.do("GET", "/v1/credit?overdue=true&limit=200", token, nil)
	if st != 200 {
		return ""
	}
	items, _ := page["items"].([]any)
	for _, it := range items {
		if line, _ := it.(map[string]any); line["customer_id"] == account {
			due, _ := line["overdue_amount"].(string)
			return due
		}
	}
	return ""
}

// dumpStuck shows what the server holds for requests still pending.
func dumpStuck(t *testing.T, conn *pgx.Conn, hostPort string) {
	ctx := context.Background()
	tc, err := client.Dial(client.Options{HostPort: hostPort})
	if err != nil {
		t.Log(err)
		return
	}
	defer tc.Close()
	rows, _ := conn.Query(ctx, "SELECT id::text FROM discount_requests WHERE state = 'pending'")
	ids, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, id := range ids {
		wid := "discount-request/" + id
		d, err := tc.DescribeWorkflowExecution(ctx, wid, "")
		if err != nil {
			t.Log(wid, err)
			continue
		}
		t.Logf("%s %s history %d pending activities %d pending WFT %v", wid, d.WorkflowExecutionInfo.Status, d.WorkflowExecutionInfo.HistoryLength, len(d.PendingActivities), d.PendingWorkflowTask)
		for _, pa := range d.PendingActivities {
			t.Logf("   pending activity %s attempt %d state %s", pa.ActivityType.GetName(), pa.Attempt, pa.State)
		}
		it := tc.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		var evs []string
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				break
			}
			evs = append(evs, fmt.Sprintf("%d %s %s", e.EventId, e.EventType, e.EventTime.AsTime().Format("15:04:05.000")))
		}
		if len(evs) > 15 {
			evs = evs[len(evs)-15:]
		}
		for _, e := range evs {
			t.Log("   ", e)
		}
	}
}
