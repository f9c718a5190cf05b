package store

import (
	"context"
	"strings"
	"testing"

	"kam"
	"kam/db"
	"kam/db/dbtest"
	"kam/db/internal/dbq"
)

// Rows sealed before the chain was keyed (up to the position migration 00011
// recorded) verify with their plain SHA-256; every row after it must carry
// the keyed HMAC, so an unkeyed re-seal past that position fails.
func TestVerifyAcceptsRowsSealedBeforeKeying(t *testing.T) {
	ctx := context.Background()
	dsn, drop, err := dbtest.NewDatabase("legacy")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	pool, err := db.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := New(pool)
	// Three rows sealed the old way, before the key existed.
	for range 3 {
		if err := s.Register(ctx, Access{Action: kam.AccessView, Purpose: "before keying"}); err != nil {
			t.Fatal(err)
		}
	}
	legacySeal := func() {
		t.Helper()
		rows, err := s.q.UnsealedAccess(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		pos, prev := int64(0), genesis
		if head, err := s.q.ChainHead(ctx); err == nil {
			pos, prev = *head.ChainPos, head.Hash
		}
		for _, r := range rows {
			pos++
			h := legacyDigest(r, pos, prev)
			if _, err := s.q.SealAccessRows(ctx, dbq.SealAccessRowsParams{Seqs: []int64{r.Seq}, ChainPositions: []int64{pos}, PrevHashes: [][]byte{prev}, Hashes: [][]byte{h}}); err != nil {
				t.Fatal(err)
			}
			prev = h
		}
	}
	legacySeal()
	// What migration 00011 records on a database with a chain.
	if _, err := pool.Exec(ctx, "UPDATE access_log_unkeyed SET until_pos = 3"); err != nil {
		t.Fatal(err)
	}
	s.SetRegisterKey([]byte("the legacy test's register key, 32+ bytes"))
	if err := s.Register(ctx, Access{Action: kam.AccessView, Purpose: "after keying"}); err != nil {
		t.Fatal(err)
	}
	v, err := s.Verify(ctx)
	if err != nil || !v.OK || v.Checked != 4 || v.UnkeyedUntil != 3 {
		t.Fatalf("mixed chain: %+v %v", v, err)
	}
	// A row past the boundary sealed without the key is refused.
	if err := s.Register(ctx, Access{Action: kam.AccessView, Purpose: "unkeyed"}); err != nil {
		t.Fatal(err)
	}
	legacySeal()
	v, err = s.Verify(ctx)
	if err != nil || v.OK || v.BrokenAt == nil || *v.BrokenAt != 5 || !strings.Contains(v.Reason, "hash") {
		t.Fatalf("unkeyed row past the boundary: %+v %v", v, err)
	}
}
