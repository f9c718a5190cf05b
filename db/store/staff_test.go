package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db"
	"kam/db/dbtest"
	"kam/db/store"
)

// ownStore is a store over a database of its own, for tests that count
// every admin or token.
func ownStore(t *testing.T, name string) *store.Store {
	t.Helper()
	dsn, drop, err := dbtest.NewDatabase(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	p, err := db.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return store.New(p)
}

func codeOf(err error) string {
	var de *kam.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

// Nobody could manage staff after the last active admin went: refused, also
// when two admins deactivate each other at the same time.
func TestStaffLastAdminStays(t *testing.T) {
	ctx := context.Background()
	s := ownStore(t, "lastadmin")
	b, ok, err := s.Bootstrap(ctx, "")
	if err != nil || !ok {
		t.Fatalf("bootstrap: %v %v", ok, err)
	}
	off, admin := false, kam.RoleAdmin
	if _, err := s.UpdateStaff(ctx, b.StaffID, nil, store.StaffPatch{Active: &off}, store.HandoverStart{}); codeOf(err) != "last_admin" {
		t.Fatalf("deactivating the only admin: %v", err)
	}
	clerk := kam.RoleDataClerk
	if _, err := s.UpdateStaff(ctx, b.StaffID, nil, store.StaffPatch{Role: &clerk}, store.HandoverStart{}); codeOf(err) != "last_admin" {
		t.Fatalf("demoting the only admin: %v", err)
	}
	var ids []uuid.UUID
	for range 2 {
		a, err := s.CreateStaff(ctx, "Admin "+uuid.NewString()[:4], nil, admin)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if _, err := s.UpdateStaff(ctx, b.StaffID, nil, store.StaffPatch{Active: &off}, store.HandoverStart{}); err != nil {
		t.Fatalf("deactivating one of three admins: %v", err)
	}
	if _, err := s.Authenticate(ctx, b.Token); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("a deactivated admin's token still authenticates: %v", err)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.UpdateStaff(ctx, ids[i], nil, store.StaffPatch{Active: &off}, store.HandoverStart{})
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || codeOf(errors.Join(errs...)) != "last_admin" {
		t.Fatalf("two admins deactivating each other: %v, %v; want exactly one last_admin", errs[0], errs[1])
	}
}

// A token given by the operator is a row with an id like any other; the
// bootstrap happens once.
func TestStaffBootstrapGivenToken(t *testing.T) {
	ctx := context.Background()
	s := ownStore(t, "bootstrap")
	given := "kam_operator_given_token_0123456789abcdef"
	b, ok, err := s.Bootstrap(ctx, given)
	if err != nil || !ok || b.Token != given || b.TokenID == uuid.Nil {
		t.Fatalf("bootstrap = %+v %v %v", b, ok, err)
	}
	rows, err := s.ListTokens(ctx, b.StaffID, nil, 10)
	if err != nil || len(rows) != 1 || rows[0].ID != b.TokenID {
		t.Fatalf("tokens of the first admin = %+v, %v", rows, err)
	}
	if _, ok, err := s.Bootstrap(ctx, given); ok || err != nil {
		t.Fatalf("a second bootstrap created an admin: %v %v", ok, err)
	}
}

// last_used_at is written at most once a minute per token.
func TestStaffTokenLastUsedOncePerMinute(t *testing.T) {
	ctx := context.Background()
	m, err := st.CreateStaff(ctx, "User "+uuid.NewString()[:4], nil, kam.RoleFinance)
	if err != nil {
		t.Fatal(err)
	}
	secret := store.NewTokenSecret()
	tok, err := st.IssueToken(ctx, m.ID, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		var at *time.Time
		if err := pool.QueryRow(ctx, "SELECT last_used_at FROM api_tokens WHERE id = $1", tok.ID).Scan(&at); err != nil || at == nil {
			t.Fatalf("last_used_at = %v, %v", at, err)
		}
		return *at
	}
	if _, err := st.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	first := lastUsed()
	if _, err := st.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if !lastUsed().Equal(first) {
		t.Fatal("last_used_at rewritten within a minute")
	}
	if _, err := pool.Exec(ctx, "UPDATE api_tokens SET last_used_at = last_used_at - interval '2 minutes' WHERE id = $1", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if !lastUsed().After(first.Add(-time.Second)) {
		t.Fatal("a stale last_used_at was not stamped again")
	}
}
