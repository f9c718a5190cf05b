package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// newQuartersRequest is a pending request of c by am for a quarter from today.
func newQuartersRequest(t *testing.T, c, am uuid.UUID, today time.Time) kam.DiscountRequest {
	t.Helper()
	r, err := st.CreateDiscountRequest(context.Background(), store.Scope{}, store.DiscountInput{CustomerID: c, RequesterID: am, ProductCategory: "equipment",
		Rate: dec("3"), Method: "percentage", ValidFrom: today, ValidTo: today.AddDate(0, 3, 0), Deadline: time.Now()},
		func(kam.DiscountRequest) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An approval's aftermath (Art. 12: the grant, the filing with the GM, the
// notices) is one transaction: a step that fails leaves none of the others
// behind, and the retry that follows writes each of them once, however often
// it runs.
func TestDiscountAftermathIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	ka, am, gm := newStaffOf(t, kam.RoleKAManager), newManager(t), newStaffOf(t, kam.RoleGeneralManager)
	c := newCustomer(t, ka, &am)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	r := newQuartersRequest(t, c, am, today)
	key := func(s string) string { return r.ID.String() + "/" + s }
	notice := func(k string, to ...uuid.UUID) *store.Delivery {
		return &store.Delivery{Recipients: to, Notification: store.Notification{EventKey: key(k), Kind: "discount_" + k, Title: k,
			CustomerID: &c}}
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
	hooked := withWebhook()
	if _, _, err := hooked.CarryOutDiscount(ctx, aftermath(uuid.New())); err == nil {
		t.Fatal("an aftermath whose last notice cannot be delivered was carried out")
	}
	if got := written(); got != [5]int{} {
		t.Fatalf("a failed aftermath left [events grants filings inbox webhooks] = %v behind", got)
	}

	g1, f1, err := hooked.CarryOutDiscount(ctx, aftermath(am))
	if err != nil {
		t.Fatal(err)
	}
	g2, f2, err := hooked.CarryOutDiscount(ctx, aftermath(am))
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

// A process's event and its notice (a reminder, an escalation, a suspension)
// commit together: a notice that cannot be written leaves no event behind,
// so the retry finds the event still to record and its notice still to
// send; repeated, they write each once.
func TestEventAndItsNoticeCommitTogether(t *testing.T) {
	ctx := context.Background()
	am := newManager(t)
	c := newCustomer(t, am, &am)
	if _, _, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{CreditLevel: "A", ArrearsLimit: dec("1000"), SettlementCycle: "@monthly", PaymentTermDays: 10}, am, noStart); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	r := newQuartersRequest(t, c, am, today)
	to := func(recipient uuid.UUID, key string) *store.Delivery {
		return &store.Delivery{Recipients: []uuid.UUID{recipient}, Notification: store.Notification{EventKey: key, Kind: "test", Title: key}}
	}
	count := func(query string, arg any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, query, arg).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, p := range []struct {
		name   string
		record func(*store.Delivery) error
		events string
		id     uuid.UUID
	}{
		{"credit", func(d *store.Delivery) error {
			return st.RecordCreditEvent(ctx, c, "remind/"+c.String(), "payment_reminder", "reminded", d)
		}, `SELECT count(*) FROM credit_events WHERE customer_id = $1`, c},
		{"discount", func(d *store.Delivery) error {
			return st.RecordDiscountEvent(ctx, r.ID, "remind/"+r.ID.String(), "discount_reminder", "reminded", d)
		}, `SELECT count(*) FROM discount_events WHERE request_id = $1`, r.ID},
	} {
		key := p.name + "/" + p.id.String()
		if err := p.record(to(uuid.New(), key)); err == nil {
			t.Fatalf("%s: an event whose notice cannot be written was recorded", p.name)
		}
		if n := count(p.events, p.id); n != 0 {
			t.Fatalf("%s: %d events left behind by a notice that failed", p.name, n)
		}
		for range 2 {
			if err := p.record(to(am, key)); err != nil {
				t.Fatal(err)
			}
		}
		if n, inbox := count(p.events, p.id), count(`SELECT count(*) FROM notifications WHERE event_key = $1`, key); n != 1 || inbox != 1 {
			t.Fatalf("%s: %d events and %d inbox entries, want one of each", p.name, n, inbox)
		}
	}
}
