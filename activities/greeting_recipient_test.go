package activities_test

import (
	"context"
	"testing"
	"time"

	"kam"
	"kam/activities"
	"kam/db/store"
)

// A greeting task made before its account was reassigned is announced by
// the daily sweep to whoever manages the account now, never to its former
// manager: the key person's name and birthday are the new manager's to see
// (Art. 9, 19; SPEC §2: account managers see only their accounts).
func TestGreetingAnnouncedToTheAccountsManagerNow(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := &activities.Activities{Store: s}
	ka := staffIn(t, s, kam.RoleKAManager, "en")
	before, now := staffIn(t, s, kam.RoleAccountManager, "en"), staffIn(t, s, kam.RoleAccountManager, "en")
	c, _ := account(t, s, before, "Reassigned Co")
	g := birthdayTask(t, s, c) // made while the account was before's, not yet announced
	if _, _, _, err := s.UpdateCustomer(ctx, store.Scope{}, c, nil, store.CustomerPatch{AccountManagerID: &now}, ka); err != nil {
		t.Fatal(err)
	}
	if err := a.AnnounceGreetings(ctx, activities.GreetingSweep{Today: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	key := "greeting/" + g.ID.String()
	if n := inboxEntry(t, s, now, key); n.CustomerID == nil || *n.CustomerID != c {
		t.Fatalf("the new manager's notice: %+v", n)
	}
	rows, err := s.Inbox(ctx, kam.InboxQuery{RecipientID: before, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range rows {
		if n.EventKey == key {
			t.Fatalf("the former manager was told of the account's greeting: %q", n.Title)
		}
	}
}
