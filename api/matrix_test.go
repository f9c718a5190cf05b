package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
)

// The authorization matrix: every route of the OpenAPI document × every role
// (and no token at all) × an account assigned to the caller ("own") and one
// assigned to another manager ("other"). The expected status is computed from
// the row, never read from the server's own grants table, so the two can
// disagree; a route without a row, or a row without a route, fails the test.

// seenBy says who can see the thing a route acts on. Those who cannot get 404
// (SPEC §2: no existence leak); those who can but may not act get 403.
type seenBy int

const (
	anyone         seenBy = iota // a company-wide resource
	archive                      // an account: everyone but the admin; an account manager only their own
	archiveBody                  // an account named in the body: the role is checked before the account
	discountData                 // a discount request: its requester, ka_manager, general_manager, finance, auditor (Art. 11)
	ticketData                   // a ticket: those who read tickets; an account manager only their accounts'
	filingData                   // a filing with the GM (Art. 12)
	greetingData                 // a greeting task (Art. 19)
	ownOnly                      // the caller's own thing (a notification); another's does not exist for them
	inspectionData               // an inspection: only those who see inspections know it exists
	delegationData               // a delegation: its parties, and admin, general_manager, auditor (SPEC §7)
)

// A matrixRow is one route. may lists the roles that may act on what they
// can see; registered says every attempt, allowed or refused, must be in the
// access register with action (SPEC §5).
type matrixRow struct {
	op     string // "METHOD /path" exactly as in openapi.json
	ok     int
	may    []string
	sees   seenBy
	action string // access register action of an allowed call; "" = not an archive access
	// req builds the request for one case; it may create what the case consumes.
	req func(t *testing.T, f *matrixFixture, c matrixCase) (path string, body any)
	// mayOwn, when set, also allows any role on its own thing (revoking one's own token).
	mayOwn bool
	// contentType of a body sent verbatim (a CSV import); "" = JSON.
	contentType string
	// ownRoles, when set, narrows mayOwn to these roles (only deciders have
	// approvals of their own to delegate).
	ownRoles []string
}

type matrixCase struct {
	role   string // "" = no token
	caller member
	own    bool
}

// role sets of SPEC §2.
var (
	allRoles          = kam.Roles
	archiveReaders    = []string{kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleAccountManager, kam.RoleDataClerk, kam.RoleServiceAgent, kam.RoleFinance, kam.RoleAuditor}
	archiveEditors    = []string{kam.RoleKAManager, kam.RoleAccountManager, kam.RoleDataClerk}
	creditReaders     = []string{kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleAccountManager, kam.RoleFinance, kam.RoleAuditor}
	creditEditors     = []string{kam.RoleKAManager, kam.RoleFinance}
	arrearsReaders    = []string{kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleFinance, kam.RoleAuditor}
	discountReaders   = []string{kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleAccountManager, kam.RoleFinance, kam.RoleAuditor}
	requesters        = []string{kam.RoleKAManager, kam.RoleAccountManager}
	ticketReaders     = []string{kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleAccountManager, kam.RoleServiceAgent, kam.RoleAuditor}
	ticketHandlers    = []string{kam.RoleKAManager, kam.RoleAccountManager, kam.RoleServiceAgent}
	reportReaders     = []string{kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleAccountManager, kam.RoleFinance, kam.RoleAuditor}
	policyReaders     = []string{kam.RoleAdmin, kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleAccountManager, kam.RoleFinance, kam.RoleAuditor}
	policySetters     = []string{kam.RoleAdmin, kam.RoleKAManager}
	filingReaders     = []string{kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleAuditor}
	greeters          = []string{kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleAccountManager}
	inspectors        = []string{kam.RoleGeneralManager, kam.RoleAuditor}
	tierReviewReaders = []string{kam.RoleGeneralManager, kam.RoleKAManager, kam.RoleAuditor}
	staffListers      = []string{kam.RoleAdmin, kam.RoleGeneralManager, kam.RoleKAManager}
	budgeters         = []string{kam.RoleKAManager, kam.RoleFinance}
	costRecorders     = []string{kam.RoleKAManager, kam.RoleAccountManager, kam.RoleFinance}
	deciders          = []string{kam.RoleKAManager, kam.RoleGeneralManager}
	delegationSeers   = []string{kam.RoleAdmin, kam.RoleGeneralManager, kam.RoleAuditor}
	only              = func(roles ...string) []string { return roles }
)

func onAccount(format string) func(*testing.T, *matrixFixture, matrixCase) (string, any) {
	return func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return fmt.Sprintf(format, f.account(c.own)), nil
	}
}

func fixed(path string) func(*testing.T, *matrixFixture, matrixCase) (string, any) {
	return func(*testing.T, *matrixFixture, matrixCase) (string, any) { return path, nil }
}

func withBody(format string, body func() any) func(*testing.T, *matrixFixture, matrixCase) (string, any) {
	return func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		p := format
		if strings.Contains(format, "%s") {
			p = fmt.Sprintf(format, f.account(c.own))
		}
		return p, body()
	}
}

func unique() string { return uuid.NewString()[:8] }

var matrix = []matrixRow{
	// Staff and tokens (admin).
	{op: "GET /v1/me", ok: 200, may: allRoles, req: fixed("/v1/me")},
	{op: "GET /v1/staff", ok: 200, may: staffListers, req: fixed("/v1/staff")},
	{op: "POST /v1/staff", ok: 201, may: only(kam.RoleAdmin), req: withBody("/v1/staff", func() any { return map[string]any{"name": "Matrix " + unique(), "role": kam.RoleDataClerk} })},
	// SPEC §7: one staff record is read by whoever may list staff, changed by
	// the admin only (no one changes their own role); a token list is the
	// admin's or the owner's, as revoking is.
	{op: "GET /v1/staff/{id}", ok: 200, may: staffListers, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/staff/" + f.staffID(c), nil
	}},
	{op: "PATCH /v1/staff/{id}", ok: 200, may: only(kam.RoleAdmin), req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/staff/" + f.staffID(c), map[string]any{"locale": "en"}
	}},
	{op: "GET /v1/staff/{id}/tokens", ok: 200, may: only(kam.RoleAdmin), mayOwn: true, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/staff/" + f.staffID(c) + "/tokens", nil
	}},
	{op: "POST /v1/staff/{id}/tokens", ok: 201, may: only(kam.RoleAdmin), req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/staff/" + f.staffID(c) + "/tokens", nil
	}},
	// SPEC §7: a KA manager or an admin hands a person's accounts over to an
	// account manager (here: a person with none, so nothing else changes);
	// whoever reads staff records follows its progress.
	{op: "POST /v1/staff/{id}/handover", ok: 202, may: only(kam.RoleAdmin, kam.RoleKAManager), req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/staff/" + f.staffID(c) + "/handover", map[string]any{"to": f.otherAM.ID}
	}},
	{op: "GET /v1/staff/{id}/handovers/{handover_id}", ok: 200, may: staffListers, req: func(t *testing.T, f *matrixFixture, _ matrixCase) (string, any) {
		h := must(t, call(t, "POST", "/v1/staff/"+f.third.ID+"/handover", adminToken, map[string]any{"to": f.otherAM.ID}), 202)
		return h.Header.Get("Location"), nil
	}},
	{op: "DELETE /v1/staff/{id}/tokens/{token_id}", ok: 204, may: only(kam.RoleAdmin), mayOwn: true, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		id := f.staffID(c)
		tok := must(t, call(t, "POST", "/v1/staff/"+id+"/tokens", adminToken, nil), 201).str("id")
		return "/v1/staff/" + id + "/tokens/" + tok, nil
	}},

	// Reference data and policy (Art. 3, 5.5, 12, 15).
	{op: "GET /v1/tiers", ok: 200, may: allRoles, req: fixed("/v1/tiers")},
	{op: "GET /v1/tiers/{code}", ok: 200, may: allRoles, req: fixed("/v1/tiers/B")},
	{op: "PUT /v1/tiers/{code}", ok: 200, may: policySetters, req: func(_ *testing.T, f *matrixFixture, _ matrixCase) (string, any) {
		return "/v1/tiers/B", f.tierB
	}},
	// SPEC §7 Tiers: a tier's history is reference data like the tier.
	{op: "GET /v1/tiers/{code}/history", ok: 200, may: allRoles, req: fixed("/v1/tiers/B/history")},
	{op: "GET /v1/discount-policies/{tier}/{product_category}/history", ok: 200, may: policyReaders, req: fixed("/v1/discount-policies/A/services/history")},
	// Art. 2, 3: the KA Department runs reviews and decides their proposals;
	// the GM and the auditors read them too (SPEC §2: they read everything).
	// A review names accounts with their revenue: reading its proposals is
	// registered as a list, a refusal as denied; a decision is an update.
	{op: "POST /v1/tier-reviews", ok: 201, may: only(kam.RoleKAManager), req: withBody("/v1/tier-reviews", func() any { return map[string]any{} })},
	{op: "GET /v1/tier-reviews", ok: 200, may: tierReviewReaders, req: fixed("/v1/tier-reviews")},
	{op: "GET /v1/tier-reviews/{id}", ok: 200, may: tierReviewReaders, action: kam.AccessList, req: func(_ *testing.T, f *matrixFixture, _ matrixCase) (string, any) {
		return "/v1/tier-reviews/" + f.tierReview + "?limit=5", nil
	}},
	{op: "POST /v1/tier-reviews/{id}/proposals/{customer_id}/decision", ok: 200, may: only(kam.RoleKAManager), action: kam.AccessUpdate, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/tier-reviews/" + f.tierReview + "/proposals/" + f.proposal[c.own] + "/decision", map[string]any{"decision": "reject"}
	}},
	{op: "GET /v1/discount-policies", ok: 200, may: policyReaders, req: fixed("/v1/discount-policies")},
	{op: "PUT /v1/discount-policies/{tier}/{product_category}", ok: 200, may: policySetters, req: withBody("/v1/discount-policies/B/matrix", func() any {
		return map[string]any{"max_standard_rate": "5", "hard_cap_rate": "10", "methods": []string{"percentage"}}
	})},
	{op: "GET /v1/holidays", ok: 200, may: allRoles, req: fixed("/v1/holidays")},
	{op: "POST /v1/holidays", ok: 201, may: policySetters, req: withBody("/v1/holidays", func() any { return farHoliday() })},
	{op: "DELETE /v1/holidays/{id}", ok: 204, may: policySetters, req: func(t *testing.T, f *matrixFixture, _ matrixCase) (string, any) {
		id := must(t, call(t, "POST", "/v1/holidays", f.staff[kam.RoleKAManager].Token, farHoliday()), 201).str("id")
		return "/v1/holidays/" + id, nil
	}},

	// The archive (Art. 7, 9).
	{op: "GET /v1/customers", ok: 200, may: archiveReaders, action: kam.AccessList, req: fixed("/v1/customers?limit=5")},
	{op: "POST /v1/customers", ok: 201, may: only(kam.RoleKAManager, kam.RoleDataClerk), action: kam.AccessUpdate, req: withBody("/v1/customers", func() any {
		return map[string]any{"code": "MX-" + unique(), "name": "Matrix account"}
	})},
	{op: "GET /v1/customers/{id}", ok: 200, may: archiveReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s")},
	{op: "PATCH /v1/customers/{id}", ok: 200, may: archiveEditors, sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s", func() any {
		return map[string]any{"phone": "+86 21 " + unique()}
	})},
	{op: "GET /v1/customers/{id}/contacts", ok: 200, may: archiveReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/contacts")},
	{op: "POST /v1/customers/{id}/contacts", ok: 201, may: archiveEditors, sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s/contacts", func() any {
		return map[string]any{"name": "Contact " + unique()}
	})},
	{op: "GET /v1/customers/{id}/key-persons", ok: 200, may: archiveReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/key-persons")},
	{op: "POST /v1/customers/{id}/key-persons", ok: 201, may: archiveEditors, sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s/key-persons", func() any {
		return map[string]any{"name": "Handler " + unique(), "role": "handler"}
	})},
	// Archive upkeep (Art. 7.2): changed and removed by those who add them.
	{op: "PATCH /v1/customers/{id}/contacts/{contact_id}", ok: 200, may: archiveEditors, sees: archive, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return f.person(t, c.own, "contacts", map[string]any{"name": "Contact " + unique()}), map[string]any{"phone": "+86 10 " + unique()}
	}},
	{op: "DELETE /v1/customers/{id}/contacts/{contact_id}", ok: 204, may: archiveEditors, sees: archive, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return f.person(t, c.own, "contacts", map[string]any{"name": "Contact " + unique()}), nil
	}},
	{op: "PATCH /v1/customers/{id}/key-persons/{key_person_id}", ok: 200, may: archiveEditors, sees: archive, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return f.person(t, c.own, "key-persons", map[string]any{"name": "Other " + unique(), "role": "other"}), map[string]any{"title": "Director " + unique()}
	}},
	{op: "DELETE /v1/customers/{id}/key-persons/{key_person_id}", ok: 204, may: archiveEditors, sees: archive, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return f.person(t, c.own, "key-persons", map[string]any{"name": "Other " + unique(), "role": "other"}), nil
	}},
	{op: "GET /v1/customers/{id}/history", ok: 200, may: archiveReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/history")},
	{op: "POST /v1/customers/{id}/churn", ok: 201, may: only(kam.RoleKAManager), sees: archive, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/customers/" + f.freshAccount(t, c.own) + "/churn", map[string]any{"reason": "price", "effective_on": today()}
	}},
	{op: "POST /v1/customers/{id}/reactivate", ok: 200, may: only(kam.RoleKAManager), sees: archive, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		id := f.freshAccount(t, c.own)
		must(t, call(t, "POST", "/v1/customers/"+id+"/churn", f.staff[kam.RoleKAManager].Token, map[string]any{"reason": "closure", "effective_on": today()}), 201)
		return "/v1/customers/" + id + "/reactivate", nil
	}},

	// Imports (SPEC §7 "Archive upkeep"): accounts by who opens them,
	// contacts and key persons by who adds them; each row names an account
	// the caller sees (a row naming another's is a row error, see
	// TestImportAuthorizationBothSides).
	{op: "POST /v1/imports/customers", ok: 200, may: only(kam.RoleKAManager, kam.RoleDataClerk), action: kam.AccessUpdate, contentType: "text/csv",
		req: func(*testing.T, *matrixFixture, matrixCase) (string, any) {
			return "/v1/imports/customers", "code,name\nMXI-" + unique() + ",Matrix import\n"
		}},
	{op: "POST /v1/imports/contacts", ok: 200, may: archiveEditors, action: kam.AccessUpdate, contentType: "text/csv",
		req: func(t *testing.T, f *matrixFixture, _ matrixCase) (string, any) {
			return "/v1/imports/contacts", "code,name\n" + f.ownCode(t) + ",Matrix contact " + unique() + "\n"
		}},
	{op: "POST /v1/imports/key-persons", ok: 200, may: archiveEditors, action: kam.AccessUpdate, contentType: "text/csv",
		req: func(t *testing.T, f *matrixFixture, _ matrixCase) (string, any) {
			return "/v1/imports/key-persons", "code,name,role\n" + f.ownCode(t) + ",Matrix person " + unique() + ",other\n"
		}},

	// Credit (Art. 10, 13, 7.7).
	{op: "GET /v1/customers/{id}/credit", ok: 200, may: creditReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/credit")},
	{op: "PUT /v1/customers/{id}/credit", ok: 200, may: creditEditors, sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s/credit", func() any { return creditTerms })},
	{op: "POST /v1/customers/{id}/charges", ok: 201, may: only(kam.RoleFinance), sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s/charges", func() any {
		return map[string]any{"amount": "1.00", "reference": "MX-" + unique(), "occurred_on": today()}
	})},
	{op: "POST /v1/customers/{id}/payments", ok: 201, may: only(kam.RoleFinance), sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s/payments", func() any {
		return map[string]any{"amount": "1.00", "reference": "MX-" + unique(), "received_on": today()}
	})},
	{op: "GET /v1/customers/{id}/statements", ok: 200, may: creditReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/statements")},
	// The ledger (SPEC §7 "Ledger"): lists for those who see credit,
	// reversals for finance only, the arrears overview across accounts.
	{op: "GET /v1/customers/{id}/charges", ok: 200, may: creditReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/charges")},
	{op: "GET /v1/customers/{id}/payments", ok: 200, may: creditReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/payments")},
	{op: "POST /v1/customers/{id}/charges/{charge_id}/reversal", ok: 201, may: only(kam.RoleFinance), sees: archive, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return f.freshEntry(t, c.own, "charges"), map[string]any{"reason": "matrix"}
	}},
	{op: "POST /v1/customers/{id}/payments/{payment_id}/reversal", ok: 201, may: only(kam.RoleFinance), sees: archive, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return f.freshEntry(t, c.own, "payments"), map[string]any{"reason": "matrix"}
	}},
	{op: "GET /v1/credit", ok: 200, may: arrearsReaders, action: kam.AccessList, req: fixed("/v1/credit?limit=5")},

	// Discounts (Art. 11, 12, 7.8).
	{op: "GET /v1/customers/{id}/discounts", ok: 200, may: discountReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/discounts")},
	{op: "GET /v1/discount-requests", ok: 200, may: discountReaders, action: kam.AccessList, req: fixed("/v1/discount-requests")},
	{op: "POST /v1/discount-requests", ok: 201, may: requesters, sees: archiveBody, action: kam.AccessUpdate, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/discount-requests", discountBody(f.account(c.own), "3")
	}},
	{op: "GET /v1/discount-requests/{id}", ok: 200, may: discountReaders, sees: discountData, action: kam.AccessView, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/discount-requests/" + f.requests[c.own], nil
	}},
	{op: "POST /v1/discount-requests/{id}/decisions", ok: 200, may: only(kam.RoleKAManager), sees: discountData, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/discount-requests/" + f.freshRequest(t, c.own) + "/decisions", map[string]any{"decision": "approve"}
	}},
	{op: "POST /v1/discount-requests/{id}/withdraw", ok: 200, may: only(kam.RoleAccountManager), sees: discountData, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/discount-requests/" + f.freshRequest(t, c.own) + "/withdraw", nil
	}},
	// SPEC §7: a KA manager revokes standard grants, the GM any; the grant is
	// seen by those who see discount data (an account manager: their accounts').
	{op: "POST /v1/discount-grants/{id}/revoke", ok: 200, may: deciders, sees: discountData, action: kam.AccessUpdate, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/discount-grants/" + f.freshGrant(t, c.own) + "/revoke", map[string]any{"reason": "authz matrix"}
	}},
	// SPEC §7: one's own approvals (deciders), or the admin for anyone.
	{op: "POST /v1/delegations", ok: 201, may: only(kam.RoleAdmin), mayOwn: true, ownRoles: deciders, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/delegations", map[string]any{"from_staff_id": f.delegator(c), "to_staff_id": f.deputy.ID,
			"ends_at": time.Now().Add(time.Hour).Format(time.RFC3339), "reason": "authz matrix"}
	}},
	{op: "GET /v1/delegations", ok: 200, may: allRoles, req: fixed("/v1/delegations")},
	{op: "DELETE /v1/delegations/{id}", ok: 204, may: only(kam.RoleAdmin), mayOwn: true, ownRoles: deciders, sees: delegationData, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		id := must(t, call(t, "POST", "/v1/delegations", adminToken, map[string]any{"from_staff_id": f.delegator(c), "to_staff_id": f.deputy.ID,
			"ends_at": time.Now().Add(time.Hour).Format(time.RFC3339)}), 201).str("id")
		return "/v1/delegations/" + id, nil
	}},
	{op: "GET /v1/filings", ok: 200, may: filingReaders, action: kam.AccessList, req: fixed("/v1/filings")},
	{op: "POST /v1/filings/{id}/acknowledge", ok: 200, may: only(kam.RoleGeneralManager), sees: filingData, action: kam.AccessUpdate, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/filings/" + f.filing[c.own] + "/acknowledge", nil
	}},

	// Service (Art. 16, 17, 19, 20).
	{op: "GET /v1/customers/{id}/visits", ok: 200, may: archiveReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/visits")},
	{op: "POST /v1/customers/{id}/visits", ok: 201, may: requesters, sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s/visits", func() any {
		return map[string]any{"visited_on": today(), "notes": "matrix"}
	})},
	{op: "GET /v1/tickets", ok: 200, may: ticketReaders, action: kam.AccessList, req: fixed("/v1/tickets")},
	{op: "POST /v1/tickets", ok: 201, may: ticketHandlers, sees: archiveBody, action: kam.AccessUpdate, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/tickets", map[string]any{"customer_id": f.account(c.own), "kind": "inquiry", "subject": "matrix"}
	}},
	{op: "GET /v1/tickets/{id}", ok: 200, may: ticketReaders, sees: ticketData, action: kam.AccessView, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/tickets/" + f.ticket[c.own], nil
	}},
	{op: "GET /v1/tickets/{id}/events", ok: 200, may: ticketReaders, sees: ticketData, action: kam.AccessView, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/tickets/" + f.ticket[c.own] + "/events", nil
	}},
	{op: "POST /v1/tickets/{id}/events", ok: 201, may: ticketHandlers, sees: ticketData, action: kam.AccessUpdate, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/tickets/" + f.ticket[c.own] + "/events", map[string]any{"type": "note", "note": "matrix"}
	}},
	{op: "GET /v1/greetings", ok: 200, may: greeters, action: kam.AccessList, req: func(*testing.T, *matrixFixture, matrixCase) (string, any) {
		return "/v1/greetings?on=" + time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly), nil
	}},
	{op: "POST /v1/greetings/{id}/done", ok: 200, may: greeters, sees: greetingData, action: kam.AccessUpdate, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/greetings/" + f.greeting[c.own] + "/done", nil
	}},
	{op: "GET /v1/me/notifications", ok: 200, may: allRoles, req: fixed("/v1/me/notifications")},
	// SPEC §7: one's own work; every account a list shows is registered.
	{op: "GET /v1/me/tasks", ok: 200, may: allRoles, action: kam.AccessList, req: fixed("/v1/me/tasks")},
	{op: "POST /v1/me/notifications/{id}/read", ok: 200, may: allRoles, sees: ownOnly, req: func(t *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		return "/v1/me/notifications/" + f.notify(t, f.staffID(c)) + "/read", nil
	}},

	// Analysis (Art. 8, 21, 22).
	{op: "GET /v1/customers/{id}/sales", ok: 200, may: discountReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/sales")},
	{op: "POST /v1/customers/{id}/sales", ok: 201, may: archiveEditors, sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s/sales", func() any {
		return map[string]any{"product": "Pump", "product_category": "equipment", "quantity": "1", "amount": "10.00", "sold_on": today()}
	})},
	{op: "POST /v1/customers/{id}/satisfaction", ok: 201, may: ticketHandlers, sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s/satisfaction", func() any {
		return map[string]any{"score": 4, "surveyed_on": today()}
	})},
	{op: "GET /v1/customers/{id}/costs", ok: 200, may: reportReaders, sees: archive, action: kam.AccessView, req: onAccount("/v1/customers/%s/costs")},
	{op: "POST /v1/customers/{id}/costs", ok: 201, may: costRecorders, sees: archive, action: kam.AccessUpdate, req: withBody("/v1/customers/%s/costs", func() any {
		return map[string]any{"category": "visit", "amount": "5.00", "incurred_on": today()}
	})},
	{op: "PUT /v1/budgets/{year}/customers/{id}", ok: 200, may: budgeters, sees: archive, action: kam.AccessUpdate, req: withBody("/v1/budgets/2026/customers/%s", func() any {
		return map[string]any{"amount": "1000.00"}
	})},
	{op: "PUT /v1/budgets/{year}/tiers/{code}", ok: 200, may: budgeters, req: withBody("/v1/budgets/2026/tiers/B", func() any { return map[string]any{"amount": "5000.00"} })},
	{op: "PUT /v1/company-revenue/{month}", ok: 200, may: only(kam.RoleFinance), req: withBody("/v1/company-revenue/2025-01", func() any { return map[string]any{"amount": "100000.00"} })},
	{op: "GET /v1/reports/overview", ok: 200, may: reportReaders, action: kam.AccessExport, req: fixed("/v1/reports/overview")},
	{op: "GET /v1/reports/churn", ok: 200, may: reportReaders, action: kam.AccessExport, req: fixed("/v1/reports/churn")},
	{op: "GET /v1/reports/staff", ok: 200, may: reportReaders, action: kam.AccessExport, req: fixed("/v1/reports/staff")},
	{op: "GET /v1/reports/budget", ok: 200, may: reportReaders, action: kam.AccessExport, req: fixed("/v1/reports/budget")},
	{op: "GET /v1/reports/customers/{id}", ok: 200, may: reportReaders, sees: archive, action: kam.AccessExport, req: onAccount("/v1/reports/customers/%s")},
	{op: "GET /v1/events", ok: 200, may: reportReaders, action: kam.AccessList, req: fixed("/v1/events")},
	// Inviting an account, and recording that it came, change its archive (Art. 5.4, 9).
	{op: "POST /v1/events", ok: 201, may: only(kam.RoleKAManager), action: kam.AccessUpdate, req: func(_ *testing.T, f *matrixFixture, c matrixCase) (string, any) {
		account := f.other
		if c.own {
			account = f.own
		}
		return "/v1/events", map[string]any{"kind": "symposium", "title": "Matrix " + unique(), "held_on": today(),
			"invitees": []map[string]any{{"customer_id": account}}}
	}},
	{op: "POST /v1/events/{id}/attendance", ok: 200, may: only(kam.RoleKAManager), action: kam.AccessUpdate, req: func(_ *testing.T, f *matrixFixture, _ matrixCase) (string, any) {
		return "/v1/events/" + f.event + "/attendance", map[string]any{"invitee_id": f.invitee, "attended": true}
	}},

	// Confidentiality (Art. 9, 14).
	{op: "GET /v1/access-log", ok: 200, may: only(kam.RoleAuditor), req: fixed("/v1/access-log?limit=5")},
	{op: "GET /v1/access-log/verify", ok: 200, may: only(kam.RoleAuditor), req: fixed("/v1/access-log/verify")},
	{op: "GET /v1/inspections", ok: 200, may: inspectors, action: kam.AccessList, req: fixed("/v1/inspections")},
	{op: "POST /v1/inspections", ok: 201, may: only(kam.RoleAuditor), req: withBody("/v1/inspections", func() any { return map[string]any{"sample_size": 1} })},
	{op: "GET /v1/inspections/{id}", ok: 200, may: inspectors, sees: inspectionData, action: kam.AccessView, req: func(_ *testing.T, f *matrixFixture, _ matrixCase) (string, any) {
		return "/v1/inspections/" + f.inspection, nil
	}},
}

var creditTerms = map[string]any{"credit_level": "A", "arrears_limit": "1000000.00", "settlement_cycle": "0 0 1 * *", "payment_term_days": 30}

func farHoliday() map[string]any {
	// Far in the future: no greeting falls due because of it.
	day := time.Date(2090+int(uuid.New()[0]%9), time.Month(1+uuid.New()[1]%12), 1+int(uuid.New()[2]%28), 0, 0, 0, 0, time.UTC)
	return map[string]any{"name": "Matrix day " + unique(), "on": day.Format(time.DateOnly)}
}

// visible reports whether the caller can see the thing of this case.
func (r matrixRow) visible(c matrixCase) bool {
	switch r.sees {
	// A record of an account (a discount request, grant, filing, ticket or
	// greeting task) is as visible as its account: a role that sees the
	// account but may not read or act on the record gets 403, one that does
	// not see the account 404 (SPEC §2).
	case archive, archiveBody, discountData, ticketData, filingData, greetingData:
		return c.role != kam.RoleAdmin && (c.role != kam.RoleAccountManager || c.own)
	case ownOnly:
		return c.own
	case inspectionData:
		return slices.Contains(inspectors, c.role)
	case delegationData:
		return slices.Contains(delegationSeers, c.role) || (c.own && slices.Contains(deciders, c.role))
	}
	return true
}

// want is the expected status of one case.
func (r matrixRow) want(c matrixCase) int {
	if c.role == "" {
		return http.StatusUnauthorized
	}
	may := slices.Contains(r.may, c.role) || (r.mayOwn && c.own && (r.ownRoles == nil || slices.Contains(r.ownRoles, c.role)))
	if r.sees == archiveBody && !may {
		// The role is refused whatever account it names: nothing leaks.
		return http.StatusForbidden
	}
	switch {
	case !r.visible(c):
		return http.StatusNotFound
	case !may:
		return http.StatusForbidden
	}
	return r.ok
}

// matrixFixture holds what the cases act on.
type matrixFixture struct {
	staff      map[string]member
	otherAM    member
	third      member // neither the caller nor anyone of the matrix: "another's" staff record
	own, other string
	requests   map[bool]string
	ticket     map[bool]string
	filing     map[bool]string
	greeting   map[bool]string
	tierB      map[string]any
	event      string
	invitee    string
	inspection string
	tierReview string
	proposal   map[bool]string // a pending proposal for an account of the case's own or other manager
	// thirdKA delegates "another's" approvals; deputy is every delegation's deputy.
	thirdKA, deputy member
}

func (f *matrixFixture) account(own bool) string {
	if own {
		return f.own
	}
	return f.other
}

// ownCode is the code of the caller's own account (imports name accounts by code).
func (f *matrixFixture) ownCode(t *testing.T) string {
	return must(t, call(t, "GET", "/v1/customers/"+f.own, f.staff[kam.RoleKAManager].Token, nil), 200).str("code")
}

func (f *matrixFixture) manager(own bool) member {
	if own {
		return f.staff[kam.RoleAccountManager]
	}
	return f.otherAM
}

func (f *matrixFixture) staffID(c matrixCase) string {
	if c.own {
		return c.caller.ID
	}
	return f.third.ID
}

// freshRequest is a pending standard request by the account's manager.
func (f *matrixFixture) freshRequest(t *testing.T, own bool) string {
	return must(t, call(t, "POST", "/v1/discount-requests", f.manager(own).Token, discountBody(f.account(own), "4")), 201).str("id")
}

// freshGrant is a standard grant on a request by the account's manager, which
// the KA Department approved.
func (f *matrixFixture) freshGrant(t *testing.T, own bool) string {
	id := f.freshRequest(t, own)
	must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", f.staff[kam.RoleKAManager].Token, map[string]any{"decision": "approve"}), 200)
	return grantOf(t, id)
}

// delegator is whose approvals a case delegates: the caller's own when the
// case is "own" and the caller decides approvals, another KA manager's else.
func (f *matrixFixture) delegator(c matrixCase) string {
	if c.own && slices.Contains(deciders, c.role) {
		return c.caller.ID
	}
	return f.thirdKA.ID
}

// freshEntry records a charge or payment on the case's account (as finance)
// and answers the path of its reversal.
func (f *matrixFixture) freshEntry(t *testing.T, own bool, kind string) string {
	id := f.account(own)
	body := map[string]any{"amount": "1.00", "reference": "MXR-" + unique(), "occurred_on": today()}
	if kind == "payments" {
		body = map[string]any{"amount": "1.00", "reference": "MXR-" + unique(), "received_on": today()}
	}
	e := must(t, call(t, "POST", "/v1/customers/"+id+"/"+kind, f.staff[kam.RoleFinance].Token, body), 201)
	return "/v1/customers/" + id + "/" + kind + "/" + e.str("id") + "/reversal"
}

func (f *matrixFixture) freshAccount(t *testing.T, own bool) string {
	return newAccount(t, f.manager(own).ID)
}

func (f *matrixFixture) freshStrategic(t *testing.T, own bool) string {
	return must(t, call(t, "POST", "/v1/customers", f.staff[kam.RoleKAManager].Token, map[string]any{"code": "MXT-" + unique(),
		"name": "Strategic, no sales", "tier": "S", "account_manager_id": f.manager(own).ID}), 201).str("id")
}

// person adds a contact or key person to the case's account (as the KA
// manager) and returns its path.
func (f *matrixFixture) person(t *testing.T, own bool, list string, body map[string]any) string {
	base := "/v1/customers/" + f.account(own) + "/" + list
	return base + "/" + must(t, call(t, "POST", base, f.staff[kam.RoleKAManager].Token, body), 201).str("id")
}

func (f *matrixFixture) notify(t *testing.T, to string) string {
	key := "matrix/" + uuid.NewString()
	return deliverNotice(t, uuid.MustParse(to), key, "matrix", "Matrix", "a notification of the matrix")
}

func newMatrixFixture(t *testing.T) *matrixFixture {
	staff := staffByRole(t)
	ka, fin, agent, auditor := staff[kam.RoleKAManager], staff[kam.RoleFinance], staff[kam.RoleServiceAgent], staff[kam.RoleAuditor]
	f := &matrixFixture{staff: staff, otherAM: newStaff(t, kam.RoleAccountManager), third: newStaff(t, kam.RoleDataClerk),
		thirdKA: newStaff(t, kam.RoleKAManager), deputy: newStaff(t, kam.RoleKAManager),
		requests: map[bool]string{}, ticket: map[bool]string{}, filing: map[bool]string{}, greeting: map[bool]string{}}
	f.own = newAccount(t, staff[kam.RoleAccountManager].ID)
	f.other = newAccount(t, f.otherAM.ID)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	birthday := time.Date(1970, tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	for _, own := range []bool{true, false} {
		id := f.account(own)
		must(t, call(t, "PUT", "/v1/customers/"+id+"/credit", fin.Token, creditTerms), 200)
		f.requests[own] = f.freshRequest(t, own)
		f.ticket[own] = must(t, call(t, "POST", "/v1/tickets", agent.Token, map[string]any{"customer_id": id, "kind": "inquiry", "subject": "matrix"}), 201).str("id")
		// A filing: a standard request approved by the KA Department (Art. 12).
		filed := f.freshRequest(t, own)
		must(t, call(t, "POST", "/v1/discount-requests/"+filed+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
		waitFor(t, 30*time.Second, "the filing", func() bool {
			return running.Store.Pool.QueryRow(context.Background(), "SELECT id::text FROM filings WHERE request_id = $1", filed).Scan(new(string)) == nil
		})
		var filing string
		if err := running.Store.Pool.QueryRow(context.Background(), "SELECT id::text FROM filings WHERE request_id = $1", filed).Scan(&filing); err != nil {
			t.Fatal(err)
		}
		f.filing[own] = filing
		// A greeting: a strategic account's head has a birthday tomorrow (Art. 19).
		s := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "MXG-" + unique(), "name": "Greeted", "tier": "S", "account_manager_id": f.manager(own).ID}), 201).str("id")
		must(t, call(t, "POST", "/v1/customers/"+s+"/key-persons", ka.Token, map[string]any{"name": "Head", "role": "head", "birthday": birthday}), 201)
		var greeting string
		if err := running.Store.Pool.QueryRow(context.Background(), "SELECT id::text FROM greetings WHERE customer_id = $1 LIMIT 1", s).Scan(&greeting); err != nil {
			t.Fatalf("no greeting task: %v", err)
		}
		f.greeting[own] = greeting
	}
	tier := must(t, call(t, "GET", "/v1/tiers/B", adminToken, nil), 200)
	f.tierB = map[string]any{}
	for _, k := range []string{"name", "visit_cadence", "ticket_response_within", "ticket_resolve_within", "greeting_occasions"} {
		f.tierB[k] = tier.Body[k]
	}
	// The event invites both accounts: listing events shows them (Art. 9).
	ev := must(t, call(t, "POST", "/v1/events", ka.Token, map[string]any{"kind": "training", "title": "Matrix", "held_on": today(),
		"invitees": []map[string]any{{"staff_id": agent.ID}, {"customer_id": f.own}, {"customer_id": f.other}}}), 201)
	f.event = ev.str("id")
	for _, x := range ev.Body["invitees"].([]any) {
		if inv := x.(map[string]any); inv["customer_id"] == f.own {
			f.invitee = inv["id"].(string) // an account's attendance is a change to its archive
		}
	}
	// Two strategic accounts with no sales: a review proposes that they meet
	// no tier (Art. 2); each allowed decision consumes one.
	f.proposal = map[bool]string{true: f.freshStrategic(t, true), false: f.freshStrategic(t, false)}
	f.tierReview = must(t, call(t, "POST", "/v1/tier-reviews", ka.Token, map[string]any{}), 201).str("id")
	f.inspection = must(t, call(t, "POST", "/v1/inspections", auditor.Token, map[string]any{"sample_size": 1}), 201).str("id")
	// Done, it names the sampled grant's account: listing it is registered.
	waitFor(t, 30*time.Second, "the inspection", func() bool {
		return countRows(t, "SELECT count(*) FROM inspections WHERE id = $1 AND status = 'done'", f.inspection) == 1
	})
	return f
}

// operations lists "METHOD /path" of every operation in the OpenAPI document.
func operations(t *testing.T) []string {
	r := must(t, call(t, "GET", "/openapi.json", "", nil), 200)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, methods := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue // the probes answer without a token (TestHealthReadyMetricsOpenAPI)
		}
		for m := range methods {
			ops = append(ops, strings.ToUpper(m)+" "+path)
		}
	}
	sort.Strings(ops)
	return ops
}

// Art. 4: the KA organisation's roles; Art. 9: the archive is confidential and every access is registered; Art. 11: discounts are confidential and approved level by level.
func TestAuthorizationMatrix(t *testing.T) {
	rows := map[string]matrixRow{}
	for _, r := range matrix {
		if _, dup := rows[r.op]; dup {
			t.Fatalf("two rows for %s", r.op)
		}
		rows[r.op] = r
	}
	ops := operations(t)
	for _, op := range ops {
		if _, ok := rows[op]; !ok {
			t.Errorf("%s has no row in the authorization matrix", op)
		}
	}
	for op := range rows {
		if !slices.Contains(ops, op) {
			t.Errorf("the matrix has a row for %s, which is not a route", op)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	f := newMatrixFixture(t)
	roles := append([]string{""}, kam.Roles...)
	for _, r := range matrix {
		method, _, _ := strings.Cut(r.op, " ")
		for _, role := range roles {
			for _, own := range []bool{true, false} {
				c := matrixCase{role: role, caller: f.staff[kam.RoleAccountManager], own: own}
				if role != "" {
					c.caller = f.staff[role]
				}
				which := map[bool]string{true: "own", false: "other"}[own]
				name := role
				if name == "" {
					name = "no_token"
				}
				t.Run(fmt.Sprintf("%s/%s/%s", r.op, name, which), func(t *testing.T) {
					path, body := r.req(t, f, c)
					token := c.caller.Token
					if role == "" {
						token = ""
					}
					reqID := uuid.NewString()
					headers := []header{{"X-Request-Id", reqID}, {"X-Access-Purpose", "authz matrix"}}
					if r.contentType != "" {
						headers = append(headers, header{"Content-Type", r.contentType})
					}
					res := call(t, method, path, token, body, headers...)
					want := r.want(c)
					if res.Status != want {
						t.Fatalf("status %d, want %d: %s", res.Status, want, res.Raw)
					}
					switch want {
					case 401:
						problem(t, res, 401, "unauthenticated")
					case 403:
						if code := res.str("code"); code != "forbidden" && code != "forbidden_field" && code != "not_decider" && code != "not_requester" && code != "not_revoker" {
							t.Fatalf("403 with code %q", code)
						}
						problem(t, res, 403, res.str("code"))
					case 404:
						problem(t, res, 404, "not_found")
					}
					if r.action == "" || role == "" {
						return
					}
					// SPEC §5: every access to an account's archive, allowed
					// or refused, is in the register, once.
					action := r.action
					if want >= 400 {
						action = kam.AccessDenied
					} else if action == kam.AccessList && len(res.items()) == 0 {
						return // nothing was shown
					}
					n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = $2 AND staff_id = $3 AND purpose = 'authz matrix'",
						reqID, action, c.caller.ID)
					if action == kam.AccessList && n > 1 {
						n = 1 // one row per account listed
					}
					if n != 1 {
						t.Fatalf("%d register rows with action %s, want 1", n, action)
					}
				})
			}
		}
	}
}
