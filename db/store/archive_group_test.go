package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// Art. 9 for the archive reads' group: reads sharing one statement each get
// their own account and their own view row; a read outside its scope gets
// not-found and leaves no row, whatever its neighbours in the group.
func TestRegisteredArchiveGroup(t *testing.T) {
	ctx := context.Background()
	am, err := st.CreateStaff(ctx, "group reader", nil, kam.RoleAccountManager)
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.CreateStaff(ctx, "other manager", nil, kam.RoleAccountManager)
	if err != nil {
		t.Fatal(err)
	}
	account := func(manager uuid.UUID) uuid.UUID {
		c, err := st.CreateCustomer(ctx, store.CustomerPatch{Code: ptrS("GRP-" + uuid.NewString()[:12]), Name: ptrS("group"), AccountManagerID: &manager}, am.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	mine, theirs := account(am.ID), account(other.ID)
	role := kam.RoleAccountManager
	const n = 32
	reqs, errs, got := make([]string, n), make([]error, n), make([]store.Archive, n)
	var wg sync.WaitGroup
	for i := range n {
		id := mine
		if i%3 == 0 {
			id = theirs
		}
		reqs[i] = uuid.NewString()
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = st.RegisteredArchive(ctx, store.Scope{ManagerID: &am.ID}, id, store.Access{
				StaffID: &am.ID, Role: &role, CustomerIDs: []uuid.UUID{id}, Action: kam.AccessView,
				Sections: []string{"basics"}, RequestID: reqs[i], Route: "GET /v1/customers/{id}"})
		}()
	}
	wg.Wait()
	for i := range n {
		var rows int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM access_log WHERE request_id = $1", reqs[i]).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if !errors.Is(errs[i], kam.ErrNotFound) || rows != 0 {
				t.Fatalf("read %d outside scope: %v with %d rows, want not found and none", i, errs[i], rows)
			}
			continue
		}
		if errs[i] != nil || got[i].Customer.ID != mine || rows != 1 {
			t.Fatalf("read %d: %v, account %s, %d rows; want its account and one row", i, errs[i], got[i].Customer.ID, rows)
		}
	}
	// No scope (a role that sees every account) reads either.
	if _, err := st.RegisteredArchive(ctx, store.Scope{}, theirs, store.Access{Action: kam.AccessView, CustomerIDs: []uuid.UUID{theirs}}); err != nil {
		t.Fatal(err)
	}
}

// A read whose caller left before its group answered is not shown, and is
// refused as unregistered (the API's 503), never as an unknown error.
func TestRegisteredArchiveCallerGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	id := uuid.New()
	_, err := st.RegisteredArchive(ctx, store.Scope{}, id, store.Access{Action: kam.AccessView, CustomerIDs: []uuid.UUID{id}})
	if !errors.Is(err, store.ErrUnregistered) {
		t.Fatalf("a read whose caller left: %v, want ErrUnregistered", err)
	}
}
