package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"kam/db"
	"kam/db/dbtest"
	"kam/db/internal/dbq"
)

var (
	bigOnce sync.Once
	bigPool *pgxpool.Pool
	bigErr  error
	bigDrop func()
)

// bigData is a database of 10,000 accounts under 100 account managers with
// 1,000,000 sales over 2024–2025, made once per benchmark run (~1 minute).
func bigData(b *testing.B) *dbq.Queries {
	bigOnce.Do(func() {
		ctx := context.Background()
		dsn, drop, err := dbtest.NewDatabase("bigreports")
		bigDrop = drop
		if err != nil {
			bigErr = err
			return
		}
		if bigPool, bigErr = db.Connect(ctx, dsn); bigErr != nil {
			return
		}
		_, bigErr = bigPool.Exec(ctx, `
			INSERT INTO staff (id, name, role) SELECT gen_random_uuid(), 'AM ' || g, 'account_manager' FROM generate_series(1, 100) g;
			INSERT INTO customers (id, code, name, tier, account_manager_id, created_at, opened_on)
			SELECT gen_random_uuid(), 'BIG-' || g, 'Account ' || g, (ARRAY['S','A','B'])[1 + g % 3],
			       (SELECT id FROM staff WHERE name = 'AM ' || (1 + g % 100)), timestamptz '2023-01-01' + (g % 700) * interval '1 day',
			       date '2023-01-01' + (g % 700)
			FROM generate_series(1, 10000) g;
			CREATE TEMP TABLE ids AS SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers;
			INSERT INTO sales (id, customer_id, product, product_category, quantity, amount, applied_rate, region, sold_on)
			SELECT gen_random_uuid(), ids.id, 'p', (ARRAY['equipment','consumables','services'])[1 + g % 3], 1 + g % 7,
			       (g % 1000) + 0.5, g % 10, (ARRAY['East','North','South'])[1 + g % 3], date '2024-01-01' + (g % 731)
			FROM generate_series(1, 1000000) g JOIN ids ON ids.n = 1 + g % 10000;
			INSERT INTO satisfaction (id, customer_id, score, surveyed_on)
			SELECT gen_random_uuid(), id, 1 + n % 5, date '2025-03-01' FROM ids;
			ANALYZE;`)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return dbq.New(bigPool)
}

// The analysis reports over 10,000 accounts and 1,000,000 sales rows, for a
// quarter and for a year, all accounts (KA manager) and one manager's:
//
//	go test ./db/store -run '^$' -bench Report -benchtime 5x
func BenchmarkReportOverview(b *testing.B) {
	q := bigData(b)
	ctx := context.Background()
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		if _, err := q.OverviewCounts(ctx, dbq.OverviewCountsParams{FromDate: from, ToDate: to}); err != nil {
			b.Fatal(err)
		}
		if _, err := q.CategoryMonths(ctx, dbq.CategoryMonthsParams{FromDate: from, ToDate: to, TopN: 20}); err != nil {
			b.Fatal(err)
		}
		if _, err := q.OverviewTiers(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReportStaff(b *testing.B) {
	q := bigData(b)
	ctx := context.Background()
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		rows, err := q.StaffReport(ctx, dbq.StaffReportParams{FromDate: from, ToDate: to})
		if err != nil || len(rows) != 100 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}

func BenchmarkReportOverviewOneManager(b *testing.B) {
	q := bigData(b)
	ctx := context.Background()
	var mgr [16]byte
	if err := bigPool.QueryRow(ctx, "SELECT id FROM staff WHERE name = 'AM 1'").Scan(&mgr); err != nil {
		b.Fatal(err)
	}
	id := mgrUUID(mgr)
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		if _, err := q.OverviewCounts(ctx, dbq.OverviewCountsParams{ManagerID: &id, FromDate: from, ToDate: to}); err != nil {
			b.Fatal(err)
		}
		if _, err := q.CategoryMonths(ctx, dbq.CategoryMonthsParams{ManagerID: &id, FromDate: from, ToDate: to, TopN: 20}); err != nil {
			b.Fatal(err)
		}
	}
}

func mgrUUID(b [16]byte) uuid.UUID { return uuid.UUID(b) }
