package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"kam"
	"kam/workflows"
)

// Art. 19: a key person added with a birthday inside the lead window gets
// the greeting task at once; the account manager sees and completes it; a
// new holiday does the same for every account whose tier greets holidays.
func TestGreetingsThroughTheAPI(t *testing.T) {
	ka := newStaff(t, kam.RoleKAManager)
	am := newStaff(t, kam.RoleAccountManager)
	other := newStaff(t, kam.RoleAccountManager)
	code := "GR-" + uuid.NewString()[:8]
	c := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": code, "name": "Greeted", "tier": "S", "account_manager_id": am.ID}), 201).str("id")
	tomorrow := time.Now().In(time.UTC).AddDate(0, 0, 1)
	birthday := time.Date(1970, tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	kpReq := "greet-kp-" + uuid.NewString()
	must(t, call(t, "POST", "/v1/customers/"+c+"/key-persons", am.Token, map[string]any{"name": "Zhao Min", "role": "head", "birthday": birthday}, header{"X-Request-Id", kpReq}), 201)
	// The task the addition made is a change of the account by that request,
	// registered with it (Art. 9).
	if n := countRows(t, `SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND staff_id = $3 AND action = 'update' AND sections = '{greetings}'`,
		kpReq, c, am.ID); n != 1 {
		t.Fatalf("%d register rows of the greeting task the key person brought", n)
	}
	on := tomorrow.Format(time.DateOnly)
	var task map[string]any
	for _, g := range must(t, call(t, "GET", "/v1/greetings?on="+on, am.Token, nil), 200).items() {
		if g["customer_id"] == c && g["occasion"] == "birthday" {
			task = g
		}
	}
	if task == nil || task["status"] != "open" || task["gift"] != true || task["account_manager_id"] != am.ID {
		t.Fatalf("task = %v", task)
	}
	for _, g := range must(t, call(t, "GET", "/v1/greetings?on="+on, other.Token, nil), 200).items() {
		if g["customer_id"] == c {
			t.Fatal("another manager sees this account's greeting")
		}
	}
	problem(t, call(t, "POST", "/v1/greetings/"+task["id"].(string)+"/done", other.Token, nil), 404, "not_found")
	done := must(t, call(t, "POST", "/v1/greetings/"+task["id"].(string)+"/done", am.Token, nil), 200)
	if done.str("status") != "done" {
		t.Fatalf("done = %s", done.Raw)
	}
	problem(t, call(t, "GET", "/v1/greetings", staffByRole(t)[kam.RoleFinance].Token, nil), 403, "forbidden")

	// Holidays: kept by the admin and the KA Department.
	h := map[string]any{"name": "Test Day " + uuid.NewString()[:4], "on": on}
	problem(t, call(t, "POST", "/v1/holidays", am.Token, h), 403, "forbidden")
	holReq := "greet-hol-" + uuid.NewString()
	hol := must(t, call(t, "POST", "/v1/holidays", ka.Token, h, header{"X-Request-Id", holReq}), 201)
	if n := countRows(t, `SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND staff_id = $3 AND action = 'update' AND sections = '{greetings}'`,
		holReq, c, ka.ID); n != 1 {
		t.Fatalf("%d register rows of the holiday's greeting task on the account", n)
	}
	problem(t, call(t, "POST", "/v1/holidays", ka.Token, h), 409, "duplicate_holiday")
	found := false
	for _, g := range must(t, call(t, "GET", "/v1/greetings?on="+on, am.Token, nil), 200).items() {
		found = found || (g["customer_id"] == c && g["occasion"] == "holiday")
	}
	if !found {
		t.Fatal("the new holiday made no task")
	}
	// Reassigning the account hands its open tasks to the new manager, as
	// a handover does; a task done stays with whoever did it (Art. 19).
	must(t, call(t, "PATCH", "/v1/customers/"+c, ka.Token, map[string]any{"account_manager_id": other.ID}), 200)
	owners := map[string]any{}
	for _, g := range must(t, call(t, "GET", "/v1/greetings?on="+on+"&status=open", other.Token, nil), 200).items() {
		if g["customer_id"] == c {
			owners[g["occasion"].(string)] = g["account_manager_id"]
		}
	}
	if owners["holiday"] != other.ID {
		t.Fatalf("the open holiday task after the reassignment: %v", owners)
	}
	if n := countRows(t, "SELECT count(*) FROM greetings WHERE id = $1 AND account_manager_id = $2", task["id"], am.ID); n != 1 {
		t.Fatal("the task done before the reassignment changed hands")
	}
	// An import that reassigns the account does the same.
	must(t, importCSV(t, "/v1/imports/customers", ka.Token, "code,name,account_manager_id\n"+code+",Greeted,"+am.ID+"\n"), 200)
	if n := countRows(t, "SELECT count(*) FROM greetings WHERE customer_id = $1 AND status = 'open' AND account_manager_id IS DISTINCT FROM $2", c, am.ID); n != 0 {
		t.Fatalf("%d open tasks not back with the manager the import named", n)
	}
	must(t, call(t, "GET", "/v1/holidays?year="+on[:4], am.Token, nil), 200)
	must(t, call(t, "DELETE", "/v1/holidays/"+hol.str("id"), ka.Token, nil), 204)
	problem(t, call(t, "DELETE", "/v1/holidays/"+hol.str("id"), ka.Token, nil), 404, "not_found")

	// The daily sweep is a Temporal Schedule, created at start-up.
	if _, err := running.Temporal.ScheduleClient().GetHandle(context.Background(), workflows.GreetingScheduleID).Describe(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A changed KAM_GREETING_LEAD reaches the existing Schedule at the next
// start-up (every replica ensures it; twice is harmless), as the tier
// review's cron does; before, the Schedule kept the lead it was made with.
func TestGreetingScheduleTakesTheSettingsOfEachStartUp(t *testing.T) {
	ctx := context.Background()
	h := running.Temporal.ScheduleClient().GetHandle(ctx, workflows.GreetingScheduleID)
	lead := func() time.Duration {
		t.Helper()
		d, err := h.Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
		if !ok || len(a.Args) != 1 {
			t.Fatalf("action %+v", d.Schedule.Action)
		}
		p, ok := a.Args[0].(*commonpb.Payload)
		var in workflows.GreetingSweepInput
		if !ok || converter.GetDefaultDataConverter().FromPayload(p, &in) != nil {
			t.Fatalf("argument %#v", a.Args[0])
		}
		return in.Lead
	}
	procs := &workflows.Processes{Client: running.Temporal, Settings: running.Processes.Settings}
	defer func() {
		procs.Settings.GreetingLead = running.Processes.Settings.GreetingLead
		_ = procs.EnsureGreetingSchedule(ctx)
	}()
	procs.Settings.GreetingLead = 240 * time.Hour
	for range 2 {
		if err := procs.EnsureGreetingSchedule(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := lead(); got != 240*time.Hour {
		t.Fatalf("lead after a start-up with 240h: %v", got)
	}
}

// Art. 15: service differs by tier.
func TestTierPolicyUpdate(t *testing.T) {
	for _, role := range kam.Roles {
		body := map[string]any{"name": "Standard", "visit_cadence": "0 9 1 * *", "ticket_response_within": "4h", "ticket_resolve_within": "72h", "greeting_occasions": []string{"holiday"}}
		r := call(t, "PUT", "/v1/tiers/B", staffByRole(t)[role].Token, body)
		if role == kam.RoleAdmin || role == kam.RoleKAManager {
			must(t, r, 200)
		} else {
			problem(t, r, 403, "forbidden")
		}
	}
	bad := map[string]any{"name": "B", "visit_cadence": "fortnightly-ish", "ticket_response_within": "4h", "ticket_resolve_within": "72h", "greeting_occasions": []string{}}
	problem(t, call(t, "PUT", "/v1/tiers/B", adminToken, bad), 422, "validation_failed")
	bad["visit_cadence"], bad["ticket_response_within"] = "@weekly", "soon"
	problem(t, call(t, "PUT", "/v1/tiers/B", adminToken, bad), 422, "validation_failed")
	bad["ticket_response_within"], bad["greeting_occasions"] = "4h", []string{"new_year_party"}
	problem(t, call(t, "PUT", "/v1/tiers/B", adminToken, bad), 422, "validation_failed")
	// SPEC §7: a PUT to a missing tier creates it, and needs its rank.
	bad["greeting_occasions"] = []string{}
	wantFieldError(t, call(t, "PUT", "/v1/tiers/Z", adminToken, bad), "body.rank")
}

// A churned account leaves no greeting work: its open tasks are withdrawn
// with the churn (Art. 19 greets key accounts), in the churn's transaction,
// whose register row names them; nothing waits on its manager any more.
func TestChurnWithdrawsOpenGreetings(t *testing.T) {
	ka := newStaff(t, kam.RoleKAManager)
	am := newStaff(t, kam.RoleAccountManager)
	c := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "GC-" + uuid.NewString()[:8], "name": "Leaving", "tier": "S", "account_manager_id": am.ID}), 201).str("id")
	tomorrow := time.Now().In(time.UTC).AddDate(0, 0, 1)
	birthday := time.Date(1970, tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	must(t, call(t, "POST", "/v1/customers/"+c+"/key-persons", am.Token, map[string]any{"name": "Zhao Min", "role": "head", "birthday": birthday}), 201)
	var task string
	for _, g := range must(t, call(t, "GET", "/v1/greetings?on="+tomorrow.Format(time.DateOnly), am.Token, nil), 200).items() {
		if g["customer_id"] == c {
			task = g["id"].(string)
		}
	}
	if task == "" || taskOf(myTasks(t, am.Token, 200), "greeting", task) == nil {
		t.Fatal("no open greeting task before the churn")
	}
	req := "churn-" + uuid.NewString()
	must(t, call(t, "POST", "/v1/customers/"+c+"/churn", ka.Token, map[string]any{"reason": "competitor", "effective_on": today()}, header{"X-Request-Id", req}), 201)
	if n := countRows(t, "SELECT count(*) FROM greetings WHERE customer_id = $1 AND status = 'open'", c); n != 0 {
		t.Fatalf("%d open greeting tasks after the churn", n)
	}
	if taskOf(myTasks(t, am.Token, 200), "greeting", task) != nil {
		t.Fatal("the churned account's greeting still waits on its manager")
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND 'greetings' = ANY(sections)", req, c); n != 1 {
		t.Fatalf("%d register rows of the churn naming its greetings", n)
	}
}
