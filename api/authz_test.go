package api_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"kam"
)

func TestListAndCreateAuthorization(t *testing.T) {
	staff := staffByRole(t)
	am := staff[kam.RoleAccountManager]
	mine := newAccount(t, am.ID)
	theirs := newAccount(t, newStaff(t, kam.RoleAccountManager).ID)
	for _, role := range kam.Roles {
		t.Run("list/"+role, func(t *testing.T) {
			r := call(t, "GET", "/v1/customers?limit=200", staff[role].Token, nil)
			if role == kam.RoleAdmin {
				problem(t, r, 403, "forbidden")
				return
			}
			must(t, r, 200)
			ids := map[string]bool{}
			for page := r; ; {
				for _, it := range page.items() {
					ids[it["id"].(string)] = true
				}
				next := page.str("next_cursor")
				if next == "" {
					break
				}
				page = must(t, call(t, "GET", "/v1/customers?limit=200&cursor="+next, staff[role].Token, nil), 200)
			}
			if !ids[mine] {
				t.Fatalf("%s does not see an account it may see", role)
			}
			if ids[theirs] != (role != kam.RoleAccountManager) {
				t.Fatalf("%s sees another manager's account: %v", role, ids[theirs])
			}
		})
		t.Run("create/"+role, func(t *testing.T) {
			r := call(t, "POST", "/v1/customers", staff[role].Token, map[string]any{"code": "N-" + uuid.NewString()[:12], "name": "New"})
			if role == kam.RoleKAManager || role == kam.RoleDataClerk {
				must(t, r, 201)
			} else {
				problem(t, r, 403, "forbidden")
			}
		})
	}
}

// Tier, assignment and status are the KA Department's (Art. 3, 4).
func TestAssignmentFieldsAreKAManagers(t *testing.T) {
	staff := staffByRole(t)
	am := staff[kam.RoleAccountManager]
	id := newAccount(t, am.ID)
	for _, role := range []string{kam.RoleDataClerk, kam.RoleAccountManager} {
		problem(t, call(t, "PATCH", "/v1/customers/"+id, staff[role].Token, map[string]any{"tier": "S"}), 403, "forbidden_field")
		problem(t, call(t, "POST", "/v1/customers", staff[role].Token, map[string]any{"code": "F-" + uuid.NewString()[:8], "name": "x", "account_manager_id": am.ID}), 403, map[string]string{
			kam.RoleDataClerk: "forbidden_field", kam.RoleAccountManager: "forbidden"}[role])
	}
	r := must(t, call(t, "PATCH", "/v1/customers/"+id, staff[kam.RoleKAManager].Token, map[string]any{"tier": "S"}), 200)
	if r.str("tier") != "S" {
		t.Fatalf("tier = %s", r.str("tier"))
	}
	// Another manager's account is 404 whatever the patch would do, clearing
	// the manager included (no existence leak through a 403).
	other := newAccount(t, "")
	problem(t, call(t, "PATCH", "/v1/customers/"+other, am.Token, map[string]any{"account_manager_id": nil}), 404, "not_found")
	problem(t, call(t, "PATCH", "/v1/customers/"+other, am.Token, map[string]any{"tier": "S"}), 404, "not_found")
	// Only an account manager can be assigned.
	problem(t, call(t, "PATCH", "/v1/customers/"+id, staff[kam.RoleKAManager].Token, map[string]any{"account_manager_id": staff[kam.RoleFinance].ID}), 422, "validation_failed")
}

// A service agent sees profile and contacts, never credit (SPEC §2).
// Art. 9: the archive is confidential and every access is registered.
func TestServiceAgentNeverSeesCredit(t *testing.T) {
	staff := staffByRole(t)
	id := newAccount(t, "")
	r := must(t, call(t, "GET", "/v1/customers/"+id, staff[kam.RoleServiceAgent].Token, nil), 200)
	for _, s := range r.Body["missing_sections"].([]any) {
		if s == kam.SectionCredit {
			t.Fatal("service agent learns about the credit section")
		}
	}
	r = must(t, call(t, "GET", "/v1/customers/"+id, staff[kam.RoleKAManager].Token, nil), 200)
	if !slices.Contains(r.Body["missing_sections"].([]any), any(kam.SectionCredit)) {
		t.Fatalf("ka manager missing = %v", r.Body["missing_sections"])
	}
}
