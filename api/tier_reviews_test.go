package api_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"kam"
	"kam/workflows"
)

// farThresholds are unreachable: a tier a test creates must not become the grade
// of other tests' accounts in a review (no account sells this much in 12
// months of 12).
var farThresholds = map[string]any{"min_annual_revenue": "999999999999.99", "min_active_months": 12}

func tierBody(name string, extra map[string]any) map[string]any {
	b := map[string]any{"name": name, "visit_cadence": "0 9 1 * *", "ticket_response_within": "4h",
		"ticket_resolve_within": "72h", "greeting_occasions": []string{"holiday"}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// newTier creates a tier with a free rank of 100 or more and unreachable
// thresholds, as token, and answers its code and rank.
func newTier(t *testing.T, token string) (string, int) {
	t.Helper()
	code := "T" + unique()
	for range 20 {
		rank := 100 + rand.IntN(900)
		r := call(t, "PUT", "/v1/tiers/"+code, token, tierBody("Test tier", map[string]any{"rank": rank,
			"min_annual_revenue": farThresholds["min_annual_revenue"], "min_active_months": farThresholds["min_active_months"]}))
		if r.Status == 409 && r.str("code") == "duplicate_rank" {
			continue
		}
		must(t, r, 201)
		return code, rank
	}
	t.Fatal("no free rank")
	return "", 0
}

// SPEC §7 Tiers: PUT creates a missing tier (rank required), changes rank
// and the Art. 2 thresholds, and every change is in the tier's history.
// Art. 3: accounts are graded into tiers; ranks order them, so they are unique.
func TestTierCreateRankAndHistory(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	code := "N" + unique()
	wantFieldError(t, call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("New", nil)), "body.rank")
	problem(t, call(t, "GET", "/v1/tiers/"+code, ka.Token, nil), 404, "not_found")
	problem(t, call(t, "GET", "/v1/tiers/"+code+"/history", ka.Token, nil), 404, "not_found")
	wantFieldError(t, call(t, "PUT", "/v1/tiers/bad%20code", ka.Token, tierBody("New", map[string]any{"rank": 500})), "path.code")

	// A rank another tier holds is refused; S holds 1.
	dup := call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("New", map[string]any{"rank": 1}))
	problem(t, dup, 409, "duplicate_rank")
	var rank int
	var created resp
	for range 20 {
		rank = 100 + rand.IntN(900)
		if created = call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("New", map[string]any{"rank": rank})); created.Status != 409 {
			break
		}
	}
	must(t, created, 201)
	// A new tier without thresholds admits every account; give it
	// unreachable ones at once, so that no other test's review meets it.
	if created.Body["min_annual_revenue"] != "0.00" || created.Body["min_active_months"] != float64(0) || created.Body["rank"] != float64(rank) {
		t.Fatalf("created %s", created.Raw)
	}
	upd := must(t, call(t, "PUT", "/v1/tiers/"+code, adminToken, tierBody("New", farThresholds)), 200)
	if upd.Body["rank"] != float64(rank) || upd.str("min_annual_revenue") != "999999999999.99" || upd.Body["min_active_months"] != float64(12) {
		t.Fatalf("rank or thresholds not kept/changed: %s", upd.Raw)
	}
	for _, bad := range []map[string]any{{"min_active_months": 13}, {"min_annual_revenue": "-1"}, {"rank": 0}, {"rank": 1000}} {
		problem(t, call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("New", bad)), 422, "validation_failed")
	}
	// An unchanged PUT writes no history row.
	must(t, call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("New", nil)), 200)

	h := must(t, call(t, "GET", "/v1/tiers/"+code+"/history", staffByRole(t)[kam.RoleServiceAgent].Token, nil), 200).items()
	if len(h) != 11 {
		t.Fatalf("%d history rows, want 9 at creation and 2 changes: %v", len(h), h)
	}
	first := h[0]
	if first["field"] != "name" || first["old"] != nil || first["new"] != "New" || first["staff_id"] != ka.ID || first["at"] == nil {
		t.Fatalf("creation row %v", first)
	}
	last := map[string]map[string]any{}
	for _, row := range h[9:] {
		last[row["field"].(string)] = row
		if row["staff_id"] != staff(t, kam.RoleAdmin) {
			t.Fatalf("change by %v, want the admin: %v", row["staff_id"], row)
		}
	}
	if r := last["min_annual_revenue"]; r == nil || r["old"] != "0.00" || r["new"] != "999999999999.99" {
		t.Fatalf("history %v", h[9:])
	}
	if r := last["min_active_months"]; r == nil || r["old"] != "0" || r["new"] != "12" {
		t.Fatalf("history %v", h[9:])
	}
	// Changing the rank is a change like any other.
	newRank := rank
	for range 20 {
		if newRank = 100 + rand.IntN(900); newRank == rank {
			continue
		}
		if r := call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("New", map[string]any{"rank": newRank})); r.Status != 409 {
			must(t, r, 200)
			break
		}
	}
	all := must(t, call(t, "GET", "/v1/tiers/"+code+"/history?limit=500", ka.Token, nil), 200).items()
	if row := all[len(all)-1]; len(all) != 12 || row["field"] != "rank" || row["old"] != fmt.Sprint(rank) || row["new"] != fmt.Sprint(newRank) {
		t.Fatalf("rank change row %v of %d", row, len(all))
	}
}

// staff answers the id of the role's member; the admin's is the
// bootstrapped one.
func staff(t *testing.T, role string) string {
	if role == kam.RoleAdmin {
		return must(t, call(t, "GET", "/v1/me", adminToken, nil), 200).str("id")
	}
	return staffByRole(t)[role].ID
}

// setThresholds gives a seeded tier the review's thresholds for a test and
// puts the old ones back after it.
func setThresholds(t *testing.T, code, revenue string, months int) {
	t.Helper()
	tier := must(t, call(t, "GET", "/v1/tiers/"+code, adminToken, nil), 200).Body
	body := map[string]any{}
	for _, k := range []string{"name", "visit_cadence", "ticket_response_within", "ticket_resolve_within", "greeting_occasions", "gift"} {
		body[k] = tier[k]
	}
	put := func(rev any, m any) {
		body["min_annual_revenue"], body["min_active_months"] = rev, m
		must(t, call(t, "PUT", "/v1/tiers/"+code, adminToken, body), 200)
	}
	put(revenue, months)
	t.Cleanup(func() { put(tier["min_annual_revenue"], tier["min_active_months"]) })
}

// Art. 2–3, on a fixture graded by hand. The review of 2025-07-15 grades
// the twelve calendar months 2024-07-01 … 2025-06-30 against
// S ≥ 100000.00 in ≥ 10 months, A ≥ 30000.00 in ≥ 6, B ≥ 5000.00 in ≥ 3:
//
//	up    (B): 10000.00 in each of the 12 months = 120000.00, 12 → S
//	stay  (A): 240000.00 over 6 months: volume for S, not stability → A, no proposal
//	down  (S): 3 × 2000.00 in 3 months, plus 50000.00 on 2024-06-30 and on
//	           2025-07-01, outside the period = 6000.00, 3 → B
//	out   (A): 2500.00 twice in one month = 5000.00, 1 → no tier (null)
//	stale (B): nothing → no tier; regraded by hand before the decision
//	race  (B): nothing → no tier; two KA managers decide it at the same moment
//	lost  (S): churned before the review, not graded
func TestTierReviewGradesAFixture(t *testing.T) {
	st := staffByRole(t)
	ka, am, gm := st[kam.RoleKAManager], st[kam.RoleAccountManager], st[kam.RoleGeneralManager]
	setThresholds(t, "S", "100000.00", 10)
	setThresholds(t, "A", "30000.00", 6)
	setThresholds(t, "B", "5000.00", 3)
	open := func(tier string) string {
		return must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "TR-" + unique(), "name": "Graded " + tier,
			"tier": tier, "account_manager_id": am.ID}), 201).str("id")
	}
	sale := func(id, on, amount string) {
		must(t, call(t, "POST", "/v1/customers/"+id+"/sales", am.Token, map[string]any{"product": "Pump", "product_category": "equipment",
			"quantity": "1", "amount": amount, "sold_on": on}), 201)
	}
	up, stay, down, out, stale, lost, race := open("B"), open("A"), open("S"), open("A"), open("B"), open("S"), open("B")
	for m := range 12 {
		sale(up, time.Date(2024, time.July+time.Month(m), 10, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), "10000.00")
	}
	for m := range 6 {
		sale(stay, time.Date(2024, time.September+time.Month(m), 3, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), "40000.00")
	}
	for _, on := range []string{"2024-07-01", "2025-01-31", "2025-06-30"} {
		sale(down, on, "2000.00")
	}
	sale(down, "2024-06-30", "50000.00")
	sale(down, "2025-07-01", "50000.00")
	sale(out, "2025-03-02", "2500.00")
	sale(out, "2025-03-28", "2500.00")
	sale(lost, "2025-03-28", "900000.00")
	must(t, call(t, "POST", "/v1/customers/"+lost+"/churn", ka.Token, map[string]any{"reason": "competitor", "effective_on": "2025-06-01"}), 201)

	problem(t, call(t, "POST", "/v1/tier-reviews", gm.Token, map[string]any{}), 403, "forbidden")
	wantFieldError(t, call(t, "POST", "/v1/tier-reviews", ka.Token, map[string]any{"as_of": "9999-12-31"}), "body.as_of")
	rv := must(t, call(t, "POST", "/v1/tier-reviews", ka.Token, map[string]any{"as_of": "2025-07-15"}), 201)
	id := rv.str("id")
	recordHistory(t, workflows.TierReviewWorkflowID(mustUUID(t, id)))
	if rv.str("status") != "done" || rv.str("trigger") != "manual" || rv.str("period_from") != "2024-07-01" || rv.str("period_to") != "2025-06-30" ||
		rv.str("as_of") != "2025-07-15" || rv.str("requested_by") != ka.ID || rv.Body["proposal_count"].(float64) < 4 {
		t.Fatalf("review %s", rv.Raw)
	}
	// SPEC §3: started (1), done (2); each decided proposal moves it on.
	wantVersion(t, "a review done", rv.Body, 2)

	proposals := readProposals(t, id, gm.Token)
	want := map[string][4]any{
		up: {"B", "S", "120000.00", 12}, down: {"S", "B", "6000.00", 3}, out: {"A", nil, "5000.00", 1}, stale: {"B", nil, "0.00", 0},
		race: {"B", nil, "0.00", 0},
	}
	for acct, w := range want {
		p, ok := proposals[acct]
		if !ok {
			t.Fatalf("no proposal for %v", w)
		}
		if p["from"] != w[0] || p["to"] != w[1] || p["revenue_12m"] != w[2] || p["active_months"] != float64(w[3].(int)) || p["decision"] != "pending" {
			t.Fatalf("proposal %v, want from/to/revenue/months %v", p, w)
		}
	}
	for _, acct := range []string{stay, lost} {
		if p, ok := proposals[acct]; ok {
			t.Fatalf("a proposal for an account that keeps its tier or is churned: %v", p)
		}
	}

	decide := func(acct, token, decision string, reqID string) resp {
		return call(t, "POST", "/v1/tier-reviews/"+id+"/proposals/"+acct+"/decision", token, map[string]any{"decision": decision},
			header{"X-Request-Id", reqID})
	}
	// Art. 3: the KA Department decides; anyone else is refused, and registered.
	for _, who := range []member{am, gm, st[kam.RoleAuditor]} {
		reqID := "tr-deny-" + unique()
		problem(t, decide(up, who.Token, "accept", reqID), 403, "forbidden")
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'denied' AND customer_id = $2", reqID, up); n != 1 {
			t.Fatalf("%s: %d denied rows", who.Role, n)
		}
	}

	// Accepted: the account is in S, with a history row and a register
	// entry, and its visit plan is told to follow S's cadence.
	reqID := "tr-accept-" + unique()
	acc := must(t, decide(up, ka.Token, "accept", reqID), 200)
	if acc.str("decision") != "accepted" || acc.str("decided_by") != ka.ID || acc.str("to") != "S" {
		t.Fatalf("accepted %s", acc.Raw)
	}
	wantVersion(t, "a decided proposal", acc.Body, 2)
	wantVersion(t, "a review with one decision", must(t, call(t, "GET", "/v1/tier-reviews/"+id, ka.Token, nil), 200).Body, 3)
	if tier := must(t, call(t, "GET", "/v1/customers/"+up, ka.Token, nil), 200).str("tier"); tier != "S" {
		t.Fatalf("tier %s after accepting B → S", tier)
	}
	if n := countRows(t, "SELECT count(*) FROM customer_history WHERE customer_id = $1 AND field = 'tier' AND old_value = 'B' AND new_value = 'S' AND staff_id = $2", up, ka.ID); n != 1 {
		t.Fatalf("%d history rows for the regrade", n)
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'update' AND customer_id = $2", reqID, up); n != 1 {
		t.Fatalf("%d register rows for the decision", n)
	}
	waitForSignal(t, workflows.VisitPlanWorkflowID(mustUUID(t, up)), workflows.SignalPlanChanged)
	problem(t, decide(up, ka.Token, "reject", "tr-twice-"+unique()), 409, "already_decided")

	// Rejected: nothing changes but the proposal.
	must(t, decide(down, ka.Token, "reject", "tr-reject-"+unique()), 200)
	if tier := must(t, call(t, "GET", "/v1/customers/"+down, ka.Token, nil), 200).str("tier"); tier != "S" {
		t.Fatalf("tier %s after a rejection", tier)
	}

	// Accepted "no tier": no longer a key account. Registered as lost with
	// reason downgraded (Art. 8.4); its visit plan stops.
	must(t, decide(out, ka.Token, "accept", "tr-out-"+unique()), 200)
	if c := must(t, call(t, "GET", "/v1/customers/"+out, ka.Token, nil), 200); c.str("status") != "churned" || c.str("tier") != "A" {
		t.Fatalf("account after accepting no tier: %s", c.Raw)
	}
	if n := countRows(t, "SELECT count(*) FROM churns WHERE customer_id = $1 AND reason = 'downgraded' AND recorded_by = $2", out, ka.ID); n != 1 {
		t.Fatalf("%d downgraded churn rows", n)
	}
	waitForSignal(t, workflows.VisitPlanWorkflowID(mustUUID(t, out)), workflows.SignalPlanChanged)

	// Two KA managers deciding at the same moment: one decision stands.
	other := newStaff(t, kam.RoleKAManager)
	answers := make(chan int, 2)
	for _, who := range []member{ka, other} {
		go func() { answers <- decide(race, who.Token, "reject", "tr-race-"+unique()).Status }()
	}
	if a, b := <-answers, <-answers; a+b != 200+409 {
		t.Fatalf("concurrent decisions answered %d and %d", a, b)
	}

	// Regraded by hand since the review: its proposal is stale.
	must(t, call(t, "PATCH", "/v1/customers/"+stale, ka.Token, map[string]any{"tier": "A"}), 200)
	problem(t, decide(stale, ka.Token, "accept", "tr-stale-"+unique()), 409, "proposal_stale")
	// No proposal for an account that keeps its tier: 404, registered.
	reqID = "tr-none-" + unique()
	problem(t, decide(stay, ka.Token, "accept", reqID), 404, "not_found")
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'denied' AND customer_id = $2", reqID, stay); n != 1 {
		t.Fatalf("%d denied rows for a missing proposal", n)
	}

	pending := readProposals(t, id+"?decision=pending", st[kam.RoleAuditor].Token)
	for _, acct := range []string{up, down, out, race} {
		if _, ok := pending[acct]; ok {
			t.Fatalf("a decided proposal listed as pending")
		}
	}
	if _, ok := pending[stale]; !ok {
		t.Fatal("the stale proposal is still pending")
	}
	r := must(t, call(t, "GET", "/v1/tier-reviews/"+id+"?limit=1", ka.Token, nil), 200)
	if r.Body["pending_count"].(float64) != r.Body["proposal_count"].(float64)-4 {
		t.Fatalf("counts %s", r.Raw)
	}
	// Four decisions stand (up, down, out, one of race's); the refused ones changed nothing.
	wantVersion(t, "a review with four decisions", r.Body, 6)
	wantVersion(t, "a listed review", listed(t, "/v1/tier-reviews", ka.Token, "id", id), 6)
	wantVersion(t, "a listed decided proposal", readProposals(t, id, ka.Token)[down], 2)
	problem(t, call(t, "GET", "/v1/tier-reviews/"+id, am.Token, nil), 403, "forbidden")
	problem(t, call(t, "GET", "/v1/tier-reviews/"+mustUUID(t, up).String(), ka.Token, nil), 404, "not_found")
}

// readProposals walks a review's proposals page by page as token, checking
// that each page's accounts are registered as listed (Art. 9).
func readProposals(t *testing.T, path, token string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	cursor := ""
	for page := 0; page < 100; page++ {
		reqID := "tr-read-" + unique()
		r := must(t, call(t, "GET", "/v1/tier-reviews/"+path+sep+"limit=200&cursor="+cursor, token, nil, header{"X-Request-Id", reqID}), 200)
		items, _ := r.Body["proposals"].([]any)
		for _, it := range items {
			p := it.(map[string]any)
			out[p["customer_id"].(string)] = p
		}
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'list'", reqID); n != len(items) {
			t.Fatalf("%d register rows for a page of %d proposals", n, len(items))
		}
		if cursor = r.str("proposals_next_cursor"); cursor == "" {
			return out
		}
	}
	t.Fatal("more than 100 pages of proposals")
	return nil
}

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitForSignal waits until a run has received the named signal.
func waitForSignal(t *testing.T, workflowID, name string) {
	t.Helper()
	waitFor(t, 30*time.Second, name+" at "+workflowID, func() bool {
		it := running.Temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return false
			}
			if a := e.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == name {
				return true
			}
		}
		return false
	})
}

// Art. 2–3 "periodically": the quarterly review is a Temporal Schedule on
// KAM_TIER_REVIEW_CRON; triggered, it runs a scheduled review dated today
// and tells the KA managers.
func TestTierReviewSchedule(t *testing.T) {
	ctx := context.Background()
	h := running.Temporal.ScheduleClient().GetHandle(ctx, workflows.TierReviewScheduleID)
	d, err := h.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Schedule.Spec == nil || d.Schedule.Spec.TimeZoneName != "UTC" {
		t.Fatalf("spec %+v", d.Schedule.Spec)
	}
	ka := staffByRole(t)[kam.RoleKAManager]
	before := countRows(t, "SELECT count(*)::int FROM tier_reviews WHERE trigger = 'schedule' AND status = 'done'")
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the scheduled review", func() bool {
		return countRows(t, "SELECT count(*)::int FROM tier_reviews WHERE trigger = 'schedule' AND status = 'done'") > before
	})
	list := must(t, call(t, "GET", "/v1/tier-reviews?limit=200", ka.Token, nil), 200).items()
	found := false
	for _, r := range list {
		if r["trigger"] == "schedule" && r["as_of"] == time.Now().UTC().Format(time.DateOnly) && r["requested_by"] == nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("no scheduled review dated today in %v", list)
	}
	waitFor(t, 30*time.Second, "the KA manager's notice", func() bool { return inboxKinds(t, ka.Token)["tier_review_done"] > 0 })

	// A changed KAM_TIER_REVIEW_CRON reaches the existing Schedule at the
	// next start-up (every replica ensures it; twice is harmless).
	procs := &workflows.Processes{Client: running.Temporal, Settings: running.Processes.Settings}
	procs.Settings.TierReviewCron = "0 7 15 * *"
	for range 2 {
		if err := procs.EnsureTierReviewSchedule(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if d, err = h.Describe(ctx); err != nil {
		t.Fatal(err)
	}
	if c := d.Schedule.Spec.Calendars; len(c) != 1 || c[0].Hour[0].Start != 7 || c[0].DayOfMonth[0].Start != 15 || c[0].DayOfMonth[0].End != 15 {
		t.Fatalf("the schedule did not follow the new cron: %+v", d.Schedule.Spec)
	}
	procs.Settings.TierReviewCron = workflows.DefaultTierReviewCron
	if err := procs.EnsureTierReviewSchedule(ctx); err != nil {
		t.Fatal(err)
	}
}

// A visit plan reads of its tier only the cadence: a tier saved with other
// changes signals no plan (each signal is a turn of every plan's history on
// the tier, and saves are unlimited); a new cadence signals them.
// Art. 15: the visit cadence differs by tier.
func TestTierChangeSignalsPlansOnlyForCadence(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	code, rank := newTier(t, ka.Token)
	c := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "T-C-" + unique(), "name": "Cadence", "tier": code}), 201).str("id")
	plan := workflows.VisitPlanWorkflowID(mustUUID(t, c))
	waitFor(t, 30*time.Second, "the visit plan to start", func() bool {
		_, err := running.Temporal.DescribeWorkflowExecution(t.Context(), plan, "")
		return err == nil
	})
	for _, extra := range []map[string]any{{"ticket_response_within": "5h"}, {"name": "Renamed"}, {"gift": true}} {
		extra["rank"] = rank
		must(t, call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("Test tier", extra)), 200)
	}
	must(t, call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("Test tier", map[string]any{"rank": rank, "visit_cadence": "0 9 2 * *"})), 200)
	waitForSignal(t, plan, workflows.SignalPlanChanged)
	// The signals are sent before each PUT answers: all are in the history.
	n := 0
	it := running.Temporal.GetWorkflowHistory(t.Context(), plan, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == workflows.SignalPlanChanged {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d plan-changed signals for three saves without a new cadence and one with", n)
	}
}

// Art. 15, 20: a tier whose cadence is saved back and forth again and again
// reschedules its plans each time; a plan continues as new after 200 such
// signals, in the middle of a visit's wait, and the next run waits on that
// visit: one visit stays planned. The first run is recorded for the replay
// test with
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/visit-plan-continue-as-new.json go test ./api -run TestVisitPlanContinuesAsNewUnderManyCadenceChanges
func TestVisitPlanContinuesAsNewUnderManyCadenceChanges(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	code, rank := newTier(t, ka.Token)
	c := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "T-V-" + unique(), "name": "Cadences", "tier": code}), 201).str("id")
	plan := workflows.VisitPlanWorkflowID(mustUUID(t, c))
	var first string
	waitFor(t, 30*time.Second, "the visit plan to start", func() bool {
		d, err := running.Temporal.DescribeWorkflowExecution(t.Context(), plan, "")
		if err == nil {
			first = d.WorkflowExecutionInfo.GetExecution().GetRunId()
		}
		return err == nil
	})
	cadences := []string{"0 9 2 * *", "0 9 1 * *"}
	for i := range 205 {
		must(t, call(t, "PUT", "/v1/tiers/"+code, ka.Token, tierBody("Test tier", map[string]any{"rank": rank, "visit_cadence": cadences[i%2]})), 200)
	}
	waitFor(t, 60*time.Second, "the plan to continue as new", func() bool {
		d, err := running.Temporal.DescribeWorkflowExecution(t.Context(), plan, first)
		return err == nil && d.WorkflowExecutionInfo.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
	})
	waitFor(t, 30*time.Second, "one visit planned on the last cadence", func() bool {
		n := countRows(t, "SELECT count(*) FROM visits WHERE customer_id = $1 AND status = 'planned'", c)
		day := countRows(t, "SELECT count(*) FROM visits WHERE customer_id = $1 AND status = 'planned' AND extract(day FROM due_at AT TIME ZONE 'UTC') = 2", c)
		return n == 1 && day == 1
	})
	if path := os.Getenv("KAM_RECORD_HISTORY"); path != "" {
		if err := workflows.RecordRunHistory(t.Context(), running.Temporal, plan, first, path); err != nil {
			t.Fatal(err)
		}
	}
}
