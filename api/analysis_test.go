package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/workflows"
)

func saleBody(category, rate, on string) map[string]any {
	return map[string]any{"product": "rebar", "product_category": category, "quantity": "10", "amount": "1000.00", "applied_rate": rate, "region": "East", "sold_on": on}
}

// Product use, satisfaction and churn: who may record and read them, both
// sides; churn marks the account and a win-back restores it.
func TestAnalysisDataAuthorization(t *testing.T) {
	staff := staffByRole(t)
	am := staff[kam.RoleAccountManager]
	own := newAccount(t, am.ID)
	for _, role := range kam.Roles {
		t.Run(role, func(t *testing.T) {
			tok := staff[role].Token
			sale := call(t, "POST", "/v1/customers/"+own+"/sales", tok, saleBody("equipment", "2", today()))
			sales := call(t, "GET", "/v1/customers/"+own+"/sales", tok, nil)
			survey := call(t, "POST", "/v1/customers/"+own+"/satisfaction", tok, map[string]any{"score": 4, "channel": "phone", "surveyed_on": today()})
			switch role {
			case kam.RoleAdmin:
				problem(t, sale, 404, "not_found")
				problem(t, sales, 404, "not_found")
				problem(t, survey, 404, "not_found")
				return
			case kam.RoleKAManager, kam.RoleAccountManager:
				must(t, sale, 201)
				// Returned whole (SPEC §3).
				if r := must(t, survey, 201); r.str("channel") != "phone" || r.str("surveyed_on") != today() || r.str("customer_id") != own || r.str("id") == "" {
					t.Fatalf("survey answer = %s", r.Raw)
				}
			case kam.RoleDataClerk:
				must(t, sale, 201)
				problem(t, survey, 403, "forbidden")
			case kam.RoleServiceAgent:
				problem(t, sale, 403, "forbidden")
				must(t, survey, 201)
			default:
				problem(t, sale, 403, "forbidden")
				problem(t, survey, 403, "forbidden")
			}
			// Sales carry the applied discount (Art. 11).
			switch role {
			case kam.RoleDataClerk, kam.RoleServiceAgent:
				problem(t, sales, 403, "forbidden")
			default:
				must(t, sales, 200)
			}
		})
	}
	problem(t, call(t, "POST", "/v1/customers/"+own+"/satisfaction", am.Token, map[string]any{"score": 6, "surveyed_on": today()}), 422, "validation_failed")
	problem(t, call(t, "POST", "/v1/customers/"+own+"/sales", am.Token, saleBody("equipment", "101", today())), 422, "validation_failed")

	churn := map[string]any{"reason": "competitor", "reason_text": "lower price", "destination": "Shenzhen", "competitor": "Rival Co", "effective_on": today()}
	problem(t, call(t, "POST", "/v1/customers/"+own+"/churn", am.Token, churn), 403, "forbidden")
	ka := staff[kam.RoleKAManager]
	if r := must(t, call(t, "POST", "/v1/customers/"+own+"/churn", ka.Token, churn), 201); r.str("destination") != "Shenzhen" ||
		r.str("competitor") != "Rival Co" || r.str("reason_text") != "lower price" || r.str("recorded_by") != ka.ID {
		t.Fatalf("churn answer = %s", r.Raw)
	}
	problem(t, call(t, "POST", "/v1/customers/"+own+"/churn", ka.Token, churn), 409, "already_churned")
	if st := must(t, call(t, "GET", "/v1/customers/"+own, ka.Token, nil), 200).str("status"); st != "churned" {
		t.Fatalf("status after churn: %s", st)
	}
	r := must(t, call(t, "POST", "/v1/customers/"+own+"/reactivate", ka.Token, nil), 200)
	if r.str("status") != "active" {
		t.Fatalf("reactivated = %s", r.Raw)
	}
	problem(t, call(t, "POST", "/v1/customers/"+own+"/reactivate", ka.Token, nil), 409, "not_churned")
}

// Art. 14 through the API: an auditor runs an inspection on demand and sees
// the findings; the irregular Schedule exists with jitter.
func TestInspectionThroughTheAPI(t *testing.T) {
	staff := staffByRole(t)
	am := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	c := newAccount(t, am.ID)
	id := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "5")), 201).str("id")
	must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
	waitFor(t, 30*time.Second, "the grant", func() bool {
		return len(must(t, call(t, "GET", "/v1/customers/"+c+"/discounts", am.Token, nil), 200).items()) == 1
	})
	above := must(t, call(t, "POST", "/v1/customers/"+c+"/sales", am.Token, saleBody("equipment", "9", today())), 201).str("id")
	must(t, call(t, "POST", "/v1/customers/"+c+"/sales", am.Token, saleBody("equipment", "4", today())), 201)

	for _, role := range kam.Roles {
		if role == kam.RoleAuditor {
			continue
		}
		problem(t, call(t, "POST", "/v1/inspections", staff[role].Token, map[string]any{"sample_size": 5}), 403, "forbidden")
	}
	// Sample every grant there is, so this account's is in it.
	ins := must(t, call(t, "POST", "/v1/inspections", staff[kam.RoleAuditor].Token, map[string]any{"sample_size": 10000}), 201)
	if ins.str("status") != "done" || ins.str("trigger") != "manual" || ins.Body["seed"].(float64) <= 0 {
		t.Fatalf("inspection = %s", ins.Raw)
	}
	found := false
	for _, f := range ins.Body["findings"].([]any) {
		m := f.(map[string]any)
		if m["sale_id"] == above {
			found = m["kind"] == "rate_above_grant" && m["granted_rate"] == "5" && m["applied_rate"] == "9"
		}
	}
	if !found {
		t.Fatalf("the 9%% sale on a 5%% grant was not found: %s", ins.Raw)
	}
	recordHistory(t, workflows.InspectionWorkflowID(uuid.MustParse(ins.str("id"))))
	must(t, call(t, "GET", "/v1/inspections/"+ins.str("id"), staff[kam.RoleGeneralManager].Token, nil), 200)
	problem(t, call(t, "GET", "/v1/inspections", staff[kam.RoleFinance].Token, nil), 403, "forbidden")
	problem(t, call(t, "GET", "/v1/inspections/"+ins.str("id"), staff[kam.RoleFinance].Token, nil), 404, "not_found")
	problem(t, call(t, "GET", "/v1/inspections/"+uuid.NewString(), staff[kam.RoleAuditor].Token, nil), 404, "not_found")
	waitFor(t, 30*time.Second, "the notices", func() bool {
		return inboxKinds(t, am.Token)["inspection_done"] >= 1 && inboxKinds(t, staff[kam.RoleAuditor].Token)["inspection_done"] >= 1
	})

	desc, err := running.Temporal.ScheduleClient().GetHandle(context.Background(), workflows.InspectionScheduleID).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if desc.Schedule.Spec.Jitter <= 0 || len(desc.Schedule.Spec.Intervals) != 1 {
		t.Fatalf("schedule spec = %+v", desc.Schedule.Spec)
	}
}

// SPEC §3 names `findings` on GET /v1/inspections/{id}: an inspection that
// found nothing answers an empty list, not a missing field.
func TestInspectionNamesItsFindingsEvenWhenNone(t *testing.T) {
	auditor := staffByRole(t)[kam.RoleAuditor]
	id := must(t, call(t, "POST", "/v1/inspections", auditor.Token, map[string]any{"sample_size": 1}), 201).str("id")
	got := must(t, call(t, "GET", "/v1/inspections/"+id, auditor.Token, nil), 200)
	if f, ok := got.Body["findings"].([]any); !ok || f == nil {
		t.Fatalf("findings = %#v, want a list: %s", got.Body["findings"], got.Raw)
	}
	for _, it := range must(t, call(t, "GET", "/v1/inspections", auditor.Token, nil), 200).items() {
		if _, ok := it["findings"]; ok {
			t.Fatalf("a listed inspection carries findings: %v", it)
		}
	}
}
