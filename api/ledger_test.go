package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"kam"
	"kam/workflows"
)

func cashTerms() map[string]any { return map[string]any{"terms": "cash", "credit_level": "B"} }

func settlementStatus(t *testing.T, customer string) enumspb.WorkflowExecutionStatus {
	t.Helper()
	d, err := running.Temporal.DescribeWorkflowExecution(context.Background(), workflows.SettlementWorkflowID(uuid.MustParse(customer)), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
	} else if err != nil {
		t.Fatal(err)
	}
	return d.WorkflowExecutionInfo.Status
}

// SPEC §7 "Ledger": cash terms have no limit, cycle or settlement run;
// purchases on credit are refused, payments recorded; the archive's credit
// section is complete. credit → cash needs nothing owed and ends the run
// cleanly; cash → credit starts one.
func TestCashTermsThroughTheAPI(t *testing.T) {
	staff := staffByRole(t)
	fin, ka := staff[kam.RoleFinance], staff[kam.RoleKAManager]
	c := newAccount(t, "")
	cash := must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", ka.Token, cashTerms()), 200)
	if cash.str("terms") != "cash" || cash.Body["arrears_limit"] != nil || cash.Body["settlement_cycle"] != nil || cash.Body["payment_term_days"] != nil || cash.str("status") != "active" {
		t.Fatalf("cash agreement = %s", cash.Raw)
	}
	if st := settlementStatus(t, c); st != enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED {
		t.Fatalf("a cash account has a settlement run (%s)", st)
	}
	if missing := must(t, call(t, "GET", "/v1/customers/"+c, fin.Token, nil), 200).Body["missing_sections"].([]any); containsAny(missing, kam.SectionCredit) {
		t.Fatalf("cash terms left the credit section missing: %v", missing)
	}
	problem(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("10", "CASH-1")), 409, "cash_terms")
	must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("10", "CASH-R1")), 201)

	// The body follows its terms, each offending field named.
	withLimit := cashTerms()
	withLimit["arrears_limit"] = "100"
	wantFields(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, withLimit), "body.arrears_limit")
	wantFields(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, map[string]any{"terms": "credit", "credit_level": "A"}),
		"body.arrears_limit", "body.settlement_cycle", "body.payment_term_days")

	// What GET answers for cash terms may be sent back as it is.
	asRead := map[string]any{"terms": "cash", "credit_level": "B", "arrears_limit": nil, "settlement_cycle": nil, "payment_term_days": nil}
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, asRead), 200)
	credit := must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@monthly", "1000", 30)), 200)
	if credit.str("terms") != "credit" || credit.str("arrears_limit") != "1000.00" || credit.str("credit_balance") != "10.00" {
		t.Fatalf("credit after cash = %s", credit.Raw)
	}
	waitFor(t, 30*time.Second, "the settlement run", func() bool { return settlementStatus(t, c) == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING })
	must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("50", "CREDIT-1")), 201)
	problem(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, cashTerms()), 409, "outstanding_balance")
	must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("40", "CREDIT-R1")), 201)
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, cashTerms()), 200)
	waitFor(t, 30*time.Second, "the run to end", func() bool { return settlementStatus(t, c) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED })
	var res workflows.SettlementState
	if err := running.Temporal.GetWorkflow(context.Background(), workflows.SettlementWorkflowID(uuid.MustParse(c)), "").Get(context.Background(), &res); err != nil || res.Terms != kam.TermsCash {
		t.Fatalf("run ended with %+v, %v", res, err)
	}
	problem(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("1", "CASH-2")), 409, "cash_terms")
}

func containsAny(items []any, want string) bool {
	for _, it := range items {
		if it == want {
			return true
		}
	}
	return false
}

// wantFields asserts a 422 naming exactly these fields.
func wantFields(t *testing.T, r resp, fields ...string) {
	t.Helper()
	problem(t, r, 422, "validation_failed")
	errs, _ := r.Body["errors"].([]any)
	var got []string
	for _, e := range errs {
		got = append(got, e.(map[string]any)["location"].(string))
	}
	if strings.Join(got, ",") != strings.Join(fields, ",") {
		t.Fatalf("fields %v, want %v: %s", got, fields, r.Raw)
	}
}

// SPEC §7 "Ledger": charges and payments are paged newest first with the one
// cursor; each read is registered as a view of the credit section; a
// reversal shows beside its original and names it.
func TestLedgerListsArePagedAndRegistered(t *testing.T) {
	staff := staffByRole(t)
	fin, am := staff[kam.RoleFinance], staff[kam.RoleAccountManager]
	c := newAccount(t, am.ID)
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@monthly", "10000", 30)), 200)
	var first string
	for i, ref := range []string{"L-1", "L-2", "L-3"} {
		e := must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("10", ref)), 201)
		if i == 0 {
			first = e.str("id")
		}
		must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("1", "P"+ref)), 201)
	}
	rev := must(t, call(t, "POST", "/v1/customers/"+c+"/charges/"+first+"/reversal", fin.Token, map[string]any{"reason": "duplicate invoice"}), 201)
	var seen []map[string]any
	cursor := ""
	for page := 0; ; page++ {
		reqID := uuid.NewString()
		r := must(t, call(t, "GET", "/v1/customers/"+c+"/charges?limit=2&cursor="+cursor, am.Token, nil, header{"X-Request-Id", reqID}), 200)
		seen = append(seen, r.items()...)
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'view' AND customer_id = $2 AND sections = '{credit}'", reqID, c); n != 1 {
			t.Fatalf("page %d registered %d times", page, n)
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	if len(seen) != 4 || seen[0]["id"] != rev.str("id") || seen[0]["amount"] != "-10.00" || seen[0]["reversal_of"] != first ||
		seen[0]["reason"] != "duplicate invoice" || seen[3]["id"] != first || seen[3]["reversed_by"] != rev.str("id") || seen[3]["occurred_on"] != today() {
		t.Fatalf("charges = %v", seen)
	}
	pays := must(t, call(t, "GET", "/v1/customers/"+c+"/payments", am.Token, nil), 200).items()
	if len(pays) != 3 || pays[0]["reference"] != "PL-3" || pays[0]["received_on"] != today() || pays[0]["reversed_by"] != nil {
		t.Fatalf("payments = %v", pays)
	}
	problem(t, call(t, "GET", "/v1/customers/"+c+"/charges?cursor=nonsense", am.Token, nil), 422, "validation_failed")
	statementsCursor := must(t, call(t, "GET", "/v1/customers/"+c+"/charges?limit=1", am.Token, nil), 200).str("next_cursor")
	problem(t, call(t, "GET", "/v1/customers/"+c+"/payments?cursor="+statementsCursor, am.Token, nil), 422, "validation_failed")
}

// SPEC §7 "Ledger": a reversal is finance's (others who see the account 403,
// those who do not 404), needs a reason, happens once (409
// already_reversed), never of a reversal (409 not_reversible), and an entry
// of another account is not found. Every attempt is registered.
func TestReversalRules(t *testing.T) {
	staff := staffByRole(t)
	fin, ka, am := staff[kam.RoleFinance], staff[kam.RoleKAManager], staff[kam.RoleAccountManager]
	c := newAccount(t, am.ID)
	other := newAccount(t, "")
	for _, id := range []string{c, other} {
		must(t, call(t, "PUT", "/v1/customers/"+id+"/credit", fin.Token, agreement("@monthly", "10000", 30)), 200)
	}
	charge := must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("120", "R-1")), 201).str("id")
	pay := must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("20", "RP-1")), 201).str("id")
	reason := map[string]any{"reason": "booked twice"}
	for _, kind := range []struct{ path, entry string }{{"charges", charge}, {"payments", pay}} {
		path := "/v1/customers/" + c + "/" + kind.path + "/" + kind.entry + "/reversal"
		reqID := uuid.NewString()
		problem(t, call(t, "POST", path, ka.Token, reason, header{"X-Request-Id", reqID}), 403, "forbidden")
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'denied' AND customer_id = $2", reqID, c); n != 1 {
			t.Fatalf("refused reversal registered %d times", n)
		}
		problem(t, call(t, "POST", path, am.Token, reason), 403, "forbidden")
		problem(t, call(t, "POST", path, adminToken, reason), 404, "not_found")
		problem(t, call(t, "POST", path, fin.Token, map[string]any{"reason": "  "}), 422, "validation_failed")
		problem(t, call(t, "POST", path, fin.Token, map[string]any{"reason": strings.Repeat("x", 501)}), 422, "validation_failed")
		problem(t, call(t, "POST", path, fin.Token, map[string]any{}), 422, "validation_failed")
		problem(t, call(t, "POST", "/v1/customers/"+other+"/"+kind.path+"/"+kind.entry+"/reversal", fin.Token, reason), 404, "not_found")
		problem(t, call(t, "POST", "/v1/customers/"+c+"/"+kind.path+"/"+uuid.NewString()+"/reversal", fin.Token, reason), 404, "not_found")
		reqID = uuid.NewString()
		r := must(t, call(t, "POST", path, fin.Token, reason, header{"X-Request-Id", reqID}), 201)
		if r.str("reversal_of") != kind.entry || !strings.HasPrefix(r.str("amount"), "-") || r.str("reason") != "booked twice" {
			t.Fatalf("reversal = %s", r.Raw)
		}
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'update' AND customer_id = $2 AND sections = '{credit}'", reqID, c); n != 1 {
			t.Fatalf("reversal registered %d times", n)
		}
		problem(t, call(t, "POST", path, fin.Token, reason), 409, "already_reversed")
		problem(t, call(t, "POST", "/v1/customers/"+c+"/"+kind.path+"/"+r.str("id")+"/reversal", fin.Token, reason), 409, "not_reversible")
	}
	cr := must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200)
	if cr.str("outstanding") != "0.00" || cr.str("credit_balance") != "0.00" {
		t.Fatalf("after both reversals: %s", cr.Raw)
	}
	// Never a delete, never a changed amount: the originals stand as recorded.
	if n := countRows(t, "SELECT count(*) FROM credit_charges WHERE customer_id = $1 AND amount = 120", c); n != 1 {
		t.Fatalf("the reversed charge is gone or changed (%d)", n)
	}
}

// SPEC §7 "Ledger" (Art. 13) end to end, with a 2-second cycle and 1-second
// days: a charge reversed after its statement fell overdue settles it and
// the run reinstates credit; a payment reversed after its statement's due
// time makes the statement overdue again and suspends credit at once, with
// its own notice; paying again reinstates.
func TestReversalsSteerTheSettlementRun(t *testing.T) {
	staff := staffByRole(t)
	fin, ka := staff[kam.RoleFinance], staff[kam.RoleKAManager]
	c := newAccount(t, "")
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@every 2s", "1000", 1)), 200)
	defer recordHistory(t, workflows.SettlementWorkflowID(uuid.MustParse(c)))
	creditStatus := func() string {
		return must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200).str("status")
	}
	wrong := must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("300", "INV-WRONG")), 201).str("id")
	waitFor(t, 60*time.Second, "suspension", func() bool { return creditStatus() == kam.CreditSuspended })
	must(t, call(t, "POST", "/v1/customers/"+c+"/charges/"+wrong+"/reversal", fin.Token, map[string]any{"reason": "goods never shipped"}), 201)
	waitFor(t, 30*time.Second, "reinstatement after the reversal", func() bool { return creditStatus() == kam.CreditActive })
	sts := must(t, call(t, "GET", "/v1/customers/"+c+"/statements", ka.Token, nil), 200).items()
	if len(sts) != 1 || sts[0]["status"] != "paid" || sts[0]["reversed"] != "300.00" || sts[0]["balance"] != "0.00" || sts[0]["amount_due"] != "300.00" {
		t.Fatalf("statements = %v", sts)
	}

	must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("200", "INV-2")), 201)
	waitFor(t, 60*time.Second, "the second suspension", func() bool { return creditStatus() == kam.CreditSuspended })
	pay := must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("200", "CHEQUE-1")), 201).str("id")
	waitFor(t, 30*time.Second, "reinstatement after the payment", func() bool { return creditStatus() == kam.CreditActive })
	must(t, call(t, "POST", "/v1/customers/"+c+"/payments/"+pay+"/reversal", fin.Token, map[string]any{"reason": "cheque bounced"}), 201)
	waitFor(t, 30*time.Second, "suspension after the bounce", func() bool { return creditStatus() == kam.CreditSuspended })
	// The suspension's event is recorded a moment after the suspension itself.
	waitFor(t, 30*time.Second, "the reopened statement's suspension event", func() bool {
		return countRows(t, "SELECT count(*) FROM credit_events WHERE customer_id = $1 AND kind = 'credit_suspended' AND event_key LIKE '%/reopened/1/suspended'", c) == 1
	})
	must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("200", "TRANSFER-1")), 201)
	waitFor(t, 30*time.Second, "reinstatement after paying again", func() bool { return creditStatus() == kam.CreditActive })
}

// The arrears overview (Art. 10, 13): finance, the KA Department, the GM
// and inspection see every account's arrears, filtered and paged by code,
// each account shown registered as a list access to its credit section;
// everyone else is refused 403 and registered as denied.
func TestArrearsOverview(t *testing.T) {
	staff := staffByRole(t)
	fin := staff[kam.RoleFinance]
	late := newAccount(t, "")
	must(t, call(t, "PUT", "/v1/customers/"+late+"/credit", fin.Token, agreement("@every 1s", "1000", 0)), 200)
	must(t, call(t, "POST", "/v1/customers/"+late+"/charges", fin.Token, chargeBody("75", "LATE-1")), 201)
	cash := newAccount(t, "")
	must(t, call(t, "PUT", "/v1/customers/"+cash+"/credit", fin.Token, cashTerms()), 200)
	find := func(token, query, id string) map[string]any {
		cursor := ""
		for {
			r := must(t, call(t, "GET", "/v1/credit?limit=200&"+query+"&cursor="+cursor, token, nil), 200)
			for _, it := range r.items() {
				if it["customer_id"] == id {
					return it
				}
			}
			if cursor = r.str("next_cursor"); cursor == "" {
				return nil
			}
		}
	}
	var line map[string]any
	waitFor(t, 30*time.Second, "the overdue account in the overview", func() bool {
		line = find(fin.Token, "overdue=true&status=suspended", late)
		return line != nil
	})
	if line["overdue_amount"] != "75.00" || line["overdue_statements"] != float64(1) || line["outstanding"] != "75.00" || line["terms"] != "credit" ||
		line["oldest_due_date"] != today() || line["days_overdue"] != float64(0) || line["arrears_limit"] != "1000.00" || line["customer_code"] == "" {
		t.Fatalf("line = %v", line)
	}
	if find(fin.Token, "overdue=true", cash) != nil || find(fin.Token, "status=closed", late) != nil {
		t.Fatal("filters not applied")
	}
	if l := find(fin.Token, "terms=cash", cash); l == nil || l["arrears_limit"] != nil || l["overdue_amount"] != "0.00" {
		t.Fatalf("cash line = %v", l)
	}
	// Paged by code with the one cursor: two pages of one never repeat.
	p1 := must(t, call(t, "GET", "/v1/credit?limit=1", fin.Token, nil), 200)
	p2 := must(t, call(t, "GET", "/v1/credit?limit=1&cursor="+p1.str("next_cursor"), fin.Token, nil), 200)
	if len(p1.items()) != 1 || len(p2.items()) != 1 || p1.items()[0]["customer_code"].(string) >= p2.items()[0]["customer_code"].(string) {
		t.Fatalf("pages %v / %v", p1.items(), p2.items())
	}
	for _, role := range kam.Roles {
		reqID := uuid.NewString()
		r := call(t, "GET", "/v1/credit?overdue=true&limit=200", staff[role].Token, nil, header{"X-Request-Id", reqID})
		switch role {
		case kam.RoleFinance, kam.RoleKAManager, kam.RoleGeneralManager, kam.RoleAuditor:
			must(t, r, 200)
			if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'list' AND sections = '{credit}'", reqID); n != len(r.items()) {
				t.Fatalf("%s: %d accounts shown, %d registered", role, len(r.items()), n)
			}
		default:
			problem(t, r, 403, "forbidden")
			if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'denied'", reqID); n != 1 {
				t.Fatalf("%s: refusal registered %d times", role, n)
			}
		}
	}
	problem(t, call(t, "GET", "/v1/credit", "", nil), 401, "unauthenticated")
	problem(t, call(t, "GET", "/v1/credit?cursor="+p1.str("next_cursor")[1:], fin.Token, nil), 422, "validation_failed")
}
