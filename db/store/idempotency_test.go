package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// Keys expire: a recorded outcome older than the TTL no longer replays, and a
// claim left in progress by a crash can be taken again once its lease ran out.
func TestIdempotencyKeysExpire(t *testing.T) {
	ctx := context.Background()
	staff := newManager(t)
	age := func(key, column, by string) {
		t.Helper()
		if _, err := pool.Exec(ctx, "UPDATE idempotency_keys SET "+column+" = now() - $3::interval WHERE staff_id = $1 AND key = $2", staff, key, by); err != nil {
			t.Fatal(err)
		}
	}

	done := uuid.NewString()
	c, _, err := st.ClaimKey(ctx, staff, done, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteKey(ctx, c, 201, nil, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	age(done, "completed_at", "23 hours")
	if _, r, err := st.ClaimKey(ctx, staff, done, []byte("a")); err != nil || r == nil {
		t.Fatalf("within the TTL: %+v %v, want the replay", r, err)
	}
	age(done, "completed_at", "25 hours")
	if _, r, err := st.ClaimKey(ctx, staff, done, []byte("b")); err != nil || r != nil {
		t.Fatalf("past the TTL: %+v %v, want a fresh claim", r, err)
	}

	crashed := uuid.NewString()
	if _, _, err := st.ClaimKey(ctx, staff, crashed, []byte("a")); err != nil {
		t.Fatal(err)
	}
	age(crashed, "claimed_at", "1 minute")
	if _, _, err := st.ClaimKey(ctx, staff, crashed, []byte("a")); err == nil {
		t.Fatal("a claim within its lease was taken again")
	}
	age(crashed, "claimed_at", "3 minutes")
	if _, r, err := st.ClaimKey(ctx, staff, crashed, []byte("a")); err != nil || r != nil {
		t.Fatalf("past the lease: %+v %v, want a fresh claim", r, err)
	}
}

// Expired keys are purged, so the table stays bounded.
func TestIdempotencyKeysPurged(t *testing.T) {
	ctx := context.Background()
	staff := newManager(t)
	key := uuid.NewString()
	c, _, err := st.ClaimKey(ctx, staff, key, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteKey(ctx, c, 201, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE idempotency_keys SET completed_at = now() - interval '25 hours' WHERE staff_id = $1 AND key = $2", staff, key); err != nil {
		t.Fatal(err)
	}
	// A fresh store purges on its first claim.
	fresh := store.New(pool)
	if _, _, err := fresh.ClaimKey(ctx, staff, uuid.NewString(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM idempotency_keys WHERE staff_id = $1 AND key = $2", staff, key).Scan(&n); err != nil || n != 0 {
		t.Fatalf("expired key rows = %d, %v", n, err)
	}
}

// A replay carries the headers recorded with its outcome, and only those: an
// outcome recorded by a build before migration 00038, which neither writes
// nor clears them, replays none rather than an earlier outcome's.
func TestIdempotencyKeyHeaders(t *testing.T) {
	ctx := context.Background()
	staff := newManager(t)
	key := uuid.NewString()
	c, _, err := st.ClaimKey(ctx, staff, key, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"Etag": {`"1"`}, "Location": {"/v1/things/1"}}
	if err := st.CompleteKey(ctx, c, 201, want, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	_, r, err := st.ClaimKey(ctx, staff, key, []byte("a"))
	if err != nil || r == nil || !reflect.DeepEqual(r.Header, want) {
		t.Fatalf("replay %+v, %v; want headers %v", r, err, want)
	}

	// The outcome expires and a previous build takes the key again, with
	// its own statements (00037's), and records an outcome without headers.
	if _, err := pool.Exec(ctx, "UPDATE idempotency_keys SET completed_at = now() - interval '25 hours' WHERE staff_id = $1 AND key = $2", staff, key); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO idempotency_keys AS k (staff_id, key, request_hash) VALUES ($1, $2, 'b')
		ON CONFLICT (staff_id, key) DO UPDATE
		SET request_hash = EXCLUDED.request_hash, status = NULL, body = NULL, shown = '[]',
		    created_at = now(), claimed_at = now(), completed_at = NULL
		WHERE k.status IS NOT NULL AND k.completed_at < now() - interval '24 hours'`, staff, key); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE idempotency_keys SET status = 201, body = '{"id":2}', shown = '[]', completed_at = now() WHERE staff_id = $1 AND key = $2`, staff, key); err != nil {
		t.Fatal(err)
	}
	_, r, err = st.ClaimKey(ctx, staff, key, []byte("b"))
	if err != nil || r == nil || string(r.Body) != `{"id":2}` || r.Header != nil {
		t.Fatalf("replay of the previous build's outcome: %+v, %v; want its body and no headers", r, err)
	}
}

// A claim whose request committed a change is never taken again when its
// lease runs out, even when the outcome was never recorded (the request died
// between its commit and CompleteKey): a retry would make the change twice.
func TestIdempotencyCommittedClaimOutlivesLease(t *testing.T) {
	ctx := context.Background()
	staff := newManager(t)
	short := shortLeaseStore()
	key := uuid.NewString()
	c, _, err := short.ClaimKey(ctx, staff, key, []byte("a"))
	if err != nil || c == nil {
		t.Fatalf("claim: %v %v", c, err)
	}
	if _, err := short.CreateCustomer(store.HoldKey(ctx, c), store.CustomerPatch{Code: ptr("T-" + uuid.NewString()[:12]), Name: ptr("Held")}, staff); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	c2, r, err := short.ClaimKey(ctx, staff, key, []byte("a"))
	if de, ok := err.(*kam.Error); !ok || de.Code != "idempotency_in_progress" {
		t.Fatalf("retry past the lease of a committed claim: %v %v %v, want idempotency_in_progress", c2, r, err)
	}
	if err := short.ReleaseKey(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, _, err := short.ClaimKey(ctx, staff, key, []byte("a")); err == nil {
		t.Fatal("a committed claim was released")
	}
	if err := short.CompleteKey(ctx, c, 201, nil, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, r, err := short.ClaimKey(ctx, staff, key, []byte("a")); err != nil || r == nil || r.Status != 201 {
		t.Fatalf("after the outcome: %v %v, want the replay", r, err)
	}
}

// A request whose claim ran out of lease and was taken over by a retry
// changes nothing, and can neither settle nor free the retry's claim.
func TestIdempotencyLostClaimChangesNothing(t *testing.T) {
	ctx := context.Background()
	staff := newManager(t)
	short := shortLeaseStore()
	key := uuid.NewString()
	late, _, err := short.ClaimKey(ctx, staff, key, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	retry, _, err := short.ClaimKey(ctx, staff, key, []byte("a"))
	if err != nil || retry == nil {
		t.Fatalf("retry past the lease: %v %v, want a fresh claim", retry, err)
	}
	code := "T-" + uuid.NewString()[:12]
	_, err = short.CreateCustomer(store.HoldKey(ctx, late), store.CustomerPatch{Code: &code, Name: ptr("Late")}, staff)
	if de, ok := err.(*kam.Error); !ok || de.Code != "idempotency_in_progress" {
		t.Fatalf("write under a lost claim: %v, want idempotency_in_progress", err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM customers WHERE code = $1", code).Scan(&n); err != nil || n != 0 {
		t.Fatalf("customers written under a lost claim: %d %v", n, err)
	}
	if err := short.CompleteKey(ctx, late, 500, nil, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := short.ReleaseKey(ctx, late); err != nil {
		t.Fatal(err)
	}
	if _, _, err := short.ClaimKey(ctx, staff, key, []byte("a")); err == nil {
		t.Fatal("the late request settled or freed the retry's claim")
	}
	if err := short.CompleteKey(ctx, retry, 201, nil, []byte(`{"id":2}`)); err != nil {
		t.Fatal(err)
	}
	if _, r, err := short.ClaimKey(ctx, staff, key, []byte("a")); err != nil || r == nil || string(r.Body) != `{"id":2}` {
		t.Fatalf("replay: %+v %v, want the retry's outcome", r, err)
	}
}

// A request's follow-up that writes after its answer was recorded (an
// import's, off the request, under its context) is not taken for a write
// under a lost claim.
func TestIdempotencyFollowUpAfterOutcome(t *testing.T) {
	ctx := context.Background()
	staff := newManager(t)
	c, _, err := st.ClaimKey(ctx, staff, uuid.NewString(), []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	held := store.HoldKey(ctx, c)
	create := func() error {
		_, err := st.CreateCustomer(held, store.CustomerPatch{Code: ptr("T-" + uuid.NewString()[:12]), Name: ptr("Follow-up")}, staff)
		return err
	}
	if err := create(); err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteKey(held, c, 201, nil, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := create(); err != nil {
		t.Fatalf("a follow-up after the outcome: %v", err)
	}
}

// shortLeaseStore holds idempotency claims for a second: a test waits out
// a lease in 1.5 s.
func shortLeaseStore() *store.Store {
	short := store.New(pool)
	short.Keys = store.KeyPolicy{Lease: time.Second}
	short.SetRegisterKey(testRegisterKey)
	return short
}
