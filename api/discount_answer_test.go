package api_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"

	"kam"
	"kam/workflows"
)

// A decision's answer is made from the request as loaded and the run's own
// answer (no read after the update); it must be the request as stored: the
// same body a GET gives right after, times included. The standard approval's
// run is the recorded history of versionVersionsAtStart:
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/discount-versions-at-start.json go test ./api -run TestDecisionAnswerIsTheStoredRequest
func TestDecisionAnswerIsTheStoredRequest(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	gm := newStaff(t, kam.RoleGeneralManager)
	c := newAccount(t, am.ID)
	same := func(answer resp, id string) {
		t.Helper()
		got := must(t, call(t, "GET", "/v1/discount-requests/"+id, ka.Token, nil), 200)
		if !reflect.DeepEqual(answer.Body, got.Body) {
			a, _ := json.Marshal(answer.Body)
			g, _ := json.Marshal(got.Body)
			t.Fatalf("answer\n%s\nstored\n%s", a, g)
		}
	}
	// Beyond the standard: stage 1 moves on to the GM, stage 2 approves.
	beyond := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "15")), 201).str("id")
	same(must(t, call(t, "POST", "/v1/discount-requests/"+beyond+"/decisions", ka.Token, map[string]any{"decision": "approve", "comment": "ok"}), 200), beyond)
	same(must(t, call(t, "POST", "/v1/discount-requests/"+beyond+"/decisions", gm.Token, map[string]any{"decision": "approve"}), 200), beyond)

	// A standard one approved at stage 1: answered before its grant, which
	// the run then applies and files in one activity.
	std := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "2")), 201).str("id")
	defer recordHistory(t, workflows.DiscountWorkflowID(uuid.MustParse(std)))
	d := must(t, call(t, "POST", "/v1/discount-requests/"+std+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
	same(d, std)
	if d.str("state") != "approved" || d.Body["stage"] != nil || len(d.Body["decisions"].([]any)) != 1 {
		t.Fatalf("answer = %s", d.Raw)
	}
	// (The grant is counted where it is stored: the account's discount list
	// shows one grant per category, and the beyond-standard grant on the
	// same category may be applied after this one.)
	waitFor(t, 30*time.Second, "the grant and its filing", func() bool {
		return countRows(t, "SELECT count(*) FROM discount_grants WHERE request_id = $1", std) == 1 &&
			countRows(t, "SELECT count(*) FROM filings WHERE request_id = $1", std) == 1 &&
			countRows(t, "SELECT count(*) FROM discount_events WHERE request_id = $1 AND kind IN ('discount_filed', 'discount_granted')", std) == 2
	})

	// A withdrawal is answered the same way.
	w := must(t, call(t, "POST", "/v1/discount-requests", am.Token, discountBody(c, "3")), 201).str("id")
	same(must(t, call(t, "POST", "/v1/discount-requests/"+w+"/withdraw", am.Token, nil), 200), w)
}

// A grant that ends within KAM_GRANT_EXPIRY_NOTICE of its approval has its
// expiry notice due at once: the aftermath's one activity sends it with the
// grant's other notices (versionVersionsAtStart version 2), and no activity
// follows. The run is the recorded history of that version:
//
//	KAM_RECORD_HISTORY=$PWD/workflows/testdata/discount-expiry-with-aftermath.json go test ./api -run TestExpiryDueAtOnceGoesWithTheGrant
func TestExpiryDueAtOnceGoesWithTheGrant(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	ka := newStaff(t, kam.RoleKAManager)
	c := newAccount(t, am.ID)
	body := discountBody(c, "2")
	body["valid_to"] = today()
	id := must(t, call(t, "POST", "/v1/discount-requests", am.Token, body), 201).str("id")
	wid := workflows.DiscountWorkflowID(uuid.MustParse(id))
	defer recordHistory(t, wid)
	must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", ka.Token, map[string]any{"decision": "approve"}), 200)
	waitFor(t, 30*time.Second, "the grant, its filing and its expiry notice", func() bool {
		return countRows(t, "SELECT count(*) FROM discount_grants WHERE request_id = $1", id) == 1 &&
			countRows(t, "SELECT count(*) FROM discount_events WHERE request_id = $1 AND kind IN ('discount_filed', 'discount_granted', 'grant_expiring')", id) == 3
	})
	// The requester hears of it once.
	waitFor(t, 10*time.Second, "the requester's expiry notice", func() bool { return inboxKinds(t, am.Token)["grant_expiring"] == 1 })
	var acts []string
	it := running.Temporal.GetWorkflowHistory(t.Context(), wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			acts = append(acts, a.GetActivityType().GetName())
		}
	}
	if len(acts) == 0 || acts[len(acts)-1] != "CarryOutDiscount" {
		t.Fatalf("activities after the decision: %v (the aftermath should be the last)", acts)
	}
}
