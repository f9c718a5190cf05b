package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kam"
)

// failRegister makes the access register refuse every row whose purpose is
// purpose, as a broken register would, for the rest of the test. Only the
// access_log has this trigger: the change itself would succeed.
func failRegister(t *testing.T, purpose string) {
	t.Helper()
	ctx := context.Background()
	// kam serves as kam_app, which may not create triggers on the register
	// (migration 00011): the owner installs the fault.
	owner, err := pgx.Connect(ctx, ownerDSN)
	if err != nil {
		t.Fatal(err)
	}
	name := "test_fail_register_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	for _, sql := range []string{
		`CREATE FUNCTION ` + name + `() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the register refuses this row'; END $$`,
		`CREATE TRIGGER ` + name + ` BEFORE INSERT ON access_log FOR EACH ROW WHEN (NEW.purpose = '` + purpose + `') EXECUTE FUNCTION ` + name + `()`,
	} {
		if _, err := owner.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = owner.Exec(ctx, `DROP TRIGGER `+name+` ON access_log`)
		_, _ = owner.Exec(ctx, `DROP FUNCTION `+name+`()`)
		_ = owner.Close(ctx)
	})
}

// Art. 9: a write whose register entry cannot be written does not happen (it
// answers 503 unavailable and changes nothing); a write that happens has
// exactly one `update` row under its request id.
func TestArchiveWriteRegistersInItsTransaction(t *testing.T) {
	staff := staffByRole(t)
	ka, fin := staff[kam.RoleKAManager], staff[kam.RoleFinance]
	c := newAccount(t, "")
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("0 0 1 * *", "100000", 30)), 200)
	const refused = "register refuses"
	failRegister(t, refused)

	cases := []struct {
		name, method, path, token string
		body                      any
		ok                        int
		changed                   func() int // rows that show the change
	}{
		{"PATCH customer", "PATCH", "/v1/customers/" + c, ka.Token, map[string]any{"name": "Renamed by a refused write"}, 200, func() int {
			return countRows(t, "SELECT count(*) FROM customers WHERE id = $1 AND name = 'Renamed by a refused write'", c)
		}},
		{"POST contact", "POST", "/v1/customers/" + c + "/contacts", ka.Token, map[string]any{"name": "Refused Contact"}, 201, func() int {
			return countRows(t, "SELECT count(*) FROM customer_contacts WHERE customer_id = $1 AND name = 'Refused Contact'", c)
		}},
		{"POST charge", "POST", "/v1/customers/" + c + "/charges", fin.Token, chargeBody("10", "REFUSED-1"), 201, func() int {
			return countRows(t, "SELECT count(*) FROM credit_charges WHERE customer_id = $1 AND reference = 'REFUSED-1'", c)
		}},
		{"POST ticket", "POST", "/v1/tickets", ka.Token, map[string]any{"customer_id": c, "kind": "inquiry", "subject": "refused ticket"}, 201, func() int {
			return countRows(t, "SELECT count(*) FROM tickets WHERE customer_id = $1 AND subject = 'refused ticket'", c)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := call(t, tc.method, tc.path, tc.token, tc.body, header{"X-Access-Purpose", refused})
			problem(t, res, 503, "unavailable")
			if n := tc.changed(); n != 0 {
				t.Fatalf("the change stands without its register entry (%d rows)", n)
			}
			reqID := uuid.NewString()
			must(t, call(t, tc.method, tc.path, tc.token, tc.body, header{"X-Request-Id", reqID}), tc.ok)
			if n := tc.changed(); n != 1 {
				t.Fatalf("%d rows after the registered write, want 1", n)
			}
			if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'update' AND customer_id = $2", reqID, c); n != 1 {
				t.Fatalf("%d update rows under the request id, want 1", n)
			}
		})
	}
}

// A discount decision is made by the approval run: its entry is registered
// before the run is asked, and when that fails nothing is sent.
func TestProcessWriteRegistersFirst(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	c := newAccount(t, am.ID)
	id := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "8.5")), 201).str("id")
	const refused = "register refuses decisions"
	failRegister(t, refused)
	res := call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token,
		map[string]any{"decision": "approve"}, header{"X-Access-Purpose", refused})
	problem(t, res, 503, "unavailable")
	if st := must(t, call(t, "GET", "/v1/discount-requests/"+id, am.Token, nil), 200).str("state"); st != "pending" {
		t.Fatalf("state %q after a decision the register refused", st)
	}
}

// SPEC §7: a token secret is never stored, not even for an Idempotency-Key
// replay; the replay withholds it and says so.
func TestTokenSecretNotInIdempotencyReplay(t *testing.T) {
	st := must(t, call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": "Secret " + uuid.NewString()[:6], "role": kam.RoleDataClerk}), 201)
	key := header{"Idempotency-Key", uuid.NewString()}
	first := must(t, call(t, "POST", "/v1/staff/"+st.str("id")+"/tokens", adminToken, nil, key), 201)
	secret := first.str("token")
	if secret == "" {
		t.Fatalf("no token in the first answer: %s", first.Raw)
	}
	if n := countRows(t, "SELECT count(*) FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') in coalesce(body, '')) > 0", secret); n != 0 {
		t.Fatalf("the idempotency table holds the token secret (%d rows)", n)
	}
	again := must(t, call(t, "POST", "/v1/staff/"+st.str("id")+"/tokens", adminToken, nil, key), 201)
	if again.Header.Get("Idempotent-Replayed") != "true" || again.str("id") != first.str("id") {
		t.Fatalf("not a replay of the first answer: %s", again.Raw)
	}
	if _, ok := again.Body["token"]; ok || strings.Contains(string(again.Raw), secret) {
		t.Fatalf("the replay shows the secret: %s", again.Raw)
	}
	if again.str("notice") == "" {
		t.Fatalf("the replay does not say the secret is withheld: %s", again.Raw)
	}
	if n := countRows(t, "SELECT count(*) FROM api_tokens WHERE staff_id = $1", st.str("id")); n != 1 {
		t.Fatalf("%d tokens after a replay, want 1", n)
	}
}
