package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"kam"
	"kam/api"
	"kam/workflows"
)

// noStarts is a Temporal client whose every workflow start fails, as when
// the frontend is down; everything else goes to the real one.
type noStarts struct{ client.Client }

func (noStarts) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, errors.New("temporal: connection refused")
}

// A row whose workflow cannot be started is not stored, and the caller is
// answered 503 unavailable (one mapping, kam.StartFailed, for every such
// route): discounts (Art. 11), credit (Art. 18) and tickets (Art. 16).
func TestStartFailedStoresNothing(t *testing.T) {
	procs := &workflows.Processes{Client: noStarts{running.Processes.Client}, Settings: running.Processes.Settings}
	h := api.New(api.Options{Store: running.Store, Processes: procs})
	send := func(method, path, token, body string) (int, map[string]any) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept-Language", "en") // the refusal's own English words (SPEC §7 "Language")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return w.Code, out
	}
	am := newStaff(t, kam.RoleAccountManager)
	fin := staffByRole(t)[kam.RoleFinance]
	c := newAccount(t, am.ID)
	for _, r := range []struct{ method, path, token, body string }{
		{"POST", "/v1/discount-requests", am.Token, `{"customer_id":"` + c + `","product_category":"services","rate":"3","method":"percentage","valid_from":"` + today() + `","valid_to":"` + today() + `"}`},
		{"PUT", "/v1/customers/" + c + "/credit", fin.Token, `{"credit_level":"A","arrears_limit":"1000","settlement_cycle":"@monthly","payment_term_days":30}`},
		{"POST", "/v1/tickets", am.Token, `{"customer_id":"` + c + `","kind":"inquiry","subject":"s"}`},
	} {
		status, body := send(r.method, r.path, r.token, r.body)
		if status != http.StatusServiceUnavailable || body["code"] != "unavailable" {
			t.Errorf("%s %s: %d %v, want 503 unavailable", r.method, r.path, status, body)
		}
		if d, _ := body["detail"].(string); !strings.HasSuffix(d, "; nothing was stored") || strings.Contains(d, "connection refused") {
			t.Errorf("%s %s: detail %q", r.method, r.path, d)
		}
	}
	if got := must(t, call(t, "GET", "/v1/discount-requests?customer_id="+c, am.Token, nil), 200).items(); len(got) != 0 {
		t.Errorf("a discount request was stored without its approval run: %v", got)
	}
	problem(t, call(t, "GET", "/v1/customers/"+c+"/credit", fin.Token, nil), 404, "no_credit_agreement")
}
