package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

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
				Action: store.AccessView, Sections: []string{"basics", "contact"}, RequestID: "bench", Route: "GET /v1/customers/{id}"}); err != nil {
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

// Sealing cost per row, off the request path.
func BenchmarkSeal(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if err := st.Register(ctx, store.Access{Action: store.AccessView}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if _, err := st.Seal(ctx); err != nil {
		b.Fatal(err)
	}
}
