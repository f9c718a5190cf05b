package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"

	"kam"
	"kam/workflows"
)

// registered counts the register rows of one request with an action.
func registered(t *testing.T, reqID, action string) int {
	t.Helper()
	return countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = $2", reqID, action)
}

// historyOf lists an account's history as field → [old, new] rows, as a caller sees it.
func historyOf(t *testing.T, id, token string) []map[string]any {
	t.Helper()
	return must(t, call(t, "GET", "/v1/customers/"+id+"/history?limit=500", token, nil), 200).items()
}

func findHistory(rows []map[string]any, field string) []map[string]any {
	var out []map[string]any
	for _, r := range rows {
		if r["field"] == field {
			out = append(out, r)
		}
	}
	return out
}

// Art. 7.2: a contact is changed and removed by those who add it; every
// change is in the history and in the register, in the change's transaction.
func TestContactUpkeep(t *testing.T) {
	staff := staffByRole(t)
	am, clerk, agent := staff[kam.RoleAccountManager], staff[kam.RoleDataClerk], staff[kam.RoleServiceAgent]
	id := newAccount(t, am.ID)
	other := newAccount(t, newStaff(t, kam.RoleAccountManager).ID)
	c := must(t, call(t, "POST", "/v1/customers/"+id+"/contacts", am.Token, map[string]any{"name": "Wang Fang", "title": "Buyer", "phone": "+86 10 1111"}), 201)
	cid := c.str("id")
	path := "/v1/customers/" + id + "/contacts/" + cid

	// A partial change: the phone changes, the title is cleared by null, the rest stays.
	req := uuid.NewString()
	r := must(t, call(t, "PATCH", path, clerk.Token, map[string]any{"phone": "+86 10 2222", "title": nil}, header{"X-Request-Id", req}), 200)
	if r.str("phone") != "+86 10 2222" || r.Body["title"] != nil || r.str("name") != "Wang Fang" || r.Body["version"] != float64(2) || r.Header.Get("ETag") != `"2"` {
		t.Fatalf("patched contact = %s (ETag %s)", r.Raw, r.Header.Get("ETag"))
	}
	if n := registered(t, req, kam.AccessUpdate); n != 1 {
		t.Fatalf("%d update rows in the register for the PATCH", n)
	}
	// The same validation as POST; a stale version is 412.
	problem(t, call(t, "PATCH", path, am.Token, map[string]any{"email": "not-an-address"}), 422, "validation_failed")
	problem(t, call(t, "PATCH", path, am.Token, map[string]any{"name": ""}), 422, "validation_failed")
	problem(t, call(t, "PATCH", path, am.Token, map[string]any{"name": nil}), 422, "validation_failed")
	problem(t, call(t, "PATCH", path, am.Token, map[string]any{"name": "Wang F."}, header{"If-Match", `"1"`}), 412, "version_conflict")
	// Who may not: a service agent sees the archive but does not edit it
	// (403); an admin, or another manager, does not see it (404). Each
	// refusal is registered as denied.
	req = uuid.NewString()
	problem(t, call(t, "PATCH", path, agent.Token, map[string]any{"phone": "x"}, header{"X-Request-Id", req}), 403, "forbidden")
	if registered(t, req, kam.AccessDenied) != 1 {
		t.Fatal("the refused PATCH is not registered as denied")
	}
	problem(t, call(t, "PATCH", path, adminToken, map[string]any{"phone": "x"}), 404, "not_found")
	// An unknown contact, or one of another account, is 404.
	problem(t, call(t, "PATCH", "/v1/customers/"+id+"/contacts/"+uuid.NewString(), am.Token, map[string]any{"phone": "x"}), 404, "not_found")
	foreign := must(t, call(t, "POST", "/v1/customers/"+other+"/contacts", staff[kam.RoleKAManager].Token, map[string]any{"name": "Elsewhere"}), 201).str("id")
	problem(t, call(t, "PATCH", "/v1/customers/"+id+"/contacts/"+foreign, am.Token, map[string]any{"phone": "x"}), 404, "not_found")
	problem(t, call(t, "DELETE", "/v1/customers/"+id+"/contacts/"+foreign, am.Token, nil), 404, "not_found")
	problem(t, call(t, "DELETE", "/v1/customers/"+other+"/contacts/"+foreign, am.Token, nil), 404, "not_found")

	// Removal: 204, gone from the list, a history row, a register row; twice is 404.
	problem(t, call(t, "DELETE", path, am.Token, nil, header{"If-Match", `"1"`}), 412, "version_conflict")
	req = uuid.NewString()
	must(t, call(t, "DELETE", path, am.Token, nil, header{"X-Request-Id", req}, header{"If-Match", `"2"`}), 204)
	if n := registered(t, req, kam.AccessUpdate); n != 1 {
		t.Fatalf("%d update rows in the register for the DELETE", n)
	}
	if l := must(t, call(t, "GET", "/v1/customers/"+id+"/contacts", am.Token, nil), 200).items(); len(l) != 0 {
		t.Fatalf("a removed contact is listed: %v", l)
	}
	problem(t, call(t, "DELETE", path, am.Token, nil), 404, "not_found")
	problem(t, call(t, "PATCH", path, am.Token, map[string]any{"phone": "x"}), 404, "not_found")

	h := historyOf(t, id, am.Token)
	added, phone := findHistory(h, "contacts"), findHistory(h, kam.PersonField("contacts", uuid.MustParse(cid), "phone"))
	if len(added) != 2 || added[0]["new"] != "Wang Fang" || added[1]["old"] != "Wang Fang" || added[1]["new"] != nil {
		t.Fatalf("contact rows in the history: %v", added)
	}
	if len(phone) != 1 || phone[0]["old"] != "+86 10 1111" || phone[0]["new"] != "+86 10 2222" || phone[0]["staff_id"] != clerk.ID {
		t.Fatalf("phone change in the history: %v", phone)
	}
	if title := findHistory(h, kam.PersonField("contacts", uuid.MustParse(cid), "title")); len(title) != 1 || title[0]["old"] != "Buyer" || title[0]["new"] != nil {
		t.Fatalf("title cleared in the history: %v", title)
	}
}

// Art. 7.3, 19: a key person is changed like a contact; a removed one gets
// no greeting: their open task is cancelled and the sweep makes none again.
// A corrected birthday moves the task.
func TestRemovedKeyPersonIsNotGreeted(t *testing.T) {
	staff := staffByRole(t)
	ka, am := staff[kam.RoleKAManager], staff[kam.RoleAccountManager]
	id := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "KP-" + unique(), "name": "Greeted Co", "tier": "S", "account_manager_id": am.ID}), 201).str("id")
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	dayAfter := tomorrow.AddDate(0, 0, 1)
	birthday := func(d time.Time) string {
		return time.Date(1970, d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	k := must(t, call(t, "POST", "/v1/customers/"+id+"/key-persons", am.Token, map[string]any{"name": "Zhao Min", "role": "head", "birthday": birthday(tomorrow)}), 201)
	kid := k.str("id")
	path := "/v1/customers/" + id + "/key-persons/" + kid
	// status lists the key person's tasks on a day, as the greeting list
	// shows them by default, or of one status (filter).
	status := func(on time.Time, filter ...string) []string {
		var out []string
		path := "/v1/greetings?on=" + on.Format(time.DateOnly)
		for _, f := range filter {
			path += "&status=" + f
		}
		for _, g := range must(t, call(t, "GET", path, am.Token, nil), 200).items() {
			if g["key_person_id"] == kid {
				out = append(out, g["status"].(string))
			}
		}
		return out
	}
	if got := status(tomorrow); !slices.Equal(got, []string{"open"}) {
		t.Fatalf("greetings tomorrow = %v, want one open", got)
	}

	// A corrected birthday: tomorrow's task is cancelled, the day after's made.
	r := must(t, call(t, "PATCH", path, am.Token, map[string]any{"birthday": birthday(dayAfter), "title": "Chairman"}), 200)
	if r.str("birthday") != birthday(dayAfter) || r.str("title") != "Chairman" || r.str("role") != "head" {
		t.Fatalf("patched key person = %s", r.Raw)
	}
	// A cancelled task is no greeting: the list leaves it out unless asked.
	if got := status(tomorrow); len(got) != 0 {
		t.Fatalf("greetings tomorrow after the correction = %v, want none", got)
	}
	if got := status(tomorrow, "cancelled"); !slices.Equal(got, []string{"cancelled"}) {
		t.Fatalf("cancelled greetings tomorrow after the correction = %v", got)
	}
	if got := status(tomorrow, "open"); len(got) != 0 {
		t.Fatalf("open greetings tomorrow after the correction = %v", got)
	}
	var cancelled string
	if err := running.Store.Pool.QueryRow(context.Background(), "SELECT id::text FROM greetings WHERE key_person_id = $1 AND status = 'cancelled'", kid).Scan(&cancelled); err != nil {
		t.Fatal(err)
	}
	problem(t, call(t, "POST", "/v1/greetings/"+cancelled+"/done", am.Token, nil), 409, "greeting_cancelled")
	if got := status(dayAfter); !slices.Equal(got, []string{"open"}) {
		t.Fatalf("greetings the day after = %v", got)
	}
	problem(t, call(t, "PATCH", path, am.Token, map[string]any{"role": "boss"}), 422, "validation_failed")
	problem(t, call(t, "PATCH", path, am.Token, map[string]any{"birthday": "1850-01-01"}), 422, "validation_failed")
	problem(t, call(t, "PATCH", path, staff[kam.RoleFinance].Token, map[string]any{"title": "x"}), 403, "forbidden")

	// Removed: the open task is cancelled, and no sweep greets them again;
	// the account's report counts it no more.
	report := "/v1/reports/customers/" + id + "?from=" + tomorrow.Format(time.DateOnly) + "&to=" + dayAfter.Format(time.DateOnly)
	counted := func() float64 { return must(t, call(t, "GET", report, ka.Token, nil), 200).Body["greetings"].(float64) }
	before := counted()
	must(t, call(t, "DELETE", path, am.Token, nil), 204)
	if after := counted(); after != before-1 {
		t.Fatalf("the report counts %v greetings after the removal, %v before", after, before)
	}
	if got := status(dayAfter); len(got) != 0 {
		t.Fatalf("greetings of a removed key person = %v, want none", got)
	}
	if got := status(dayAfter, "cancelled"); !slices.Equal(got, []string{"cancelled"}) {
		t.Fatalf("cancelled greetings of a removed key person = %v", got)
	}
	problem(t, call(t, "GET", "/v1/greetings?status=gone", am.Token, nil), 422, "validation_failed")
	if _, err := running.Store.SweepGreetings(context.Background(), time.Now().UTC().Truncate(24*time.Hour), 7, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, "SELECT count(*) FROM greetings WHERE key_person_id = $1 AND status = 'open'", kid); n != 0 {
		t.Fatalf("%d open greetings for a removed key person after a sweep", n)
	}
	if l := must(t, call(t, "GET", "/v1/customers/"+id+"/key-persons", am.Token, nil), 200).items(); len(l) != 0 {
		t.Fatalf("a removed key person is listed: %v", l)
	}
	h := historyOf(t, id, am.Token)
	if rows := findHistory(h, "key_persons"); len(rows) != 2 || rows[1]["old"] != "head: Zhao Min" || rows[1]["new"] != nil {
		t.Fatalf("key person rows in the history: %v", rows)
	}
	if rows := findHistory(h, kam.PersonField("key_persons", uuid.MustParse(kid), "birthday")); len(rows) != 1 || rows[0]["old"] != birthday(tomorrow) {
		t.Fatalf("birthday change in the history: %v", rows)
	}
	// A visit cannot name a removed key person as met.
	problem(t, call(t, "POST", "/v1/customers/"+id+"/visits", am.Token, map[string]any{"visited_on": today(), "key_person_ids": []string{kid}}), 422, "validation_failed")
}

// Art. 7.1, 7.2: a complete archive that loses its head is incomplete again,
// and its onboarding run, which had ended, starts again (the reminders
// themselves are proven with shrunk days in cmd/kam/app).
func TestRemovalReopensOnboarding(t *testing.T) {
	staff := staffByRole(t)
	ka, am, fin := staff[kam.RoleKAManager], staff[kam.RoleAccountManager], staff[kam.RoleFinance]
	id := newAccount(t, am.ID)
	must(t, call(t, "PATCH", "/v1/customers/"+id, ka.Token, map[string]any{
		"nature": "private", "industry": "steel", "product_category": "equipment", "legal_representative": "Li",
		"company_size": "500", "main_products": "rebar", "annual_output_value": "1000000.00", "credibility": "AA",
		"profit_status": "profit", "address": "1 Road", "postcode": "100000", "phone": "123", "email": "a@b.cn",
	}), 200)
	must(t, call(t, "POST", "/v1/customers/"+id+"/contacts", ka.Token, map[string]any{"name": "Wang"}), 201)
	head := must(t, call(t, "POST", "/v1/customers/"+id+"/key-persons", ka.Token, map[string]any{"name": "Zhao", "role": "head"}), 201).str("id")
	must(t, call(t, "POST", "/v1/customers/"+id+"/key-persons", ka.Token, map[string]any{"name": "Qian", "role": "handler"}), 201)
	must(t, call(t, "PUT", "/v1/customers/"+id+"/credit", fin.Token, creditTerms), 200)
	if r := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200); r.Body["archive_complete"] != true {
		t.Fatalf("archive = %s", r.Raw)
	}
	wid := workflows.OnboardingWorkflowID(uuid.MustParse(id))
	describe := func() (string, enumspb.WorkflowExecutionStatus) {
		d, err := running.Temporal.DescribeWorkflowExecution(context.Background(), wid, "")
		if err != nil {
			return "", 0
		}
		return d.WorkflowExecutionInfo.Execution.RunId, d.WorkflowExecutionInfo.Status
	}
	waitFor(t, 30*time.Second, "the onboarding run to complete", func() bool {
		_, st := describe()
		return st == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	first, _ := describe()

	// Turning the head into a handler also loses the head.
	must(t, call(t, "PATCH", "/v1/customers/"+id+"/key-persons/"+head, ka.Token, map[string]any{"role": "handler"}), 200)
	r := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200)
	if r.Body["archive_complete"] != false || fmt.Sprint(r.Body["missing_sections"]) != "[key_persons]" {
		t.Fatalf("archive after the head became a handler = %s", r.Raw)
	}
	waitFor(t, 30*time.Second, "a new onboarding run", func() bool {
		run, st := describe()
		return run != first && st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
	second, _ := describe()
	must(t, call(t, "PATCH", "/v1/customers/"+id+"/key-persons/"+head, ka.Token, map[string]any{"role": "head"}), 200)
	waitFor(t, 30*time.Second, "the new run to complete", func() bool {
		run, st := describe()
		return run == second && st == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	// Removing the head: incomplete again, and a third run.
	must(t, call(t, "DELETE", "/v1/customers/"+id+"/key-persons/"+head, ka.Token, nil), 204)
	if r := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200); fmt.Sprint(r.Body["missing_sections"]) != "[key_persons]" {
		t.Fatalf("archive after the head's removal = %s", r.Raw)
	}
	waitFor(t, 30*time.Second, "a third onboarding run", func() bool {
		run, st := describe()
		return run != second && run != first && st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
}

// SPEC §7: status is not patchable, whoever asks and whatever the value;
// churn goes through the churn register (Art. 8.4), reactivation as before.
func TestStatusNeedsTheChurnRegister(t *testing.T) {
	staff := staffByRole(t)
	ka, am, clerk := staff[kam.RoleKAManager], staff[kam.RoleAccountManager], staff[kam.RoleDataClerk]
	id := newAccount(t, am.ID)
	for _, tok := range []string{ka.Token, clerk.Token, am.Token} {
		for _, body := range []map[string]any{{"status": "churned"}, {"status": "active"}, {"status": nil}, {"status": "gone"}, {"status": "churned", "phone": "1"}} {
			r := call(t, "PATCH", "/v1/customers/"+id, tok, body)
			problem(t, r, 422, "use_churn_register")
			if e, _ := r.Body["errors"].([]any); len(e) != 1 || e[0].(map[string]any)["location"] != "body.status" {
				t.Fatalf("errors = %s", r.Raw)
			}
		}
	}
	got := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200)
	if got.str("status") != "active" || got.Body["version"] != float64(1) || got.Body["phone"] != nil {
		t.Fatalf("a refused PATCH changed the account: %s", got.Raw)
	}
	must(t, call(t, "POST", "/v1/customers/"+id+"/churn", ka.Token, map[string]any{"reason": "price", "effective_on": today()}), 201)
	if s := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200).str("status"); s != "churned" {
		t.Fatalf("status after churn = %s", s)
	}
	if s := must(t, call(t, "POST", "/v1/customers/"+id+"/reactivate", ka.Token, nil), 200).str("status"); s != "active" {
		t.Fatalf("status after reactivation = %s", s)
	}
}

// SPEC §7: an account is not opened churned either: that too is the churn
// register's (Art. 8.4), the rule the PATCH and the import keep. An opening
// that names its status active is an ordinary opening.
func TestNewAccountIsNotOpenedChurned(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	code := "CH-" + unique()
	r := call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": code, "name": "Lost Before Found", "status": "churned"})
	problem(t, r, 422, "use_churn_register")
	if e, _ := r.Body["errors"].([]any); len(e) != 1 || e[0].(map[string]any)["location"] != "body.status" {
		t.Fatalf("errors = %s", r.Raw)
	}
	if n := countRows(t, "SELECT count(*) FROM customers WHERE code = $1", code); n != 0 {
		t.Fatalf("a refused opening left %d accounts", n)
	}
	if s := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": code, "name": "Found", "status": "active"}), 201).str("status"); s != "active" {
		t.Fatalf("status = %s", s)
	}
	// The import refuses it with the same code, on the row's status cell.
	r = importCSV(t, "/v1/imports/customers", ka.Token, "code,name,status\nCH-"+unique()+",Lost,churned\n")
	problem(t, r, 422, "import_rejected")
	if got := importErrors(r); !slices.Equal(got, []string{"2/status/use_churn_register"}) {
		t.Fatalf("import errors = %v", got)
	}
}

// backdate moves everything the last request wrote for an account to at:
// history rows, and the account's or a person's own timestamps.
func backdate(t *testing.T, id string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		"UPDATE customer_history SET at = $2 WHERE customer_id = $1 AND at > now() - interval '1 hour'",
		"UPDATE customers SET created_at = $2, updated_at = $2 WHERE id = $1 AND created_at > now() - interval '1 hour'",
		"UPDATE customers SET updated_at = $2 WHERE id = $1 AND updated_at > now() - interval '1 hour'",
		"UPDATE customer_contacts SET created_at = $2 WHERE customer_id = $1 AND created_at > now() - interval '1 hour'",
		"UPDATE customer_contacts SET removed_at = $2 WHERE customer_id = $1 AND removed_at > now() - interval '1 hour'",
		"UPDATE key_persons SET created_at = $2 WHERE customer_id = $1 AND created_at > now() - interval '1 hour'",
		"UPDATE key_persons SET removed_at = $2 WHERE customer_id = $1 AND removed_at > now() - interval '1 hour'",
	} {
		if _, err := running.Store.Pool.Exec(ctx, q, id, at); err != nil {
			t.Fatal(err)
		}
	}
}

// SPEC §7, Art. 7.2: GET ?as_of= is the archive as it stood at the end of
// that day, rebuilt from the history: tier, manager, credit grade, the
// people on it (with the role they had) and what it lacked then.
func TestArchiveAsOf(t *testing.T) {
	staff := staffByRole(t)
	ka, fin, agent := staff[kam.RoleKAManager], staff[kam.RoleFinance], staff[kam.RoleServiceAgent]
	m1, m2 := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d.Add(10 * time.Hour) }
	id := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "ASOF-" + unique(), "name": "Then Ltd", "tier": "A",
		"account_manager_id": m1.ID, "address": "1 Road", "postcode": "100000", "phone": "123", "email": "a@then.cn"}), 201).str("id")
	backdate(t, id, day("2025-01-10"))
	must(t, call(t, "POST", "/v1/customers/"+id+"/contacts", ka.Token, map[string]any{"name": "Wang"}), 201)
	head := must(t, call(t, "POST", "/v1/customers/"+id+"/key-persons", ka.Token, map[string]any{"name": "Zhao", "role": "head"}), 201).str("id")
	must(t, call(t, "POST", "/v1/customers/"+id+"/key-persons", ka.Token, map[string]any{"name": "Qian", "role": "handler"}), 201)
	backdate(t, id, day("2025-01-20"))
	must(t, call(t, "PUT", "/v1/customers/"+id+"/credit", fin.Token, creditTerms), 200)
	backdate(t, id, day("2025-02-01"))
	must(t, call(t, "PATCH", "/v1/customers/"+id, ka.Token, map[string]any{"tier": "S", "name": "Then Group"}), 200)
	backdate(t, id, day("2025-02-10"))
	must(t, call(t, "PATCH", "/v1/customers/"+id+"/key-persons/"+head, ka.Token, map[string]any{"role": "handler"}), 200)
	backdate(t, id, day("2025-02-20"))
	terms := map[string]any{}
	for k, v := range creditTerms {
		terms[k] = v
	}
	terms["credit_level"] = "B"
	must(t, call(t, "PUT", "/v1/customers/"+id+"/credit", fin.Token, terms), 200)
	backdate(t, id, day("2025-03-01"))
	contacts := must(t, call(t, "GET", "/v1/customers/"+id+"/contacts", ka.Token, nil), 200).items()
	must(t, call(t, "DELETE", "/v1/customers/"+id+"/contacts/"+contacts[0]["id"].(string), ka.Token, nil), 204)
	backdate(t, id, day("2025-03-05"))
	must(t, call(t, "PATCH", "/v1/customers/"+id, ka.Token, map[string]any{"account_manager_id": m2.ID}), 200)
	backdate(t, id, day("2025-03-10"))

	asOf := func(on, token string) resp { return call(t, "GET", "/v1/customers/"+id+"?as_of="+on, token, nil) }
	problem(t, asOf("2025-01-09", ka.Token), 404, "not_found")
	for _, c := range []struct {
		on, tier, name, manager, credit, missing string
		version                                  float64
	}{
		{"2025-01-10", "A", "Then Ltd", m1.ID, "<nil>", "[basics contact key_persons credit]", 1},
		{"2025-01-31", "A", "Then Ltd", m1.ID, "<nil>", "[basics credit]", 1},
		{"2025-02-10", "S", "Then Group", m1.ID, "A", "[basics]", 2},
		{"2025-02-20", "S", "Then Group", m1.ID, "A", "[basics key_persons]", 2},
		{"2025-03-05", "S", "Then Group", m1.ID, "B", "[basics contact key_persons]", 2},
		{"2025-03-10", "S", "Then Group", m2.ID, "B", "[basics contact key_persons]", 3},
		{today(), "S", "Then Group", m2.ID, "B", "[basics contact key_persons]", 3},
	} {
		r := must(t, asOf(c.on, ka.Token), 200)
		credit := fmt.Sprint(r.Body["credit_level"])
		if r.str("tier") != c.tier || r.str("name") != c.name || r.str("account_manager_id") != c.manager || credit != c.credit ||
			fmt.Sprint(r.Body["missing_sections"]) != c.missing || r.Body["version"] != c.version || r.str("status") != "active" {
			t.Errorf("as of %s: tier %s name %s manager %s credit %s missing %v version %v; want %+v",
				c.on, r.str("tier"), r.str("name"), r.str("account_manager_id"), credit, r.Body["missing_sections"], r.Body["version"], c)
		}
		if r.Header.Get("ETag") != "" {
			t.Errorf("as of %s: ETag %s on a past archive", c.on, r.Header.Get("ETag"))
		}
	}
	now := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200)
	if now.str("credit_level") != "B" || now.str("tier") != "S" {
		t.Fatalf("today's archive = %s", now.Raw)
	}

	// Who sees no credit sees no credit grade, then or now, nor credit in the history.
	for _, r := range []resp{must(t, asOf("2025-02-10", agent.Token), 200), must(t, call(t, "GET", "/v1/customers/"+id, agent.Token, nil), 200)} {
		if _, ok := r.Body["credit_level"]; ok || strings.Contains(fmt.Sprint(r.Body["missing_sections"]), "credit") {
			t.Fatalf("a service agent sees credit: %s", r.Raw)
		}
	}
	if r := must(t, asOf("2025-01-10", agent.Token), 200); fmt.Sprint(r.Body["missing_sections"]) != "[basics contact key_persons]" {
		t.Fatalf("service agent's past archive: %s", r.Raw)
	}
	for _, h := range historyOf(t, id, agent.Token) {
		if strings.HasPrefix(h["field"].(string), "credit") {
			t.Fatalf("a service agent sees %v in the history", h)
		}
	}
	if levels := findHistory(historyOf(t, id, fin.Token), kam.CreditField("credit_level")); len(levels) != 2 || levels[1]["old"] != "A" || levels[1]["new"] != "B" {
		t.Fatalf("finance does not see the two changes of the credit grade: %v", levels)
	}

	// A registered read of the profile sections; both sides of the rule.
	req := uuid.NewString()
	must(t, call(t, "GET", "/v1/customers/"+id+"?as_of=2025-02-10", m2.Token, nil, header{"X-Request-Id", req}), 200)
	if countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'view' AND sections @> ARRAY['basics','contact','service']", req) != 1 {
		t.Fatal("the as_of read is not registered with the profile sections")
	}
	req = uuid.NewString()
	problem(t, call(t, "GET", "/v1/customers/"+id+"?as_of=2025-02-10", m1.Token, nil, header{"X-Request-Id", req}), 404, "not_found")
	if registered(t, req, kam.AccessDenied) != 1 {
		t.Fatal("a refused as_of read is not registered as denied")
	}
	problem(t, asOf("2025-02-10", adminToken), 404, "not_found")
	for _, bad := range []string{"yesterday", "2025-02-30", "1800-01-01", "2025-2-1"} {
		problem(t, asOf(bad, ka.Token), 422, "validation_failed")
	}
}

// Art. 7.2, 7.3, 19: an import changes a contact or key person as a PATCH
// does: a new version (a PATCH holding the version read before it is 412),
// history rows under the person's own field names with plain old and new
// values, and a corrected birthday moves the greeting task.
func TestImportChangesPeopleAsPatchDoes(t *testing.T) {
	staff := staffByRole(t)
	ka, clerk, am := staff[kam.RoleKAManager], staff[kam.RoleDataClerk], staff[kam.RoleAccountManager]
	code := "IMP-" + unique()
	id := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": code, "name": "Imported People Co", "tier": "S", "account_manager_id": am.ID}), 201).str("id")
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	dayAfter := tomorrow.AddDate(0, 0, 1)
	birthday := func(d time.Time) string {
		return time.Date(1970, d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	c := must(t, call(t, "POST", "/v1/customers/"+id+"/contacts", am.Token, map[string]any{"name": "Li Wei", "phone": "+86 21 1"}), 201)
	k := must(t, call(t, "POST", "/v1/customers/"+id+"/key-persons", am.Token, map[string]any{"name": "Zhao Min", "role": "head", "birthday": birthday(tomorrow)}), 201)
	cid, kid := c.str("id"), k.str("id")
	// statusFilter is "" (the list as shown: open and done tasks) or a
	// status=... query.
	greetingsWith := func(on time.Time, statusFilter string) []string {
		var out []string
		for _, g := range must(t, call(t, "GET", "/v1/greetings?on="+on.Format(time.DateOnly)+statusFilter, am.Token, nil), 200).items() {
			if g["key_person_id"] == kid {
				out = append(out, g["status"].(string))
			}
		}
		return out
	}
	greetings := func(on time.Time) []string { return greetingsWith(on, "") }
	if got := greetings(tomorrow); !slices.Equal(got, []string{"open"}) {
		t.Fatalf("greetings tomorrow = %v, want one open", got)
	}

	wantReport(t, importCSV(t, "/v1/imports/contacts", clerk.Token, "code,name,phone\n"+code+",Li Wei,+86 21 2\n"), 1, 0, 1, 0)
	wantReport(t, importCSV(t, "/v1/imports/key-persons", clerk.Token, "code,name,role,title,birthday\n"+code+",Zhao Min,head,Chairman,"+birthday(dayAfter)+"\n"), 1, 0, 1, 0)

	for _, p := range []struct{ path, version, was string }{
		{"/v1/customers/" + id + "/contacts/" + cid, "2", c.str("updated_at")},
		{"/v1/customers/" + id + "/key-persons/" + kid, "2", k.str("updated_at")},
	} {
		problem(t, call(t, "PATCH", p.path, am.Token, map[string]any{"email": "stale@example.com"}, header{"If-Match", `"1"`}), 412, "version_conflict")
		r := must(t, call(t, "PATCH", p.path, am.Token, map[string]any{"email": "fresh@example.com"}, header{"If-Match", `"` + p.version + `"`}), 200)
		if r.Body["version"] != float64(3) || r.str("updated_at") == p.was {
			t.Fatalf("after the import and a PATCH: %s", r.Raw)
		}
	}

	h := historyOf(t, id, am.Token)
	for _, w := range []struct{ field, old, new string }{
		{kam.PersonField(kam.HistoryContacts, uuid.MustParse(cid), "phone"), "+86 21 1", "+86 21 2"},
		{kam.PersonField(kam.HistoryKeyPersons, uuid.MustParse(kid), "birthday"), birthday(tomorrow), birthday(dayAfter)},
		{kam.PersonField(kam.HistoryKeyPersons, uuid.MustParse(kid), "title"), "", "Chairman"},
	} {
		rows := findHistory(h, w.field)
		if len(rows) != 1 || fmt.Sprint(rows[0]["old"]) != fmt.Sprint(orNil(w.old)) || rows[0]["new"] != w.new || rows[0]["staff_id"] != clerk.ID {
			t.Errorf("history of %s = %v, want %q → %q", w.field, rows, w.old, w.new)
		}
	}
	for _, r := range h {
		if f, _ := r["field"].(string); strings.HasPrefix(f, "contacts.") && !strings.HasPrefix(f, "contacts."+cid) ||
			strings.HasPrefix(f, "key_persons.") && !strings.HasPrefix(f, "key_persons."+kid) {
			t.Errorf("a history row names no person: %v", r)
		}
	}

	// The import's birthday cancels the old day's task; the sweep the import
	// starts makes the new day's.
	if got := greetings(tomorrow); len(got) != 0 {
		t.Fatalf("greetings tomorrow after the import = %v, want none listed", got)
	}
	if got := greetingsWith(tomorrow, "&status=cancelled"); !slices.Equal(got, []string{"cancelled"}) {
		t.Fatalf("cancelled greetings tomorrow after the import = %v", got)
	}
	waitFor(t, 30*time.Second, "the new birthday's greeting", func() bool { return slices.Equal(greetings(dayAfter), []string{"open"}) })
	if n := countRows(t, "SELECT count(*) FROM greetings WHERE key_person_id = $1 AND occasion = 'birthday' AND status = 'open'", kid); n != 1 {
		t.Fatalf("%d open birthday tasks for one key person", n)
	}
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
