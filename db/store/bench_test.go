package store_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db"
	"kam/db/store"
)

// Registering an access is one plain INSERT with no lock, so parallel readers
// scale like any insert. Compare with BenchmarkBareInsertParallel:
//
//	go test ./db/store -run '^$' -bench 'Parallel' -benchmem
func BenchmarkRegisterParallel(b *testing.B) {
	ctx := context.Background()
	staff, customer := uuid.New(), uuid.New()
	role := "auditor"
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := st.Register(ctx, store.Access{StaffID: &staff, Role: &role, CustomerIDs: []uuid.UUID{customer},
				Action: kam.AccessView, Sections: []string{"basics", "contact"}, RequestID: "bench", Route: "GET /v1/customers/{id}"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The same row shape into a table with no trigger, chain or index beyond the key.
func BenchmarkBareInsertParallel(b *testing.B) {
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_plain (seq bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(),
		staff_id uuid, staff_role text, customer_id uuid, action text, sections text[], request_id text, purpose text, route text)`); err != nil {
		b.Fatal(err)
	}
	staff, customer := uuid.New(), uuid.New()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := pool.Exec(ctx, `INSERT INTO bench_plain (staff_id, staff_role, customer_id, action, sections, request_id, purpose, route)
				VALUES ($1, 'auditor', $2, 'view', '{basics,contact}', 'bench', '', 'GET /v1/customers/{id}')`, staff, customer); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The register's whole cost per row where it is heaviest: 8 writers each
// registering pages of 50 accounts in one statement (a task list's page),
// sealed as the sealer does it, once a second and at the end, then vacuumed
// (what an UPDATE of each row for its seal left behind is part of the cost).
// It reports rows per second, Postgres's CPU per row, all of it, across
// every postgres process, and the WAL written per row (the cluster's):
//
//	go test ./db/store -run '^$' -bench RegisterPages -benchtime 400x
func BenchmarkRegisterPages(b *testing.B) {
	ctx := context.Background()
	staff := uuid.New()
	role := "account_manager"
	page := make([]uuid.UUID, 50)
	for i := range page {
		page[i] = uuid.New()
	}
	if _, err := st.Seal(ctx); err != nil {
		b.Fatal(err)
	}
	walStart, err := st.WALPosition(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	pg, start := db.LocalServerCPU(), time.Now()
	stop := make(chan struct{})
	sealed := make(chan error, 1)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				_, err := st.Seal(ctx)
				sealed <- err
				return
			case <-tick.C:
				if _, err := st.Seal(ctx); err != nil {
					sealed <- err
					return
				}
			}
		}
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := st.Register(ctx, store.Access{StaffID: &staff, Role: &role, CustomerIDs: page, Action: kam.AccessList,
					Sections: []string{"basics"}, RequestID: "bench-page", Route: "GET /v1/me/tasks"}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-sealed; err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "VACUUM access_log"); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	rows := float64(b.N * len(page))
	b.ReportMetric(rows/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64((db.LocalServerCPU()-pg).Microseconds())/rows, "pg-µs/row")
	walEnd, err := st.WALPosition(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(walEnd-walStart)/rows, "wal-B/row")
}

// Sealing cost per row, off the request path.
func BenchmarkSeal(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if err := st.Register(ctx, store.Access{Action: kam.AccessView}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if _, err := st.Seal(ctx); err != nil {
		b.Fatal(err)
	}
}

func benchAgreements(b *testing.B, n int) ([]uuid.UUID, uuid.UUID) {
	ctx := context.Background()
	by, err := st.CreateStaff(ctx, "bench", nil, kam.RoleFinance)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]uuid.UUID, n)
	for i := range ids {
		c, err := st.CreateCustomer(ctx, store.CustomerPatch{Code: ptrS("BENCH-" + uuid.NewString()[:12]), Name: ptrS("bench")}, by.ID)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := st.PutCredit(ctx, store.Scope{}, c.ID, store.CreditInput{CreditLevel: "A", ArrearsLimit: decimal.RequireFromString("1000000000"),
			SettlementCycle: "@monthly", PaymentTermDays: 30}, by.ID, func() error { return nil }); err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	return ids, by.ID
}

func ptrS(s string) *string { return &s }

// Charges under the limit check, spread over 200 accounts (little contention)
// and all on one account (every charge waits for the row lock):
//
//	go test ./db/store -run '^$' -bench Charge -benchtime 3s
func BenchmarkChargeManyAccounts(b *testing.B) { benchCharges(b, 200) }

func BenchmarkChargeHotAccount(b *testing.B) { benchCharges(b, 1) }

func benchCharges(b *testing.B, accounts int) {
	ctx := context.Background()
	ids, by := benchAgreements(b, accounts)
	var n atomic.Int64
	b.SetParallelism(8) // 16 concurrent writers on 2 cores, like a busy API
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			id := ids[int(i)%len(ids)]
			if _, err := st.Charge(ctx, store.Scope{}, id, decimal.NewFromInt(1), "b-"+strconv.FormatInt(i, 10)+"-"+uuid.NewString()[:8], time.Now(), by); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "charges/s")
}
