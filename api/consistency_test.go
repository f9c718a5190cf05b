package api_test

import (
	"context"
	"fmt"
	"testing"

	"kam"
)

// Issue 13's fixture: the churn, overview and staff reports stay consistent
// with each other once accounts are imported with their opening dates, a
// ledger is corrected by reversals, an account is on cash terms, a manager
// hands over their accounts and an account is lost. Every figure is counted
// by hand below (Art. 8, 13, 20, 22).
//
//	first quarter of 2025; accounts imported, A and B opened 2024-06-01 by
//	Ann, C opened 2025-02-10 by Ben; Ann hands A and B to Ben on 2025-02-15.
//	A (S, credit): sales 1000 on 01-15 (Ann), 500 on 03-10 (Ben); payments
//	   80 on 02-20 (Ben), 30 on 03-05 reversed (Ben); a charge of 50 reversed.
//	B (B, cash):   sale 200 on 02-01 (Ann); payment 200 on 02-02 (Ann).
//	C (A):         sale 300 on 03-01 (Ben); churned 03-20 to a competitor.
//
// Staff report: Ann revenue 1200, collected 200, holds 0 accounts today;
// Ben revenue 800, collected 80 + 30 - 30 = 80, holds A and B today.
// Ben's overview (his accounts today: A, B, C): 2 at the start, 1 added,
// 1 churned, 2 at the end, revenue 2000. His churn report: one competitor
// loss of 300.
func TestReportsStayConsistentAcrossOperations(t *testing.T) {
	staff := staffByRole(t)
	ka, fin := staff[kam.RoleKAManager], staff[kam.RoleFinance]
	ann, ben := newStaff(t, kam.RoleAccountManager), newStaff(t, kam.RoleAccountManager)
	p := "CONS" + unique()
	file := "code,name,tier,account_manager_id,opened_on\n" +
		p + "-A,Alpha,S," + ann.ID + ",2024-06-01\n" +
		p + "-B,Beta,B," + ann.ID + ",2024-06-01\n" +
		p + "-C,Gamma,A," + ben.ID + ",2025-02-10\n"
	must(t, importCSV(t, "/v1/imports/customers", ka.Token, file), 200)
	a, b, c := customerByCode(t, ka.Token, p+"-A").str("id"), customerByCode(t, ka.Token, p+"-B").str("id"), customerByCode(t, ka.Token, p+"-C").str("id")

	sale := func(acct, amount, on string) {
		must(t, call(t, "POST", "/v1/customers/"+acct+"/sales", ka.Token, map[string]any{"product": "p", "product_category": "equipment",
			"quantity": "1", "amount": amount, "region": "East", "sold_on": on}), 201)
	}
	sale(a, "1000", "2025-01-15")
	sale(a, "500", "2025-03-10")
	sale(b, "200", "2025-02-01")
	sale(c, "300", "2025-03-01")

	must(t, call(t, "PUT", "/v1/customers/"+a+"/credit", fin.Token, agreement("0 0 1 * *", "100000", 30)), 200)
	must(t, call(t, "PUT", "/v1/customers/"+b+"/credit", fin.Token, map[string]any{"terms": "cash", "credit_level": "B"}), 200)
	charge := must(t, call(t, "POST", "/v1/customers/"+a+"/charges", fin.Token, map[string]any{"amount": "50", "reference": p + "-C1", "occurred_on": "2025-02-10"}), 201).str("id")
	must(t, call(t, "POST", "/v1/customers/"+a+"/charges/"+charge+"/reversal", fin.Token, map[string]any{"reason": "keyed twice"}), 201)
	must(t, call(t, "POST", "/v1/customers/"+a+"/payments", fin.Token, map[string]any{"amount": "80", "reference": p + "-P1", "received_on": "2025-02-20"}), 201)
	bounced := must(t, call(t, "POST", "/v1/customers/"+a+"/payments", fin.Token, map[string]any{"amount": "30", "reference": p + "-P2", "received_on": "2025-03-05"}), 201).str("id")
	must(t, call(t, "POST", "/v1/customers/"+a+"/payments/"+bounced+"/reversal", fin.Token, map[string]any{"reason": "bounced"}), 201)
	must(t, call(t, "POST", "/v1/customers/"+b+"/payments", fin.Token, map[string]any{"amount": "200", "reference": p + "-P3", "received_on": "2025-02-02"}), 201)

	h := must(t, call(t, "POST", "/v1/staff/"+ann.ID+"/handover", ka.Token, map[string]any{"to": ben.ID}), 202)
	if r := waitHandover(t, ann.ID, h.str("id")); r.str("status") != kam.HandoverDone {
		t.Fatalf("handover = %s", r.Raw)
	}
	must(t, call(t, "POST", "/v1/customers/"+c+"/churn", ka.Token, map[string]any{"reason": "competitor", "destination": "Ningbo",
		"competitor": "Rival Co", "effective_on": "2025-03-20"}), 201)
	// The history has today's dates; the fixture's story has its own.
	if _, err := running.Store.Pool.Exec(context.Background(), `UPDATE customer_history SET at = CASE
		WHEN customer_id = $3 THEN '2025-02-10 09:00+00'::timestamptz
		WHEN new_value = $1 THEN '2024-06-01 09:00+00'::timestamptz
		ELSE '2025-02-15 09:00+00'::timestamptz END
		WHERE field = 'account_manager_id' AND customer_id IN ($4, $5, $3) AND new_value IN ($1, $2)`, ann.ID, ben.ID, c, a, b); err != nil {
		t.Fatal(err)
	}

	const q = "?from=2025-01-01&to=2025-03-31"
	got := map[string]string{}
	for _, r := range must(t, call(t, "GET", "/v1/reports/staff"+q, ka.Token, nil), 200).items() {
		if id := r["staff_id"]; id == ann.ID || id == ben.ID {
			got[id.(string)] = fmt.Sprintf("accounts=%v revenue=%v collected=%v", r["accounts"], r["revenue"], r["collected"])
		}
	}
	want := map[string]string{ann.ID: "accounts=0 revenue=1200.00 collected=200.00", ben.ID: "accounts=2 revenue=800.00 collected=80.00"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("staff report = %v, want %v", got, want)
	}

	o := must(t, call(t, "GET", "/v1/reports/overview"+q, ben.Token, nil), 200)
	for key, v := range map[string]any{"accounts_at_start": 2.0, "added": 1.0, "churned": 1.0, "accounts_at_end": 2.0, "ka_revenue": "2000.00"} {
		if o.Body[key] != v {
			t.Errorf("overview %s = %v, want %v", key, o.Body[key], v)
		}
	}
	ch := must(t, call(t, "GET", "/v1/reports/churn"+q, ben.Token, nil), 200).items()
	if len(ch) != 1 || ch[0]["reason"] != "competitor" || ch[0]["accounts"] != 1.0 || ch[0]["revenue_lost"] != "300.00" {
		t.Errorf("churn report = %v", ch)
	}
	// The corrected ledger: A owes nothing (50 - 50 charged, 80 + 30 - 30
	// paid: a credit balance of 80).
	if cr := must(t, call(t, "GET", "/v1/customers/"+a+"/credit", fin.Token, nil), 200); cr.str("outstanding") != "0.00" || cr.str("credit_balance") != "80.00" {
		t.Errorf("A's credit = %s", cr.Raw)
	}
}
