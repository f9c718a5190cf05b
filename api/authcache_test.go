package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"kam"
)

// Token lookups are cached while kam listens on kam_auth; a change made by
// another process (here: SQL on another connection, as another replica's
// store would) reaches this one by the notification, and the token is
// refused from then on. Changes made through this process are refused on
// the very next request (TestTokensAndMe, TestStaffDeactivation...).
func TestTokenChangedElsewhereIsRefused(t *testing.T) {
	ctx := context.Background()
	owner, err := pgx.Connect(ctx, ownerDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	cases := []struct{ name, sql string }{
		{"revoked", "UPDATE api_tokens SET revoked_at = now() WHERE staff_id = $1"},
		{"deactivated", "UPDATE staff SET active = false WHERE id = $1"},
		{"expired", "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE staff_id = $1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newStaff(t, kam.RoleAuditor)
			for range 3 { // the second and third come from the cache
				must(t, call(t, "GET", "/v1/me", m.Token, nil), 200)
			}
			if _, err := owner.Exec(ctx, tc.sql, m.ID); err != nil {
				t.Fatal(err)
			}
			refusedAfter(t, m.Token, time.Now())
		})
	}
	// A new role holds from the notification on.
	m := newStaff(t, kam.RoleAuditor)
	must(t, call(t, "GET", "/v1/me", m.Token, nil), 200)
	if _, err := owner.Exec(ctx, "UPDATE staff SET role = 'finance' WHERE id = $1", m.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for must(t, call(t, "GET", "/v1/me", m.Token, nil), 200).str("role") != kam.RoleFinance {
		if time.Now().After(deadline) {
			t.Fatal("the new role did not reach the cache within a second")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// refusedAfter waits (at most a second) for token to be refused, then checks
// that it stays refused.
func refusedAfter(t *testing.T, token string, changed time.Time) {
	t.Helper()
	for {
		res := call(t, "GET", "/v1/me", token, nil)
		if res.Status == 401 {
			t.Logf("refused %v after the change committed", time.Since(changed).Round(time.Microsecond))
			break
		}
		must(t, res, 200)
		if time.Since(changed) > time.Second {
			t.Fatal("still served a second after the change")
		}
		time.Sleep(time.Millisecond)
	}
	for range 3 {
		problem(t, call(t, "GET", "/v1/me", token, nil), 401, "invalid_token")
	}
}
