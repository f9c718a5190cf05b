package api_test

import (
	"context"
	"fmt"
	"os"
	"sync"

	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"

	"kam"
	"kam/workflows"
)

// tierSLA shrinks a tier's ticket targets for a test and restores them after.
func tierSLA(t *testing.T, code, respond, resolve string) {
	t.Helper()
	var oldRespond, oldResolve string
	if err := running.Store.Pool.QueryRow(t.Context(), "SELECT ticket_response_within, ticket_resolve_within FROM tiers WHERE code = $1", code).Scan(&oldRespond, &oldResolve); err != nil {
		t.Fatal(err)
	}
	set := func(a, b string) {
		if _, err := running.Store.Pool.Exec(context.Background(), "UPDATE tiers SET ticket_response_within = $2, ticket_resolve_within = $3 WHERE code = $1", code, a, b); err != nil {
			t.Fatal(err)
		}
	}
	set(respond, resolve)
	t.Cleanup(func() { set(oldRespond, oldResolve) })
}

// Art. 16, 17 end to end: the queue puts a strategic complaint first; a
// ticket nobody answers breaches its response target and is escalated; the
// handling records are kept.
func TestTicketQueueAndEscalation(t *testing.T) {
	tierSLA(t, "S", "2s", "4s")
	ka := newStaff(t, kam.RoleKAManager)
	gm := newStaff(t, kam.RoleGeneralManager)
	agent := newStaff(t, kam.RoleServiceAgent)
	strategic := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "T-S-" + time.Now().Format("150405.000"), "name": "Strategic", "tier": "S"}), 201).str("id")
	standard := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "T-B-" + time.Now().Format("150405.000"), "name": "Standard", "tier": "B"}), 201).str("id")

	low := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": standard, "kind": "inquiry", "subject": "price list"}), 201)
	inq := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": strategic, "kind": "inquiry", "subject": "delivery date"}), 201)
	comp := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": strategic, "kind": "complaint", "subject": "damaged goods"}), 201)
	if comp.Body["priority"].(float64) >= inq.Body["priority"].(float64) || inq.Body["priority"].(float64) >= low.Body["priority"].(float64) {
		t.Fatalf("priorities: complaint %v, inquiry %v, standard %v", comp.Body["priority"], inq.Body["priority"], low.Body["priority"])
	}
	q := must(t, call(t, "GET", "/v1/tickets?status=open&limit=200", agent.Token, nil), 200).items()
	pos := map[string]int{}
	for i, it := range q {
		pos[it["id"].(string)] = i
	}
	if !(pos[comp.str("id")] < pos[inq.str("id")] && pos[inq.str("id")] < pos[low.str("id")]) {
		t.Fatalf("queue order: %v", pos)
	}

	// Handle the inquiry in time; leave the complaint alone.
	id := inq.str("id")
	must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "acknowledge", "note": "called back"}), 201)
	must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "note", "note": "waiting for the warehouse"}), 201)
	problem(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "close"}), 409, "invalid_transition")
	must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "resolve"}), 201)
	closed := must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "close"}), 201)
	if closed.str("status") != "closed" || closed.Body["response_breached"] != false {
		t.Fatalf("closed = %s", closed.Raw)
	}
	waitFor(t, 60*time.Second, "the complaint's breaches", func() bool {
		c := must(t, call(t, "GET", "/v1/tickets/"+comp.str("id"), ka.Token, nil), 200)
		return c.Body["response_breached"] == true && c.Body["resolution_breached"] == true && c.Body["escalated"] == true
	})
	defer recordHistory(t, workflows.TicketWorkflowID(uuid.MustParse(comp.str("id"))))
	got := must(t, call(t, "GET", "/v1/tickets/"+id, ka.Token, nil), 200)
	if got.Body["response_breached"] != false || got.Body["resolution_breached"] != false || len(got.Body["events"].([]any)) != 5 {
		t.Fatalf("handled ticket = %s", got.Raw)
	}
	waitFor(t, 30*time.Second, "escalation notices", func() bool {
		return inboxKinds(t, ka.Token)["ticket_escalated"] >= 2 && inboxKinds(t, gm.Token)["ticket_escalated"] >= 1
	})
}

func TestTicketAuthorization(t *testing.T) {
	staff := staffByRole(t)
	am := staff[kam.RoleAccountManager]
	own := newAccount(t, am.ID)
	other := newAccount(t, newStaff(t, kam.RoleAccountManager).ID)
	agent := staff[kam.RoleServiceAgent]
	otherTicket := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": other, "kind": "shipping", "subject": "where"}), 201).str("id")
	for _, role := range kam.Roles {
		t.Run(role, func(t *testing.T) {
			tok := staff[role].Token
			create := call(t, "POST", "/v1/tickets", tok, map[string]any{"customer_id": own, "kind": "inquiry", "subject": "q"})
			read := call(t, "GET", "/v1/tickets/"+otherTicket, tok, nil)
			list := call(t, "GET", "/v1/tickets", tok, nil)
			switch role {
			case kam.RoleServiceAgent, kam.RoleKAManager:
				must(t, create, 201)
				must(t, read, 200)
				must(t, list, 200)
			case kam.RoleAccountManager:
				must(t, create, 201)
				problem(t, read, 404, "not_found") // another manager's account
				for _, it := range must(t, list, 200).items() {
					if it["customer_id"] == other {
						t.Fatalf("sees a ticket of another manager's account %v", it["customer_id"])
					}
				}
			case kam.RoleGeneralManager, kam.RoleAuditor:
				problem(t, create, 403, "forbidden")
				must(t, read, 200)
				must(t, list, 200)
			case kam.RoleAdmin:
				problem(t, create, 403, "forbidden")
				problem(t, read, 404, "not_found") // sees no account
				problem(t, list, 403, "forbidden")
			default: // finance, data_clerk: they see the account, not its tickets (SPEC §2)
				problem(t, create, 403, "forbidden")
				problem(t, read, 403, "forbidden")
				problem(t, list, 403, "forbidden")
			}
		})
	}
}

// SPEC §5 "which account": an attempt on a record the caller may not see (a
// ticket, a discount request, a grant) is refused and registered as
// denied against the account the record belongs to, so that the auditor's
// view of that account shows who tried it.
func TestRefusedRecordAttemptsNameTheirAccount(t *testing.T) {
	staff := staffByRole(t)
	owner, prober := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, owner.ID)
	ticket := must(t, call(t, "POST", "/v1/tickets", staff[kam.RoleServiceAgent].Token, map[string]any{"customer_id": c, "kind": "inquiry", "subject": "q"}), 201).str("id")
	req := must(t, call(t, "POST", "/v1/discount-requests", owner.Token, discountBody(c, "4")), 201).str("id")
	for _, path := range []string{"/v1/tickets/" + ticket, "/v1/discount-requests/" + req} {
		reqID := uuid.NewString()
		problem(t, call(t, "GET", path, prober.Token, nil, header{"X-Request-Id", reqID}), 404, "not_found")
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'denied' AND customer_id = $2 AND staff_id = $3",
			reqID, c, prober.ID); n != 1 {
			t.Errorf("GET %s: %d denied rows naming the account, want 1", path, n)
		}
	}
	// A list filtered by an account the caller may not see names that
	// account as a read would: 404, registered as denied, not an empty page.
	for _, path := range []string{"/v1/tickets?customer_id=" + c, "/v1/discount-requests?customer_id=" + c} {
		reqID := uuid.NewString()
		problem(t, call(t, "GET", path, prober.Token, nil, header{"X-Request-Id", reqID}), 404, "not_found")
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'denied' AND customer_id = $2", reqID, c); n != 1 {
			t.Errorf("GET %s: %d denied rows naming the account, want 1", path, n)
		}
		must(t, call(t, "GET", path, owner.Token, nil), 200) // the account's own manager is served
	}
	// A role that sees the account but not the record is told so (403), and
	// the attempt is registered against the account as well.
	clerk := staff[kam.RoleDataClerk]
	for _, path := range []string{"/v1/tickets/" + ticket, "/v1/discount-requests/" + req} {
		reqID := uuid.NewString()
		problem(t, call(t, "GET", path, clerk.Token, nil, header{"X-Request-Id", reqID}), 403, "forbidden")
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'denied' AND customer_id = $2", reqID, c); n != 1 {
			t.Errorf("GET %s as a data clerk: %d denied rows naming the account, want 1", path, n)
		}
	}
	// An id that names nothing is refused alike and names no account.
	reqID := uuid.NewString()
	problem(t, call(t, "GET", "/v1/tickets/"+uuid.NewString(), prober.Token, nil, header{"X-Request-Id", reqID}), 404, "not_found")
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'denied' AND customer_id IS NULL", reqID); n != 1 {
		t.Errorf("%d denied rows without an account for an unknown ticket, want 1", n)
	}
}

// A reopen restarts the ticket's service targets inside its transaction;
// everything it reads there is read on that transaction's connection. Before,
// it took a second connection from the pool while holding the first, and as
// many reopens at once as the pool has connections waited on each other
// until their requests timed out.
func TestConcurrentReopensDoNotDrainThePool(t *testing.T) {
	agent := staffByRole(t)[kam.RoleServiceAgent]
	c := newAccount(t, "")
	const n = 60 // three times the pool's 20 connections
	ids := make([]string, n)
	for i := range ids {
		ids[i] = must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": c, "kind": "inquiry", "subject": fmt.Sprint("reopen ", i)}), 201).str("id")
		must(t, call(t, "POST", "/v1/tickets/"+ids[i]+"/events", agent.Token, map[string]any{"type": "resolve"}), 201)
	}
	var wg sync.WaitGroup
	statuses := make(chan string, n)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "reopen", "note": "again"})
			statuses <- fmt.Sprint(r.Status, " ", r.str("code"))
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != "201 " {
			t.Fatalf("a concurrent reopen answered %s", s)
		}
	}
}

// Art. 16, 17: a ticket may be resolved and reopened any number of times.
// Its SLA run continues as new well before Temporal's 10,000 signals per
// run (after 250 turns), so reopens keep being accepted; the next run holds
// the reopen count. The first run's history, with its continue-as-new, is
// recorded for the replay test with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/ticket-continue-as-new.json go test ./api -run TestTicketResolveReopenCyclesContinueAsNew
func TestTicketResolveReopenCyclesContinueAsNew(t *testing.T) {
	ka := newStaff(t, kam.RoleKAManager)
	agent := newStaff(t, kam.RoleServiceAgent)
	c := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "T-C-" + uuid.NewString()[:8], "name": "Cycles", "tier": "A"}), 201).str("id")
	id := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": c, "kind": "claim", "subject": "again and again"}), 201).str("id")
	wid := workflows.TicketWorkflowID(uuid.MustParse(id))
	d, err := running.Temporal.DescribeWorkflowExecution(t.Context(), wid, "")
	if err != nil {
		t.Fatal(err)
	}
	first := d.WorkflowExecutionInfo.GetExecution().GetRunId()
	for i := range 130 {
		for _, typ := range []string{"resolve", "reopen"} {
			if r := call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": typ, "note": fmt.Sprint("cycle ", i)}); r.Status != 201 {
				t.Fatalf("cycle %d %s: %d %s", i, typ, r.Status, r.Raw)
			}
		}
	}
	waitFor(t, 30*time.Second, "the SLA run to continue as new", func() bool {
		d, err := running.Temporal.DescribeWorkflowExecution(t.Context(), wid, first)
		return err == nil && d.WorkflowExecutionInfo.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
	})
	for _, typ := range []string{"resolve", "close"} {
		must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": typ}), 201)
	}
	var st workflows.TicketState
	if err := running.Temporal.GetWorkflow(t.Context(), wid, "").Get(t.Context(), &st); err != nil {
		t.Fatal(err)
	}
	if !st.Closed || st.Reopened != 130 || st.ResponseBreached {
		t.Fatalf("state %+v", st)
	}
	if path := os.Getenv("KAM_RECORD_HISTORY"); path != "" {
		if err := workflows.RecordRunHistory(t.Context(), running.Temporal, wid, first, path); err != nil {
			t.Fatal(err)
		}
	}
}
