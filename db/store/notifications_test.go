package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// Who hears a notice (activities.Notify), in one query: the active members of
// each role in the roles' order, then the named staff and the account's
// manager; the fallback roles only when those name nobody; each person once,
// where first met; the deputies in force when asked; each with their locale.
func TestNoticeRecipients(t *testing.T) {
	ctx := context.Background()
	members := func(role string) []uuid.UUID {
		t.Helper()
		rows, err := pool.Query(ctx, "SELECT id FROM staff WHERE role = $1 AND active ORDER BY id", role)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []uuid.UUID
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	gm, ka, am := newStaffOf(t, kam.RoleGeneralManager), newStaffOf(t, kam.RoleKAManager), newStaffOf(t, kam.RoleAccountManager)
	fin, gone := newStaffOf(t, kam.RoleFinance), newStaffOf(t, kam.RoleFinance)
	if _, err := pool.Exec(ctx, "UPDATE staff SET active = false WHERE id = $1", gone); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE staff SET locale = 'en' WHERE id = $1", am); err != nil {
		t.Fatal(err)
	}
	managed, unmanaged := newCustomer(t, am, &am), newCustomer(t, am, nil)
	heard := func(to store.NoticeTo) ([]uuid.UUID, map[uuid.UUID]string) {
		t.Helper()
		ids, locales, err := st.NoticeRecipients(ctx, to)
		if err != nil {
			t.Fatal(err)
		}
		return ids, locales
	}
	want := func(what string, got []uuid.UUID, parts ...[]uuid.UUID) {
		t.Helper()
		if w := slices.Concat(parts...); !slices.Equal(got, w) {
			t.Fatalf("%s: heard %v, want %v", what, got, w)
		}
	}
	one := func(id uuid.UUID) []uuid.UUID { return []uuid.UUID{id} }

	got, locales := heard(store.NoticeTo{Roles: []string{kam.RoleFinance, kam.RoleGeneralManager}, StaffIDs: []uuid.UUID{ka},
		CustomerID: &managed, ToAccountManager: true, OrRoles: []string{kam.RoleKAManager}})
	want("roles, named, manager", got, members(kam.RoleFinance), members(kam.RoleGeneralManager), one(ka), one(am))
	if slices.Contains(got, gone) || !slices.Contains(got, fin) {
		t.Fatalf("an inactive member hears, or an active one does not: %v", got)
	}
	if locales[am] != "en" || locales[fin] != "zh-CN" {
		t.Fatalf("locales: manager %q, finance %q", locales[am], locales[fin])
	}

	got, _ = heard(store.NoticeTo{Roles: []string{kam.RoleKAManager}, StaffIDs: []uuid.UUID{ka, gm, ka}})
	want("each once, where first met", got, members(kam.RoleKAManager), one(gm))

	got, _ = heard(store.NoticeTo{Roles: []string{kam.RoleFinance}, CustomerID: &unmanaged, ToAccountManager: true, OrRoles: []string{kam.RoleKAManager}})
	want("no manager: the fallback roles", got, members(kam.RoleFinance), members(kam.RoleKAManager))
	got, _ = heard(store.NoticeTo{CustomerID: &managed, OrRoles: []string{kam.RoleKAManager}})
	want("the manager not asked for: the fallback roles", got, members(kam.RoleKAManager))
	got, _ = heard(store.NoticeTo{CustomerID: &managed, ToAccountManager: true, OrRoles: []string{kam.RoleKAManager}})
	want("a manager: no fallback", got, one(am))

	ka2 := newStaffOf(t, kam.RoleKAManager)
	now := time.Now().Add(-time.Second)
	for _, d := range []kam.DelegationInput{
		{From: gm, To: ka, StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: gm},
		{From: gm, To: ka2, StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour), CreatedBy: gm}, // not yet in force
	} {
		if _, err := st.CreateDelegation(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = heard(store.NoticeTo{StaffIDs: []uuid.UUID{gm, am}, Deputies: true})
	want("deputies in force", got, one(gm), one(am), one(ka))
	got, _ = heard(store.NoticeTo{StaffIDs: []uuid.UUID{gm, am}})
	want("no deputies unless asked", got, one(gm), one(am))
	got, _ = heard(store.NoticeTo{StaffIDs: []uuid.UUID{ka, gm}, Deputies: true})
	want("a deputy already heard stays where first met", got, one(ka), one(gm))
	got, _ = heard(store.NoticeTo{})
	want("nobody", got)
}
