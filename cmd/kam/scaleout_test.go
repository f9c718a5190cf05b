package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"kam/db/dbtest"
)

const scaleToken = "kam_scale_test_admin_token_0123456789abcdef"

// kamProc is a kam subprocess whose output the test keeps the tail of.
type kamProc struct {
	name  string
	cmd   *exec.Cmd
	ready chan struct{} // closed when a line with the ready mark was printed
	done  chan struct{} // closed when the process has exited
	mu    sync.Mutex
	tail  []string
	addr  string // what it listens on, as it printed it (ports are its own pick)
}

// startKam runs the kam binary with args and waits until it prints a line
// containing mark (kam temporal's address line, or "kam is running").
func startKam(t *testing.T, bin, name string, env []string, mark string, args ...string) *kamProc {
	t.Helper()
	p, err := launchKam(t, bin, name, env, mark, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// launchKam is startKam for any goroutine: it answers an error instead of
// failing the test. The process is stopped when the test ends.
func launchKam(t *testing.T, bin, name string, env []string, mark string, args ...string) (*kamProc, error) {
	p := &kamProc{name: name, cmd: exec.Command(bin, args...), ready: make(chan struct{}), done: make(chan struct{})}
	p.cmd.Env = env
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	var once sync.Once
	var wg sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				p.keep(sc.Text())
				if strings.Contains(sc.Text(), mark) {
					once.Do(func() { close(p.ready) })
				}
			}
		}()
	}
	go func() { wg.Wait(); _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("last lines of %s:\n%s", p.name, p.lines())
		}
	})
	select {
	case <-p.ready:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before it was ready:\n%s", name, p.lines())
	case <-time.After(90 * time.Second):
		return nil, fmt.Errorf("%s not ready after 90s:\n%s", name, p.lines())
	}
}

func (p *kamProc) keep(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if addr, ok := listensOn(line); ok {
		p.addr = addr
	}
	if len(line) > 400 {
		line = line[:400] + "…"
	}
	if p.tail = append(p.tail, line); len(p.tail) > 40 {
		p.tail = p.tail[len(p.tail)-40:]
	}
}

// listensOn reads an address from kam temporal's first line or from the
// API's "api listening" log line.
func listensOn(line string) (string, bool) {
	if _, rest, ok := strings.Cut(line, "kam temporal: frontend at "); ok {
		addr, _, _ := strings.Cut(rest, ",")
		return addr, true
	}
	var l struct{ Msg, URL string }
	if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "api listening" {
		return l.URL, true
	}
	return "", false
}

// address is what the process listens on.
func (p *kamProc) address() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

func (p *kamProc) lines() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// kill ends the process with SIGKILL: no shutdown, no goodbye to Temporal.
func (p *kamProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to shut down and kills it if it does not in time.
func (p *kamProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
	}
}

// scaleRequest is one discount request the driver takes to its end.
type scaleRequest struct {
	n    int
	rate string // "4": standard, the KA decides; "15": beyond, then the GM
	ka   string // the KA Department's decision
	gm   string // the GM's, beyond the standard
	id   string
}

// want is the state the request must end in.
func (r scaleRequest) want() string {
	if r.ka == "reject" || r.gm == "reject" {
		return "rejected"
	}
	return "approved"
}

// decisions is how many decisions the request must have.
func (r scaleRequest) decisions() int {
	if r.rate == "15" && r.ka == "approve" {
		return 2
	}
	return 1
}

// TestScaleOut runs kam's scale-out shape on one machine: `kam temporal`
// alone, two `kam serve` and two `kam worker` processes against it and one
// database. Discount approvals are submitted through one API and decided
// through the other, alternately; credit agreements with a 10-second cycle
// are charged so each cycle close makes a statement. One worker is killed
// with SIGKILL when the first statement appears (mid-close, with approvals
// in flight), the driver goes on, each agreement is charged again, and then
// Postgres must show every request in the state its decisions give, with
// exactly one grant per approval, every event notified once, and each
// agreement's charges on exactly two statements, one per cycle that billed
// them; the histories must show that the killed worker had done part of
// the work and the survivor the rest.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs five kam processes")
	}
	bin := kamBinary(t)
	dsn, drop, err := dbtest.NewDatabase("scale")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop) // after the processes' own cleanups, which stop them
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	hook := newHookReceiver(t)
	env := append(os.Environ(), "DATABASE_URL="+dsn, "KAM_APP_DATABASE_URL=", "KAM_DATA_DIR="+t.TempDir(),
		"KAM_REGISTER_KEY="+hex.EncodeToString(key), "KAM_BOOTSTRAP_TOKEN="+scaleToken, "KAM_LOG_LEVEL=info",
		"KAM_TEMPORAL_PORT=0", "TEMPORAL_NAMESPACE=default", "KAM_NOTIFY_WEBHOOK_URL="+hook.url, "KAM_NOTIFY_WEBHOOK_SECRET=scale-hook-secret", "KAM_TEMPORAL_STORE=sqlite")
	// Every process picks its own ports (0) and prints them: a port picked
	// here and handed over could be taken meanwhile by any outgoing
	// connection of the five.
	temporalAddr := startKam(t, bin, "kam temporal", env, "frontend at ", "temporal", "--ephemeral").address()
	env = append(env, "TEMPORAL_ADDRESS="+temporalAddr)
	if out, err := command(bin, env, "migrate", "up"); err != nil {
		t.Fatalf("kam migrate up: %v\n%s", err, out)
	}
	apis, workers := startReplicas(t, bin, env)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("SELECT count(*) FROM staff"); n != 1 {
		t.Fatalf("two serves bootstrapping side by side made %d admins, want 1", n)
	}
	s := scaleDriver{t: t, apis: apis}
	s.staff()
	accounts := s.agreements(8)
	for i, a := range accounts {
		s.charge(i, a, "A")
	}

	// Approvals run until told to stop; the first statement is the moment
	// the cycle closes are in flight, and a worker dies then.
	killed := workers[0]
	var killedAt time.Time
	all := s.driveAround(accounts, func() {
		deadline := time.Now().Add(60 * time.Second)
		for count("SELECT count(*) FROM statements") == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		pending := count("SELECT count(*) FROM discount_requests WHERE state = 'pending'")
		aftermath := count(`SELECT count(*) FROM discount_requests r WHERE state = 'approved' AND NOT EXISTS (SELECT 1 FROM discount_grants g WHERE g.request_id = r.id)`) +
			count("SELECT count(*) FROM discount_events e WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_key = e.event_key)")
		closed := count("SELECT count(*) FROM statements")
		killed.kill()
		killedAt = time.Now()
		t.Logf("killed %s (pid %d) with %d requests pending, %d grants or notices to come, %d of %d statements made",
			killed.name, killed.cmd.Process.Pid, pending, aftermath, closed, len(accounts))
		time.Sleep(5 * time.Second) // the driver goes on against the survivor
	})

	// A second cycle: each agreement charged again once its first statement
	// exists, for the survivor to close.
	s.eventually("every agreement's first statement", func() bool {
		return count("SELECT count(DISTINCT customer_id) FROM statements") == len(accounts)
	})
	for i, a := range accounts {
		s.charge(i, a, "B")
	}
	s.eventually("every agreement's second statement and every approval carried out", func() bool {
		return count("SELECT count(*) FROM statements") >= 2*len(accounts) &&
			count(`SELECT count(*) FROM discount_requests r WHERE state = 'pending'
				OR (state = 'approved' AND NOT EXISTS (SELECT 1 FROM discount_grants g WHERE g.request_id = r.id))
				OR (state = 'approved' AND route = 'standard' AND NOT EXISTS (SELECT 1 FROM filings f WHERE f.request_id = r.id))`) == 0 &&
			count("SELECT count(*) FROM discount_events e WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_key = e.event_key)") == 0
	})
	s.eventually("every webhook copy delivered", func() bool {
		return count("SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NULL") == 0
	})
	time.Sleep(2 * time.Second) // anything duplicated late would show now
	s.checkRequests(conn, all)
	s.checkStatements(conn, len(accounts))
	s.checkWork(temporalAddr, conn, killed.cmd.Process.Pid, workers[1].cmd.Process.Pid, killedAt)
	hook.check(t, count("SELECT count(*) FROM webhook_deliveries"), count("SELECT count(*) FROM webhook_deliveries WHERE dead_at IS NOT NULL"))
	t.Logf("%d requests (%d submitted after the kill), %d statements, %d notifications", len(all),
		count("SELECT count(*) FROM discount_requests WHERE created_at > $1", killedAt), count("SELECT count(*) FROM statements"),
		count("SELECT count(*) FROM notifications"))
	if len(all) < 8 {
		t.Fatalf("the driver did too little to prove anything: %d requests", len(all))
	}
}

// hookReceiver counts the webhook copies both workers' deliverers post.
type hookReceiver struct {
	url   string
	mu    sync.Mutex
	posts int
	ids   map[string]int // webhook-id → posts
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{ids: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		h.posts++
		h.ids[r.Header.Get("webhook-id")]++
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// check: one webhook-id per queued copy, every one received. A deliverer
// killed between its post and recording it leaves the copy to be posted
// again under the same webhook-id (at least once; receivers deduplicate by
// the id), so repeats are counted, not refused.
func (h *hookReceiver) check(t *testing.T, queued, dead int) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ids) != queued || dead != 0 {
		t.Errorf("webhook: %d distinct webhook-ids received for %d copies queued (%d dead)", len(h.ids), queued, dead)
	}
	t.Logf("webhook: %d copies, %d posts (%d repeated under their webhook-id)", queued, h.posts, h.posts-len(h.ids))
}

// startReplicas starts two kam serve and two kam worker processes side by
// side, as replicas start, and answers a client of each API and the workers.
func startReplicas(t *testing.T, bin string, env []string) ([]crashClient, []*kamProc) {
	t.Helper()
	var apis []crashClient
	var workers, serves []*kamProc
	var errs []error
	var wg sync.WaitGroup
	var mu sync.Mutex
	launch := func(name string, env []string, args ...string) {
		defer wg.Done()
		p, err := launchKam(t, bin, name, env, "kam is running", args...)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		} else if args[0] == "worker" {
			workers = append(workers, p)
		} else {
			serves = append(serves, p)
		}
	}
	for i := range 2 {
		wg.Add(2)
		go launch(fmt.Sprintf("kam serve %d", i+1), append(env, "KAM_HTTP_ADDR=127.0.0.1:0"), "serve")
		go launch(fmt.Sprintf("kam worker %d", i+1), env, "worker")
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, s := range serves {
		apis = append(apis, crashClient{base: s.address(), hc: &http.Client{Timeout: 60 * time.Second}})
	}
	return apis, workers
}

// driveAround drives discount requests from four goroutines, through both
// APIs, while during runs; then it lets them finish what they began and
// answers every request made.
func (s *scaleDriver) driveAround(accounts []string, during func()) []scaleRequest {
	stop := make(chan struct{})
	reqs := make(chan scaleRequest, 1000)
	var drivers sync.WaitGroup
	for g := range 4 {
		drivers.Add(1)
		go func() {
			defer drivers.Done()
			for n := g; ; n += 4 {
				select {
				case <-stop:
					return
				default:
				}
				reqs <- s.request(n, accounts[n%len(accounts)])
				time.Sleep(time.Duration(100+n%5*100) * time.Millisecond)
			}
		}()
	}
	during()
	close(stop)
	drivers.Wait()
	close(reqs)
	var all []scaleRequest
	for r := range reqs {
		all = append(all, r)
	}
	return all
}

// command runs the kam binary to its end and answers its output.
func command(bin string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// scaleDriver drives kam through two APIs, alternately.
type scaleDriver struct {
	t                 *testing.T
	apis              []crashClient
	amID              string
	am, ka, gm, finan string
}

// api is the API call n goes through.
func (s *scaleDriver) api(n int) crashClient { return s.apis[n%len(s.apis)] }

// call retries a call that did not reach an answer (a transport error, or a
// 5xx such as a decision whose run did not answer while its worker was
// dying) until it does; retried says whether the answer came from a retry.
func (s *scaleDriver) call(n int, method, path, token string, body any, header map[string]string) (status int, out map[string]any, retried bool) {
	deadline := time.Now().Add(2 * time.Minute)
	for attempt := 0; ; attempt++ {
		status, out = s.api(n+attempt).doWith(method, path, token, body, header)
		if (status != 0 && status < 500) || time.Now().After(deadline) {
			return status, out, attempt > 0
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// must is call for what has to succeed with want.
func (s *scaleDriver) must(n int, want int, method, path, token string, body any, header map[string]string) map[string]any {
	status, out, _ := s.call(n, method, path, token, body, header)
	if status != want {
		s.t.Errorf("%s %s: %d %v, want %d", method, path, status, out, want)
		return map[string]any{}
	}
	return out
}

func (s *scaleDriver) staff() {
	person := func(n int, role string) (string, string) {
		st := s.must(n, 201, "POST", "/v1/staff", scaleToken, map[string]any{"name": role, "role": role}, nil)
		id, _ := st["id"].(string)
		tok := s.must(n+1, 201, "POST", "/v1/staff/"+id+"/tokens", scaleToken, nil, nil)
		secret, _ := tok["token"].(string)
		return id, secret
	}
	s.amID, s.am = person(0, "account_manager")
	_, s.ka = person(1, "ka_manager")
	_, s.gm = person(2, "general_manager")
	_, s.finan = person(3, "finance")
	if s.t.Failed() {
		s.t.FailNow()
	}
}

// agreements opens n tier-A accounts with a credit agreement each, closing
// a cycle every 10 seconds and due 30 days later (nothing falls due here).
func (s *scaleDriver) agreements(n int) []string {
	var ids []string
	for i := range n {
		a := s.must(i, 201, "POST", "/v1/customers", s.ka, map[string]any{"code": fmt.Sprintf("SC-%d", i), "name": "Scale", "tier": "A", "account_manager_id": s.amID},
			map[string]string{"Idempotency-Key": fmt.Sprintf("scale-customer-%d", i)})
		id, _ := a["id"].(string)
		s.must(i+1, 200, "PUT", "/v1/customers/"+id+"/credit", s.finan, map[string]any{"credit_level": "A", "arrears_limit": "100000",
			"settlement_cycle": "@every 10s", "payment_term_days": 30}, nil)
		ids = append(ids, id)
		// Cycles anchored apart close apart: a kill at the first close
		// then finds the others to come.
		time.Sleep(300 * time.Millisecond)
	}
	if s.t.Failed() {
		s.t.FailNow()
	}
	return ids
}

// charge books one charge of 10 on an account, referenced by the cycle.
func (s *scaleDriver) charge(n int, account, cycle string) {
	s.must(n, 201, "POST", "/v1/customers/"+account+"/charges", s.finan,
		map[string]any{"amount": "10", "reference": "SCALE-" + cycle, "occurred_on": time.Now().Format(time.DateOnly)},
		map[string]string{"Idempotency-Key": "scale-charge-" + cycle + "-" + account})
}

// request submits request n through one API and decides it through the
// other (the GM's decision through the first again).
func (s *scaleDriver) request(n int, account string) scaleRequest {
	r := scaleRequest{n: n, rate: []string{"4", "4", "15", "15"}[n%4], ka: []string{"approve", "reject", "approve", "approve"}[n%4], gm: []string{"", "", "approve", "reject"}[n%4]}
	today := time.Now().Format(time.DateOnly)
	out := s.must(n, 201, "POST", "/v1/discount-requests", s.am, map[string]any{"customer_id": account, "product_category": "equipment",
		"rate": r.rate, "method": "percentage", "valid_from": today, "valid_to": today}, map[string]string{"Idempotency-Key": fmt.Sprintf("scale-request-%d", n)})
	r.id, _ = out["id"].(string)
	if r.id == "" {
		return r
	}
	// Pending a moment at each stage, as in life: a kill then finds runs
	// waiting for a decision as well as runs carrying one out.
	time.Sleep(time.Duration(200+n%3*200) * time.Millisecond)
	s.decide(n+1, r, s.ka, r.ka)
	if r.gm != "" {
		time.Sleep(time.Duration(200+n%2*300) * time.Millisecond)
		s.decide(n, r, s.gm, r.gm)
	}
	return r
}

// decide makes one decision. A retry of a decision that had landed before
// its answer was lost is refused (409, or 403 for a stage now the GM's);
// the state checks afterwards judge it.
func (s *scaleDriver) decide(n int, r scaleRequest, token, decision string) {
	status, out, retried := s.call(n, "POST", "/v1/discount-requests/"+r.id+"/decisions", token, map[string]any{"decision": decision}, nil)
	if status == 200 || (retried && (status == 409 || status == 403)) {
		return
	}
	s.t.Errorf("request %d: %s: %d %v", r.n, decision, status, out)
}

func (s *scaleDriver) eventually(what string, ok func() bool) {
	s.t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > 3*time.Minute {
			s.t.Fatalf("%s: not after 3 minutes", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.t.Logf("%s after %s", what, time.Since(start).Round(100*time.Millisecond))
}

// checkRequests: each request in the state its decisions give, decided
// once per stage, with one grant exactly when approved, a filing for each
// standard approval, and every event notified, none twice.
func (s *scaleDriver) checkRequests(conn *pgx.Conn, all []scaleRequest) {
	ctx := context.Background()
	for _, r := range all {
		if r.id == "" {
			continue // its submission failed, reported then
		}
		var state string
		var decisions, grants, filings int
		err := conn.QueryRow(ctx, `SELECT state, (SELECT count(*) FROM discount_decisions d WHERE d.request_id = r.id),
			(SELECT count(*) FROM discount_grants g WHERE g.request_id = r.id), (SELECT count(*) FROM filings f WHERE f.request_id = r.id)
			FROM discount_requests r WHERE id = $1`, r.id).Scan(&state, &decisions, &grants, &filings)
		if err != nil {
			s.t.Errorf("request %d (%s): %v", r.n, r.id, err)
			continue
		}
		wantGrants, wantFilings := 0, 0
		if r.want() == "approved" {
			wantGrants = 1
			if r.rate == "4" {
				wantFilings = 1
			}
		}
		if state != r.want() || decisions != r.decisions() || grants != wantGrants || filings != wantFilings {
			s.t.Errorf("request %d (rate %s, %s/%s): %s with %d decisions, %d grants, %d filings; want %s, %d, %d, %d",
				r.n, r.rate, r.ka, r.gm, state, decisions, grants, filings, r.want(), r.decisions(), wantGrants, wantFilings)
		}
	}
	var ids []string
	for _, r := range all {
		if r.id != "" {
			ids = append(ids, r.id)
		}
	}
	var stray int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM discount_requests WHERE NOT (id = ANY($1::uuid[]))", ids).Scan(&stray); err != nil || stray != 0 {
		s.t.Errorf("requests the driver did not make (a retried submission made twice?): %d %v", stray, err)
	}
	checks := []struct{ what, sql string }{
		{"events without their notification", "SELECT count(*) FROM discount_events e WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_key = e.event_key)"},
		{"notifications of one event to one person more than once", "SELECT count(*) FROM (SELECT 1 FROM notifications GROUP BY recipient_id, event_key HAVING count(*) > 1) x"},
		{"grants beside another of the same request", "SELECT count(*) FROM (SELECT 1 FROM discount_grants GROUP BY request_id HAVING count(*) > 1) x"},
		{"granted events other than one per approval", "SELECT count(*) FROM discount_requests r WHERE (SELECT count(*) FROM discount_events e WHERE e.request_id = r.id AND e.kind = 'discount_granted') <> (CASE WHEN r.state = 'approved' THEN 1 ELSE 0 END)"},
	}
	s.noneOf(conn, checks, "")
}

// checkStatements: every agreement's cycle billed each of its two charges
// on exactly one statement, one statement per billing cycle, periods
// apart, the amount what was billed.
func (s *scaleDriver) checkStatements(conn *pgx.Conn, agreements int) {
	checks := []struct{ what, sql string }{
		{"agreements without exactly two statements", "SELECT count(*) FROM credit_agreements a WHERE (SELECT count(*) FROM statements s WHERE s.customer_id = a.customer_id) <> 2"},
		{"charges on no statement", "SELECT count(*) FROM credit_charges WHERE statement_id IS NULL"},
		{"statements not of exactly one charge", "SELECT count(*) FROM statements s WHERE (SELECT count(*) FROM credit_charges c WHERE c.statement_id = s.id) <> 1"},
		{"statements whose amount is not their charges'", "SELECT count(*) FROM statements s WHERE s.amount_due <> (SELECT coalesce(sum(amount), 0) FROM credit_charges c WHERE c.statement_id = s.id)"},
		{"charges billed to another account's statement", "SELECT count(*) FROM credit_charges c JOIN statements s ON s.id = c.statement_id WHERE s.customer_id <> c.customer_id"},
		{"second charges billed before the first", "SELECT count(*) FROM credit_charges b JOIN statements sb ON sb.id = b.statement_id JOIN credit_charges a ON a.customer_id = b.customer_id AND a.reference = 'SCALE-A' JOIN statements sa ON sa.id = a.statement_id WHERE b.reference = 'SCALE-B' AND sb.period_end <= sa.period_end"},
		{"statements of one account with overlapping periods", "SELECT count(*) FROM statements x JOIN statements y ON x.customer_id = y.customer_id AND x.id < y.id AND x.period_start < y.period_end AND y.period_start < x.period_end"},
	}
	s.noneOf(conn, checks, fmt.Sprintf(" (of %d agreements)", agreements))
}

// noneOf fails the test for each check whose count is not zero; of says
// out of what, after the count.
func (s *scaleDriver) noneOf(conn *pgx.Conn, checks []struct{ what, sql string }, of string) {
	for _, c := range checks {
		var n int
		if err := conn.QueryRow(context.Background(), c.sql).Scan(&n); err != nil {
			s.t.Fatal(c.what, err)
		}
		if n != 0 {
			s.t.Errorf("%s: %d%s", c.what, n, of)
		}
	}
}

// checkWork reads the runs' histories: the killed worker must have
// completed workflow tasks before it died (or the kill proved nothing),
// none after, and the survivor must have completed the ones after it.
func (s *scaleDriver) checkWork(address string, conn *pgx.Conn, killedPid, survivorPid int, killedAt time.Time) {
	ctx := context.Background()
	tc, err := client.Dial(client.Options{HostPort: address})
	if err != nil {
		s.t.Fatal(err)
	}
	defer tc.Close()
	rows, err := conn.Query(ctx, `SELECT 'discount-request/' || id FROM discount_requests UNION ALL SELECT 'credit-settlement/' || customer_id FROM credit_agreements`)
	if err != nil {
		s.t.Fatal(err)
	}
	wids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		s.t.Fatal(err)
	}
	killedID, survivorID := strconv.Itoa(killedPid)+"@", strconv.Itoa(survivorPid)+"@"
	var killedBefore, killedAfter, survivorBefore, survivorAfter, handedOver int
	for _, wid := range wids {
		killedHad, survivorTook := false, false
		it := tc.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				s.t.Fatalf("%s: %v", wid, err)
			}
			a := e.GetWorkflowTaskCompletedEventAttributes()
			if a == nil {
				continue
			}
			after := e.GetEventTime().AsTime().After(killedAt)
			switch id := a.GetIdentity(); {
			case strings.HasPrefix(id, killedID) && after:
				killedAfter++
			case strings.HasPrefix(id, killedID):
				killedBefore++
				killedHad = true
			case strings.HasPrefix(id, survivorID) && after:
				survivorAfter++
				survivorTook = killedHad
			case strings.HasPrefix(id, survivorID):
				survivorBefore++
			}
		}
		if survivorTook {
			handedOver++
		}
	}
	s.t.Logf("workflow tasks completed in %d runs: killed worker %d before the kill, %d after; survivor %d before, %d after; %d runs the survivor took over",
		len(wids), killedBefore, killedAfter, survivorBefore, survivorAfter, handedOver)
	if killedBefore == 0 || killedAfter != 0 || handedOver == 0 {
		s.t.Error("the kill did not take a worker out of runs it had worked on, or the survivor did not carry them on")
	}
}
