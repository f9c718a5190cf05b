package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"

	"kam/db/store"
)

// archiveRoute is one archive operation of the matrix.
type archiveRoute struct {
	name   string
	method string
	path   string // %s is the account id
	body   func() any
	// allowed lists the roles that may do it; everyone else who can see the
	// account gets 403, and anyone who cannot see it gets 404.
	allowed []string
	ok      int
}

var (
	readers = []string{store.RoleGeneralManager, store.RoleKAManager, store.RoleAccountManager, store.RoleDataClerk,
		store.RoleServiceAgent, store.RoleFinance, store.RoleAuditor}
	editors      = []string{store.RoleKAManager, store.RoleAccountManager, store.RoleDataClerk}
	creditReader = []string{store.RoleGeneralManager, store.RoleKAManager, store.RoleAccountManager, store.RoleFinance, store.RoleAuditor}
	creditEditor = []string{store.RoleKAManager, store.RoleFinance}
)

var archiveRoutes = []archiveRoute{
	{"read profile", "GET", "/v1/customers/%s", nil, readers, 200},
	{"patch profile", "PATCH", "/v1/customers/%s", func() any { return map[string]any{"phone": "+86 21 " + uuid.NewString()[:6]} }, editors, 200},
	{"list contacts", "GET", "/v1/customers/%s/contacts", nil, readers, 200},
	{"add contact", "POST", "/v1/customers/%s/contacts", func() any { return map[string]any{"name": "Contact"} }, editors, 201},
	{"list key persons", "GET", "/v1/customers/%s/key-persons", nil, readers, 200},
	{"add key person", "POST", "/v1/customers/%s/key-persons", func() any { return map[string]any{"name": "Head", "role": "head", "birthday": "1970-02-28"} }, editors, 201},
	{"history", "GET", "/v1/customers/%s/history", nil, readers, 200},
	{"read credit", "GET", "/v1/customers/%s/credit", nil, creditReader, 200},
	{"set credit", "PUT", "/v1/customers/%s/credit", func() any {
		return map[string]any{"credit_level": "A", "arrears_limit": "100000.00", "settlement_cycle": "@monthly", "payment_term_days": 30}
	}, creditEditor, 200},
}

// Every role on every archive route, on an account assigned to the caller
// (own) and on one assigned to another manager (other): both sides of every
// rule of SPEC §2, and each attempt, allowed or refused, in the register.
func TestArchiveAuthorizationMatrix(t *testing.T) {
	staff := staffByRole(t)
	am := staff[store.RoleAccountManager]
	otherAM := newStaff(t, store.RoleAccountManager)
	own := newAccount(t, am.ID)
	other := newAccount(t, otherAM.ID)
	// Both accounts have a credit grade so that reads can succeed.
	for _, id := range []string{own, other} {
		must(t, call(t, "PUT", "/v1/customers/"+id+"/credit", staff[store.RoleFinance].Token,
			map[string]any{"credit_level": "B", "arrears_limit": "5000", "settlement_cycle": "0 0 1 * *", "payment_term_days": 15}), 200)
	}
	for _, route := range archiveRoutes {
		for _, role := range store.Roles {
			for _, which := range []string{"own", "other"} {
				id := own
				if which == "other" {
					id = other
				}
				caller := staff[role]
				want := route.ok
				switch {
				case role == store.RoleAdmin:
					want = http.StatusNotFound // admins run the system; they do not read archives
				case role == store.RoleAccountManager && which == "other":
					want = http.StatusNotFound
				case !slices.Contains(route.allowed, role):
					want = http.StatusForbidden
				}
				t.Run(fmt.Sprintf("%s/%s/%s", route.name, role, which), func(t *testing.T) {
					var body any
					if route.body != nil {
						body = route.body()
					}
					reqID := uuid.NewString()
					r := call(t, route.method, fmt.Sprintf(route.path, id), caller.Token, body, header{"X-Request-Id", reqID}, header{"X-Access-Purpose", "authz matrix"})
					if r.Status != want {
						t.Fatalf("status %d, want %d: %s", r.Status, want, r.Raw)
					}
					action := map[string]string{"GET": store.AccessView, "PATCH": store.AccessUpdate, "POST": store.AccessUpdate, "PUT": store.AccessUpdate}[route.method]
					if want >= 400 {
						action = store.AccessDenied
						problem(t, r, want, map[int]string{403: "forbidden", 404: "not_found"}[want])
					}
					n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = $2 AND customer_id = $3 AND staff_id = $4 AND purpose = 'authz matrix'",
						reqID, action, id, caller.ID)
					if n != 1 {
						t.Fatalf("%d register rows for this %s, want 1", n, action)
					}
				})
			}
		}
	}
}

func TestListAndCreateAuthorization(t *testing.T) {
	staff := staffByRole(t)
	am := staff[store.RoleAccountManager]
	mine := newAccount(t, am.ID)
	theirs := newAccount(t, newStaff(t, store.RoleAccountManager).ID)
	for _, role := range store.Roles {
		t.Run("list/"+role, func(t *testing.T) {
			r := call(t, "GET", "/v1/customers?limit=200", staff[role].Token, nil)
			if role == store.RoleAdmin {
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
			if ids[theirs] != (role != store.RoleAccountManager) {
				t.Fatalf("%s sees another manager's account: %v", role, ids[theirs])
			}
		})
		t.Run("create/"+role, func(t *testing.T) {
			r := call(t, "POST", "/v1/customers", staff[role].Token, map[string]any{"code": "N-" + uuid.NewString()[:12], "name": "New"})
			if role == store.RoleKAManager || role == store.RoleDataClerk {
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
	am := staff[store.RoleAccountManager]
	id := newAccount(t, am.ID)
	for _, role := range []string{store.RoleDataClerk, store.RoleAccountManager} {
		problem(t, call(t, "PATCH", "/v1/customers/"+id, staff[role].Token, map[string]any{"tier": "S"}), 403, "forbidden_field")
		problem(t, call(t, "POST", "/v1/customers", staff[role].Token, map[string]any{"code": "F-" + uuid.NewString()[:8], "name": "x", "account_manager_id": am.ID}), 403, map[string]string{
			store.RoleDataClerk: "forbidden_field", store.RoleAccountManager: "forbidden"}[role])
	}
	r := must(t, call(t, "PATCH", "/v1/customers/"+id, staff[store.RoleKAManager].Token, map[string]any{"tier": "S"}), 200)
	if r.str("tier") != "S" {
		t.Fatalf("tier = %s", r.str("tier"))
	}
	// Only an account manager can be assigned.
	problem(t, call(t, "PATCH", "/v1/customers/"+id, staff[store.RoleKAManager].Token, map[string]any{"account_manager_id": staff[store.RoleFinance].ID}), 422, "validation_failed")
}

// A service agent sees profile and contacts, never credit (SPEC §2).
func TestServiceAgentNeverSeesCredit(t *testing.T) {
	staff := staffByRole(t)
	id := newAccount(t, "")
	r := must(t, call(t, "GET", "/v1/customers/"+id, staff[store.RoleServiceAgent].Token, nil), 200)
	for _, s := range r.Body["missing_sections"].([]any) {
		if s == store.SectionCredit {
			t.Fatal("service agent learns about the credit section")
		}
	}
	r = must(t, call(t, "GET", "/v1/customers/"+id, staff[store.RoleKAManager].Token, nil), 200)
	if !slices.Contains(r.Body["missing_sections"].([]any), any(store.SectionCredit)) {
		t.Fatalf("ka manager missing = %v", r.Body["missing_sections"])
	}
}
