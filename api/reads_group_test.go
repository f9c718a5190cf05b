package api_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"kam"
)

// concurrentReads sends n GETs of the account at once as token; purpose(i)
// is request i's X-Access-Purpose. It answers each request's id and answer.
func concurrentReads(t *testing.T, n int, account, token string, purpose func(i int) string) ([]string, []resp) {
	t.Helper()
	ids, answers := make([]string, n), make([]resp, n)
	var wg sync.WaitGroup
	for i := range n {
		ids[i] = uuid.NewString()
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = call(t, "GET", "/v1/customers/"+account, token, nil,
				header{"X-Request-Id", ids[i]}, header{"X-Access-Purpose", purpose(i)})
		}()
	}
	wg.Wait()
	return ids, answers
}

// Art. 9 with the reads' group commit: concurrent reads share INSERTs and
// commits, and every read that was answered has its own view row.
func TestConcurrentReadsEachRegistered(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	ids, answers := concurrentReads(t, 24, c, am.Token, func(int) string { return "group" })
	for i, res := range answers {
		must(t, res, 200)
		if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'view' AND customer_id = $2 AND staff_id = $3 AND purpose = 'group'", ids[i], c, am.ID); n != 1 {
			t.Fatalf("read %d: %d view rows, want 1", i, n)
		}
	}
}

// A group whose write fails fails every read in it: each is 503 unavailable
// and shows nothing; a read answered 200 has its row, a refused one none.
func TestFailedGroupFailsEveryReadInIt(t *testing.T) {
	am := newStaff(t, kam.RoleAccountManager)
	c := newAccount(t, am.ID)
	name := must(t, call(t, "GET", "/v1/customers/"+c, am.Token, nil), 200).str("name")
	const refused = "register refuses this read"
	failRegister(t, refused)
	ids, answers := concurrentReads(t, 24, c, am.Token, func(i int) string {
		if i%2 == 0 {
			return refused
		}
		return "fine"
	})
	served := 0
	for i, res := range answers {
		rows := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1", ids[i])
		switch {
		case res.Status == 200 && i%2 == 1 && rows == 1:
			served++
		case res.Status == 503:
			problem(t, res, 503, "unavailable")
			if strings.Contains(string(res.Raw), name) || rows != 0 {
				t.Fatalf("read %d refused but shown or registered (%d rows): %s", i, rows, res.Raw)
			}
		default:
			t.Fatalf("read %d (purpose refused: %v): status %d with %d rows", i, i%2 == 0, res.Status, rows)
		}
	}
	t.Logf("%d of 12 unrefused reads served beside the refused ones", served)
	// The register works again for the next group.
	must(t, call(t, "GET", "/v1/customers/"+c, am.Token, nil, header{"X-Access-Purpose", "fine"}), 200)
}
