package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"kam"
	"kam/db"
	"kam/db/dbtest"
	"kam/db/store"
)

var (
	tasksOnce  sync.Once
	tasksStore *store.Store
	tasksStaff map[string]uuid.UUID // one member per role; the account manager holds 100 accounts
	tasksErr   error
	tasksPool  *pgxpool.Pool
	tasksDrop  func()
)

// tasksData is a company of 10,000 accounts under 100 account managers,
// with the history a few years leave behind: 120,000 statements (2% overdue),
// 50,000 tickets (1,000 still open, 100 of those escalated), 10,000 planned
// and 100,000 done visits, 20,000 greeting tasks (500 open), 5,000 discount
// requests (250 pending) and 2,000 filings (100 unacknowledged); 70% of the
// archives complete. Made once per benchmark run.
func tasksData(b *testing.B) (*store.Store, map[string]uuid.UUID) {
	tasksOnce.Do(func() {
		ctx := context.Background()
		dsn, drop, err := dbtest.NewDatabase("bigtasks")
		if err != nil {
			tasksErr = err
			return
		}
		tasksDrop = drop
		if tasksPool, tasksErr = db.Connect(ctx, dsn); tasksErr != nil {
			return
		}
		p := tasksPool
		if _, tasksErr = p.Exec(ctx, tasksSeed); tasksErr != nil {
			return
		}
		tasksStore = store.New(p)
		tasksStaff = map[string]uuid.UUID{}
		for _, role := range kam.Roles {
			var id uuid.UUID
			if tasksErr = p.QueryRow(ctx, "SELECT id FROM staff WHERE role = $1 ORDER BY name LIMIT 1", role).Scan(&id); tasksErr != nil {
				return
			}
			tasksStaff[role] = id
		}
	})
	if tasksErr != nil {
		b.Fatal(tasksErr)
	}
	return tasksStore, tasksStaff
}

const tasksSeed = `
INSERT INTO staff (id, name, role)
SELECT gen_random_uuid(), 'AM ' || lpad(g::text, 3, '0'), 'account_manager' FROM generate_series(1, 100) g;
INSERT INTO staff (id, name, role)
SELECT gen_random_uuid(), r, r FROM unnest(ARRAY['admin','general_manager','ka_manager','data_clerk','service_agent','finance','auditor']) r;
CREATE TEMP TABLE ams AS SELECT id, row_number() OVER (ORDER BY name) AS n FROM staff WHERE role = 'account_manager';

INSERT INTO customers (id, code, name, tier, account_manager_id, created_at,
    nature, industry, product_category, legal_representative, company_size, main_products, annual_output_value,
    credibility, profit_status, address, postcode, phone, email)
SELECT gen_random_uuid(), 'TASK-' || g, 'Account ' || g, (ARRAY['S','A','B'])[1 + g % 3],
       (SELECT id FROM ams WHERE n = 1 + g % 100), timestamptz '2023-01-01' + (g % 700) * interval '1 day' + g * interval '1 second',
       'private', 'steel', 'equipment', 'Li', '500', 'rebar', 1000000, 'AA', 'profit', '1 Road', '100000', '123', 'a@b.cn'
FROM generate_series(1, 10000) g;
CREATE TEMP TABLE acc AS SELECT c.id, c.account_manager_id AS am, row_number() OVER (ORDER BY c.id) AS n FROM customers c;

-- 70% complete: a contact, a head and a handler; every account has credit terms.
INSERT INTO customer_contacts (id, customer_id, name) SELECT gen_random_uuid(), id, 'Wang' FROM acc WHERE n % 10 < 7;
INSERT INTO key_persons (id, customer_id, name, role) SELECT gen_random_uuid(), id, 'Zhao', 'head' FROM acc WHERE n % 10 < 7;
INSERT INTO key_persons (id, customer_id, name, role) SELECT gen_random_uuid(), id, 'Qian', 'handler' FROM acc WHERE n % 10 < 8;
INSERT INTO credit_agreements (customer_id, credit_level, arrears_limit, settlement_cycle, payment_term_days)
SELECT id, 'A', 1000000, '@monthly', 30 FROM acc;

INSERT INTO statements (id, customer_id, period_start, period_end, amount_due, paid, due_at, status)
SELECT gen_random_uuid(), acc.id, timestamptz '2025-01-01' + (m - 1) * interval '1 month', timestamptz '2025-01-01' + m * interval '1 month',
       1000, CASE WHEN (acc.n + m) % 50 = 0 THEN 0 ELSE 1000 END,
       timestamptz '2025-01-01' + m * interval '1 month' + interval '30 days',
       CASE WHEN (acc.n + m) % 50 = 0 THEN 'overdue' ELSE 'paid' END
FROM acc CROSS JOIN generate_series(1, 12) m;

INSERT INTO tickets (id, customer_id, kind, subject, priority, opened_by, respond_by, resolve_by, status, escalated, created_at)
SELECT gen_random_uuid(), acc.id, 'inquiry', 'question ' || g, 1 + g % 6, (SELECT id FROM staff WHERE role = 'service_agent'),
       now() - (g % 500) * interval '1 hour' + interval '2 hours', now() - (g % 500) * interval '1 hour' + interval '24 hours',
       CASE WHEN g % 50 = 0 THEN (ARRAY['open','acknowledged'])[1 + g % 2] ELSE 'closed' END, g % 500 = 0,
       now() - (g % 500) * interval '1 hour'
FROM generate_series(1, 50000) g JOIN acc ON acc.n = 1 + g % 10000;

INSERT INTO visits (id, customer_id, status, due_at)
SELECT gen_random_uuid(), id, 'planned', now() + (n % 60) * interval '1 day' FROM acc;
INSERT INTO visits (id, customer_id, status, visited_on, completed_at)
SELECT gen_random_uuid(), acc.id, 'done', current_date - g % 700, now() FROM generate_series(1, 100000) g JOIN acc ON acc.n = 1 + g % 10000;

INSERT INTO greetings (id, dedupe_key, customer_id, occasion, occasion_on, title, account_manager_id, status)
SELECT gen_random_uuid(), 'bench/' || g, acc.id, 'holiday', current_date - 700 + g % 703, 'Holiday greetings', acc.am,
       CASE WHEN g % 40 = 0 THEN 'open' ELSE 'done' END
FROM generate_series(1, 20000) g JOIN acc ON acc.n = 1 + g % 10000;

INSERT INTO discount_requests (id, customer_id, requester_id, product_category, rate, method, valid_from, valid_to, route,
    policy_max_standard_rate, policy_hard_cap_rate, state, stage, escalated, deadline, created_at)
SELECT gen_random_uuid(), acc.id, acc.am, 'equipment', 5, 'percentage', current_date, current_date + 30,
       CASE WHEN g % 3 = 0 THEN 'beyond_standard' ELSE 'standard' END, 10, 20,
       CASE WHEN g % 20 = 0 THEN 'pending' ELSE 'approved' END,
       CASE WHEN g % 20 <> 0 THEN NULL WHEN g % 100 = 0 THEN 'general_manager' ELSE 'ka_department' END,
       g % 300 = 0, CASE WHEN g % 20 = 0 THEN now() + (g % 72) * interval '1 hour' END, now() - (g % 900) * interval '1 day'
FROM generate_series(1, 5000) g JOIN acc ON acc.n = 1 + (g * 7) % 10000;
INSERT INTO discount_grants (id, request_id, customer_id, product_category, rate, method, valid_from, valid_to, approved_by)
SELECT gen_random_uuid(), r.id, r.customer_id, r.product_category, r.rate, r.method, r.valid_from, r.valid_to, (SELECT id FROM staff WHERE role = 'ka_manager')
FROM discount_requests r WHERE r.state = 'approved' AND r.route = 'standard' ORDER BY r.id LIMIT 2000;
INSERT INTO filings (id, request_id, grant_id, customer_id, filed_at, acknowledged_at)
SELECT gen_random_uuid(), g.request_id, g.id, g.customer_id, now() - (row_number() OVER (ORDER BY g.id)) * interval '1 hour',
       CASE WHEN row_number() OVER (ORDER BY g.id) % 20 = 0 THEN NULL ELSE now() END
FROM discount_grants g;
ANALYZE;`

// GET /v1/me/tasks's one query, first page (50) and a page deeper, for a
// member of each role over 10,000 accounts (seeding takes ~30 s):
//
//	go test ./db/store -run '^$' -bench MyTasks -benchtime 200x
//
// Each line also reports the p50 and p99 of its calls.
func BenchmarkMyTasks(b *testing.B) {
	st, staff := tasksData(b)
	ctx := context.Background()
	for _, role := range []string{kam.RoleAccountManager, kam.RoleKAManager, kam.RoleGeneralManager, kam.RoleDataClerk, kam.RoleServiceAgent, kam.RoleFinance} {
		q := kam.TaskQuery{StaffID: staff[role], Scope: benchScopes[role], Lim: 51, ArchiveGrace: 72 * time.Hour, Timezone: time.UTC}
		b.Run(role+"/first", func(b *testing.B) { benchTasks(b, ctx, st, q) })
		// Five pages in: the keyset starts each kind's scan where the last page ended.
		deep := q
		for range 5 {
			page, err := st.MyTasks(ctx, deep)
			if err != nil {
				b.Fatal(err)
			}
			if len(page) < 51 {
				break
			}
			last := page[49]
			deep.After = &kam.TaskKey{DueAt: last.DueAt, Kind: last.Kind, ID: last.ID}
		}
		b.Run(role+"/page6", func(b *testing.B) { benchTasks(b, ctx, st, deep) })
	}
	// The data clerks' worst case: nearly every archive complete (1 in
	// 1,000 not), so their first page reads the whole company. (This fills
	// the seeded gaps in: run it last.)
	if _, err := tasksPool.Exec(ctx, `
		INSERT INTO customer_contacts (id, customer_id, name)
		SELECT gen_random_uuid(), c.id, 'Wang' FROM customers c WHERE right(c.code, 3) <> '000'
		   AND NOT EXISTS (SELECT 1 FROM customer_contacts x WHERE x.customer_id = c.id);
		INSERT INTO key_persons (id, customer_id, name, role)
		SELECT gen_random_uuid(), c.id, 'KP', r FROM customers c CROSS JOIN unnest(ARRAY['head', 'handler']) r WHERE right(c.code, 3) <> '000'
		   AND NOT EXISTS (SELECT 1 FROM key_persons x WHERE x.customer_id = c.id AND x.role = r);
		ANALYZE;`); err != nil {
		b.Fatal(err)
	}
	q := kam.TaskQuery{StaffID: staff[kam.RoleDataClerk], Scope: benchScopes[kam.RoleDataClerk], Lim: 51, ArchiveGrace: 72 * time.Hour, Timezone: time.UTC}
	b.Run("data_clerk/first-sparse", func(b *testing.B) { benchTasks(b, ctx, st, q) })
}

// benchScopes mirrors api/authz.go's taskScopes (the store cannot import api).
var benchScopes = map[string]kam.TaskScope{
	kam.RoleGeneralManager: {DecideAs: kam.RoleGeneralManager, Filings: true},
	kam.RoleKAManager:      {DecideAs: kam.RoleKAManager, Tickets: kam.TasksEscalated},
	kam.RoleAccountManager: {Tickets: kam.TasksMine, Visits: true, Greetings: true, Archives: kam.TasksMine, Statements: kam.TasksMine},
	kam.RoleDataClerk:      {Archives: kam.TasksAll},
	kam.RoleServiceAgent:   {Tickets: kam.TasksAll},
	kam.RoleFinance:        {Statements: kam.TasksAll},
}

func benchTasks(b *testing.B, ctx context.Context, st *store.Store, q kam.TaskQuery) {
	lat := make([]time.Duration, 0, b.N)
	rows := 0
	for b.Loop() {
		t := time.Now()
		page, err := st.MyTasks(ctx, q)
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		rows = len(page)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(rows), "rows")
}
