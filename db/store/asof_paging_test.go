package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// An archive of a past day is rebuilt from the few changes that decide it
// (an account with 50,000 recorded changes held 240 MB for one read when the
// whole history was read): over a long history it is the archive the whole
// history rebuilds.
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
		got, want := rebuiltBothWays(t, c, whole, until)
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

// The database picks only the changes that decide a past archive; what it
// rebuilds from them is what the whole history rebuilds, at every moment of
// a history that changes several fields per save, a key person's role, and
// the credit grade (set, legacy-set and cleared), also exactly at a save.
func TestArchiveAsOfFromTheDecidingChanges(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	opened := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	kp, err := st.AddKeyPerson(ctx, store.Scope{}, c, store.KeyPersonInput{Name: "Head", Role: "handler"}, by)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "DELETE FROM customer_history WHERE customer_id = $1", c); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE key_persons SET created_at = $2 WHERE id = $1", kp.ID, opened); err != nil {
		t.Fatal(err)
	}
	role := kam.PersonField(kam.HistoryKeyPersons, kp.ID, "role")
	// 60 saves an hour apart; save i changes fields chosen by i, each from
	// its value before to "<field> <i>".
	value := map[string]string{"name": "Opened", "phone": "P0", "tier": "B", role: "head"}
	type row struct {
		at              time.Time
		field           string
		oldValue, value *string
	}
	var rows []row
	str := func(s string) *string { return &s }
	for i := 1; i <= 60; i++ {
		at := opened.Add(time.Duration(i) * time.Hour)
		change := func(field, to string) {
			old := value[field]
			rows = append(rows, row{at, field, str(old), str(to)})
			value[field] = to
		}
		if i%2 == 0 {
			change("name", fmt.Sprintf("Name %d", i))
		}
		if i%3 == 0 {
			change("phone", fmt.Sprintf("P%d", i))
		}
		if i%7 == 0 {
			change("tier", []string{"A", "S", "B"}[i%3])
		}
		if i%11 == 0 {
			change(role, []string{"head", "handler", "other"}[i%3])
		}
		switch i % 13 {
		case 4:
			rows = append(rows, row{at, kam.CreditField("credit_level"), nil, str(fmt.Sprintf("G%d", i))})
		case 9:
			rows = append(rows, row{at, kam.HistoryCredit, nil, str(fmt.Sprintf("L%d / 100000.00 / monthly", i))})
		case 12:
			rows = append(rows, row{at, kam.CreditField("credit_level"), str("x"), nil})
		}
	}
	for _, r := range rows {
		if _, err := pool.Exec(ctx, "INSERT INTO customer_history (customer_id, staff_id, at, field, old_value, new_value) VALUES ($1, $2, $3, $4, $5, $6)",
			c, by, r.at, r.field, r.oldValue, r.value); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, "UPDATE customers SET created_at = $2, name = $3, phone = $4, tier = $5, version = 200 WHERE id = $1",
		c, opened, value["name"], value["phone"], value["tier"]); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE key_persons SET role = $2 WHERE id = $1", kp.ID, value[role]); err != nil {
		t.Fatal(err)
	}
	now, err := st.GetArchive(ctx, store.Scope{}, c)
	if err != nil {
		t.Fatal(err)
	}
	history, err := st.ListHistory(ctx, store.Scope{}, c, nil, nil, 5000)
	if err != nil {
		t.Fatal(err)
	}
	persons, err := st.ListKeyPersons(ctx, store.Scope{}, c, store.PageAfter{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	whole := kam.ArchiveRecord{Customer: now.Customer, History: history, KeyPersons: persons}
	text := func(g *string) string {
		if g == nil {
			return "<nil>"
		}
		return *g
	}
	for half := 1; half <= 124; half++ {
		until := opened.Add(time.Duration(half) * 30 * time.Minute)
		got, want := rebuiltBothWays(t, c, whole, until)
		g, w := got.Customer, want.Customer
		if g.Name != w.Name || text(g.Phone) != text(w.Phone) || g.Tier != w.Tier || g.Version != w.Version || !g.UpdatedAt.Equal(w.UpdatedAt) ||
			text(got.CreditLevel) != text(want.CreditLevel) || fmt.Sprint(got.Missing) != fmt.Sprint(kam.MissingSections(w, want.Facts)) {
			t.Fatalf("until %s: picked %s %s %s v%d %s grade %s missing %v; whole %s %s %s v%d %s grade %s missing %v", until.Format(time.RFC3339),
				g.Name, text(g.Phone), g.Tier, g.Version, g.UpdatedAt.Format(time.RFC3339), text(got.CreditLevel), got.Missing,
				w.Name, text(w.Phone), w.Tier, w.Version, w.UpdatedAt.Format(time.RFC3339), text(want.CreditLevel), kam.MissingSections(w, want.Facts))
		}
	}
}

// rebuiltBothWays is the archive of c as of until from the store and from
// the whole history.
func rebuiltBothWays(t *testing.T, c uuid.UUID, whole kam.ArchiveRecord, until time.Time) (store.Archive, kam.PastArchive) {
	t.Helper()
	got, err := st.ArchiveAsOf(context.Background(), store.Scope{}, c, until)
	if err != nil {
		t.Fatal(err)
	}
	want, ok := whole.AsOf(until)
	if !ok {
		t.Fatalf("no archive at %s", until)
	}
	return got, want
}
