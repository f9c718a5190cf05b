package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/store"
)

// completeArchive opens an account whose Art. 7 archive is complete, leaving
// out only what skip names: "contacts", "head", "handler", "manager" or
// "credit" (or "" for nothing).
func completeArchive(t *testing.T, by uuid.UUID, skip string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	v := decimal.RequireFromString("1200000.50")
	p := store.CustomerPatch{Code: ptr("AC-" + uuid.NewString()[:12]), Name: ptr("Complete Co"),
		Nature: ptr("private"), Industry: ptr("steel"), ProductCategory: ptr("equipment"),
		LegalRepresentative: ptr("Li"), CompanySize: ptr("500"), MainProducts: ptr("rebar"),
		AnnualOutputValue: &v, Credibility: ptr("AA"), ProfitStatus: ptr("profit"),
		Address: ptr("1 Road"), Postcode: ptr("100000"), Phone: ptr("123"), Email: ptr("a@b.cn")}
	if skip != "manager" {
		mgr := newManager(t)
		p.AccountManagerID = &mgr
	}
	c, err := st.CreateCustomer(ctx, p, by)
	if err != nil {
		t.Fatal(err)
	}
	if skip != "contacts" {
		if _, err := st.AddContact(ctx, store.Scope{}, c.ID, store.ContactInput{Name: "Wang"}, by); err != nil {
			t.Fatal(err)
		}
	}
	for _, role := range []string{"head", "handler", "other"} {
		if role != skip {
			if _, err := st.AddKeyPerson(ctx, store.Scope{}, c.ID, store.KeyPersonInput{Name: "KP " + role, Role: role}, by); err != nil {
				t.Fatal(err)
			}
		}
	}
	if skip != "credit" {
		if _, _, err := st.PutCredit(ctx, store.Scope{}, c.ID, store.CreditInput{CreditLevel: "A", ArrearsLimit: decimal.NewFromInt(1000),
			SettlementCycle: "@monthly", PaymentTermDays: 30}, by, noStart); err != nil {
			t.Fatal(err)
		}
	}
	return c.ID
}

// removeOnly removes the account's only contact (role "") or its only key
// person of role, as staff do: a soft removal (Art. 7.2).
func removeOnly(t *testing.T, by, id uuid.UUID, role string) {
	t.Helper()
	ctx := context.Background()
	q, remove := "SELECT id FROM customer_contacts WHERE customer_id = $1 AND $2 = ''", st.RemoveContact
	if role != "" {
		q, remove = "SELECT id FROM key_persons WHERE customer_id = $1 AND role = $2", st.RemoveKeyPerson
	}
	var row uuid.UUID
	if err := pool.QueryRow(ctx, q, id, role).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if err := remove(ctx, store.Scope{}, id, row, nil, by); err != nil {
		t.Fatal(err)
	}
}

// Art. 7: the SQL view the task list reads (archive_completeness) and the
// Go rule (store.MissingSections, behind GET /v1/customers/{id}) agree on
// every fixture: complete, each field of a section blank, each section
// missing, and nothing filled in at all.
func TestArchiveCompletenessSQLAgreesWithGo(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	type fixture struct {
		name string
		id   uuid.UUID
		want []string // nil: not checked against a literal, only SQL against Go
	}
	fixtures := []fixture{
		{"complete", completeArchive(t, by, ""), []string{}},
		{"no contact person", completeArchive(t, by, "contacts"), []string{kam.SectionContact}},
		{"no head", completeArchive(t, by, "head"), []string{kam.SectionKeyPersons}},
		{"no handler", completeArchive(t, by, "handler"), []string{kam.SectionKeyPersons}},
		{"no account manager", completeArchive(t, by, "manager"), []string{kam.SectionService}},
		{"no credit agreement", completeArchive(t, by, "credit"), []string{kam.SectionCredit}},
		{"nothing", newCustomer(t, by, nil), []string{kam.SectionBasics, kam.SectionContact, kam.SectionKeyPersons, kam.SectionService, kam.SectionCredit}},
	}
	// A removed contact or key person is off the archive (Art. 7.2, soft
	// removal): the archive lacks what only they filled.
	removed := func(role string) uuid.UUID {
		id := completeArchive(t, by, "")
		removeOnly(t, by, id, role)
		return id
	}
	fixtures = append(fixtures,
		fixture{"its contact person removed", removed(""), []string{kam.SectionContact}},
		fixture{"its head removed", removed("head"), []string{kam.SectionKeyPersons}},
		fixture{"its handler removed", removed("handler"), []string{kam.SectionKeyPersons}},
	)
	blank := func(set func(p *store.CustomerPatch)) uuid.UUID {
		id := completeArchive(t, by, "")
		var p store.CustomerPatch
		set(&p)
		if _, _, _, err := st.UpdateCustomer(ctx, store.Scope{}, id, nil, p, by); err != nil {
			t.Fatal(err)
		}
		return id
	}
	empty := ptr("")
	for _, f := range []struct {
		field, section string
		set            func(p *store.CustomerPatch)
	}{
		{"nature", kam.SectionBasics, func(p *store.CustomerPatch) { p.Nature = empty }},
		{"industry", kam.SectionBasics, func(p *store.CustomerPatch) { p.Industry = empty }},
		{"product_category", kam.SectionBasics, func(p *store.CustomerPatch) { p.ProductCategory = empty }},
		{"legal_representative", kam.SectionBasics, func(p *store.CustomerPatch) { p.LegalRepresentative = empty }},
		{"company_size", kam.SectionBasics, func(p *store.CustomerPatch) { p.CompanySize = empty }},
		{"main_products", kam.SectionBasics, func(p *store.CustomerPatch) { p.MainProducts = empty }},
		{"annual_output_value", kam.SectionBasics, func(p *store.CustomerPatch) { p.Clear = []string{"annual_output_value"} }},
		{"credibility", kam.SectionBasics, func(p *store.CustomerPatch) { p.Credibility = empty }},
		{"profit_status", kam.SectionBasics, func(p *store.CustomerPatch) { p.ProfitStatus = empty }},
		{"address", kam.SectionContact, func(p *store.CustomerPatch) { p.Address = empty }},
		{"postcode", kam.SectionContact, func(p *store.CustomerPatch) { p.Postcode = empty }},
		{"phone", kam.SectionContact, func(p *store.CustomerPatch) { p.Phone = empty }},
		{"email", kam.SectionContact, func(p *store.CustomerPatch) { p.Email = empty }},
		{"fax (not required)", "", func(p *store.CustomerPatch) { p.Fax = empty }},
	} {
		want := []string{}
		if f.section != "" {
			want = []string{f.section}
		}
		fixtures = append(fixtures, fixture{"blank " + f.field, blank(f.set), want})
	}
	for _, f := range fixtures {
		ar, err := st.GetArchive(ctx, store.Scope{}, f.id)
		if err != nil {
			t.Fatal(err)
		}
		var sql []string
		var complete bool
		if err := pool.QueryRow(ctx, "SELECT missing, complete FROM archive_completeness WHERE customer_id = $1", f.id).Scan(&sql, &complete); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sql, ar.Missing) || complete != (len(ar.Missing) == 0) {
			t.Errorf("%s: SQL says %v (complete %v), Go says %v", f.name, sql, complete, ar.Missing)
		}
		// archive_gaps, kept by triggers, remembers the same answer.
		var gap bool
		if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM archive_gaps WHERE customer_id = $1)", f.id).Scan(&gap); err != nil {
			t.Fatal(err)
		}
		if gap != (len(ar.Missing) > 0) {
			t.Errorf("%s: archive_gaps has it %v, Go says missing %v", f.name, gap, ar.Missing)
		}
		if f.want != nil && !slices.Equal(ar.Missing, f.want) {
			t.Errorf("%s: missing %v, want %v", f.name, ar.Missing, f.want)
		}
	}
}

// Art. 12: the SQL rule of who decides a stage (discount_decider, behind the
// task list and ?awaiting=me) is kam.Decider, which the approval run uses.
func TestDeciderSQLAgreesWithGo(t *testing.T) {
	for _, stage := range []string{kam.StageKADepartment, kam.StageGeneralManager} {
		for _, escalated := range []bool{false, true} {
			var sql string
			if err := pool.QueryRow(context.Background(), "SELECT discount_decider($1, $2)", stage, escalated).Scan(&sql); err != nil {
				t.Fatal(err)
			}
			if got := kam.Decider(stage, escalated); sql != got {
				t.Errorf("stage %s, escalated %v: SQL %s, Go %s", stage, escalated, sql, got)
			}
		}
	}
	if kam.Decider(kam.StageKADepartment, false) != kam.RoleKAManager || kam.Decider(kam.StageKADepartment, true) != kam.RoleGeneralManager ||
		kam.Decider(kam.StageGeneralManager, false) != kam.RoleGeneralManager {
		t.Fatal("Art. 12: stage 1 is the KA Department's until escalated; stage 2 is the GM's")
	}
}

// allTasks pages through a caller's tasks limit at a time.
func allTasks(t *testing.T, q kam.TaskQuery, limit int32) []kam.Task {
	t.Helper()
	var out []kam.Task
	q.Lim = limit + 1
	for range 1000 {
		page, err := st.MyTasks(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if int32(len(page)) <= limit {
			return append(out, page...)
		}
		out = append(out, page[:limit]...)
		last := page[limit-1]
		q.After = &kam.TaskKey{DueAt: last.DueAt, Kind: last.Kind, ID: last.ID}
	}
	t.Fatal("the pages never end")
	return nil
}

func taskKey(k kam.Task) string {
	return fmt.Sprintf("%s|%s|%s", k.DueAt.UTC().Format(time.RFC3339Nano), k.Kind, k.ID)
}

// An account manager's tasks of every kind that is theirs, many sharing one
// due time: paged two at a time they come out soonest due first, then by
// kind and id, each once, the same as in one page.
func TestMyTasksPageInDueOrder(t *testing.T) {
	ctx := context.Background()
	am := newManager(t)
	by := newManager(t)
	due := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	var accounts []uuid.UUID
	for i := range 3 {
		c := newCustomer(t, by, &am) // incomplete: an archive_incomplete task
		accounts = append(accounts, c)
		// A visit and a ticket due at the same instant, an overdue statement too.
		if _, err := pool.Exec(ctx, `INSERT INTO visits (id, customer_id, status, due_at) VALUES (gen_random_uuid(), $1, 'planned', $2)`, c, due); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO tickets (id, customer_id, kind, subject, priority, opened_by, respond_by, resolve_by)
			VALUES (gen_random_uuid(), $1, 'complaint', 'late ' || $3::int, 1, $2, $4::timestamptz, $4::timestamptz + interval '1 day')`, c, by, i, due); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO credit_agreements (customer_id, credit_level, arrears_limit, settlement_cycle, payment_term_days)
			VALUES ($1, 'A', 1000, '@monthly', 30)`, c); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO statements (id, customer_id, period_start, period_end, amount_due, paid, due_at, status)
			VALUES (gen_random_uuid(), $1, $2::timestamptz - interval '30 days', $2, 300, 100, $2, 'overdue')`, c, due); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO greetings (id, dedupe_key, customer_id, occasion, occasion_on, title, account_manager_id)
			VALUES (gen_random_uuid(), 'test/' || gen_random_uuid(), $1, 'holiday', current_date + 2, 'Holiday greetings', $2)`, c, am); err != nil {
			t.Fatal(err)
		}
	}
	// A ticket resolved and a greeting done wait on nobody.
	if _, err := pool.Exec(ctx, `INSERT INTO tickets (id, customer_id, kind, subject, priority, opened_by, respond_by, resolve_by, status)
		VALUES (gen_random_uuid(), $1, 'inquiry', 'done', 1, $2, now(), now(), 'resolved')`, accounts[0], by); err != nil {
		t.Fatal(err)
	}
	q := kam.TaskQuery{StaffID: am, Scope: kam.TaskScope{Tickets: kam.TasksMine, Visits: true, Greetings: true, Archives: kam.TasksMine, Statements: kam.TasksMine},
		ArchiveGrace: 72 * time.Hour, Timezone: time.UTC}
	one := allTasks(t, q, 500)
	paged := allTasks(t, q, 2)
	if len(one) != 15 {
		t.Fatalf("%d tasks, want 15 (5 kinds × 3 accounts): %v", len(one), one)
	}
	if !slices.EqualFunc(one, paged, func(a, b kam.Task) bool { return taskKey(a) == taskKey(b) }) {
		t.Fatalf("paged two at a time:\n%v\nin one page:\n%v", paged, one)
	}
	keys := make([]string, len(one))
	for i, k := range one {
		keys[i] = taskKey(k)
		if !slices.Contains(accounts, k.CustomerID) || k.CustomerName == "" {
			t.Fatalf("task of another account: %+v", k)
		}
	}
	if !slices.IsSortedFunc(one, func(a, b kam.Task) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	}) {
		t.Fatalf("not in (due, kind, id) order: %v", keys)
	}
	for _, k := range one {
		switch k.Kind {
		case kam.TaskStatementOverdue:
			if k.Outstanding == nil || k.Outstanding.String() != "200" {
				t.Fatalf("statement task: %+v", k)
			}
		case kam.TaskArchiveIncomplete:
			if len(k.Missing) == 0 || k.ID != k.CustomerID {
				t.Fatalf("archive task: %+v", k)
			}
		case kam.TaskTicket:
			if !strings.HasPrefix(k.Subject, "late") || k.State != "open" || !k.DueAt.Equal(due) {
				t.Fatalf("ticket task: %+v", k)
			}
		}
	}
	// Another manager has none of them; an empty scope asks nothing.
	other := q
	other.StaffID = by
	if got := allTasks(t, other, 50); len(got) != 0 {
		t.Fatalf("another manager's tasks: %v", got)
	}
	if got := allTasks(t, kam.TaskQuery{StaffID: am}, 50); len(got) != 0 {
		t.Fatalf("empty scope: %v", got)
	}
}

// archive_gaps follows an archive through every change that moves it in
// or out of the data clerk's list, including two changes at once that only
// together complete it (a head and a handler added by two requests), an
// account closed while incomplete, and a removal that reopens the gap.
func TestArchiveGapsFollowTheArchive(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	gap := func(id uuid.UUID) bool {
		t.Helper()
		var g bool
		if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM archive_gaps WHERE customer_id = $1)", id).Scan(&g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	for i := range 5 {
		// No head and no handler: added at the same time by two writers.
		id := completeArchive(t, by, "head")
		removeOnly(t, by, id, "handler")
		if !gap(id) {
			t.Fatalf("round %d: no gap for an archive without head and handler", i)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, role := range []string{"head", "handler"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.AddKeyPerson(ctx, store.Scope{}, id, store.KeyPersonInput{Name: "New " + role, Role: role}, by)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if gap(id) {
			t.Fatalf("round %d: a gap left for an archive made complete by two writers at once", i)
		}
	}
	id := completeArchive(t, by, "")
	if gap(id) {
		t.Fatal("a gap for a complete archive")
	}
	removeOnly(t, by, id, "")
	if !gap(id) {
		t.Fatal("no gap once the only contact was removed")
	}
	if _, err := pool.Exec(ctx, "UPDATE customers SET status = 'churned' WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	if gap(id) {
		t.Fatal("a gap for a churned account (the list holds active ones)")
	}
}

// Postgres planned MyTasks afresh on every call (its default keeps custom
// plans for a statement whose generic estimate counts every branch), which
// cost more than running it. Every call, the first too, must run on the
// statement's one generic plan; pg_prepared_statements counts both kinds.
func TestMyTasksRunsOnItsGenericPlan(t *testing.T) {
	ctx := context.Background()
	cfg := pool.Config()
	cfg.MaxConns = 1 // every call on the one connection whose statements are counted
	one, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	am := newManager(t)
	newCustomer(t, am, &am)
	q := kam.TaskQuery{StaffID: am, Scope: benchScopes[kam.RoleAccountManager], Lim: 51, ArchiveGrace: time.Hour, Timezone: time.UTC}
	const calls = 7
	for range calls {
		tasks, err := store.New(one).MyTasks(ctx, q)
		if err != nil || len(tasks) != 1 {
			t.Fatalf("tasks %v, %v", tasks, err)
		}
	}
	var generic, custom int64
	if err := one.QueryRow(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '-- name: MyTasks %'`).Scan(&generic, &custom); err != nil {
		t.Fatal(err)
	}
	if generic != calls || custom != 0 {
		t.Fatalf("MyTasks ran %d times on its generic plan and %d times on a custom one, want %d and 0", generic, custom, calls)
	}
}
