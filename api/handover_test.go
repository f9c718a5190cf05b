package api_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/workflows"
)

// recordClosed writes a run's history to the file the environment variable
// names, once the run has closed (replayed in workflows/replay_test.go).
func recordClosed(t *testing.T, env, workflowID string) {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := running.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := workflows.RecordHistory(ctx, running.Temporal, workflowID, path); err != nil {
		t.Fatal(err)
	}
}

// waitHandover follows a handover until it is no longer running.
func waitHandover(t *testing.T, from, id string) resp {
	t.Helper()
	var r resp
	waitFor(t, 90*time.Second, "handover "+id, func() bool {
		r = must(t, call(t, "GET", "/v1/staff/"+from+"/handovers/"+id, adminToken, nil), 200)
		return r.str("status") != kam.HandoverRunning
	})
	return r
}

// SPEC §7 "Staff and identity", Art. 20: a KA manager hands over all of an
// account manager's 150 accounts. A Temporal run moves them in batches; every
// account gets a history row and an `update` register row under the request
// (Art. 9), its visit plan is the new manager's (a visit already announced
// is announced to them), its open greeting tasks are theirs (Art. 19), and
// the leaver's pending discount requests on them are followed up by the new
// manager, who may withdraw them (Art. 11, 12).
func TestStaffHandoverMovesAccountsRequestsPlansAndGreetings(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	leaver, heir := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	start := time.Now()
	accounts := make([]string, 150)
	for i := range accounts {
		accounts[i] = newAccount(t, leaver.ID)
	}
	// Every account's visit plan runs and has planned its next visit (Art. 20).
	waitFor(t, 90*time.Second, "a planned visit on every account", func() bool {
		return countRows(t, "SELECT count(DISTINCT customer_id) FROM visits WHERE customer_id = ANY($1::uuid[]) AND status = 'planned'", accounts) == 150
	})
	// Greeting tasks: three heads whose birthday is tomorrow (tier A greets birthdays).
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	birthday := time.Date(1970, tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	for _, c := range accounts[:3] {
		must(t, call(t, "POST", "/v1/customers/"+c+"/key-persons", ka.Token, map[string]any{"name": "Head " + unique(), "role": "head", "birthday": birthday}), 201)
	}
	greetings := countRows(t, "SELECT count(*) FROM greetings WHERE customer_id = ANY($1::uuid[]) AND status = 'open' AND account_manager_id = $2", accounts, leaver.ID)
	if greetings < 3 {
		t.Fatalf("%d greeting tasks before the handover, want at least 3", greetings)
	}
	// One more visit inside its lead window, as a plan plans and announces it
	// (whether the plans' own fall inside it depends on today's date).
	due := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	if _, err := running.Store.Pool.Exec(context.Background(), "INSERT INTO visits (id, customer_id, status, due_at) VALUES ($1, $2, 'planned', $3)",
		uuid.New(), accounts[5], due); err != nil {
		t.Fatal(err)
	}
	// Two pending discount requests of the leaver.
	var requests []string
	for _, c := range accounts[7:9] {
		requests = append(requests, must(t, call(t, "POST", "/v1/discount-requests", leaver.Token, discountBody(c, "4")), 201).str("id"))
	}

	reqID := uuid.NewString()
	purpose := header{"X-Access-Purpose", "leaver handover"}
	r := must(t, call(t, "POST", "/v1/staff/"+leaver.ID+"/handover", ka.Token, map[string]any{"to": heir.ID}, header{"X-Request-Id", reqID}, purpose), 202)
	id := r.str("id")
	link := "/v1/staff/" + leaver.ID + "/handovers/" + id
	if r.Header.Get("Location") != link || r.str("link") != link || r.str("workflow_id") != workflows.HandoverWorkflowID(uuid.MustParse(id)) ||
		r.str("from_staff_id") != leaver.ID || r.str("to_staff_id") != heir.ID || r.str("requested_by") != ka.ID {
		t.Fatalf("answer %s, Location %q", r.Raw, r.Header.Get("Location"))
	}
	// Asked again (a retried request): the same handover while it runs.
	again := must(t, call(t, "POST", "/v1/staff/"+leaver.ID+"/handover", ka.Token, map[string]any{"to": heir.ID}), 202)
	if again.str("id") != id && must(t, call(t, "GET", link, ka.Token, nil), 200).str("status") == kam.HandoverRunning {
		t.Fatalf("a retried request began a second handover while the first runs: %s", again.Raw)
	}

	began := time.Now()
	done := waitHandover(t, leaver.ID, id)
	t.Logf("150 accounts opened in %s; handed over in %s", began.Sub(start).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	if done.str("status") != kam.HandoverDone || done.Body["accounts_moved"] != float64(150) || done.Body["requests_moved"] != float64(2) ||
		done.Body["greetings_moved"] != float64(greetings) || done.Body["batches"] != float64(4) || done.Body["finished_at"] == nil {
		t.Fatalf("handover: %s", done.Raw)
	}
	if n := countRows(t, "SELECT count(*) FROM customers WHERE id = ANY($1::uuid[]) AND account_manager_id = $2", accounts, heir.ID); n != 150 {
		t.Fatalf("%d of 150 accounts are the heir's", n)
	}
	// One history row per account, by the KA manager (SPEC §7).
	if n := countRows(t, `SELECT count(DISTINCT customer_id) FROM customer_history WHERE customer_id = ANY($1::uuid[]) AND field = 'account_manager_id'
		AND old_value = $2 AND new_value = $3 AND staff_id = $4`, accounts, leaver.ID, heir.ID, ka.ID); n != 150 {
		t.Fatalf("%d accounts with a history row of the handover, want 150", n)
	}
	if n := countRows(t, `SELECT count(*) FROM customer_history WHERE customer_id = ANY($1::uuid[]) AND field = 'account_manager_id' AND new_value = $2`,
		accounts, heir.ID); n != 150 {
		t.Fatalf("%d history rows of the handover, want one per account", n)
	}
	// One `update` register row per account, under the request (Art. 9).
	if n := countRows(t, `SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'update' AND staff_id = $2 AND purpose = 'leaver handover'
		AND route = 'POST /v1/staff/{id}/handover'`, reqID, ka.ID); n != 150 {
		t.Fatalf("%d register rows of the handover, want 150", n)
	}
	if n := countRows(t, `SELECT count(DISTINCT customer_id) FROM access_log WHERE request_id = $1 AND customer_id = ANY($2::uuid[])`, reqID, accounts); n != 150 {
		t.Fatalf("%d accounts registered, want 150", n)
	}
	// Greeting tasks are the heir's, and the heir has been told of each (Art. 19).
	if n := countRows(t, `SELECT count(*) FROM greetings g WHERE customer_id = ANY($1::uuid[]) AND status = 'open' AND account_manager_id = $2
		AND EXISTS (SELECT 1 FROM notifications n WHERE n.recipient_id = $2 AND n.event_key = 'greeting/' || g.id)`, accounts, heir.ID); n != greetings {
		t.Fatalf("%d of %d greeting tasks are the heir's and announced to them", n, greetings)
	}
	must(t, call(t, "GET", "/v1/greetings?on="+tomorrow.Format(time.DateOnly), heir.Token, nil), 200)
	// Visit plans: the visit already announced is announced to the heir; every
	// visit inside its lead window reaches them (the plans tell whoever
	// manages the account when a lead falls due).
	key := fmt.Sprintf("visit-plan/%s/%s/lead", accounts[5], due.Format(time.RFC3339))
	if n := countRows(t, "SELECT count(*) FROM notifications WHERE recipient_id = $1 AND event_key = $2 AND kind = 'visit_due'", heir.ID, key); n != 1 {
		t.Fatalf("the visit due within its lead was not announced to the heir (%s)", key)
	}
	if n := countRows(t, "SELECT count(DISTINCT customer_id) FROM visits WHERE customer_id = ANY($1::uuid[]) AND status = 'planned'", accounts); n != 150 {
		t.Fatalf("%d of 150 accounts kept their planned visit", n)
	}
	waitFor(t, 30*time.Second, "every visit inside its lead window announced to the heir", func() bool {
		return countRows(t, `SELECT count(*) FROM visits v WHERE v.customer_id = ANY($1::uuid[]) AND v.status = 'planned' AND v.due_at <= now() + interval '72 hours'
			AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.recipient_id = $2 AND n.event_key =
				'visit-plan/' || v.customer_id || '/' || to_char(v.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '/lead')`, accounts, heir.ID) == 0
	})
	// The pending requests are the heir's: they see them, the leaver no
	// longer does, and the approval run takes the heir's withdrawal.
	if n := countRows(t, "SELECT count(*) FROM discount_requests WHERE id = ANY($1::uuid[]) AND requester_id = $2", requests, heir.ID); n != 2 {
		t.Fatalf("%d of 2 pending requests are the heir's", n)
	}
	must(t, call(t, "GET", "/v1/discount-requests/"+requests[1], heir.Token, nil), 200)
	problem(t, call(t, "GET", "/v1/discount-requests/"+requests[1], leaver.Token, nil), 404, "not_found")
	if w := must(t, call(t, "POST", "/v1/discount-requests/"+requests[0]+"/withdraw", heir.Token, nil), 200); w.str("state") != kam.StateWithdrawn {
		t.Fatalf("withdrawn by the heir: %s", w.Raw)
	}
	if k := inboxKinds(t, heir.Token); k["handover_received"] != 1 {
		t.Fatalf("the heir's inbox: %v", k)
	}
	if k := inboxKinds(t, ka.Token); k["handover_done"] < 1 {
		t.Fatalf("the KA manager's inbox: %v", k)
	}
	recordClosed(t, "KAM_RECORD_HISTORY", workflows.HandoverWorkflowID(uuid.MustParse(id)))
	recordClosed(t, "KAM_RECORD_HISTORY_REQUEST", workflows.DiscountWorkflowID(uuid.MustParse(requests[0])))
	// Its progress is a staff record's: another person's path does not have it.
	problem(t, call(t, "GET", "/v1/staff/"+heir.ID+"/handovers/"+id, ka.Token, nil), 404, "not_found")
	problem(t, call(t, "GET", link, leaver.Token, nil), 403, "forbidden")
}

// SPEC §7: who may hand over (ka_manager, admin; others 403), to whom (an
// active account manager other than the leaver: 422 with the reason's code),
// and of whom (unknown: 404). Nothing starts on a refusal.
func TestStaffHandoverRules(t *testing.T) {
	staff := staffByRole(t)
	leaver, heir := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, leaver.ID)
	path := "/v1/staff/" + leaver.ID + "/handover"
	for _, role := range []string{kam.RoleGeneralManager, kam.RoleAccountManager, kam.RoleDataClerk, kam.RoleServiceAgent, kam.RoleFinance, kam.RoleAuditor} {
		problem(t, call(t, "POST", path, staff[role].Token, map[string]any{"to": heir.ID}), 403, "forbidden")
	}
	problem(t, call(t, "POST", path, leaver.Token, map[string]any{"to": heir.ID}), 403, "forbidden")
	problem(t, call(t, "POST", path, "", map[string]any{"to": heir.ID}), 401, "unauthenticated")
	ka := staff[kam.RoleKAManager]
	for _, to := range []struct{ id, code string }{
		{leaver.ID, kam.CodeHandoverToSelf}, {staff[kam.RoleDataClerk].ID, kam.CodeHandoverTarget}, {uuid.NewString(), kam.CodeHandoverTarget}, {c, kam.CodeHandoverTarget},
	} {
		r := call(t, "POST", path, ka.Token, map[string]any{"to": to.id})
		problem(t, r, 422, to.code)
		if loc, _ := r.Body["errors"].([]any); len(loc) != 1 || loc[0].(map[string]any)["location"] != "body.to" {
			t.Fatalf("the refusal does not name body.to: %s", r.Raw)
		}
	}
	problem(t, call(t, "POST", "/v1/staff/"+uuid.NewString()+"/handover", ka.Token, map[string]any{"to": heir.ID}), 404, "not_found")
	problem(t, call(t, "POST", path, ka.Token, map[string]any{"to": "not-a-uuid"}), 422, "validation_failed")
	if n := countRows(t, "SELECT count(*) FROM staff_handovers WHERE from_staff_id = $1", leaver.ID); n != 0 {
		t.Fatalf("%d handovers stored by refused requests", n)
	}
	// An inactive receiver is no receiver.
	gone := newStaff(t, kam.RoleAccountManager)
	must(t, call(t, "PATCH", "/v1/staff/"+gone.ID, adminToken, map[string]any{"active": false}), 200)
	problem(t, call(t, "POST", path, ka.Token, map[string]any{"to": gone.ID}), 422, kam.CodeHandoverTarget)

	// The admin may, too.
	r := must(t, call(t, "POST", path, adminToken, map[string]any{"to": heir.ID}), 202)
	done := waitHandover(t, leaver.ID, r.str("id"))
	if done.str("status") != kam.HandoverDone || done.Body["accounts_moved"] != float64(1) {
		t.Fatalf("handover by the admin: %s", done.Raw)
	}
	problem(t, call(t, "GET", "/v1/staff/"+leaver.ID+"/handovers/"+uuid.NewString(), adminToken, nil), 404, "not_found")
	must(t, call(t, "GET", "/v1/staff/"+leaver.ID+"/handovers/"+r.str("id"), staff[kam.RoleGeneralManager].Token, nil), 200)
}

// A reassignment by PATCH hands the former manager's pending requests on the
// account to the new manager, as a handover does: the new manager sees,
// follows up and withdraws them; the former one no longer sees them; a
// request someone else asked for stays theirs (Art. 11, 12).
func TestReassignmentHandsPendingRequestsOver(t *testing.T) {
	ka := newStaff(t, kam.RoleKAManager)
	am1, am2 := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am1.ID)
	r := must(t, call(t, "POST", "/v1/discount-requests", am1.Token, discountBody(c, "5")), 201).str("id")
	theirs := must(t, call(t, "POST", "/v1/discount-requests", ka.Token, discountBody(c, "4")), 201).str("id")
	req := "reassign-" + uuid.NewString()
	must(t, call(t, "PATCH", "/v1/customers/"+c, ka.Token, map[string]any{"account_manager_id": am2.ID}, header{"X-Request-Id", req}), 200)
	if got := must(t, call(t, "GET", "/v1/discount-requests/"+r, am2.Token, nil), 200).str("requester_id"); got != am2.ID {
		t.Fatalf("the moved request's requester: %s, want the new manager", got)
	}
	problem(t, call(t, "GET", "/v1/discount-requests/"+r, am1.Token, nil), 404, "not_found")
	if got := must(t, call(t, "GET", "/v1/discount-requests/"+theirs, ka.Token, nil), 200).str("requester_id"); got != ka.ID {
		t.Fatalf("the KA manager's own request changed hands: %s", got)
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND 'discounts' = ANY(sections) AND 'greetings' = ANY(sections)", req, c); n != 1 {
		t.Fatalf("%d register rows of the reassignment naming discounts and greetings", n)
	}
	// The run knows its new requester: the new manager withdraws it.
	waitFor(t, 15*time.Second, "the withdrawal by the new manager", func() bool {
		return call(t, "POST", "/v1/discount-requests/"+r+"/withdraw", am2.Token, nil).Status == 200
	})
	if st := must(t, call(t, "GET", "/v1/discount-requests/"+r, ka.Token, nil), 200).str("state"); st != "withdrawn" {
		t.Fatalf("state = %s", st)
	}
	// An import that reassigns the account back does the same.
	r2 := must(t, call(t, "POST", "/v1/discount-requests", am2.Token, discountBody(c, "5")), 201).str("id")
	acct := must(t, call(t, "GET", "/v1/customers/"+c, ka.Token, nil), 200)
	must(t, importCSV(t, "/v1/imports/customers", ka.Token, "code,name,account_manager_id\n"+acct.str("code")+","+acct.str("name")+","+am1.ID+"\n"), 200)
	if got := must(t, call(t, "GET", "/v1/discount-requests/"+r2, am1.Token, nil), 200).str("requester_id"); got != am1.ID {
		t.Fatalf("the request after the import's reassignment: requester %s, want %s", got, am1.ID)
	}
	waitFor(t, 15*time.Second, "the withdrawal after the import", func() bool {
		return call(t, "POST", "/v1/discount-requests/"+r2+"/withdraw", am1.Token, nil).Status == 200
	})
}
