package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kam"
	"kam/db"
	"kam/db/dbtest"
	"kam/db/internal/dbq"
)

// ownDatabase is a migrated database of the test's own, as its owner,
// dropped when the test ends.
func ownDatabase(t *testing.T, prefix string) *pgxpool.Pool {
	t.Helper()
	dsn, drop, err := dbtest.NewDatabase(prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	pool, err := db.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Rows sealed before the chain was keyed (up to the position migration 00011
// recorded) verify with their plain SHA-256; every row after it must carry
// the keyed HMAC, so an unkeyed re-seal past that position fails.
func TestVerifyAcceptsRowsSealedBeforeKeying(t *testing.T) {
	ctx := context.Background()
	pool := ownDatabase(t, "legacy")
	s := New(pool)
	// Three rows sealed the old way, before the key existed.
	for range 3 {
		if err := s.Register(ctx, Access{Action: kam.AccessView, Purpose: "before keying"}); err != nil {
			t.Fatal(err)
		}
	}
	legacySeal := func() {
		t.Helper()
		horizon, err := s.sealHorizon(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.q.UnsealedAccess(ctx, dbq.UnsealedAccessParams{Horizon: horizon, Lim: 100})
		if err != nil {
			t.Fatal(err)
		}
		pos, prev := int64(0), genesis
		if head, err := s.q.ChainHead(ctx); err == nil {
			pos, prev = head.ChainPos, head.Hash
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

// Migration 00033 moves the seals out of access_log into their own table.
// Rows sealed before it keep their chain; rows still unsealed when it ran
// (here one below the last sealed seq, as rows commit out of seq order) are
// sealed after it, in seq order, and the whole chain verifies.
func TestSealsMoveToTheirTable(t *testing.T) {
	ctx := context.Background()
	pool := ownDatabase(t, "seals")
	p, err := db.Provider(pool)
	if err != nil {
		t.Fatal(err)
	}
	// The schema as it was before 00033.
	if _, err := p.DownTo(ctx, 32); err != nil {
		t.Fatal(err)
	}
	key := []byte("the seals test's register key, 32+ bytes!")
	for i := range 5 {
		if _, err := pool.Exec(ctx, "INSERT INTO access_log (action, request_id) VALUES ('view', $1)", fmt.Sprint("before-", i)); err != nil {
			t.Fatal(err)
		}
	}
	// The old sealer's way: seqs 1, 2, 4 and 5 sealed, 3 still unsealed.
	pos, prev := int64(0), genesis
	for _, seq := range []int64{1, 2, 4, 5} {
		var r dbq.AccessLog
		if err := pool.QueryRow(ctx, "SELECT seq, at, staff_id, staff_role, customer_id, action, sections, request_id, purpose, route FROM access_log WHERE seq = $1", seq).
			Scan(&r.Seq, &r.At, &r.StaffID, &r.StaffRole, &r.CustomerID, &r.Action, &r.Sections, &r.RequestID, &r.Purpose, &r.Route); err != nil {
			t.Fatal(err)
		}
		pos++
		h := keyedDigest(key, r, pos, prev)
		if _, err := pool.Exec(ctx, "UPDATE access_log SET chain_pos = $1, prev_hash = $2, hash = $3 WHERE seq = $4", pos, prev, h, seq); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	var sealed, waiting int
	if err := pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM access_log_seals), (SELECT count(*) FROM access_log_unsealed_before_seals)").Scan(&sealed, &waiting); err != nil || sealed != 4 || waiting != 1 {
		t.Fatalf("after the migration: %d seals, %d waiting (%v), want 4 and 1", sealed, waiting, err)
	}
	s := New(pool)
	s.SetRegisterKey(key)
	if err := s.Register(ctx, Access{Action: kam.AccessView, RequestID: "after"}); err != nil {
		t.Fatal(err)
	}
	v, err := s.Verify(ctx)
	if err != nil || !v.OK || v.Checked != 6 || v.Unsealed != 0 {
		t.Fatalf("verification = %+v (%v), want 6 rows checked and none unsealed", v, err)
	}
	var order []int64
	rows, err := pool.Query(ctx, "SELECT seq FROM access_log_seals ORDER BY chain_pos")
	if err != nil {
		t.Fatal(err)
	}
	order, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || fmt.Sprint(order) != "[1 2 4 5 3 6]" {
		t.Fatalf("chain order by seq = %v (%v), want [1 2 4 5 3 6]", order, err)
	}
}
