package store_test

import (
	"context"
	"testing"
	"time"

	"kam"
	"kam/db/store"
)

// An archive of a past day is rebuilt from its history a page at a time,
// newest first (an account with 50,000 recorded changes held 240 MB for one
// read): across pages it is the archive the whole history rebuilds.
func TestArchiveAsOfAcrossPages(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	opened := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	// The account as opened in 2020, with none of today's history rows (a
	// history's ids and times go up together).
	if _, err := pool.Exec(ctx, "UPDATE customers SET created_at = $2, name = 'Name 2499', version = 2501 WHERE id = $1", c, opened); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "DELETE FROM customer_history WHERE customer_id = $1", c); err != nil {
		t.Fatal(err)
	}
	// 2,500 renames an hour apart, and a credit grade set early on: the
	// grade's row lies pages below the newest.
	if _, err := pool.Exec(ctx, `INSERT INTO customer_history (customer_id, staff_id, at, field, old_value, new_value)
		SELECT $1, $2, $3::timestamptz + i * interval '1 hour', 'name', CASE WHEN i = 0 THEN 'First' ELSE 'Name ' || (i - 1) END, 'Name ' || i
		FROM generate_series(0, 2499) AS i`, c, by, opened.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO customer_history (customer_id, staff_id, at, field, new_value) VALUES ($1, $2, $3, 'credit.credit_level', 'A')",
		c, by, opened.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	now, err := st.GetArchive(ctx, store.Scope{}, c)
	if err != nil {
		t.Fatal(err)
	}
	var whole kam.ArchiveRecord
	whole.Customer = now.Customer
	rows, err := st.ListHistory(ctx, store.Scope{}, c, nil, nil, 5000)
	if err != nil {
		t.Fatal(err)
	}
	whole.History = rows // oldest first
	if len(whole.History) != 2501 {
		t.Fatalf("%d history rows", len(whole.History))
	}
	grade := func(g *string) string {
		if g == nil {
			return "none"
		}
		return *g
	}
	for _, hours := range []int{2, 500, 1200, 1900, 2600} {
		until := opened.Add(time.Duration(hours) * time.Hour)
		got, err := st.ArchiveAsOf(ctx, store.Scope{}, c, until)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := whole.AsOf(until)
		if !ok {
			t.Fatalf("no archive at %s", until)
		}
		if got.Customer.Name != want.Customer.Name || got.Customer.Version != want.Customer.Version ||
			!got.Customer.UpdatedAt.Equal(want.Customer.UpdatedAt) || grade(got.CreditLevel) != grade(want.CreditLevel) {
			t.Fatalf("until +%dh: paged %s v%d %s %v, whole %s v%d %s %v", hours,
				got.Customer.Name, got.Customer.Version, got.Customer.UpdatedAt, grade(got.CreditLevel),
				want.Customer.Name, want.Customer.Version, want.Customer.UpdatedAt, grade(want.CreditLevel))
		}
		if got.CreditLevel == nil || *got.CreditLevel != "A" {
			t.Fatalf("until +%dh: credit grade %v, want A (set at +1.5h)", hours, got.CreditLevel)
		}
	}
	// Spot checks against the renames themselves: just before +1200h the
	// name is the one the rename at +1199h set.
	got, _ := st.ArchiveAsOf(ctx, store.Scope{}, c, opened.Add(1200*time.Hour))
	if got.Customer.Name != "Name 1198" {
		t.Fatalf("name before +1200h = %q, want Name 1198", got.Customer.Name)
	}
}
