package api_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"kam"
)

// SPEC §3: "Every created resource is returned whole". A POST that adds an
// entry to a list answers the entry as the list shows it: the same schema in
// /openapi.json, for creations and for the correcting entries (reversals)
// added to the same list.
func TestCreatedEntryHasItsListShape(t *testing.T) {
	doc := openAPIDoc(t)
	// A correcting entry is posted under the entry it corrects and shows in
	// that entry's list.
	correction := regexp.MustCompile(`/\{[a-z_]+\}/reversal$`)
	// Answers that are not the listed entry by design: a token's secret is
	// shown once and never listed (SPEC §3 fixes its answer), and a handling
	// record answers the ticket it moved.
	apart := map[string]bool{"/v1/staff/{id}/tokens": true, "/v1/tickets/{id}/events": true}
	checked := 0
	var wrong []string
	for path, methods := range doc.Paths {
		post, ok := methods["post"]
		if !ok || apart[path] {
			continue
		}
		created, ok := post.Responses["201"]
		if !ok {
			continue
		}
		listPath := correction.ReplaceAllString(path, "")
		get, ok := doc.Paths[listPath]["get"]
		if !ok {
			continue
		}
		page := doc.resolve(get.Responses["200"].Content["application/json"].Schema)
		items, ok := page.Properties["items"]
		if !ok {
			continue
		}
		checked++
		if got := created.Content["application/json"].Schema.Ref; got != items.Items.Ref {
			wrong = append(wrong, "POST "+path+" answers "+got+", GET "+listPath+" lists "+items.Items.Ref)
		}
	}
	sort.Strings(wrong)
	if checked == 0 {
		t.Fatal("no POST beside a list found in /openapi.json")
	}
	if len(wrong) > 0 {
		t.Fatalf("a created entry differs from its list's:\n  %s", strings.Join(wrong, "\n  "))
	}
}

// The ledger's created entries, field for field as their lists show them:
// a charge with occurred_on, a payment with received_on, their reversals the
// same; a reference recorded before answers its first entry, marked as
// replayed in the header an Idempotency-Key replay uses.
func TestLedgerEntryAnswersAsListed(t *testing.T) {
	staff := staffByRole(t)
	fin := staff[kam.RoleFinance]
	c := newAccount(t, "")
	must(t, call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, agreement("@monthly", "10000", 30)), 200)
	listed := func(kind, id string) map[string]any {
		for _, it := range must(t, call(t, "GET", "/v1/customers/"+c+"/"+kind, fin.Token, nil), 200).items() {
			if it["id"] == id {
				return it
			}
		}
		t.Fatalf("%s %s is not listed", kind, id)
		return nil
	}
	same := func(what string, got resp, want map[string]any) {
		t.Helper()
		g, _ := json.Marshal(got.Body)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("%s answered\n  %s\nlisted as\n  %s", what, g, w)
		}
	}
	for _, k := range []struct {
		kind string
		body map[string]any
	}{{"charges", chargeBody("40", "SHAPE-C")}, {"payments", paymentBody("15", "SHAPE-P")}} {
		first := must(t, call(t, "POST", "/v1/customers/"+c+"/"+k.kind, fin.Token, k.body), 201)
		if first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("a new %s is marked replayed", k.kind)
		}
		same("POST "+k.kind, first, listed(k.kind, first.str("id")))
		rev := must(t, call(t, "POST", "/v1/customers/"+c+"/"+k.kind+"/"+first.str("id")+"/reversal", fin.Token, map[string]any{"reason": "wrong account"}), 201)
		same("the reversal of "+k.kind, rev, listed(k.kind, rev.str("id")))
		again := must(t, call(t, "POST", "/v1/customers/"+c+"/"+k.kind, fin.Token, k.body), 201)
		if again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("a repeated %s reference is not marked replayed: %v", k.kind, again.Header)
		}
		same("a repeated "+k.kind+" reference", again, listed(k.kind, first.str("id")))
	}
}
