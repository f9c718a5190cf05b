package api_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
)

// myTasks pages through all of a caller's tasks, limit at a time, and
// checks that the pages are in due order and end.
func myTasks(t *testing.T, token string, limit int) []map[string]any {
	t.Helper()
	var out []map[string]any
	cursor := ""
	for range 500 {
		path := "/v1/me/tasks?limit=" + strconv.Itoa(limit)
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := must(t, call(t, "GET", path, token, nil), 200)
		items := r.items()
		if len(items) > limit {
			t.Fatalf("%d items on a page of %d", len(items), limit)
		}
		out = append(out, items...)
		cursor = r.str("next_cursor")
		if cursor == "" {
			for i := 1; i < len(out); i++ {
				if dueOf(t, out[i]).Before(dueOf(t, out[i-1])) {
					t.Fatalf("not soonest due first: %v before %v", out[i-1], out[i])
				}
			}
			return out
		}
	}
	t.Fatal("the pages never end")
	return nil
}

func dueOf(t *testing.T, task map[string]any) time.Time {
	t.Helper()
	d, err := time.Parse(time.RFC3339Nano, task["due_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// taskOf finds the task of kind about id (the thing's id) in a list.
func taskOf(tasks []map[string]any, kind, id string) map[string]any {
	for _, k := range tasks {
		if k["kind"] == kind && k["id"] == id {
			return k
		}
	}
	return nil
}

// kindsFor lists the kinds of the tasks about one account.
func kindsFor(tasks []map[string]any, customer string) []string {
	var kinds []string
	for _, k := range tasks {
		if k["customer_id"] == customer && !slices.Contains(kinds, k["kind"].(string)) {
			kinds = append(kinds, k["kind"].(string))
		}
	}
	slices.Sort(kinds)
	return kinds
}

// Art. 11, 12: a stage waits on those who decide it — stage 1 on the KA
// managers, stage 2 and an escalated stage 1 on the GM — never on the
// requester, and the KA manager never sees the GM's stage; a filing waits
// on the GM until acknowledged. ?awaiting=me lists the same requests.
func TestMyTasksDiscountDecisions(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka1, ka2 := newStaff(t, kam.RoleKAManager), newStaff(t, kam.RoleKAManager)
	gm := newStaff(t, kam.RoleGeneralManager)
	c := newAccount(t, am.ID)
	beyond := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "15")), 201).str("id")
	own := must(t, call(t, "POST", "/v1/discount-requests", ka1.Token, discountBody(c, "5")), 201).str("id")

	k1, k2, g := myTasks(t, ka1.Token, 200), myTasks(t, ka2.Token, 200), myTasks(t, gm.Token, 200)
	task := taskOf(k1, kam.TaskDiscountDecision, beyond)
	if task == nil || task["customer_id"] != c || task["link"] != "/v1/discount-requests/"+beyond+"/decisions" ||
		!strings.Contains(task["title"].(string), "15%") || !strings.Contains(task["title"].(string), "超出规定标准") {
		t.Fatalf("the KA manager's stage-1 task = %v", task)
	}
	if taskOf(k1, kam.TaskDiscountDecision, own) != nil {
		t.Fatal("the requester sees their own request as a task")
	}
	if taskOf(k2, kam.TaskDiscountDecision, own) == nil || taskOf(k2, kam.TaskDiscountDecision, beyond) == nil {
		t.Fatal("another KA manager does not see the stage-1 requests")
	}
	if taskOf(g, kam.TaskDiscountDecision, beyond) != nil || taskOf(g, kam.TaskDiscountDecision, own) != nil {
		t.Fatal("the GM sees a stage-1 request that is not escalated")
	}
	if slices.Contains(kindsFor(myTasks(t, am.Token, 200), c), kam.TaskDiscountDecision) {
		t.Fatal("the requesting account manager sees a decision task")
	}
	// ?awaiting=me: the same rule.
	awaiting := func(m member) []string {
		var ids []string
		for _, it := range must(t, call(t, "GET", "/v1/discount-requests?awaiting=me&customer_id="+c, m.Token, nil), 200).items() {
			ids = append(ids, it["id"].(string))
		}
		slices.Sort(ids)
		return ids
	}
	both := []string{beyond, own}
	slices.Sort(both)
	if got := awaiting(ka1); !slices.Equal(got, []string{beyond}) {
		t.Fatalf("ka1 awaiting = %v", got)
	}
	if got := awaiting(ka2); !slices.Equal(got, both) {
		t.Fatalf("ka2 awaiting = %v", got)
	}
	if got := awaiting(gm); len(got) != 0 {
		t.Fatalf("GM awaiting = %v", got)
	}
	if got := awaiting(am); len(got) != 0 {
		t.Fatalf("requester awaiting = %v", got)
	}
	problem(t, call(t, "GET", "/v1/discount-requests?awaiting=you", ka1.Token, nil), 422, "validation_failed")
	problem(t, call(t, "GET", "/v1/discount-requests?awaiting=me", staffByRole(t)[kam.RoleDataClerk].Token, nil), 403, "forbidden")

	// Stage 1 approved: beyond the standard, it is the GM's now, and no KA manager's.
	must(t, call(t, "POST", "/v1/discount-requests/"+beyond+"/decisions", ka2.Token, map[string]any{"decision": "approve"}), 200)
	if taskOf(myTasks(t, gm.Token, 200), kam.TaskDiscountDecision, beyond) == nil {
		t.Fatal("the GM's stage is not in the GM's tasks")
	}
	if got := awaiting(gm); !slices.Equal(got, []string{beyond}) {
		t.Fatalf("GM awaiting = %v", got)
	}
	for _, ka := range []member{ka1, ka2} {
		if taskOf(myTasks(t, ka.Token, 200), kam.TaskDiscountDecision, beyond) != nil {
			t.Fatal("a KA manager sees the GM's stage")
		}
	}
	// Within the standard, approved: filed with the GM, who acknowledges it.
	must(t, call(t, "POST", "/v1/discount-requests/"+own+"/decisions", ka2.Token, map[string]any{"decision": "approve"}), 200)
	var filing map[string]any
	waitFor(t, 30*time.Second, "the filing task", func() bool {
		for _, k := range myTasks(t, gm.Token, 200) {
			if k["kind"] == kam.TaskFilingAcknowledgement && k["customer_id"] == c {
				filing = k
			}
		}
		return filing != nil
	})
	if filing["link"] != "/v1/filings/"+filing["id"].(string)+"/acknowledge" || taskOf(myTasks(t, ka2.Token, 200), kam.TaskFilingAcknowledgement, filing["id"].(string)) != nil {
		t.Fatalf("filing task = %v, or a KA manager has it too", filing)
	}
	must(t, call(t, "POST", filing["link"].(string), gm.Token, nil), 200)
	if taskOf(myTasks(t, gm.Token, 200), kam.TaskFilingAcknowledgement, filing["id"].(string)) != nil {
		t.Fatal("an acknowledged filing still waits on the GM")
	}
}

// Art. 12: a stage 1 nobody at the KA Department decided is escalated to
// the GM: it leaves the KA managers' tasks for the GM's.
func TestMyTasksEscalatedStageIsTheGMs(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	gm := newStaff(t, kam.RoleGeneralManager)
	c := newAccount(t, am.ID)
	id := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "6")), 201).str("id")
	if taskOf(myTasks(t, ka.Token, 200), kam.TaskDiscountDecision, id) == nil {
		t.Fatal("stage 1 is not in the KA manager's tasks")
	}
	waitFor(t, 30*time.Second, "the escalation", func() bool {
		return must(t, call(t, "GET", "/v1/discount-requests/"+id, gm.Token, nil), 200).Body["escalated"] == true
	})
	task := taskOf(myTasks(t, gm.Token, 200), kam.TaskDiscountDecision, id)
	if task == nil {
		t.Fatal("the escalated stage is not in the GM's tasks")
	}
	if taskOf(myTasks(t, ka.Token, 200), kam.TaskDiscountDecision, id) != nil {
		t.Fatal("the escalated stage is still in the KA manager's tasks")
	}
	must(t, call(t, "POST", task["link"].(string), gm.Token, map[string]any{"decision": "approve"}), 200)
	if taskOf(myTasks(t, gm.Token, 200), kam.TaskDiscountDecision, id) != nil {
		t.Fatal("a decided request still waits")
	}
}

// Art. 7, 13, 16, 19, 20: each kind of task reaches the roles whose work it
// is, and only them: the account's manager has everything of their account,
// another manager nothing; the data clerks the incomplete archive, the
// hotline the ticket, finance the overdue statement, the KA manager the
// ticket once escalated; the admin, the auditor and the GM none of it.
// Every account shown is registered with the sections its tasks showed.
func TestMyTasksEachKindForItsRoles(t *testing.T) {
	tierSLA(t, "S", "1s", "1h") // the ticket breaches its response target and is escalated
	am, otherAM := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	ka, fin, agent := newStaff(t, kam.RoleKAManager), newStaff(t, kam.RoleFinance), newStaff(t, kam.RoleServiceAgent)
	staff := staffByRole(t)
	c := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "TK-" + uuid.NewString()[:8], "name": "Tasked Co",
		"tier": "S", "account_manager_id": am.ID}), 201).str("id")
	// A greeting: the head's birthday is tomorrow (Art. 19).
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	birthday := time.Date(1970, tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	must(t, call(t, "POST", "/v1/customers/"+c+"/key-persons", am.Token, map[string]any{"name": "Head", "role": "head", "birthday": birthday}), 201)
	ticket := must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": c, "kind": "complaint", "subject": "late delivery"}), 201).str("id")
	// An overdue statement: a 2-second cycle, 1-second days (Art. 13).
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@every 2s", "1000", 1)), 200)
	must(t, call(t, "POST", "/v1/customers/"+c+"/charges", fin.Token, chargeBody("300", "TASK-1")), 201)

	all := []string{kam.TaskArchiveIncomplete, kam.TaskGreeting, kam.TaskStatementOverdue, kam.TaskTicket, kam.TaskVisitDue}
	waitFor(t, 60*time.Second, "every kind for the account manager", func() bool {
		return slices.Equal(kindsFor(myTasks(t, am.Token, 200), c), all)
	})
	waitFor(t, 30*time.Second, "the escalated ticket", func() bool {
		return taskOf(myTasks(t, ka.Token, 200), kam.TaskTicket, ticket) != nil
	})
	want := map[member][]string{
		am: all, otherAM: nil, ka: {kam.TaskTicket}, fin: {kam.TaskStatementOverdue}, agent: {kam.TaskTicket},
		staff[kam.RoleDataClerk]: {kam.TaskArchiveIncomplete}, staff[kam.RoleAdmin]: nil,
		staff[kam.RoleAuditor]: nil, staff[kam.RoleGeneralManager]: nil,
	}
	want[member{Token: adminToken, Role: kam.RoleAdmin}] = nil
	for m, kinds := range want {
		if got := kindsFor(myTasks(t, m.Token, 200), c); !slices.Equal(got, kinds) {
			t.Errorf("%s: tasks of the account %v, want %v", m.Role, got, kinds)
		}
	}
	tasks := myTasks(t, am.Token, 200)
	links := map[string]string{}
	for _, k := range tasks {
		if k["customer_id"] == c {
			links[k["kind"].(string)] = k["link"].(string)
			if !strings.Contains(k["title"].(string), "Tasked Co") {
				t.Errorf("title %q does not name the account", k["title"])
			}
		}
	}
	if links[kam.TaskTicket] != "/v1/tickets/"+ticket+"/events" || links[kam.TaskVisitDue] != "/v1/customers/"+c+"/visits" ||
		links[kam.TaskArchiveIncomplete] != "/v1/customers/"+c || links[kam.TaskStatementOverdue] != "/v1/customers/"+c+"/statements" ||
		!strings.HasPrefix(links[kam.TaskGreeting], "/v1/greetings/") {
		t.Fatalf("links = %v", links)
	}
	if k := taskOf(myTasks(t, fin.Token, 200), kam.TaskStatementOverdue, taskIDOf(tasks, kam.TaskStatementOverdue, c)); k == nil ||
		k["link"] != "/v1/customers/"+c+"/payments" || !strings.Contains(k["title"].(string), "300.00") {
		t.Fatalf("finance's statement task = %v", k)
	}
	// Acting on a task takes it off the list.
	must(t, call(t, "POST", links[kam.TaskGreeting], am.Token, nil), 200)
	must(t, call(t, "POST", links[kam.TaskTicket], agent.Token, map[string]any{"type": "resolve", "note": "re-shipped"}), 201)
	if got := kindsFor(myTasks(t, am.Token, 200), c); slices.Contains(got, kam.TaskGreeting) || slices.Contains(got, kam.TaskTicket) {
		t.Fatalf("done and resolved still listed: %v", got)
	}

	// Art. 9: the account shown is registered once, as listed, with what its tasks showed.
	reqID := uuid.NewString()
	must(t, call(t, "GET", "/v1/me/tasks?limit=200", am.Token, nil, header{"X-Request-Id", reqID}), 200)
	var sections []string
	if err := running.Store.Pool.QueryRow(t.Context(), "SELECT sections FROM access_log WHERE request_id = $1 AND customer_id = $2 AND action = 'list' AND staff_id = $3",
		reqID, c, am.ID).Scan(&sections); err != nil {
		t.Fatalf("no register row for the account shown: %v", err)
	}
	slices.Sort(sections)
	if !slices.Equal(sections, []string{kam.SectionBasics, kam.SectionCredit, "visits"}) {
		t.Fatalf("registered sections %v", sections)
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2", reqID, c); n != 1 {
		t.Fatalf("%d register rows for the account", n)
	}
	// A list that shows nothing registers nothing.
	reqID = uuid.NewString()
	must(t, call(t, "GET", "/v1/me/tasks", otherAM.Token, nil, header{"X-Request-Id", reqID}), 200)
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1", reqID); n != 0 {
		t.Fatalf("%d register rows for an empty list", n)
	}
}

func taskIDOf(tasks []map[string]any, kind, customer string) string {
	for _, k := range tasks {
		if k["kind"] == kind && k["customer_id"] == customer {
			return k["id"].(string)
		}
	}
	return ""
}

// Paging: the same tasks a few at a time as in one page, each once, with a
// next_cursor only before the last page; a cursor of another list is 422;
// without a token, 401.
func TestMyTasksPaging(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	for range 4 {
		newAccount(t, am.ID) // each: an incomplete archive and, soon, a planned visit
	}
	waitFor(t, 30*time.Second, "the visit plans", func() bool {
		n := 0
		for _, k := range myTasks(t, am.Token, 200) {
			if k["kind"] == kam.TaskVisitDue {
				n++
			}
		}
		return n == 4
	})
	one := myTasks(t, am.Token, 200)
	if len(one) < 8 {
		t.Fatalf("%d tasks, want at least 8: %v", len(one), one)
	}
	seen := map[string]bool{}
	for _, k := range one {
		key := k["kind"].(string) + "/" + k["id"].(string)
		if seen[key] {
			t.Fatalf("%s listed twice", key)
		}
		seen[key] = true
	}
	for _, limit := range []int{1, 3} {
		paged := myTasks(t, am.Token, limit)
		if !slices.EqualFunc(one, paged, func(a, b map[string]any) bool { return a["kind"] == b["kind"] && a["id"] == b["id"] }) {
			t.Fatalf("limit %d: %v\nwant %v", limit, paged, one)
		}
	}
	full := must(t, call(t, "GET", "/v1/me/tasks?limit="+strconv.Itoa(len(one)), am.Token, nil), 200)
	if len(full.items()) != len(one) || full.str("next_cursor") != "" {
		t.Fatalf("one full page: %d items, next_cursor %q", len(full.items()), full.str("next_cursor"))
	}
	if short := must(t, call(t, "GET", "/v1/me/tasks?limit=2", am.Token, nil), 200); short.str("next_cursor") == "" {
		t.Fatal("no next_cursor before the last page")
	}
	problem(t, call(t, "GET", "/v1/me/tasks?cursor="+encodedCursor("notifications", "2026-01-01T00:00:00Z", uuid.NewString()), am.Token, nil), 422, "validation_failed")
	problem(t, call(t, "GET", "/v1/me/tasks?cursor="+encodedCursor("tasks", "2026-01-01T00:00:00Z", "coffee", uuid.NewString()), am.Token, nil), 422, "validation_failed")
	problem(t, call(t, "GET", "/v1/me/tasks?cursor=bm9wZQ", am.Token, nil), 422, "validation_failed")
	problem(t, call(t, "GET", "/v1/me/tasks?limit=0", am.Token, nil), 422, "validation_failed")
	problem(t, call(t, "GET", "/v1/me/tasks", "", nil), 401, "unauthenticated")
}

// encodedCursor is a cursor as the API encodes them (api/util.go).
func encodedCursor(list string, keys ...string) string {
	b, _ := json.Marshal(map[string]any{"v": 1, "l": list, "k": keys})
	return base64.RawURLEncoding.EncodeToString(b)
}

// Art. 9: a data clerk, who may not see credit, is neither told that an
// archive lacks its credit agreement nor given an archive whose only gap it
// is; the account manager, who may see credit, is told both.
func TestMyTasksArchiveGapsHideCreditFromTheDataClerk(t *testing.T) {
	staff := staffByRole(t)
	ka, am, clerk := staff[kam.RoleKAManager], newStaff(t, kam.RoleAccountManager), staff[kam.RoleDataClerk]
	onlyCredit, alsoContact := newAccount(t, am.ID), newAccount(t, am.ID)
	for _, id := range []string{onlyCredit, alsoContact} {
		must(t, call(t, "PATCH", "/v1/customers/"+id, ka.Token, map[string]any{
			"nature": "private", "industry": "steel", "product_category": "equipment", "legal_representative": "Li",
			"company_size": "500", "main_products": "rebar", "annual_output_value": "1000000.00", "credibility": "AA",
			"profit_status": "profit", "address": "1 Road", "postcode": "100000", "phone": "123", "email": "a@b.cn",
		}), 200)
		must(t, call(t, "POST", "/v1/customers/"+id+"/key-persons", ka.Token, map[string]any{"name": "Zhao", "role": "head"}), 201)
		must(t, call(t, "POST", "/v1/customers/"+id+"/key-persons", ka.Token, map[string]any{"name": "Qian", "role": "handler"}), 201)
	}
	must(t, call(t, "POST", "/v1/customers/"+onlyCredit+"/contacts", ka.Token, map[string]any{"name": "Wang"}), 201)

	mentionsCredit := func(title string) bool { return strings.Contains(title, "credit") || strings.Contains(title, "信用") }
	clerkTasks := myTasks(t, clerk.Token, 200)
	if k := taskOf(clerkTasks, kam.TaskArchiveIncomplete, onlyCredit); k != nil {
		t.Errorf("the data clerk is given an archive that lacks only credit: %v", k)
	}
	k := taskOf(clerkTasks, kam.TaskArchiveIncomplete, alsoContact)
	if k == nil || mentionsCredit(k["title"].(string)) {
		t.Errorf("the data clerk's task for an archive lacking contact and credit: %v", k)
	}
	amTasks := myTasks(t, am.Token, 200)
	for _, id := range []string{onlyCredit, alsoContact} {
		if k := taskOf(amTasks, kam.TaskArchiveIncomplete, id); k == nil || !mentionsCredit(k["title"].(string)) {
			t.Errorf("the account manager's task for %s: %v", id, k)
		}
	}
}
