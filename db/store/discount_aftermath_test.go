package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// An approval's aftermath (Art. 12: the grant, the filing with the GM, the
// notices) is one transaction: a step that fails leaves none of the others
// behind, and the retry that follows writes each of them once, however often
// it runs.
func TestDiscountAftermathIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	ka, am, gm := newStaffOf(t, kam.RoleKAManager), newManager(t), newStaffOf(t, kam.RoleGeneralManager)
	c := newCustomer(t, ka, &am)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	r, err := st.CreateDiscountRequest(ctx, store.Scope{}, store.DiscountInput{CustomerID: c, RequesterID: am, ProductCategory: "equipment",
		Rate: dec("3"), Method: "percentage", ValidFrom: today, ValidTo: today.AddDate(0, 3, 0), Deadline: time.Now()},
		func(kam.DiscountRequest) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	key := func(s string) string { return r.ID.String() + "/" + s }
	notice := func(k string, to ...uuid.UUID) *store.Delivery {
		return &store.Delivery{Recipients: to, Notification: store.Notification{EventKey: key(k), Kind: "discount_" + k, Title: k,
			CustomerID: &c, Webhook: []byte(`{"event":"` + k + `"}`)}}
	}
	aftermath := func(grantedTo uuid.UUID) store.DiscountAftermath {
		return store.DiscountAftermath{RequestID: r.ID, Grant: true, ApprovedBy: ka, File: true,
			Before: []store.DiscountEventWrite{{Key: key("approve"), Kind: "discount_approve", Detail: "approved", Delivery: notice("approve", am)}},
			After: []store.DiscountEventWrite{
				{Key: key("filed"), Kind: "discount_filed", Detail: "filed", Delivery: notice("filed", gm)},
				{Key: key("granted"), Kind: "discount_granted", Detail: "granted", Delivery: notice("granted", grantedTo)},
			}}
	}
	count := func(query string) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, query, r.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	written := func() [5]int {
		return [5]int{
			count(`SELECT count(*) FROM discount_events WHERE request_id = $1`),
			count(`SELECT count(*) FROM discount_grants WHERE request_id = $1`),
			count(`SELECT count(*) FROM filings WHERE request_id = $1`),
			count(`SELECT count(*) FROM notifications WHERE event_key LIKE $1::text || '/%'`),
			count(`SELECT count(*) FROM webhook_deliveries WHERE event_key LIKE $1::text || '/%'`),
		}
	}

	// The last notice goes to someone who is not on the staff: its inbox
	// row cannot be written, after the events, the grant and the filing were.
	if _, _, err := st.CarryOutDiscount(ctx, aftermath(uuid.New())); err == nil {
		t.Fatal("an aftermath whose last notice cannot be delivered was carried out")
	}
	if got := written(); got != [5]int{} {
		t.Fatalf("a failed aftermath left [events grants filings inbox webhooks] = %v behind", got)
	}

	g1, f1, err := st.CarryOutDiscount(ctx, aftermath(am))
	if err != nil {
		t.Fatal(err)
	}
	g2, f2, err := st.CarryOutDiscount(ctx, aftermath(am))
	if err != nil {
		t.Fatal(err)
	}
	if g1 == nil || f1 == nil || *g1 != *g2 || *f1 != *f2 {
		t.Fatalf("grant %v then %v, filing %v then %v: want one of each, the same on the retry", g1, g2, f1, f2)
	}
	if got, want := written(), [5]int{3, 1, 1, 3, 3}; got != want {
		t.Fatalf("[events grants filings inbox webhooks] = %v, want %v", got, want)
	}
	grants, err := st.GrantsInForce(ctx, kam.GrantFilter{CustomerID: c, AsOf: today, Lim: 10})
	if err != nil || len(grants) != 1 || grants[0].ID != *g1 || grants[0].ApprovedBy != ka {
		t.Fatalf("the account's discount standard: %+v, %v", grants, err)
	}
}
