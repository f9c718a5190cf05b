package api_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"kam"
)

// SPEC §2, no existence leak: an account manager changes no account code,
// taken or free, so a 409 duplicate_code never tells them another manager's
// account exists; repeating the account's own code is no change. Those who
// keep every archive change codes and hear of a taken one.
func TestAccountManagerChangesNoCode(t *testing.T) {
	staff := staffByRole(t)
	am, other := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	mine, theirs := newAccount(t, am.ID), newAccount(t, other.ID)
	theirCode := must(t, call(t, "GET", "/v1/customers/"+theirs, staff[kam.RoleKAManager].Token, nil), 200).str("code")
	myCode := must(t, call(t, "GET", "/v1/customers/"+mine, am.Token, nil), 200).str("code")
	for _, code := range []string{theirCode, "FREE-" + unique()} {
		problem(t, call(t, "PATCH", "/v1/customers/"+mine, am.Token, map[string]any{"code": code}), 403, "forbidden_field")
	}
	must(t, call(t, "PATCH", "/v1/customers/"+mine, am.Token, map[string]any{"code": myCode, "phone": "+86 10 1"}), 200)
	problem(t, call(t, "PATCH", "/v1/customers/"+mine, staff[kam.RoleDataClerk].Token, map[string]any{"code": theirCode}), 409, "duplicate_code")
	if got := must(t, call(t, "PATCH", "/v1/customers/"+mine, staff[kam.RoleKAManager].Token, map[string]any{"code": "NEW-" + myCode}), 200).str("code"); got != "NEW-"+myCode {
		t.Fatalf("code after the KA manager's change = %q", got)
	}
}

// SPEC §3: a visit is planned, done or missed. One a plan withdrew (the
// account churned, its tier changed) is listed only when asked for by
// ?status=cancelled.
func TestWithdrawnVisitsListedOnlyWhenAskedFor(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	if _, err := running.Store.Pool.Exec(context.Background(), "INSERT INTO visits (id, customer_id, status, due_at) VALUES ($1, $2, 'cancelled', now() + interval '100 days')",
		uuid.New(), c); err != nil {
		t.Fatal(err)
	}
	for _, it := range must(t, call(t, "GET", "/v1/customers/"+c+"/visits", am.Token, nil), 200).items() {
		if it["status"] == "cancelled" {
			t.Fatalf("a withdrawn visit listed: %v", it)
		}
	}
	if l := must(t, call(t, "GET", "/v1/customers/"+c+"/visits?status=cancelled", am.Token, nil), 200).items(); len(l) != 1 {
		t.Fatalf("?status=cancelled lists %v", l)
	}
}
