package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/store"
)

// importRows makes n full rows (every optional field but the manager) with
// codes prefix-1 … prefix-n.
func importRows(prefix string, n int, mgr *uuid.UUID) []store.CustomerImport {
	rows := make([]store.CustomerImport, n)
	founded, opened := time.Date(1999, 4, 5, 0, 0, 0, 0, time.UTC), time.Date(2015, 1, 2, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		aov := decimal.RequireFromString(fmt.Sprintf("%d.25", 1000+i))
		rows[i] = store.CustomerImport{Row: i + 2, Patch: store.CustomerPatch{
			Code: ptr(fmt.Sprintf("%s-%d", prefix, i+1)), Name: ptr(fmt.Sprintf("Imported %d", i+1)), Tier: ptr("A"),
			Nature: ptr("private"), Industry: ptr("steel"), ProductCategory: ptr("equipment"), LegalRepresentative: ptr("Chen"),
			CompanySize: ptr("large"), MainProducts: ptr("pipes"), AnnualOutputValue: &aov, Credibility: ptr("AA"),
			ProfitStatus: ptr("profitable"), AccountManagerID: mgr, FoundedOn: &founded, Address: ptr("1 Road"),
			Postcode: ptr("200000"), Phone: ptr("+86 21 1"), Email: ptr("a@example.com"), OpenedOn: &opened,
		}}
	}
	return rows
}

// SPEC §7 / issue 13: 1,000 accounts import in one transaction in seconds —
// COPY for the rows and their history, one batch for updates — and a second
// run of the same rows changes nothing. The time is logged, not asserted.
func TestImportThousandAccounts(t *testing.T) {
	ctx := context.Background()
	by, mgr := newManager(t), newManager(t)
	prefix := "K" + uuid.NewString()[:8]
	rows := importRows(prefix, 1000, &mgr)
	role := kam.RoleKAManager
	actx := store.WithAccess(ctx, store.Access{StaffID: &by, Role: &role, Action: kam.AccessUpdate, RequestID: "import-" + prefix})

	start := time.Now()
	res, err := st.ImportCustomers(actx, rows, by, false)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("imported 1,000 new accounts (19 fields each) in %v", took)
	if res.Created != 1000 || len(res.Opened) != 1000 || len(res.Accounts) != 1000 {
		t.Fatalf("created %d, opened %d, accounts %d", res.Created, len(res.Opened), len(res.Accounts))
	}
	var n, hist, reg int
	if err := pool.QueryRow(ctx, `SELECT count(*), (SELECT count(*) FROM customer_history h JOIN customers c ON c.id = h.customer_id WHERE c.code LIKE $1),
		(SELECT count(*) FROM access_log WHERE request_id = $2 AND action = 'update')
		FROM customers WHERE code LIKE $1 AND opened_on = '2015-01-02' AND annual_output_value >= 1000.25`, prefix+"-%", "import-"+prefix).Scan(&n, &hist, &reg); err != nil {
		t.Fatal(err)
	}
	if n != 1000 || hist < 18000 || reg != 1000 {
		t.Fatalf("%d accounts, %d history rows, %d register rows", n, hist, reg)
	}

	start = time.Now()
	res, err = st.ImportCustomers(ctx, rows, by, false)
	t.Logf("re-imported the same 1,000 rows (nothing to change) in %v", time.Since(start))
	if err != nil || res.Unchanged != 1000 || res.Created+res.Updated != 0 {
		t.Fatalf("re-import: %+v, %v", res, err)
	}
	for i := range rows {
		rows[i].Patch.Phone = ptr("+86 21 2")
	}
	start = time.Now()
	res, err = st.ImportCustomers(ctx, rows, by, false)
	t.Logf("updated the 1,000 accounts (one field each) in %v", time.Since(start))
	if err != nil || res.Updated != 1000 || len(res.Changes) != 1000 {
		t.Fatalf("update: %d updated, %v", res.Updated, err)
	}
}

// A row error rolls back the whole import; a dry run does every write and
// rolls back as well.
func TestImportAllOrNothing(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	prefix := "N" + uuid.NewString()[:8]
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM customers WHERE code LIKE $1", prefix+"-%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	rows := importRows(prefix, 3, nil)
	rows[2].Patch.Tier = ptr("NOPE")
	clerk, err := st.CreateStaff(ctx, "Clerk "+prefix, nil, kam.RoleDataClerk)
	if err != nil {
		t.Fatal(err)
	}
	rows[1].Patch.AccountManagerID = &clerk.ID
	_, err = st.ImportCustomers(ctx, rows, by, false)
	var ir *kam.ImportRejected
	if !errors.As(err, &ir) || ir.Total != 2 || ir.Errors[0].Row != 3 || ir.Errors[0].Code != "unknown_manager" || ir.Errors[1].Code != "unknown_tier" {
		t.Fatalf("err = %v (%+v)", err, ir)
	}
	if n := count(); n != 0 {
		t.Fatalf("a rejected import left %d accounts", n)
	}
	res, err := st.ImportCustomers(ctx, importRows(prefix, 3, nil), by, true)
	if err != nil || res.Created != 3 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if n := count(); n != 0 {
		t.Fatalf("a dry run left %d accounts", n)
	}
}

// Art. 7.2: a contact or key person removed from an archive is not matched
// by an import: a file naming them again puts them back on the archive (a
// new row; the removed one stays in its history), where matching the removed
// row updated it and left the archive without them.
func TestImportAddsRemovedPeopleBack(t *testing.T) {
	ctx := context.Background()
	by := newManager(t)
	id := completeArchive(t, by, "")
	var code string
	if err := pool.QueryRow(ctx, "SELECT code FROM customers WHERE id = $1", id).Scan(&code); err != nil {
		t.Fatal(err)
	}
	removeOnly(t, by, id, "")
	removeOnly(t, by, id, "head")
	res, err := st.ImportContacts(ctx, store.Scope{}, []store.ContactImport{{Row: 2, Code: code, ContactInput: store.ContactInput{Name: "Wang", Phone: ptr("555")}}}, by, false)
	if err != nil || res.Created != 1 || res.Updated != 0 {
		t.Fatalf("contacts: %+v, %v", res, err)
	}
	res, err = st.ImportKeyPersons(ctx, store.Scope{}, []store.KeyPersonImport{{Row: 2, Code: code, KeyPersonInput: store.KeyPersonInput{Name: "KP head", Role: "head"}}}, by, false)
	if err != nil || res.Created != 1 || res.Updated != 0 {
		t.Fatalf("key persons: %+v, %v", res, err)
	}
	ar, err := st.GetArchive(ctx, store.Scope{}, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(ar.Missing) != 0 {
		t.Fatalf("missing %v after the import put them back", ar.Missing)
	}
	var onArchive, removed int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE removed_at IS NULL), count(*) FILTER (WHERE removed_at IS NOT NULL)
		FROM customer_contacts WHERE customer_id = $1`, id).Scan(&onArchive, &removed); err != nil {
		t.Fatal(err)
	}
	if onArchive != 1 || removed != 1 {
		t.Fatalf("contacts: %d on the archive, %d removed; want 1 and 1", onArchive, removed)
	}
}
