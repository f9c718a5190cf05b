package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

func newStaffOf(t *testing.T, role string) uuid.UUID {
	t.Helper()
	s, err := st.CreateStaff(context.Background(), role+" "+uuid.NewString()[:8], nil, role)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var de *kam.Error
	if !errors.As(err, &de) || de.Kind != kam.KindInvalid || de.Field != field {
		t.Fatalf("want a validation error on %s, got %v", field, err)
	}
}

// SPEC §7: a delegation goes from a decider to another active decider; it is
// in force from its start to its end or until ended early, and only while
// its delegator is active. Art. 12.
func TestDelegationsInForce(t *testing.T) {
	ctx := context.Background()
	gm, ka, am := newStaffOf(t, kam.RoleGeneralManager), newStaffOf(t, kam.RoleKAManager), newStaffOf(t, kam.RoleAccountManager)
	now := time.Now()
	in := func(from, to uuid.UUID, starts, ends time.Duration) kam.DelegationInput {
		return kam.DelegationInput{From: from, To: to, StartsAt: now.Add(starts), EndsAt: now.Add(ends), CreatedBy: from}
	}
	_, err := st.CreateDelegation(ctx, in(am, ka, 0, time.Hour))
	wantInvalid(t, err, "from_staff_id")
	_, err = st.CreateDelegation(ctx, in(gm, am, 0, time.Hour))
	wantInvalid(t, err, "to_staff_id")
	_, err = st.CreateDelegation(ctx, in(gm, gm, 0, time.Hour))
	wantInvalid(t, err, "to_staff_id")
	_, err = st.CreateDelegation(ctx, in(gm, ka, time.Hour, time.Hour))
	wantInvalid(t, err, "ends_at")

	now = time.Now().Add(-time.Second)
	d, err := st.CreateDelegation(ctx, in(gm, ka, 0, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	later, err := st.CreateDelegation(ctx, in(gm, ka, time.Hour, 2*time.Hour)) // not yet in force
	if err != nil {
		t.Fatal(err)
	}
	deps, err := st.DeputyshipsOf(ctx, ka)
	if err != nil || len(deps) != 1 || deps[0].ID != d.ID || deps[0].From != gm || deps[0].FromRole != kam.RoleGeneralManager {
		t.Fatalf("deputyships = %+v, %v", deps, err)
	}
	if ids, _, err := st.NoticeRecipients(ctx, store.NoticeTo{StaffIDs: []uuid.UUID{gm, am}, Deputies: true}); err != nil || !slices.Equal(ids, []uuid.UUID{gm, am, ka}) {
		t.Fatalf("deputies = %v, %v", ids, err)
	}

	// An inactive delegator delegates nothing.
	if _, err := pool.Exec(ctx, "UPDATE staff SET active = false WHERE id = $1", gm); err != nil {
		t.Fatal(err)
	}
	if deps, _ := st.DeputyshipsOf(ctx, ka); len(deps) != 0 {
		t.Fatalf("an inactive GM still delegates: %+v", deps)
	}
	if _, err := pool.Exec(ctx, "UPDATE staff SET active = true WHERE id = $1", gm); err != nil {
		t.Fatal(err)
	}

	// Ended early: at once, and once.
	ended, err := st.EndDelegation(ctx, d.ID, gm)
	if err != nil || ended.EndedAt == nil || *ended.EndedBy != gm || ended.InForceAt(time.Now()) {
		t.Fatalf("ended = %+v, %v", ended, err)
	}
	if deps, _ := st.DeputyshipsOf(ctx, ka); len(deps) != 0 {
		t.Fatalf("an ended delegation still in force: %+v", deps)
	}
	var de *kam.Error
	if _, err := st.EndDelegation(ctx, d.ID, gm); !errors.As(err, &de) || de.Code != "delegation_ended" {
		t.Fatalf("ending twice: %v", err)
	}
	if _, err := st.EndDelegation(ctx, store.NewID(), gm); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("ending an unknown one: %v", err)
	}
	// One not yet started may be called off.
	if _, err := st.EndDelegation(ctx, later.ID, gm); err != nil {
		t.Fatal(err)
	}
}

// SPEC §7: a revoked grant leaves the discount standard from the day of its
// revocation, sales dated after that day are findings (Art. 14), the GM gets
// a filing, and the revocation is registered in its own transaction once.
func TestRevokedGrantEndsItsValidity(t *testing.T) {
	ctx := context.Background()
	ka := newStaffOf(t, kam.RoleKAManager)
	c := newCustomer(t, ka, nil)
	day := func(d int) time.Time {
		n := time.Now().UTC()
		return time.Date(n.Year(), n.Month(), n.Day()+d, 0, 0, 0, 0, time.UTC)
	}
	r, err := st.CreateDiscountRequest(ctx, store.Scope{}, store.DiscountInput{CustomerID: c, RequesterID: ka, ProductCategory: "equipment",
		Rate: dec("5"), Method: "percentage", ValidFrom: day(-10), ValidTo: day(30), Deadline: time.Now()}, func(kam.DiscountRequest) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	g, err := st.ApplyGrant(ctx, r.ID, ka)
	if err != nil {
		t.Fatal(err)
	}
	sale := func(on time.Time) uuid.UUID {
		x, err := st.RecordSale(ctx, store.Scope{}, c, store.SaleInput{Product: "p", ProductCategory: "equipment", Quantity: dec("1"),
			Amount: dec("100"), AppliedRate: dec("5"), SoldOn: on}, ka)
		if err != nil {
			t.Fatal(err)
		}
		return x.ID
	}
	onTheDay, after := sale(day(0)), sale(day(1))

	rid := "revoke-" + uuid.NewString()
	access := store.Access{StaffID: &ka, Action: kam.AccessUpdate, Sections: []string{"discounts"}, RequestID: rid, Route: "POST /v1/discount-grants/{id}/revoke"}
	rv := kam.GrantRevocation{RequestID: r.ID, By: ka, Reason: "terms broken", On: day(0)}
	f, err := st.RevokeGrant(store.WithAccess(ctx, access), rv)
	if err != nil || f.Kind != kam.FilingRevocation || f.GrantID != g.ID || f.CustomerID != c {
		t.Fatalf("filing = %+v, %v", f, err)
	}
	// A retry (the activity's) finds it done and registers nothing again.
	if again, err := st.RevokeGrant(store.WithAccess(ctx, access), rv); err != nil || again.ID != f.ID {
		t.Fatalf("again = %+v, %v", again, err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2", rid, c).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d register rows, %v", n, err)
	}
	view, err := st.GetGrant(ctx, store.Scope{}, g.ID)
	if err != nil || view.RevokedAt == nil || view.EndedAt == nil || !view.RevokedOn.Equal(day(0)) || *view.RevokeReason != "terms broken" || view.Route != kam.RouteStandard {
		t.Fatalf("grant = %+v, %v", view, err)
	}
	for d, want := range map[int]int{-1: 1, 0: 0, 1: 0} {
		if got, _ := st.GrantsInForce(ctx, kam.GrantFilter{CustomerID: c, AsOf: day(d), Lim: 10}); len(got) != want {
			t.Fatalf("day %+d: %d grants in force, want %d", d, len(got), want)
		}
	}
	run := kam.InspectionRun{ID: store.NewID(), Trigger: "manual", SampleSize: 10000, Seed: 3}
	if _, err := st.Inspect(ctx, run); err != nil {
		t.Fatal(err)
	}
	findings, err := st.ListFindings(ctx, store.FindingsPage{InspectionID: run.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[uuid.UUID]string{}
	for _, f := range findings {
		kinds[f.SaleID] = f.Kind
	}
	if kinds[after] != "outside_validity" || kinds[onTheDay] != "" {
		t.Fatalf("findings: after %q, on the day %q", kinds[after], kinds[onTheDay])
	}
	// A grant that has ended is not revoked.
	r2, err := st.CreateDiscountRequest(ctx, store.Scope{}, store.DiscountInput{CustomerID: c, RequesterID: ka, ProductCategory: "services",
		Rate: dec("1"), Method: "percentage", ValidFrom: day(-10), ValidTo: day(30), Deadline: time.Now()}, func(kam.DiscountRequest) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyGrant(ctx, r2.ID, ka); err != nil {
		t.Fatal(err)
	}
	if err := st.EndGrant(ctx, r2.ID); err != nil {
		t.Fatal(err)
	}
	var de *kam.Error
	if _, err := st.RevokeGrant(ctx, kam.GrantRevocation{RequestID: r2.ID, By: ka, Reason: "late", On: day(0)}); !errors.As(err, &de) || de.Code != "grant_ended" {
		t.Fatalf("revoking an ended grant: %v", err)
	}
}
