package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// processRows are the register rows of changes processes made on their own
// to an account: role, route and sections of each, oldest first.
func processRows(t *testing.T, customer uuid.UUID) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT coalesce(staff_id::text, '-'), coalesce(staff_role, ''), action, route, array_to_string(sections, ','), request_id
		FROM access_log WHERE customer_id = $1 AND staff_role = 'system' ORDER BY seq`, customer)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var staff, role, action, route, sections, request string
		if err := rows.Scan(&staff, &role, &action, &route, &sections, &request); err != nil {
			t.Fatal(err)
		}
		out = append(out, staff+" "+role+" "+action+" "+route+" "+sections+" "+request)
	}
	return out
}

// Art. 9, SPEC §5: every change of an account is registered, also one that
// no member of staff asked for. A settlement run's cycle close, overdue
// statement, suspension and reinstatement, a grant reaching its valid_to and
// a missed visit each write one `update` row (no staff, role "system", the
// run as request id) in the change's own transaction; a retry that changes
// nothing writes none. The suspension and the reinstatement are also in the
// account's history (SPEC §3: every change).
func TestProcessChangesAreRegistered(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	run := store.WithProcess(ctx, store.Process{Workflow: "CreditSettlement", ID: "credit-settlement/" + c.String(), Run: "r1", Step: "SuspendCredit"})
	if _, _, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{CreditLevel: "A", ArrearsLimit: dec("1000"), SettlementCycle: "@monthly", PaymentTermDays: 10}, by, noStart); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Charge(ctx, store.Scope{}, c, dec("250"), "A", time.Now().UTC().Truncate(24*time.Hour), by); err != nil {
		t.Fatal(err)
	}
	if got := processRows(t, c); len(got) != 0 {
		t.Fatalf("staff's own changes registered as a process's: %v", got)
	}
	end := time.Now().Add(time.Second)
	var stmt *kam.Statement
	for range 2 { // the second is a retry of the same period: nothing new
		s, err := st.CloseCycle(ctx, c, end.Add(-time.Hour), end, end.Add(-time.Minute))
		if err != nil || s == nil {
			t.Fatalf("close: %v %v", s, err)
		}
		stmt = s
	}
	for range 2 {
		if overdue, err := st.MarkStatementOverdue(ctx, stmt.ID); err != nil || !overdue {
			t.Fatalf("overdue: %v %v", overdue, err)
		}
	}
	for range 2 {
		if suspended, err := st.SuspendCredit(run, c, "overdue"); err != nil || !suspended {
			t.Fatalf("suspend: %v %v", suspended, err)
		}
	}
	if _, err := st.Pay(ctx, store.Scope{}, c, dec("250"), "PAID", time.Now().UTC().Truncate(24*time.Hour), by); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if did, err := st.ReinstateCredit(ctx, c); err != nil || !did {
			t.Fatalf("reinstate: %v %v", did, err)
		}
	}
	want := []string{
		"- system update process credit ",
		"- system update process credit ",
		"- system update workflow CreditSettlement SuspendCredit credit credit-settlement:" + c.String() + ":r1",
		"- system update process credit ",
	}
	if got := processRows(t, c); !slices.Equal(got, want) {
		t.Fatalf("register rows of the settlement:\n  %q\nwant\n  %q", got, want)
	}
	hist, err := st.ListHistory(ctx, store.Scope{}, c, nil, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	var status []string
	for _, h := range hist {
		if h.Field == kam.CreditField("status") {
			status = append(status, deref(h.OldValue)+"→"+deref(h.NewValue)+" by "+deref(h.StaffName))
		}
	}
	if want := []string{"→active by " + staffName(t, by), "active→suspended by ", "suspended→active by "}; !slices.Equal(status, want) {
		t.Fatalf("credit status history %q, want %q", status, want)
	}

	// A grant that reaches its valid_to: one row under discounts, none on a retry.
	r := discountFor(t, c, by, "5", "2026-01-01", "2026-02-01")
	if _, err := st.ApplyGrant(ctx, r, by); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := st.EndGrant(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// A visit planned, then missed: one row under visits each, none on a
	// retry; a planned visit withdrawn: one row, none on a retry.
	due := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	var v uuid.UUID
	for range 2 {
		var err error
		if v, err = st.PlanVisit(ctx, c, due); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if missed, err := st.MarkVisitMissed(ctx, v); err != nil || !missed {
			t.Fatalf("missed: %v %v", missed, err)
		}
	}
	next, err := st.PlanVisit(ctx, c, due.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := st.CancelVisit(ctx, next); err != nil {
			t.Fatal(err)
		}
	}
	// A ticket that missed its response target is escalated: one row under tickets.
	tk, err := st.CreateTicket(ctx, store.Scope{}, store.TicketInput{CustomerID: c, Kind: "complaint", Subject: "late", Body: "b", OpenedBy: by},
		func(kam.Ticket, kam.Tier) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordTicketBreach(ctx, tk.ID, true, false, "response_breached", "respond by"); err != nil {
		t.Fatal(err)
	}
	want = append(want, "- system update process discounts ", "- system update process visits ", "- system update process visits ",
		"- system update process visits ", "- system update process visits ", "- system update process tickets ")
	if got := processRows(t, c); !slices.Equal(got, want) {
		t.Fatalf("register rows:\n  %q\nwant\n  %q", got, want)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func staffName(t *testing.T, id uuid.UUID) string {
	t.Helper()
	var name string
	if err := pool.QueryRow(context.Background(), "SELECT name FROM staff WHERE id = $1", id).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

// A greeting sweep registers the accounts it made tasks for, in its own
// transaction (Art. 9, 19): the daily run's as the system's, a sweep a
// request set off (a new key person, a new holiday) as that request's; a
// sweep that makes nothing registers nothing.
func TestGreetingSweepIsRegistered(t *testing.T) {
	ctx := context.Background()
	by, mgr := newManager(t), newManager(t)
	c, err := st.CreateCustomer(ctx, store.CustomerPatch{Code: ptr("GR-" + uuid.NewString()[:10]), Name: ptr("Greeted"), Tier: ptr("S"), AccountManagerID: &mgr}, by)
	if err != nil {
		t.Fatal(err)
	}
	birthday := time.Date(1970, 6, 2, 0, 0, 0, 0, time.UTC)
	if _, err := st.AddKeyPerson(ctx, store.Scope{}, c.ID, store.KeyPersonInput{Name: "KP", Role: "head", Birthday: &birthday}, by); err != nil {
		t.Fatal(err)
	}
	role := kam.RoleKAManager
	request := store.WithActor(ctx, store.Access{StaffID: &by, Role: &role, RequestID: "req-" + c.ID.String(), Route: "POST /v1/customers/{id}/key-persons"})
	sweep := func(ctx context.Context, year int) {
		t.Helper()
		rows, err := st.SweepGreetings(ctx, time.Date(year, 6, 1, 0, 0, 0, 0, time.UTC), 3, &c.ID, nil)
		if err != nil || len(rows) != 1 {
			t.Fatalf("sweep %d: %v %v", year, rows, err)
		}
	}
	sweep(request, 2031)
	run := store.WithProcess(ctx, store.Process{Workflow: "GreetingSweep", ID: "greeting-sweep", Run: "r", Step: "SweepGreetings"})
	sweep(run, 2032)
	if rows, err := st.SweepGreetings(run, time.Date(2032, 6, 1, 0, 0, 0, 0, time.UTC), 3, &c.ID, nil); err != nil || len(rows) != 0 {
		t.Fatalf("a repeated sweep: %v %v", rows, err)
	}
	got := processRows(t, c.ID)
	want := []string{"- system update workflow GreetingSweep SweepGreetings greetings greeting-sweep:r"}
	if !slices.Equal(got, want) {
		t.Fatalf("the run's rows %q, want %q", got, want)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM access_log WHERE customer_id = $1 AND staff_id = $2 AND action = 'update'
		AND request_id = $3 AND sections = '{greetings}'`, c.ID, by, "req-"+c.ID.String()).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows of the request's sweep, %v", n, err)
	}
}

// A discount request the run escalates or lets expire changed with no one
// asking: one row each under discounts; the saves that carry a person's
// decision (registered by the API) and a repeated save add none.
func TestDiscountRunChangesAreRegistered(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	r := discountFor(t, c, by, "5", "2026-01-01", "2026-02-01")
	stage := kam.StageKADepartment
	gm := kam.StageGeneralManager
	save := func(state kam.DiscountState) {
		t.Helper()
		if _, err := st.SaveDiscountState(ctx, state); err != nil {
			t.Fatal(err)
		}
	}
	save(kam.DiscountState{RequestID: r, State: kam.StatePending, Stage: &stage, Reminders: 1, Seq: 1})
	save(kam.DiscountState{RequestID: r, State: kam.StatePending, Stage: &stage, Escalated: true, Seq: 2})
	save(kam.DiscountState{RequestID: r, State: kam.StatePending, Stage: &gm, Escalated: true, Seq: 3,
		Decision: &kam.DiscountDecision{Stage: stage, Decision: "approve", By: by}})
	save(kam.DiscountState{RequestID: r, State: kam.StateExpired, Stage: &gm, Escalated: true, Seq: 4})
	save(kam.DiscountState{RequestID: r, State: kam.StateExpired, Stage: &gm, Escalated: true, Seq: 4})
	want := []string{"- system update process discounts ", "- system update process discounts "}
	if got := processRows(t, c); !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
}
