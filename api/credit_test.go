package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"

	"kam"
	"kam/workflows"
)

func agreement(cycle, limit string, termDays int) map[string]any {
	return map[string]any{"credit_level": "A", "arrears_limit": limit, "settlement_cycle": cycle, "payment_term_days": termDays,
		"agreement_reference": "CA-" + uuid.NewString()[:6], "agreement_date": "2026-01-02"}
}

func chargeBody(amount, ref string) map[string]any {
	return map[string]any{"amount": amount, "reference": ref, "occurred_on": today()}
}

func paymentBody(amount, ref string) map[string]any {
	return map[string]any{"amount": amount, "reference": ref, "received_on": today()}
}

// Art. 13 end to end, with a 2-second cycle and 1-second days: a statement,
// a missed due date, suspension (charges refused with 409), payment,
// automatic reinstatement, charges accepted again.
func TestCreditSuspendedAndReinstated(t *testing.T) {
	fin := newStaff(t, kam.RoleFinance)
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	a := must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@every 2s", "1000", 1)), 200)
	defer recordHistory(t, workflows.SettlementWorkflowID(uuid.MustParse(c)))
	if a.str("status") != "active" || a.str("outstanding") != "0.00" || a.str("agreement_reference") == "" {
		t.Fatalf("agreement = %s", a.Raw)
	}
	ch := must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("300", "INV-1")), 201)
	if ch.str("amount") != "300.00" || ch.str("occurred_on") != today() || ch.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("charge = %s", ch.Raw)
	}
	waitFor(t, 60*time.Second, "suspension", func() bool {
		return must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200).str("status") == "suspended"
	})
	problem(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("10", "INV-2")), 409, "credit_suspended")
	sts := must(t, call(t, "GET", "/v1/customers/"+c+"/statements", am.Token, nil), 200).items()
	if len(sts) != 1 || sts[0]["status"] != "overdue" || sts[0]["amount_due"] != "300.00" {
		t.Fatalf("statements = %v", sts)
	}
	// SPEC §3: billed (1), then overdue (2).
	wantVersion(t, "an overdue statement", sts[0], 2)
	wantVersion(t, "a charge billed", listed(t, "/v1/customers/"+c+"/charges", fin.Token, "reference", "INV-1"), 2)
	cr := must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200)
	if cr.Body["suspended_at"] == nil || cr.str("suspension_reason") == "" {
		t.Fatalf("suspension not recorded: %s", cr.Raw)
	}
	// SPEC §3: the agreement changed, and so did its version.
	if cr.Body["version"] == a.Body["version"] {
		t.Fatalf("version %v unchanged by the suspension", cr.Body["version"])
	}

	must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("300", "RCPT-1")), 201)
	waitFor(t, 30*time.Second, "reinstatement", func() bool {
		return must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200).str("status") == "active"
	})
	must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("10", "INV-2")), 201)
	sts = must(t, call(t, "GET", "/v1/customers/"+c+"/statements", am.Token, nil), 200).items()
	if sts[len(sts)-1]["status"] != "paid" || sts[len(sts)-1]["paid"] != "300.00" {
		t.Fatalf("statements = %v", sts)
	}
	wantVersion(t, "a statement paid", sts[len(sts)-1], 3)
	// (The 10.00 charged after reinstatement is billed and missed in turn in
	// the next seconds; the first statement's notices are what is checked.)
	first := sts[len(sts)-1]["id"].(string)
	waitFor(t, 30*time.Second, "the notices", func() bool {
		k := inboxKinds(t, am.Token)
		return k["credit_suspended"] >= 1 && k["credit_reinstated"] >= 1 && k["dunning_notice"] >= 1
	})
	if n := countRows(t, "SELECT count(*) FROM notifications WHERE recipient_id = $1 AND kind = 'credit_suspended' AND event_key LIKE '%' || $2 || '%'", am.ID, first); n != 1 {
		t.Fatalf("%d suspension notices for the first statement", n)
	}
	if n := countRows(t, "SELECT count(*) FROM credit_events WHERE customer_id = $1 AND kind = 'credit_suspended' AND event_key LIKE '%' || $2 || '%'", c, first); n != 1 {
		t.Fatalf("%d suspensions recorded for the first statement", n)
	}
	processChangesShown(t, c)
}

// processChangesShown checks that the settlement run's own changes of the
// account (no member of staff made them) are in the access register, which
// the auditor reads (Art. 9, SPEC §5: every change), and in the history of
// those who may see credit, never of those who may not (SPEC §7).
func processChangesShown(t *testing.T, c string) {
	t.Helper()
	staff := staffByRole(t)
	steps := map[string]int{}
	for _, row := range must(t, call(t, "GET", "/v1/access-log?limit=500&customer_id="+c, staff[kam.RoleAuditor].Token, nil), 200).items() {
		route, _ := row["route"].(string)
		if row["staff_role"] != "system" || !strings.HasPrefix(route, "workflow CreditSettlement ") {
			continue // the visit plan's rows are its own (visits)
		}
		if row["staff_id"] != nil || row["action"] != "update" || !slices.Equal(anyStrings(row["sections"]), []string{"credit"}) ||
			row["request_id"] == "" || row["purpose"] == "" {
			t.Fatalf("a process's register row: %v", row)
		}
		steps[row["route"].(string)]++
	}
	for _, step := range []string{"CloseCycle", "MarkOverdue", "SuspendCredit", "ReinstateCredit"} {
		if steps["workflow CreditSettlement "+step] == 0 {
			t.Fatalf("no register row of the run's %s: %v", step, steps)
		}
	}
	status := func(token string) []string {
		var out []string
		for _, h := range findHistory(historyOf(t, c, token), "credit.status") {
			if h["staff_id"] == nil {
				out = append(out, fmt.Sprintf("%v→%v", h["old"], h["new"]))
			}
		}
		return out
	}
	if got := status(staff[kam.RoleFinance].Token); len(got) < 2 || got[0] != "active→suspended" || got[1] != "suspended→active" {
		t.Fatalf("the run's credit status changes in the history: %v", got)
	}
	if got := status(staff[kam.RoleServiceAgent].Token); len(got) != 0 {
		t.Fatalf("a service agent sees credit status changes: %v", got)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// 50 charges race the arrears limit at once: the ledger never exceeds it.
// Art. 10: arrears are managed.
func TestConcurrentChargesNeverBreachTheLimit(t *testing.T) {
	fin := newStaff(t, kam.RoleFinance)
	c := newAccount(t, "")
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@monthly", "1000", 30)), 200)
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("30", fmt.Sprintf("RACE-%d", i))).Status
		}()
	}
	wg.Wait()
	close(codes)
	accepted := 0
	for code := range codes {
		switch code {
		case 201:
			accepted++
		case 422:
		default:
			t.Fatalf("charge answered %d", code)
		}
	}
	if accepted != 33 {
		t.Fatalf("%d charges of 30 accepted under a 1000 limit, want 33", accepted)
	}
	var sum, total string
	if err := running.Store.Pool.QueryRow(context.Background(), "SELECT coalesce(sum(amount),0)::text FROM credit_charges WHERE customer_id = $1", c).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if err := running.Store.Pool.QueryRow(context.Background(), "SELECT charged_total::numeric(20,2)::text FROM credit_agreements WHERE customer_id = $1", c).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if sum != "990.00" || total != "990.00" {
		t.Fatalf("ledger sum %s, running total %s", sum, total)
	}
	problem(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("10.01", "OVER")), 422, "arrears_limit_exceeded")
	must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("10", "EXACT")), 201)
}

func TestLedgerReplaysAndClosing(t *testing.T) {
	fin := newStaff(t, kam.RoleFinance)
	c := newAccount(t, "")
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@monthly", "5000", 30)), 200)
	first := must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("120.50", "INV-9")), 201)
	again := must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("120.50", "INV-9")), 201)
	if again.str("id") != first.str("id") || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay = %s", again.Raw)
	}
	problem(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("99", "INV-9")), 409, "duplicate_reference")
	p1 := must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("20.50", "R-1")), 201)
	p2 := must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("20.50", "R-1")), 201)
	if p1.str("id") != p2.str("id") || p2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("payment replay = %s", p2.Raw)
	}
	cr := must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200)
	if cr.str("outstanding") != "100.00" {
		t.Fatalf("credit = %s", cr.Raw)
	}
	closing := agreement("@monthly", "5000", 30)
	closing["status"] = "closed"
	problem(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, closing), 409, "outstanding_balance")
	// Overpay: the balance is kept as credit.
	must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("150", "R-2")), 201)
	cr = must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200)
	if cr.str("outstanding") != "0.00" || cr.str("credit_balance") != "50.00" {
		t.Fatalf("after overpayment: %s", cr.Raw)
	}
	closed := must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, closing), 200)
	if closed.str("status") != "closed" {
		t.Fatalf("closed = %s", closed.Raw)
	}
	waitFor(t, 30*time.Second, "the settlement run to end", func() bool {
		d, err := running.Temporal.DescribeWorkflowExecution(context.Background(), workflows.SettlementWorkflowID(uuid.MustParse(c)), "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	problem(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("1", "AFTER")), 409, "credit_closed")
	// Reopening starts a new run.
	reopened := must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@monthly", "5000", 30)), 200)
	if reopened.str("status") != "active" {
		t.Fatalf("reopened = %s", reopened.Raw)
	}
	waitFor(t, 30*time.Second, "a new settlement run", func() bool {
		d, err := running.Temporal.DescribeWorkflowExecution(context.Background(), workflows.SettlementWorkflowID(uuid.MustParse(c)), "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
	// No agreement, no charges.
	plain := newAccount(t, "")
	problem(t, call(t, "POST", "/v1/customers/"+plain+"/charges", fin.Token, chargeBody("1", "X")), 409, "no_credit_agreement")
	problem(t, call(t, "GET", "/v1/customers/"+plain+"/credit", fin.Token, nil), 404, "no_credit_agreement")
}

// SPEC §2: finance keeps the ledger of every account; the credit readers see
// statements; an account manager only their own accounts'.
func TestLedgerAuthorization(t *testing.T) {
	staff := staffByRole(t)
	am := staff[kam.RoleAccountManager]
	own := newAccount(t, am.ID)
	other := newAccount(t, newStaff(t, kam.RoleAccountManager).ID)
	for _, id := range []string{own, other} {
		must(t, call(t, "PUT", "/v1/customers/"+id+"/credit", staff[kam.RoleFinance].Token, agreement("@monthly", "100000", 30)), 200)
	}
	for _, role := range kam.Roles {
		for _, which := range []string{"own", "other"} {
			id := own
			if which == "other" {
				id = other
			}
			t.Run(role+"/"+which, func(t *testing.T) {
				tok := staff[role].Token
				charge := call(t, "POST", "/v1/customers/"+id+"/charges", tok, chargeBody("1", uuid.NewString()))
				pay := call(t, "POST", "/v1/customers/"+id+"/payments", tok, paymentBody("1", uuid.NewString()))
				stmts := call(t, "GET", "/v1/customers/"+id+"/statements", tok, nil)
				hidden := role == kam.RoleAdmin || (role == kam.RoleAccountManager && which == "other")
				switch {
				case hidden:
					problem(t, charge, 404, "not_found")
					problem(t, pay, 404, "not_found")
					problem(t, stmts, 404, "not_found")
				case role == kam.RoleFinance:
					must(t, charge, 201)
					must(t, pay, 201)
					must(t, stmts, 200)
				default:
					problem(t, charge, 403, "forbidden")
					problem(t, pay, 403, "forbidden")
					if role == kam.RoleDataClerk || role == kam.RoleServiceAgent {
						problem(t, stmts, 403, "forbidden")
					} else {
						must(t, stmts, 200)
					}
				}
			})
		}
	}
}

// SPEC §3 /history ("who, when, field, old, new") and §7: a PUT of the
// credit agreement writes one row per field it changed, with the old and the
// new value, and none when it changed nothing; finance sees the rows, a
// service agent and a data clerk (who may not see credit) see none of them.
func TestCreditHistoryIsPerField(t *testing.T) {
	staff := staffByRole(t)
	fin, agent, clerk := staff[kam.RoleFinance], staff[kam.RoleServiceAgent], staff[kam.RoleDataClerk]
	c := newAccount(t, "")
	terms := map[string]any{"credit_level": "A", "arrears_limit": "5000", "settlement_cycle": "@monthly", "payment_term_days": 30,
		"agreement_reference": "CA-1", "agreement_date": "2026-01-02"}
	put := func(body map[string]any) {
		t.Helper()
		must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, body), 200)
	}
	creditRows := func(token string) []string {
		var out []string
		for _, h := range historyOf(t, c, token) {
			f := h["field"].(string)
			if !slices.Contains([]string{"code", "name", "tier", "account_manager_id"}, f) {
				out = append(out, fmt.Sprintf("%s:%v→%v", f, h["old"], h["new"]))
			}
		}
		return out
	}
	put(terms)
	opened := []string{"credit.terms:<nil>→credit", "credit.credit_level:<nil>→A", "credit.arrears_limit:<nil>→5000.00",
		"credit.settlement_cycle:<nil>→@monthly", "credit.payment_term_days:<nil>→30", "credit.agreement_reference:<nil>→CA-1",
		"credit.agreement_date:<nil>→2026-01-02", "credit.status:<nil>→active"}
	if got := creditRows(fin.Token); !slices.Equal(got, opened) {
		t.Fatalf("history after opening:\n  %v\nwant\n  %v", got, opened)
	}
	put(terms)
	if got := creditRows(fin.Token); len(got) != len(opened) {
		t.Fatalf("a PUT that changed nothing wrote history: %v", got[len(opened):])
	}
	terms["credit_level"], terms["arrears_limit"] = "B", "7500.5"
	put(terms)
	want := append(slices.Clone(opened), "credit.credit_level:A→B", "credit.arrears_limit:5000.00→7500.50")
	if got := creditRows(fin.Token); !slices.Equal(got, want) {
		t.Fatalf("history after a change:\n  %v\nwant\n  %v", got, want)
	}
	put(map[string]any{"terms": "cash", "credit_level": "B", "agreement_reference": "CA-1", "agreement_date": "2026-01-02"})
	want = append(want, "credit.terms:credit→cash", "credit.arrears_limit:7500.50→<nil>", "credit.settlement_cycle:@monthly→<nil>",
		"credit.payment_term_days:30→<nil>")
	if got := creditRows(fin.Token); !slices.Equal(got, want) {
		t.Fatalf("history after cash terms:\n  %v\nwant\n  %v", got, want)
	}
	for _, who := range []member{agent, clerk} {
		if got := creditRows(who.Token); len(got) != 0 {
			t.Fatalf("a %s sees credit terms in the history: %v", who.Role, got)
		}
	}
	// The archive of a past day still knows its credit grade from these rows.
	if r := must(t, call(t, "GET", "/v1/customers/"+c+"?as_of="+today(), fin.Token, nil), 200); r.str("credit_level") != "B" {
		t.Fatalf("as of today: %s", r.Raw)
	}
}
