package api_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/workflows"
)

// SPEC §7: a settlement cycle must fire within five years; 30 February never
// does, and an @every under a second is not a cycle (cron would round it up).
// Nothing is stored.
func TestCreditScheduleRefused(t *testing.T) {
	fin := newStaff(t, kam.RoleFinance)
	c := newAccount(t, "")
	for _, cycle := range []string{"0 0 30 2 *", "@every 500ms", "@every 50000h"} {
		r := call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement(cycle, "1000", 30))
		problem(t, r, 422, "invalid_schedule")
		if errs, _ := r.Body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["location"] != "body.settlement_cycle" {
			t.Fatalf("%q: %s", cycle, r.Raw)
		}
	}
	// Not a schedule at all: a field validation failure. A TZ= prefix made
	// cron's parser panic; the company time zone applies anyway.
	for _, cycle := range []string{"when it rains", "TZ=UTC", "CRON_TZ=Europe/Paris 0 0 1 * *"} {
		problem(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement(cycle, "1000", 30)), 422, "validation_failed")
	}
	problem(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 404, "no_credit_agreement")
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("0 0 29 2 *", "1000", 30)), 200) // every four years is allowed
	problem(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("0 0 30 2 *", "1000", 30)), 422, "invalid_schedule")
	if got := must(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 200).str("settlement_cycle"); got != "0 0 29 2 *" {
		t.Fatalf("cycle now %q", got)
	}
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, map[string]any{"credit_level": "A", "arrears_limit": "1000", "settlement_cycle": "0 0 29 2 *", "payment_term_days": 30, "status": "closed"}), 200)
}

// The same rule for a tier's visit cadence (SPEC §7).
func TestTierScheduleRefused(t *testing.T) {
	before := must(t, call(t, "GET", "/v1/tiers/B", adminToken, nil), 200).str("visit_cadence")
	body := map[string]any{"name": "Standard", "ticket_response_within": "4h", "ticket_resolve_within": "72h", "greeting_occasions": []string{"holiday"}}
	for _, cadence := range []string{"0 0 30 2 *", "@every 500ms"} {
		body["visit_cadence"] = cadence
		r := call(t, "PUT", "/v1/tiers/B", adminToken, body)
		problem(t, r, 422, "invalid_schedule")
		if errs, _ := r.Body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["location"] != "body.visit_cadence" {
			t.Fatalf("%q: %s", cadence, r.Raw)
		}
	}
	if after := must(t, call(t, "GET", "/v1/tiers/B", adminToken, nil), 200).str("visit_cadence"); after != before {
		t.Fatalf("cadence changed to %q", after)
	}
}

// Art. 16, 17: a ticket reopened after it was closed is under a resolution
// target again. Its SLA run had ended at close, so the reopen starts it anew
// (signal-with-start): the new target is enforced and its breach escalates.
func TestTicketReopenAfterCloseRestartsSLA(t *testing.T) {
	tierSLA(t, "A", "2s", "3s")
	ka := newStaff(t, kam.RoleKAManager)
	agent := newStaff(t, kam.RoleServiceAgent)
	c := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "T-R-" + uuid.NewString()[:8], "name": "Reopened", "tier": "A"}), 201).str("id")
	tk := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": c, "kind": "claim", "subject": "short delivery"}), 201)
	id := tk.str("id")
	for _, typ := range []string{"resolve", "close"} {
		must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": typ}), 201)
	}
	waitFor(t, 30*time.Second, "the SLA run to end at close", func() bool {
		d, err := running.Temporal.DescribeWorkflowExecution(t.Context(), workflows.TicketWorkflowID(uuid.MustParse(id)), "")
		return err == nil && d.WorkflowExecutionInfo.GetCloseTime() != nil
	})

	reopened := must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "reopen", "note": "still short"}), 201)
	oldBy, _ := time.Parse(time.RFC3339Nano, tk.str("resolve_by"))
	newBy, _ := time.Parse(time.RFC3339Nano, reopened.str("resolve_by"))
	if reopened.str("status") != "acknowledged" || !newBy.After(oldBy) {
		t.Fatalf("reopened = %s (was resolve by %s)", reopened.Raw, oldBy)
	}
	defer recordHistory(t, workflows.TicketWorkflowID(uuid.MustParse(id)))
	waitFor(t, 30*time.Second, "the reopened ticket's resolution breach", func() bool {
		got := must(t, call(t, "GET", "/v1/tickets/"+id, ka.Token, nil), 200)
		return got.Body["resolution_breached"] == true && got.Body["escalated"] == true
	})
	got := must(t, call(t, "GET", "/v1/tickets/"+id, ka.Token, nil), 200)
	if got.Body["response_breached"] != false {
		t.Fatalf("an answered ticket breached its response target: %s", got.Raw)
	}
	waitFor(t, 30*time.Second, "the escalation notice", func() bool { return inboxKinds(t, ka.Token)["ticket_escalated"] >= 1 })
	// The breach is the reopened target's, once.
	if n := countRows(t, "SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND type = 'resolution_breached'", id); n != 1 {
		t.Fatalf("%d resolution breaches recorded", n)
	}
	must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "resolve"}), 201)
	must(t, call(t, "POST", "/v1/tickets/"+id+"/events", agent.Token, map[string]any{"type": "close"}), 201)
}

// A settlement cycle stored before SPEC §7's rule (written here straight into
// the table) never fires: the run tells finance once and waits for the terms
// to change, instead of closing cycles in year 1 with a warning each; closing
// the agreement still ends it.
func TestSettlementOnImpossibleStoredCycleWaits(t *testing.T) {
	fin := newStaff(t, kam.RoleFinance)
	c := newAccount(t, "")
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@monthly", "1000", 30)), 200)
	must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("900", "INV-1")), 201)
	must(t, call(t, "POST", "/v1/customers/"+c+"/payments", fin.Token, paymentBody("900", "RCPT-1")), 201)
	if _, err := running.Store.Pool.Exec(t.Context(), "UPDATE credit_agreements SET settlement_cycle = '0 0 30 2 *' WHERE customer_id = $1", c); err != nil {
		t.Fatal(err)
	}
	wid := workflows.SettlementWorkflowID(uuid.MustParse(c))
	if err := running.Temporal.SignalWorkflow(t.Context(), wid, "", workflows.SignalAgreementChanged, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the invalid schedule notice", func() bool {
		return countRows(t, "SELECT count(*) FROM credit_events WHERE customer_id = $1 AND kind = 'invalid_schedule'", c) == 1
	})
	time.Sleep(2 * time.Second) // a spinning run would close cycles meanwhile
	if n := countRows(t, "SELECT count(*) FROM statements WHERE customer_id = $1", c); n != 0 {
		t.Fatalf("%d statements from a cycle that never fires", n)
	}
	if n := countRows(t, "SELECT count(*) FROM credit_events WHERE customer_id = $1", c); n > 2 {
		t.Fatalf("%d credit events: the run spins", n)
	}
	closing := agreement("@monthly", "1000", 30)
	closing["status"] = "closed"
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, closing), 200)
	waitFor(t, 30*time.Second, "the run to end", func() bool {
		d, err := running.Temporal.DescribeWorkflowExecution(t.Context(), wid, "")
		return err == nil && d.WorkflowExecutionInfo.GetCloseTime() != nil
	})
	recordHistory(t, wid)
}
