package store_test

import (
	"context"
	"testing"
	"time"

	"kam/db/store"
)

// BenchmarkArchiveAsOf rebuilds, at mid-history, an account with 50,000
// recorded changes of 1,000 characters each (the attack the throttle's as_of
// limit answers): time and memory per read.
func BenchmarkArchiveAsOf(b *testing.B) {
	ctx := context.Background()
	by := newManager(b)
	c := newCustomer(b, by, nil)
	opened := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := pool.Exec(ctx, "UPDATE customers SET created_at = $2 WHERE id = $1", c, opened); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO customer_history (customer_id, staff_id, at, field, old_value, new_value)
		SELECT $1, $2, $3::timestamptz + i * interval '1 minute', (ARRAY['name','address','main_products','phone'])[i % 4 + 1],
			repeat(chr(65 + i % 26), 1000), repeat(chr(66 + i % 25), 1000)
		FROM generate_series(1, 50000) AS i`, c, by, opened); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE customer_history"); err != nil {
		b.Fatal(err)
	}
	until := opened.Add(25000 * time.Minute)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := st.ArchiveAsOf(ctx, store.Scope{}, c, until); err != nil {
			b.Fatal(err)
		}
	}
}
