package store_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/google/uuid"

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
	if _, err := st.ClaimKey(ctx, staff, done, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteKey(ctx, staff, done, 201, nil, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	age(done, "completed_at", "23 hours")
	if r, err := st.ClaimKey(ctx, staff, done, []byte("a")); err != nil || r == nil {
		t.Fatalf("within the TTL: %+v %v, want the replay", r, err)
	}
	age(done, "completed_at", "25 hours")
	if r, err := st.ClaimKey(ctx, staff, done, []byte("b")); err != nil || r != nil {
		t.Fatalf("past the TTL: %+v %v, want a fresh claim", r, err)
	}

	crashed := uuid.NewString()
	if _, err := st.ClaimKey(ctx, staff, crashed, []byte("a")); err != nil {
		t.Fatal(err)
	}
	age(crashed, "claimed_at", "1 minute")
	if _, err := st.ClaimKey(ctx, staff, crashed, []byte("a")); err == nil {
		t.Fatal("a claim within its lease was taken again")
	}
	age(crashed, "claimed_at", "3 minutes")
	if r, err := st.ClaimKey(ctx, staff, crashed, []byte("a")); err != nil || r != nil {
		t.Fatalf("past the lease: %+v %v, want a fresh claim", r, err)
	}
}

// Expired keys are purged, so the table stays bounded.
func TestIdempotencyKeysPurged(t *testing.T) {
	ctx := context.Background()
	staff := newManager(t)
	key := uuid.NewString()
	if _, err := st.ClaimKey(ctx, staff, key, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteKey(ctx, staff, key, 201, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE idempotency_keys SET completed_at = now() - interval '25 hours' WHERE staff_id = $1 AND key = $2", staff, key); err != nil {
		t.Fatal(err)
	}
	// A fresh store purges on its first claim.
	fresh := store.New(pool)
	if _, err := fresh.ClaimKey(ctx, staff, uuid.NewString(), []byte("x")); err != nil {
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
	if _, err := st.ClaimKey(ctx, staff, key, []byte("a")); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"Etag": {`"1"`}, "Location": {"/v1/things/1"}}
	if err := st.CompleteKey(ctx, staff, key, 201, want, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	r, err := st.ClaimKey(ctx, staff, key, []byte("a"))
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
	r, err = st.ClaimKey(ctx, staff, key, []byte("b"))
	if err != nil || r == nil || string(r.Body) != `{"id":2}` || r.Header != nil {
		t.Fatalf("replay of the previous build's outcome: %+v, %v; want its body and no headers", r, err)
	}
}
