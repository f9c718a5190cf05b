package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kam"
	"kam/db"
	"kam/db/dbtest"
	"kam/db/store"
)

var testRegisterKey = []byte("kam store tests' register key, 32+ bytes long")

// registerDB is a database of the test's own with an owner pool (a
// superuser, as migrations run) and a keyed store over an app-role pool.
type registerDB struct {
	owner, app *pgxpool.Pool
	st         *store.Store // as kam_app, keyed, with a checkpoint file
	file       string
}

func newRegisterDB(t *testing.T) registerDB {
	t.Helper()
	ctx := context.Background()
	dsn, drop, err := dbtest.NewDatabase("register")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	owner, err := db.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(owner.Close)
	appURL, err := db.AppURL(dsn)
	if err != nil {
		t.Fatal(err)
	}
	app, err := db.Connect(ctx, appURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	r := registerDB{owner: owner, app: app, st: store.New(app), file: filepath.Join(t.TempDir(), "checkpoints.jsonl")}
	r.st.SetRegisterKey(testRegisterKey)
	r.st.SetCheckpointFile(r.file)
	return r
}

func (r registerDB) register(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if err := r.st.Register(context.Background(), store.Access{Action: kam.AccessView, RequestID: fmt.Sprint("r", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func (r registerDB) verify(t *testing.T) store.Verification {
	t.Helper()
	v, err := r.st.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkpoint takes a checkpoint and keeps it in the file, as the sealer does.
func (r registerDB) checkpoint(t *testing.T) store.Checkpoint {
	t.Helper()
	c, ok, err := r.st.TakeCheckpoint(context.Background())
	if err != nil || !ok {
		t.Fatalf("checkpoint: %v %v", ok, err)
	}
	if err := r.st.AppendCheckpoint(c); err != nil {
		t.Fatal(err)
	}
	return c
}

// asOwner runs SQL as the owner with the triggers off, as only a superuser
// can: what someone who got past the app's role would do.
func (r registerDB) asOwner(t *testing.T, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := r.owner.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica; "+sql+"; SET session_replication_role = origin"); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func wantBroken(t *testing.T, v store.Verification, at int64, reason string) {
	t.Helper()
	if v.OK || v.BrokenAt == nil || *v.BrokenAt != at || !strings.Contains(v.Reason, reason) {
		t.Fatalf("verification = %+v (broken at %v), want broken at %d: %q", v, v.BrokenAt, at, reason)
	}
}

// The serving processes' role may read, append and seal, but cannot alter,
// disable or bypass the register (Art. 9).
func TestRegisterAppRoleCannotEscape(t *testing.T) {
	ctx := context.Background()
	r := newRegisterDB(t)
	r.register(t, 3)
	if v := r.verify(t); !v.OK || v.Checked != 3 {
		t.Fatalf("as kam_app: %+v", v)
	}
	var role string
	if err := r.app.QueryRow(ctx, "SELECT current_user").Scan(&role); err != nil || role != db.AppRole {
		t.Fatalf("app pool runs as %q (%v)", role, err)
	}
	for _, stmt := range []string{
		"ALTER TABLE access_log DISABLE TRIGGER access_log_no_change",
		"ALTER TABLE access_log DISABLE TRIGGER ALL",
		"DROP TRIGGER access_log_no_change ON access_log",
		"ALTER TABLE access_log_seals DISABLE TRIGGER access_log_seals_no_change",
		"ALTER TABLE access_log_seals DROP CONSTRAINT access_log_seals_chain_pos_positive",
		"SET session_replication_role = replica",
		"DELETE FROM access_log",
		"TRUNCATE access_log",
		"UPDATE access_log SET purpose = 'edited'",
		"UPDATE access_log_seals SET hash = '\\x00'",
		"DELETE FROM access_log_seals",
		"TRUNCATE access_log_seals",
		"INSERT INTO access_log_seals (chain_pos, seq, prev_hash, hash) VALUES (0, 1000000, '\\x00', '\\x00')",
		"INSERT INTO access_log_seals (chain_pos, seq, prev_hash, hash) SELECT chain_pos + 1000, seq, prev_hash, hash FROM access_log_seals LIMIT 1",
		"INSERT INTO access_log (seq, action) VALUES (1000000, 'view')",
		"INSERT INTO access_log_unsealed_before_seals (seq) VALUES (1)",
		"INSERT INTO access_log (action, at) VALUES ('view', now() - interval '1 year')",
		"UPDATE access_log_unkeyed SET until_pos = 1000000",
		"DELETE FROM access_log_unkeyed",
		"CREATE TRIGGER sneak BEFORE INSERT ON access_log FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
		"DELETE FROM goose_db_version",
	} {
		if _, err := r.app.Exec(ctx, stmt); err == nil {
			t.Errorf("as kam_app, %q was allowed", stmt)
		}
	}
	if v := r.verify(t); !v.OK || v.Checked != 3 {
		t.Fatalf("after the attempts: %+v", v)
	}
	// What the app needs elsewhere still works as kam_app.
	if _, err := r.st.CreateStaff(ctx, "Grant check", nil, kam.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	if err := r.st.RequireAppendOnlyRole(ctx); err != nil {
		t.Fatalf("kam_app refused: %v", err)
	}
	if err := store.New(r.owner).RequireAppendOnlyRole(ctx); err == nil {
		t.Fatal("the owner (a superuser) was accepted as the serving role")
	}
}

// Deleting the chain's tail behind the app's back, then letting the sealer
// fill the positions again, shows against a checkpoint taken before.
func TestVerifyReportsTruncationAgainstCheckpoint(t *testing.T) {
	r := newRegisterDB(t)
	r.register(t, 10)
	c := r.checkpoint(t)
	if c.Position != 10 || !c.Valid(testRegisterKey) {
		t.Fatalf("checkpoint = %+v", c)
	}
	if v := r.verify(t); !v.OK || v.Checkpoint == nil || v.Checkpoint.Position != 10 {
		t.Fatalf("before: %+v", v)
	}
	r.asOwner(t, "DELETE FROM access_log WHERE seq IN (SELECT seq FROM access_log_seals WHERE chain_pos > 7); DELETE FROM access_log_seals WHERE chain_pos > 7")
	wantBroken(t, r.verify(t), 8, "removed from its end")

	// New rows take positions 8-10 again, validly linked and keyed; the
	// checkpoint still tells the chain was cut and re-sealed.
	r.register(t, 5)
	wantBroken(t, r.verify(t), 10, "re-sealed")
}

// Re-sealing with the key (whoever holds the app's host) makes every link
// hold; only a checkpoint taken before shows it.
func TestVerifyReportsResealingAgainstCheckpoint(t *testing.T) {
	r := newRegisterDB(t)
	r.register(t, 10)
	r.checkpoint(t)
	r.asOwner(t, "UPDATE access_log SET purpose = 'covering tracks' WHERE seq = (SELECT seq FROM access_log_seals WHERE chain_pos = 5); DELETE FROM access_log_seals WHERE chain_pos >= 5")
	if _, err := r.st.Seal(context.Background()); err != nil {
		t.Fatal(err)
	}
	without := store.New(r.app)
	without.SetRegisterKey(testRegisterKey)
	if v, err := without.Verify(context.Background()); err != nil || !v.OK {
		t.Fatalf("without a checkpoint the re-sealed chain looks whole: %+v %v", v, err)
	}
	wantBroken(t, r.verify(t), 10, "re-sealed")
}

// Rows commit out of seq order. A row whose transaction is still open when
// later rows commit is not skipped: the sealer waits for its writer (for a
// while; past that it seals nothing new), and once it commits the row takes
// its place in seq order, before the rows drawn after it.
func TestSealWaitsForOpenWriters(t *testing.T) {
	ctx := context.Background()
	r := newRegisterDB(t)
	r.register(t, 2)
	tx, err := r.app.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "INSERT INTO access_log (action, request_id) VALUES ('view', 'open')"); err != nil {
		t.Fatal(err)
	}
	r.register(t, 2)
	start := time.Now()
	if n, err := r.st.Seal(ctx); err != nil || n != 0 {
		t.Fatalf("with a writer open: sealed %d (%v), want none", n, err)
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Fatalf("gave up on the open writer after %v, want the whole wait", waited)
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() { n, err := r.st.Seal(ctx); done <- result{n, err} }()
	time.Sleep(100 * time.Millisecond)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := <-done; got.err != nil || got.n != 5 {
		t.Fatalf("sealed %d (%v) once the writer committed, want 5", got.n, got.err)
	}
	if v := r.verify(t); !v.OK || v.Checked != 5 || v.Unsealed != 0 {
		t.Fatalf("verification = %+v", v)
	}
	rows, err := r.owner.Query(ctx, "SELECT l.request_id FROM access_log_seals s JOIN access_log l ON l.seq = s.seq ORDER BY s.chain_pos")
	if err != nil {
		t.Fatal(err)
	}
	order, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || strings.Join(order, " ") != "r0 r1 open r0 r1" {
		t.Fatalf("chain order = %v (%v), want r0 r1 open r0 r1", order, err)
	}
}

// The app's role may append seals, so it may append one for a row that does
// not exist at the chain's end; verify fails on it at once rather than at
// the next checkpoint.
func TestVerifyReportsSealWithoutRow(t *testing.T) {
	r := newRegisterDB(t)
	r.register(t, 3)
	if v := r.verify(t); !v.OK || v.Checked != 3 {
		t.Fatalf("before: %+v", v)
	}
	if _, err := r.app.Exec(context.Background(), "INSERT INTO access_log_seals (chain_pos, seq, prev_hash, hash) VALUES (4, 1000000, '\\x00', '\\x00')"); err != nil {
		t.Fatal(err)
	}
	wantBroken(t, r.verify(t), 4, "missing from the chain")
}

// A row sealed outside the chain (position ≤ 0) is never reached by the
// walk from position 1; verify still fails on it.
func TestVerifyReportsRowOutsideChain(t *testing.T) {
	r := newRegisterDB(t)
	r.register(t, 3)
	if v := r.verify(t); !v.OK || v.Checked != 3 {
		t.Fatalf("before: %+v", v)
	}
	// The owner can drop the check that keeps positions positive.
	r.asOwner(t, "ALTER TABLE access_log_seals DROP CONSTRAINT access_log_seals_chain_pos_positive; "+
		"WITH r AS (INSERT INTO access_log (action, purpose) VALUES ('view', 'hidden') RETURNING seq) "+
		"INSERT INTO access_log_seals (chain_pos, seq, prev_hash, hash) SELECT 0, seq, '\\x00', '\\x00' FROM r")
	v := r.verify(t)
	if v.OK || v.BrokenSeq == nil || !strings.Contains(v.Reason, "outside the chain") {
		t.Fatalf("verification = %+v", v)
	}
	r.asOwner(t, "UPDATE access_log_seals SET chain_pos = -4 WHERE chain_pos = 0")
	wantBroken(t, r.verify(t), -4, "outside the chain")
}

// The chain is keyed: verifying with another key fails at the first row,
// and a checkpoint whose signature does not hold is itself reported.
func TestVerifyNeedsTheRegisterKey(t *testing.T) {
	r := newRegisterDB(t)
	r.register(t, 4)
	c := r.checkpoint(t)
	other := store.New(r.app)
	other.SetRegisterKey([]byte("another register key, also 32+ bytes long"))
	v, err := other.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantBroken(t, v, 1, "does not match its hash")
	if _, err := store.New(r.app).Verify(context.Background()); err != store.ErrNoRegisterKey {
		t.Fatalf("keyless verify: %v", err)
	}

	// A forged checkpoint line (a shorter chain claimed) is refused.
	forged := c
	forged.Position = 2
	line, _ := json.Marshal(forged)
	f, err := os.OpenFile(r.file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write(append(line, '\n'))
	f.Close()
	v = r.verify(t)
	if v.OK || !strings.Contains(v.Reason, "bad signature") {
		t.Fatalf("forged checkpoint: %+v", v)
	}
}

func TestParseRegisterKey(t *testing.T) {
	for in, ok := range map[string]bool{
		strings.Repeat("ab", 32):                       true,  // hex, 32 bytes
		strings.Repeat("ab", 31):                       false, // hex, 31 bytes
		"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=": true,  // base64, 32 bytes
		"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA":  true,  // unpadded
		"not a key at all, though it is long enough!!": false,
		"": false,
	} {
		if _, err := store.ParseRegisterKey(in); (err == nil) != ok {
			t.Errorf("ParseRegisterKey(%q) = %v, want ok %v", in, err, ok)
		}
	}
}

// Reads' rows go in groups (RegisterRead): every row of every read lands,
// one per account named, in the register's shape, and the chain seals them.
func TestRegisterReadGroupsLandWhole(t *testing.T) {
	ctx := context.Background()
	staff, role := uuid.New(), kam.RoleAuditor
	a, b := uuid.New(), uuid.New()
	req := "group-" + uuid.NewString()
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.RegisterRead(ctx, store.Access{StaffID: &staff, Role: &role, CustomerIDs: []uuid.UUID{a, b},
				Action: kam.AccessList, Sections: []string{"basics"}, RequestID: req, Purpose: "p", Route: "GET /x"})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n, withA, shaped int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE customer_id = $2),
		count(*) FILTER (WHERE staff_id = $3 AND staff_role = 'auditor' AND action = 'list' AND sections = '{basics}' AND purpose = 'p' AND route = 'GET /x')
		FROM access_log WHERE request_id = $1`, req, a, staff).Scan(&n, &withA, &shaped); err != nil {
		t.Fatal(err)
	}
	if n != 80 || withA != 40 || shaped != 80 {
		t.Fatalf("%d rows (%d of account a, %d in shape), want 80, 40, 80", n, withA, shaped)
	}
	// A read naming no account is one row without one.
	if err := st.RegisterRead(ctx, store.Access{Action: kam.AccessDenied, RequestID: req + "-none"}); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id IS NULL AND staff_id IS NULL AND staff_role IS NULL", req+"-none").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows without an account (%v), want 1", n, err)
	}
	// A read that showed accounts with different sections registers them in
	// one call, and its rows commit in one transaction.
	if err := st.RegisterRead(ctx,
		store.Access{Action: kam.AccessList, CustomerIDs: []uuid.UUID{a}, Sections: []string{"basics"}, RequestID: req + "-sets"},
		store.Access{Action: kam.AccessList, CustomerIDs: []uuid.UUID{b}, Sections: []string{"basics", "credit"}, RequestID: req + "-sets"}); err != nil {
		t.Fatal(err)
	}
	var txs int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT xmin::text) FROM access_log
		WHERE request_id = $1 AND ((customer_id = $2 AND sections = '{basics}') OR (customer_id = $3 AND sections = '{basics,credit}'))`,
		req+"-sets", a, b).Scan(&n, &txs); err != nil || n != 2 || txs != 1 {
		t.Fatalf("%d rows in %d transactions (%v), want 2 in 1", n, txs, err)
	}
	if _, err := st.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := st.Verify(ctx)
	if err != nil || !v.OK {
		t.Fatalf("verify after groups: %+v %v", v, err)
	}
}
