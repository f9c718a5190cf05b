package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db"
	"kam/db/dbtest"
	"kam/db/internal/dbq"
	"kam/db/store"
)

var (
	pool *pgxpool.Pool
	st   *store.Store
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dsn, drop, err := dbtest.NewDatabase("store")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer drop()
	pool, err = db.Connect(context.Background(), dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	st = store.New(pool)
	st.SetRegisterKey(testRegisterKey)
	defer func() {
		if tasksPool != nil {
			tasksPool.Close()
		}
		if tasksDrop != nil {
			tasksDrop()
		}
		if bigDrop != nil {
			if bigPool != nil {
				bigPool.Close()
			}
			bigDrop()
		}
	}()
	return m.Run()
}

func ptr[T any](v T) *T { return &v }

func newManager(t testing.TB) uuid.UUID {
	t.Helper()
	s, err := st.CreateStaff(context.Background(), "AM "+uuid.NewString()[:8], nil, kam.RoleAccountManager)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func newCustomer(t testing.TB, by uuid.UUID, mgr *uuid.UUID) uuid.UUID {
	t.Helper()
	c, err := st.CreateCustomer(context.Background(), store.CustomerPatch{
		Code: ptr("T-" + uuid.NewString()[:12]), Name: ptr("Test account"), AccountManagerID: mgr,
	}, by)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// The registration path takes no lock: 40 concurrent writers of 25 rows each
// lose nothing, and the sealed chain verifies.
// Art. 9: the archive is confidential and every access is registered.
func TestRegisterConcurrentReadsAllLandAndChainVerifies(t *testing.T) {
	ctx := context.Background()
	var before, after int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM access_log").Scan(&before); err != nil {
		t.Fatal(err)
	}
	staff := uuid.New()
	customer := uuid.New()
	const writers, each = 40, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := st.Register(ctx, store.Access{StaffID: &staff, Role: ptr("auditor"), CustomerIDs: []uuid.UUID{customer},
					Action: kam.AccessView, Sections: []string{"basics"}, RequestID: fmt.Sprintf("r-%d-%d", w, i)})
				if err != nil {
					errs <- err
					return
				}
				if i%10 == 0 {
					if _, err := st.Seal(ctx); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM access_log").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if got := after - before; got != writers*each {
		t.Fatalf("registered %d rows, want %d", got, writers*each)
	}
	v, err := st.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK || v.Checked < writers*each || v.Unsealed != 0 {
		t.Fatalf("verification = %+v", v)
	}
}

// Art. 9: the archive is confidential and every access is registered.
func TestRegisterIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	if err := st.Register(ctx, store.Access{Action: kam.AccessDenied}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"UPDATE access_log SET purpose = 'edited'",
		"DELETE FROM access_log",
		"TRUNCATE access_log",
		"UPDATE access_log_seals SET hash = '\\x00'",
		"UPDATE access_log_seals SET chain_pos = chain_pos + 1",
		"DELETE FROM access_log_seals",
		"TRUNCATE access_log_seals",
	} {
		if _, err := pool.Exec(ctx, stmt); err == nil {
			t.Errorf("%q was allowed", stmt)
		}
	}
}

// A row altered behind the application's back (triggers disabled, as only a
// superuser can) is found by verify, which names its chain position.
// Art. 9: the archive is confidential and every access is registered.
func TestVerifyFindsTamperedRow(t *testing.T) {
	ctx := context.Background()
	dsn, drop, err := dbtest.NewDatabase("tamper")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	p, err := db.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := store.New(p)
	s.SetRegisterKey(testRegisterKey)
	for i := range 10 {
		if err := s.Register(ctx, store.Access{Action: kam.AccessView, RequestID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.Verify(ctx); err != nil || !v.OK || v.Checked != 10 {
		t.Fatalf("before tampering: %+v %v", v, err)
	}
	conn, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "SET session_replication_role = replica; UPDATE access_log SET purpose = 'covering tracks' WHERE seq = (SELECT seq FROM access_log_seals WHERE chain_pos = 7); SET session_replication_role = origin")
	conn.Release()
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.OK || v.BrokenAt == nil || *v.BrokenAt != 7 {
		t.Fatalf("verification = %+v, want broken at 7", v)
	}

	// Deleting a row breaks the chain where the row was.
	conn, _ = p.Acquire(ctx)
	_, err = conn.Exec(ctx, "SET session_replication_role = replica; UPDATE access_log SET purpose = '' WHERE seq = (SELECT seq FROM access_log_seals WHERE chain_pos = 7); DELETE FROM access_log WHERE seq = (SELECT seq FROM access_log_seals WHERE chain_pos = 3); SET session_replication_role = origin")
	conn.Release()
	if err != nil {
		t.Fatal(err)
	}
	v, err = s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.OK || v.BrokenAt == nil || *v.BrokenAt != 3 {
		t.Fatalf("after delete: %+v, want broken at 3", v)
	}
}

func TestDeliverIsExactlyOncePerEvent(t *testing.T) {
	ctx := context.Background()
	a, b := newManager(t), newManager(t)
	n := store.Notification{EventKey: "test/" + uuid.NewString(), Kind: "test", Title: "t"}
	for range 3 {
		if _, err := st.Deliver(ctx, []uuid.UUID{a, b}, n); err != nil {
			t.Fatal(err)
		}
	}
	count, err := st.Queries().CountNotifications(ctx, n.EventKey)
	if err != nil {
		t.Fatal(err)
	}
	if count != 2 {
		t.Fatalf("%d inbox rows, want one per recipient (2)", count)
	}
}

// Art. 7(2): the archive is kept current.
func TestUpdateCustomerVersionAndHistory(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	id := newCustomer(t, by, nil)
	c, changes, _, err := st.UpdateCustomer(ctx, store.Scope{}, id, ptr(int32(1)), store.CustomerPatch{Name: ptr("Renamed"), Phone: ptr("+86 10 1234")}, by)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 2 || len(changes) != 2 {
		t.Fatalf("version %d, %d changes", c.Version, len(changes))
	}
	_, _, _, err = st.UpdateCustomer(ctx, store.Scope{}, id, ptr(int32(1)), store.CustomerPatch{Name: ptr("Stale")}, by)
	if de, ok := err.(*kam.Error); !ok || de.Kind != kam.KindPrecondition {
		t.Fatalf("stale update: %v", err)
	}
	// A no-op patch changes nothing, not even the version.
	c, changes, _, err = st.UpdateCustomer(ctx, store.Scope{}, id, nil, store.CustomerPatch{Name: ptr("Renamed")}, by)
	if err != nil || c.Version != 2 || len(changes) != 0 {
		t.Fatalf("no-op: v%d %d changes %v", c.Version, len(changes), err)
	}
	h, err := st.ListHistory(ctx, store.Scope{}, id, nil, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, r := range h {
		fields[r.Field] = true
	}
	if !fields["name"] || !fields["phone"] || fields["email"] {
		t.Fatalf("history fields = %v", fields)
	}
}

// Scope is part of the SQL: a manager reads and updates only their own accounts.
// Art. 9: the archive is confidential and every access is registered.
func TestScopeLimitsAccountManagers(t *testing.T) {
	ctx := context.Background()
	mine, other := newManager(t), newManager(t)
	id := newCustomer(t, mine, &mine)
	if _, err := st.GetArchive(ctx, store.Scope{ManagerID: &mine}, id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetArchive(ctx, store.Scope{ManagerID: &other}, id); err != kam.ErrNotFound {
		t.Fatalf("other manager: %v", err)
	}
	if _, _, _, err := st.UpdateCustomer(ctx, store.Scope{ManagerID: &other}, id, nil, store.CustomerPatch{Name: ptr("x")}, other); err != kam.ErrNotFound {
		t.Fatalf("other manager update: %v", err)
	}
	rows, err := st.ListCustomers(ctx, store.Scope{ManagerID: &other}, store.CustomerFilter{Limit: 100})
	if err != nil || len(rows) != 0 {
		t.Fatalf("other manager lists %d rows (%v)", len(rows), err)
	}
}

func TestCompletenessFollowsArticle7(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	mgr := newManager(t)
	id := newCustomer(t, by, nil)
	ar, err := st.GetArchive(ctx, store.Scope{}, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{kam.SectionBasics, kam.SectionContact, kam.SectionKeyPersons, kam.SectionService, kam.SectionCredit}
	if fmt.Sprint(ar.Missing) != fmt.Sprint(want) {
		t.Fatalf("missing = %v", ar.Missing)
	}
	v := decimal.RequireFromString("1200000.50")
	_, _, _, err = st.UpdateCustomer(ctx, store.Scope{}, id, nil, store.CustomerPatch{
		Nature: ptr("private"), Industry: ptr("steel"), ProductCategory: ptr("equipment"),
		LegalRepresentative: ptr("Li"), CompanySize: ptr("500"), MainProducts: ptr("rebar"),
		AnnualOutputValue: &v, Credibility: ptr("AA"), ProfitStatus: ptr("profit"),
		Address: ptr("1 Road"), Postcode: ptr("100000"), Phone: ptr("123"), Email: ptr("a@b.cn"),
		AccountManagerID: &mgr,
	}, by)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddContact(ctx, store.Scope{}, id, store.ContactInput{Name: "Wang"}, by); err != nil {
		t.Fatal(err)
	}
	head, err := st.AddKeyPerson(ctx, store.Scope{}, id, store.KeyPersonInput{Name: "Zhao", Role: "head"}, by)
	if err != nil {
		t.Fatal(err)
	}
	ar, _ = st.GetArchive(ctx, store.Scope{}, id)
	if fmt.Sprint(ar.Missing) != fmt.Sprint([]string{kam.SectionKeyPersons, kam.SectionCredit}) {
		t.Fatalf("missing = %v", ar.Missing)
	}
	if _, err := st.AddKeyPerson(ctx, store.Scope{}, id, store.KeyPersonInput{Name: "Qian", Role: "handler"}, by); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutCredit(ctx, store.Scope{}, id, store.CreditInput{CreditLevel: "A", ArrearsLimit: decimal.NewFromInt(500000), SettlementCycle: "@monthly", PaymentTermDays: 30}, by, noStart); err != nil {
		t.Fatal(err)
	}
	ar, _ = st.GetArchive(ctx, store.Scope{}, id)
	if len(ar.Missing) != 0 || ar.CreditLevel == nil || *ar.CreditLevel != "A" {
		t.Fatalf("missing = %v, credit level %v", ar.Missing, ar.CreditLevel)
	}
	if _, _, err := st.PutCredit(ctx, store.Scope{}, id, store.CreditInput{CreditLevel: "A", SettlementCycle: "every full moon"}, by, noStart); err == nil {
		t.Fatal("a bad settlement cycle was accepted")
	}
	// Art. 7.2: upkeep can make the archive incomplete again. A head who
	// becomes a handler, or is removed, leaves the key persons short.
	if _, err := st.UpdateKeyPerson(ctx, store.Scope{}, id, head.ID, nil, store.KeyPersonPatch{Role: ptr("handler")}, by); err != nil {
		t.Fatal(err)
	}
	ar, _ = st.GetArchive(ctx, store.Scope{}, id)
	if fmt.Sprint(ar.Missing) != fmt.Sprint([]string{kam.SectionKeyPersons}) {
		t.Fatalf("missing after the head became a handler = %v", ar.Missing)
	}
	if _, err := st.UpdateKeyPerson(ctx, store.Scope{}, id, head.ID, ptr(int32(1)), store.KeyPersonPatch{Role: ptr("head")}, by); !isKind(err, kam.KindPrecondition) {
		t.Fatalf("a stale version: %v", err)
	}
	if err := st.RemoveKeyPerson(ctx, store.Scope{ManagerID: &by}, id, head.ID, nil, by); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("a removal out of scope: %v", err)
	}
	if err := st.RemoveKeyPerson(ctx, store.Scope{}, id, head.ID, nil, by); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveKeyPerson(ctx, store.Scope{}, id, head.ID, nil, by); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("a second removal: %v", err)
	}
	ar, _ = st.GetArchive(ctx, store.Scope{}, id)
	if fmt.Sprint(ar.Missing) != fmt.Sprint([]string{kam.SectionKeyPersons}) {
		t.Fatalf("missing after the removal = %v", ar.Missing)
	}
}

// SPEC §7, Art. 8.4: the store itself keeps the status to the churn
// register: an account is not opened churned, an edit does not change its
// status, and naming the status it has is no change.
func TestStatusOnlyThroughTheChurnRegister(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	code := "ST-" + uuid.NewString()[:8]
	if _, err := st.CreateCustomer(ctx, store.CustomerPatch{Code: &code, Name: ptr("Lost"), Status: ptr(kam.CustomerChurned)}, by); !errors.Is(err, kam.ErrUseChurnRegister) {
		t.Fatalf("opening a churned account: %v", err)
	}
	c := newCustomer(t, by, nil)
	if _, _, _, err := st.UpdateCustomer(ctx, store.Scope{}, c, nil, store.CustomerPatch{Status: ptr(kam.CustomerChurned)}, by); !errors.Is(err, kam.ErrUseChurnRegister) {
		t.Fatalf("an edit churning the account: %v", err)
	}
	if _, changes, _, err := st.UpdateCustomer(ctx, store.Scope{}, c, nil, store.CustomerPatch{Status: ptr(kam.CustomerActive)}, by); err != nil || len(changes) != 0 {
		t.Fatalf("naming the status it has: %v, %v", changes, err)
	}
}

func isKind(err error, k kam.Kind) bool {
	var de *kam.Error
	return errors.As(err, &de) && de.Kind == k
}

func TestIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	staff := newManager(t)
	key := uuid.NewString()
	c, r, err := st.ClaimKey(ctx, staff, key, []byte("a"))
	if err != nil || r != nil || c == nil {
		t.Fatalf("first claim: %v %v %v", c, r, err)
	}
	if _, _, err := st.ClaimKey(ctx, staff, key, []byte("a")); err == nil {
		t.Fatal("claim while in flight succeeded")
	}
	if err := st.CompleteKey(ctx, c, 201, nil, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	_, r, err = st.ClaimKey(ctx, staff, key, []byte("a"))
	if err != nil || r == nil || r.Status != 201 || string(r.Body) != `{"id":1}` {
		t.Fatalf("replay: %+v %v", r, err)
	}
	_, _, err = st.ClaimKey(ctx, staff, key, []byte("b"))
	if de, ok := err.(*kam.Error); !ok || de.Code != "idempotency_key_reused" {
		t.Fatalf("reuse: %v", err)
	}
}

func discountFor(t *testing.T, customer, requester uuid.UUID, rate string, from, to string) uuid.UUID {
	t.Helper()
	f, _ := time.Parse(time.DateOnly, from)
	tt, _ := time.Parse(time.DateOnly, to)
	r, err := st.CreateDiscountRequest(context.Background(), store.Scope{}, store.DiscountInput{
		CustomerID: customer, RequesterID: requester, ProductCategory: "equipment", Rate: decimal.RequireFromString(rate),
		Method: "percentage", ValidFrom: f, ValidTo: tt, Deadline: time.Now(),
	}, func(kam.DiscountRequest) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// Art. 7.8: grants are effective-dated; where two overlap, the newer one
// supersedes the older from its start, and the older holds before that.
func TestGrantsAsOfNewerSupersedesFromItsStart(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	older := discountFor(t, c, by, "5", "2026-01-01", "2026-12-31")
	newer := discountFor(t, c, by, "7", "2026-06-01", "2026-08-31")
	for _, id := range []uuid.UUID{older, newer} {
		if _, err := st.ApplyGrant(ctx, id, by); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ApplyGrant(ctx, id, by); err != nil { // idempotent
			t.Fatal(err)
		}
	}
	rateOn := func(day string) string {
		d, _ := time.Parse(time.DateOnly, day)
		rows, err := st.Queries().GrantsAsOf(ctx, dbq.GrantsAsOfParams{CustomerID: c, AsOf: d})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			return "none"
		}
		if len(rows) > 1 {
			t.Fatalf("%d grants in force for one category", len(rows))
		}
		return rows[0].Rate.String()
	}
	for day, want := range map[string]string{"2025-12-31": "none", "2026-03-01": "5", "2026-06-01": "7", "2026-08-31": "7", "2026-09-01": "5", "2027-01-01": "none"} {
		if got := rateOn(day); got != want {
			t.Errorf("on %s: %s, want %s", day, got, want)
		}
	}
	if n := countGrants(t, c); n != 2 {
		t.Fatalf("%d grants stored, want 2", n)
	}
}

func countGrants(t *testing.T, customer uuid.UUID) int {
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM discount_grants WHERE customer_id = $1", customer).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// No request without a workflow: a failed start stores nothing.
func TestDiscountRequestNotStoredWhenStartFails(t *testing.T) {
	by := newManager(t)
	c := newCustomer(t, by, nil)
	_, err := st.CreateDiscountRequest(context.Background(), store.Scope{}, store.DiscountInput{
		CustomerID: c, RequesterID: by, ProductCategory: "equipment", Rate: decimal.NewFromInt(3),
		Method: "percentage", ValidFrom: time.Now(), ValidTo: time.Now(), Deadline: time.Now(),
	}, func(kam.DiscountRequest) error { return errors.New("temporal is down") })
	if err == nil {
		t.Fatal("expected the start's error")
	}
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM discount_requests WHERE customer_id = $1", c).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d requests stored (%v)", n, err)
	}
}

// Art. 12: within standard: KA Department and filing; beyond: the GM.
func TestRouteFollowsPolicy(t *testing.T) {
	p := dbq.DiscountPolicy{MaxStandardRate: decimal.NewFromInt(10), HardCapRate: decimal.NewFromInt(20)}
	for rate, want := range map[string]string{"0.001": "standard", "10": "standard", "10.001": "beyond_standard", "20": "beyond_standard"} {
		if got, err := kam.Route(decimal.RequireFromString(rate), p.MaxStandardRate, p.HardCapRate); err != nil || got != want {
			t.Errorf("%s%%: %s %v, want %s", rate, got, err, want)
		}
	}
	for _, rate := range []string{"20.001", "0", "-1"} {
		if _, err := kam.Route(decimal.RequireFromString(rate), p.MaxStandardRate, p.HardCapRate); err == nil {
			t.Errorf("%s%% was routed", rate)
		}
	}
}

func noStart() error { return nil }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// The ledger of Art. 7.5 and 13: a cycle close bills what was charged before
// it, payments settle the oldest statement first, money paid ahead is set
// against the next statement, and an overpayment stays as a credit balance.
func TestLedgerStatementsAndPayments(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	if _, change, err := st.PutCredit(ctx, store.Scope{}, c, store.CreditInput{CreditLevel: "A", ArrearsLimit: dec("1000"), SettlementCycle: "@monthly", PaymentTermDays: 10}, by, noStart); err != nil || change != store.CreditOpened {
		t.Fatalf("put: %v %v", change, err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	charge := func(amount, ref string) {
		t.Helper()
		if _, err := st.Charge(ctx, store.Scope{}, c, dec(amount), ref, today, by); err != nil {
			t.Fatal(err)
		}
	}
	pay := func(amount, ref string) {
		t.Helper()
		if _, err := st.Pay(ctx, store.Scope{}, c, dec(amount), ref, today, by); err != nil {
			t.Fatal(err)
		}
	}
	closeAt := func(end time.Time) *kam.Statement {
		t.Helper()
		s, err := st.CloseCycle(ctx, c, end.Add(-time.Hour), end, end.Add(10*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := closeAt(time.Now()); s != nil {
		t.Fatalf("an empty cycle made statement %v", s.ID)
	}
	charge("100", "A")
	charge("50", "B")
	s1 := closeAt(time.Now().Add(time.Second))
	if s1 == nil || !s1.AmountDue.Equal(dec("150")) {
		t.Fatalf("first statement = %+v", s1)
	}
	if again := closeAt(s1.PeriodEnd); again == nil || again.ID != s1.ID {
		t.Fatal("closing the same cycle twice made a second statement")
	}
	charge("200", "C")
	s2 := closeAt(time.Now().Add(2 * time.Second))
	if s2 == nil || !s2.AmountDue.Equal(dec("200")) {
		t.Fatalf("second statement = %+v", s2)
	}
	pay("170", "P1") // 150 settles the first, 20 goes to the second
	got1, _ := st.Queries().GetStatement(ctx, s1.ID)
	got2, _ := st.Queries().GetStatement(ctx, s2.ID)
	if got1.Status != "paid" || !got2.Paid.Equal(dec("20")) || got2.Status != "open" {
		t.Fatalf("after 170: %s %s / %s %s", got1.Status, got1.Paid, got2.Status, got2.Paid)
	}
	pay("300", "P2") // 180 settles the second, 120 is paid ahead
	a, _ := st.Queries().GetCredit(ctx, c)
	if !a.Unapplied.Equal(dec("120")) || !a.ChargedTotal.Sub(a.PaidTotal).Equal(dec("-120")) {
		t.Fatalf("after 300: unapplied %s outstanding %s", a.Unapplied, a.ChargedTotal.Sub(a.PaidTotal))
	}
	charge("100", "D")
	s3 := closeAt(time.Now().Add(3 * time.Second))
	if s3 == nil || s3.Status != "paid" || !s3.Paid.Equal(dec("100")) {
		t.Fatalf("third statement, prepaid = %+v", s3)
	}
	a, _ = st.Queries().GetCredit(ctx, c)
	if !a.Unapplied.Equal(dec("20")) {
		t.Fatalf("credit balance %s, want 20", a.Unapplied)
	}
}

// Art. 19: each occasion once, across re-runs; a 29 February birthday is
// greeted on 28 February in other years and on the 29th in leap years; a
// tier greets only its occasions.
func TestGreetingSweep(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	mgr := newManager(t)
	founded := time.Date(2000, 3, 1, 0, 0, 0, 0, time.UTC)
	s, err := st.CreateCustomer(ctx, store.CustomerPatch{Code: ptr("G-" + uuid.NewString()[:10]), Name: ptr("Strategic"), Tier: ptr("S"),
		AccountManagerID: &mgr, FoundedOn: &founded}, by)
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.CreateCustomer(ctx, store.CustomerPatch{Code: ptr("G-" + uuid.NewString()[:10]), Name: ptr("Standard"), Tier: ptr("B")}, by)
	if err != nil {
		t.Fatal(err)
	}
	leapling := time.Date(1980, 2, 29, 0, 0, 0, 0, time.UTC)
	march2 := time.Date(1975, 3, 2, 0, 0, 0, 0, time.UTC)
	for _, kp := range []struct {
		c  uuid.UUID
		bd time.Time
	}{{s.ID, leapling}, {s.ID, march2}, {b.ID, march2}} {
		if _, err := st.AddKeyPerson(ctx, store.Scope{}, kp.c, store.KeyPersonInput{Name: "KP", Role: "head", Birthday: &kp.bd}, by); err != nil {
			t.Fatal(err)
		}
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tasks := func(rows []kam.Greeting, c uuid.UUID) map[string]int {
		m := map[string]int{}
		for _, g := range rows {
			if g.CustomerID == c {
				m[g.Occasion+" "+g.OccasionOn.Format("01-02")]++
			}
		}
		return m
	}
	rows, err := st.SweepGreetings(ctx, day(2027, 2, 27), 3, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := tasks(rows, s.ID)
	want := map[string]int{"birthday 02-28": 1, "birthday 03-02": 1, "anniversary 03-01": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("2027 tasks = %v, want %v", got, want)
	}
	if g := tasks(rows, b.ID); len(g) != 0 {
		t.Fatalf("tier B greets birthdays: %v", g)
	}
	for _, g := range rows {
		if g.CustomerID == s.ID && (g.AccountManagerID == nil || *g.AccountManagerID != mgr || !g.Gift) {
			t.Fatalf("task %+v: not for the manager, or no gift for tier S", g)
		}
	}
	// The next day's sweep overlaps the window: nothing twice.
	again, err := st.SweepGreetings(ctx, day(2027, 2, 28), 3, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := tasks(again, s.ID); len(g) != 0 {
		t.Fatalf("re-run added %v", g)
	}
	leap, err := st.SweepGreetings(ctx, day(2028, 2, 27), 3, &s.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := tasks(leap, s.ID); g["birthday 02-29"] != 1 || g["birthday 02-28"] != 0 {
		t.Fatalf("2028 tasks = %v", g)
	}
	// A holiday inside the window: one task per account whose tier greets holidays.
	h, err := st.Queries().CreateHoliday(ctx, dbq.CreateHolidayParams{ID: store.NewID(), Name: "Spring Festival", OnDate: day(2029, 2, 13)})
	if err != nil {
		t.Fatal(err)
	}
	hol, err := st.SweepGreetings(ctx, day(2029, 2, 11), 3, nil, &h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tasks(hol, s.ID)["holiday 02-13"] != 1 || tasks(hol, b.ID)["holiday 02-13"] != 1 {
		t.Fatalf("holiday tasks: S %v, B %v", tasks(hol, s.ID), tasks(hol, b.ID))
	}
	if again, _ := st.SweepGreetings(ctx, day(2029, 2, 12), 3, nil, nil); len(tasks(again, s.ID)) != 0 {
		t.Fatal("the holiday was greeted twice")
	}
}

// Art. 14 on a data set with known violations: a grant of 10% on equipment
// for January–June 2026; sales at 8% in March (fine), 12% in March (rate
// above the grant), 5% in August (outside validity), 3% on consumables (no
// grant) and 0% in August (no discount, fine).
func TestInspectionFindings(t *testing.T) {
	ctx := context.Background()
	dsn, drop, err := dbtest.NewDatabase("inspect")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	p, err := db.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := store.New(p)
	by, err := s.CreateStaff(ctx, "ka", nil, kam.RoleKAManager)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCustomer(ctx, store.CustomerPatch{Code: ptr("INS-1"), Name: ptr("Inspected"), Tier: ptr("A")}, by.ID)
	if err != nil {
		t.Fatal(err)
	}
	from, _ := time.Parse(time.DateOnly, "2026-01-01")
	to, _ := time.Parse(time.DateOnly, "2026-06-30")
	r, err := s.CreateDiscountRequest(ctx, store.Scope{}, store.DiscountInput{CustomerID: c.ID, RequesterID: by.ID, ProductCategory: "equipment",
		Rate: dec("10"), Method: "percentage", ValidFrom: from, ValidTo: to, Deadline: time.Now()}, func(kam.DiscountRequest) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.ApplyGrant(ctx, r.ID, by.ID)
	if err != nil {
		t.Fatal(err)
	}
	sale := func(category, rate, on string) uuid.UUID {
		d, _ := time.Parse(time.DateOnly, on)
		x, err := s.RecordSale(ctx, store.Scope{}, c.ID, store.SaleInput{Product: "p", ProductCategory: category, Quantity: dec("1"), Amount: dec("100"), AppliedRate: dec(rate), SoldOn: d}, by.ID)
		if err != nil {
			t.Fatal(err)
		}
		return x.ID
	}
	sale("equipment", "8", "2026-03-10")
	above := sale("equipment", "12", "2026-03-11")
	outside := sale("equipment", "5", "2026-08-01")
	noGrant := sale("consumables", "3", "2026-03-12")
	sale("equipment", "0", "2026-08-02")

	run := kam.InspectionRun{ID: store.NewID(), Trigger: "manual", SampleSize: 5, Seed: 42}
	ins, err := s.Inspect(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if ins.Status != "done" || len(ins.SampledGrants) != 1 || ins.SampledGrants[0] != g.ID || ins.SalesChecked != 5 {
		t.Fatalf("inspection = %+v", ins)
	}
	findings, err := s.ListFindings(ctx, store.FindingsPage{InspectionID: run.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := map[uuid.UUID]string{}
	for _, f := range findings {
		got[f.SaleID] = f.Kind
	}
	want := map[uuid.UUID]string{above: "rate_above_grant", outside: "outside_validity", noGrant: "no_grant"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("findings = %v, want %v", got, want)
	}
	// Running it again adds nothing; the same seed draws the same sample.
	if _, err := s.Inspect(ctx, run); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ListFindings(ctx, store.FindingsPage{InspectionID: run.ID, Limit: 100}); len(again) != 3 {
		t.Fatalf("%d findings after a re-run", len(again))
	}
	// The same seed draws the same sample in another inspection too.
	a, err := s.Inspect(ctx, kam.InspectionRun{ID: store.NewID(), Trigger: "manual", SampleSize: 1, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Inspect(ctx, kam.InspectionRun{ID: store.NewID(), Trigger: "manual", SampleSize: 1, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.SampledGrants) != fmt.Sprint(b.SampledGrants) {
		t.Fatal("the same seed drew different samples")
	}
	// A page of findings ends where the next begins.
	first, _ := s.ListFindings(ctx, store.FindingsPage{InspectionID: run.ID, Limit: 2})
	last := first[len(first)-1]
	rest, _ := s.ListFindings(ctx, store.FindingsPage{InspectionID: run.ID, AfterKind: &last.Kind, AfterSale: &last.SaleID, Limit: 2})
	if len(first) != 2 || len(rest) != 1 || rest[0].SaleID == last.SaleID {
		t.Fatalf("pages of findings: %d then %d", len(first), len(rest))
	}
	got1, err := s.GetInspection(ctx, run.ID)
	if err != nil || got1.Status != "done" {
		t.Fatalf("inspection = %+v, %v", got1, err)
	}
	if _, err := s.GetInspection(ctx, store.NewID()); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("an unknown inspection: %v", err)
	}
	accounts, err := s.InspectedAccounts(ctx, got1)
	if err != nil || len(accounts) != 1 || accounts[0] != c.ID {
		t.Fatalf("inspected accounts = %v, %v", accounts, err)
	}
}

// A lost account is registered and marked churned; a win-back reactivates it.
// Art. 8.4: lost accounts are analysed.
func TestChurnAndReactivate(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	c := newCustomer(t, by, nil)
	on, _ := time.Parse(time.DateOnly, "2026-05-01")
	if _, err := st.Churn(ctx, c, store.ChurnInput{Reason: "competitor", Destination: "Shenzhen", Competitor: "Rival Co", EffectiveOn: on}, by); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Churn(ctx, c, store.ChurnInput{Reason: "price", EffectiveOn: on}, by); err == nil {
		t.Fatal("churned twice")
	}
	ar, _ := st.GetArchive(ctx, store.Scope{}, c)
	if ar.Customer.Status != "churned" {
		t.Fatalf("status %s", ar.Customer.Status)
	}
	if _, err := st.Reactivate(ctx, c, by); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Reactivate(ctx, c, by); err == nil {
		t.Fatal("reactivated an active account")
	}
	h, _ := st.ListHistory(ctx, store.Scope{}, c, nil, nil, 100)
	statuses := 0
	for _, r := range h {
		if r.Field == "status" {
			statuses++
		}
	}
	if statuses != 2 {
		t.Fatalf("%d status changes in the history", statuses)
	}
}

// Art. 9: opening an archive and registering it are one transaction; an
// opening the register refuses leaves no account behind.
func TestCreateCustomerRegistersInItsTransaction(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	role := kam.RoleKAManager
	code := "REG-" + uuid.NewString()[:10]
	c, err := st.CreateCustomer(store.WithAccess(ctx, store.Access{StaffID: &by, Role: &role, Action: kam.AccessUpdate, RequestID: "req-" + code}),
		store.CustomerPatch{Code: &code, Name: ptr("Registered")}, by)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.Pool.QueryRow(ctx, "SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND action = 'update'", "req-"+code, c.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("register rows = %d, %v", n, err)
	}
	bad := "REG-" + uuid.NewString()[:10]
	if _, err := st.CreateCustomer(store.WithAccess(ctx, store.Access{StaffID: &by, Role: &role, Action: "no such action"}),
		store.CustomerPatch{Code: &bad, Name: ptr("Refused")}, by); err == nil {
		t.Fatal("an opening the register refused succeeded")
	}
	if err := st.Pool.QueryRow(ctx, "SELECT count(*) FROM customers WHERE code = $1", bad).Scan(&n); err != nil || n != 0 {
		t.Fatalf("customers with the refused code = %d, %v", n, err)
	}
}

// An account is opened on the company's day (KAM_TIMEZONE), the day as_of
// and the reports count by, whether kam opens it or an import does; before,
// it was the database's UTC day. Of UTC+14 and UTC-12, at least one is on
// another day than UTC at any hour.
func TestAccountsOpenOnTheCompanysDay(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	role := kam.RoleKAManager
	for _, name := range []string{"Etc/GMT-14", "Etc/GMT+12"} {
		zone, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zoned := store.New(st.Pool)
		zoned.SetZone(zone)
		want := time.Now().In(zone).Format(time.DateOnly)
		c, err := zoned.CreateCustomer(ctx, store.CustomerPatch{Code: ptr("TZ-" + uuid.NewString()[:8]), Name: ptr("Zoned")}, by)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.OpenedOn.Format(time.DateOnly); got != want {
			t.Errorf("%s: opened on %s, want %s", name, got, want)
		}
		code := "TZI-" + uuid.NewString()[:8]
		actx := store.WithAccess(ctx, store.Access{StaffID: &by, Role: &role, Action: kam.AccessUpdate, RequestID: "tz-" + code})
		res, err := zoned.ImportCustomers(actx, []store.CustomerImport{{Row: 2, Patch: store.CustomerPatch{Code: &code, Name: ptr("Zoned import")}}}, by, false)
		if err != nil || len(res.Opened) != 1 {
			t.Fatalf("import: %v, %+v", err, res)
		}
		if got := res.Opened[0].OpenedOn.Format(time.DateOnly); got != want {
			t.Errorf("%s: imported account opened on %s, want %s", name, got, want)
		}
	}
}
