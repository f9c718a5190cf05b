package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

func countOf(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func handoverRequest(by uuid.UUID, starts *[]uuid.UUID) store.HandoverStart {
	return store.HandoverStart{
		Access: store.Access{StaffID: &by, Role: ptr(kam.RoleKAManager), Action: kam.AccessUpdate, RequestID: "handover-" + uuid.NewString(),
			Route: "POST /v1/staff/{id}/handover", Purpose: "store test"},
		Start: func(h kam.Handover) error {
			*starts = append(*starts, h.ID)
			return nil
		},
	}
}

// SPEC §7: a handover goes to an active account manager other than the
// leaver; asked again while it runs it is the same handover (its run started
// again, a no-op), and one person hands over to one receiver at a time.
func TestHandoverStartRules(t *testing.T) {
	ctx := context.Background()
	ka, err := st.CreateStaff(ctx, "KA "+uuid.NewString()[:6], nil, kam.RoleKAManager)
	if err != nil {
		t.Fatal(err)
	}
	clerk, err := st.CreateStaff(ctx, "Clerk "+uuid.NewString()[:6], nil, kam.RoleDataClerk)
	if err != nil {
		t.Fatal(err)
	}
	from, to, other := newManager(t), newManager(t), newManager(t)
	var starts []uuid.UUID
	hs := handoverRequest(ka.ID, &starts)
	for _, c := range []struct {
		from, to uuid.UUID
		code     string
	}{
		{from, from, kam.CodeHandoverToSelf}, {from, clerk.ID, kam.CodeHandoverTarget}, {from, uuid.New(), kam.CodeHandoverTarget},
	} {
		_, err := st.StartHandover(ctx, c.from, c.to, "to", hs)
		var de *kam.Error
		if !errors.As(err, &de) || de.Code != c.code || de.Field != "to" || de.Kind != kam.KindInvalid {
			t.Fatalf("handover %s -> %s: %v, want %s on to", c.from, c.to, err, c.code)
		}
	}
	if _, err := st.StartHandover(ctx, uuid.New(), to, "to", hs); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("unknown leaver: %v", err)
	}
	if len(starts) != 0 {
		t.Fatalf("%d runs started for refused handovers", len(starts))
	}
	h1, err := st.StartHandover(ctx, from, to, "to", hs)
	if err != nil || h1.Status != kam.HandoverRunning || h1.RequestedBy != ka.ID {
		t.Fatalf("handover: %+v %v", h1, err)
	}
	h2, err := st.StartHandover(ctx, from, to, "to", hs)
	if err != nil || h2.ID != h1.ID || !slices.Equal(starts, []uuid.UUID{h1.ID, h1.ID}) {
		t.Fatalf("asked again: %+v %v; runs started %v", h2, err, starts)
	}
	if _, err := st.StartHandover(ctx, from, other, "to", hs); codeOf(err) != kam.CodeHandoverRunning {
		t.Fatalf("a second receiver while one runs: %v", err)
	}
	// The receiver neither hands over nor leaves while accounts come to them.
	if _, err := st.StartHandover(ctx, to, other, "to", hs); codeOf(err) != kam.CodeHandoverRunning {
		t.Fatalf("the receiver hands over: %v", err)
	}
	off := false
	if _, err := st.UpdateStaff(ctx, to, nil, store.StaffPatch{Active: &off}, store.HandoverStart{}); codeOf(err) != kam.CodeHasAssignments {
		t.Fatalf("the receiver leaves: %v", err)
	}
	if _, err := st.StartHandover(ctx, other, from, "to", hs); codeOf(err) != kam.CodeHandoverRunning {
		t.Fatalf("a handover to the leaver: %v", err)
	}
	if h, err := st.FinishHandover(ctx, h1.ID, kam.HandoverDone, ""); err != nil || h.Status != kam.HandoverDone || h.FinishedAt == nil {
		t.Fatalf("finish: %+v %v", h, err)
	}
	if h, err := st.FinishHandover(ctx, h1.ID, kam.HandoverFailed, "late"); err != nil || h.Status != kam.HandoverDone {
		t.Fatalf("finished twice: %+v %v", h, err)
	}
	if _, err := st.MoveHandoverBatch(ctx, h1.ID, 0, 10); codeOf(err) != store.CodeHandoverFinished {
		t.Fatalf("a batch of a finished handover: %v", err)
	}
	// Done, it no longer holds anyone: a new one may begin.
	if h3, err := st.StartHandover(ctx, from, other, "to", hs); err != nil || h3.ID == h1.ID {
		t.Fatalf("a new handover after the first: %+v %v", h3, err)
	}
}

// Each batch is one transaction: accounts with their history and register
// rows, open greeting tasks, the leaver's pending requests on them. Batch n
// asked again answers what it moved and moves nothing more.
func TestHandoverBatchesMoveOnceEach(t *testing.T) {
	ctx := context.Background()
	ka, err := st.CreateStaff(ctx, "KA "+uuid.NewString()[:6], nil, kam.RoleKAManager)
	if err != nil {
		t.Fatal(err)
	}
	from, to := newManager(t), newManager(t)
	var accounts []uuid.UUID
	for range 5 {
		accounts = append(accounts, newCustomer(t, ka.ID, &from))
	}
	slices.SortFunc(accounts, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	request := discountFor(t, accounts[4], from, "3", "2026-01-01", "2026-12-31")
	var starts []uuid.UUID
	hs := handoverRequest(ka.ID, &starts)
	h, err := st.StartHandover(ctx, from, to, "to", hs)
	if err != nil {
		t.Fatal(err)
	}
	var moved []uuid.UUID
	for n, want := range []int{2, 2, 1, 0} {
		b, err := st.MoveHandoverBatch(ctx, h.ID, n, 2)
		if err != nil || len(b.Accounts) != want {
			t.Fatalf("batch %d: %+v %v, want %d accounts", n, b, err, want)
		}
		again, err := st.MoveHandoverBatch(ctx, h.ID, n, 2)
		if err != nil || !slices.Equal(again.Accounts, b.Accounts) || !slices.Equal(again.Requests, b.Requests) {
			t.Fatalf("batch %d asked again: %+v %v, first %+v", n, again, err, b)
		}
		if n == 2 && !slices.Equal(b.Requests, []uuid.UUID{request}) {
			t.Fatalf("batch 2 moved requests %v, want %s", b.Requests, request)
		}
		moved = append(moved, b.Accounts...)
	}
	if !slices.Equal(moved, accounts) {
		t.Fatalf("moved %v, want %v", moved, accounts)
	}
	for _, c := range accounts {
		if n := countOf(t, `SELECT count(*) FROM customer_history WHERE customer_id = $1 AND field = 'account_manager_id'
			AND old_value = $2 AND new_value = $3 AND staff_id = $4`, c, from.String(), to.String(), ka.ID); n != 1 {
			t.Fatalf("account %s: %d history rows", c, n)
		}
		if n := countOf(t, `SELECT count(*) FROM access_log WHERE customer_id = $1 AND request_id = $2 AND action = 'update'
			AND staff_id = $3 AND route = 'POST /v1/staff/{id}/handover' AND purpose = 'store test'`, c, hs.Access.RequestID, ka.ID); n != 1 {
			t.Fatalf("account %s: %d register rows", c, n)
		}
	}
	if n := countOf(t, `SELECT count(*) FROM access_log WHERE request_id = $1`, hs.Access.RequestID); n != 5 {
		t.Fatalf("%d register rows of the request, want 5 (one per account)", n)
	}
	// Each row names what moved with its account (Art. 9): the pending
	// request moved with accounts[4] only.
	for i, c := range accounts {
		want := "{service}"
		if i == 4 {
			want = "{service,discounts}"
		}
		if n := countOf(t, `SELECT count(*) FROM access_log WHERE request_id = $1 AND customer_id = $2 AND sections::text = $3`,
			hs.Access.RequestID, c, want); n != 1 {
			t.Fatalf("account %d: no register row with sections %s", i, want)
		}
	}
	if n := countOf(t, `SELECT count(*) FROM discount_requests WHERE id = $1 AND requester_id = $2`, request, to); n != 1 {
		t.Fatal("the pending request is not the receiver's")
	}
	if n := countOf(t, `SELECT count(*) FROM discount_events WHERE request_id = $1 AND kind = 'handed_over'`, request); n != 1 {
		t.Fatalf("%d handed_over events", n)
	}
	got, err := st.Handover(ctx, from, h.ID)
	if err != nil || got.AccountsMoved != 5 || got.RequestsMoved != 1 || got.Batches != 4 {
		t.Fatalf("progress %+v %v", got, err)
	}
	if _, err := st.Handover(ctx, to, h.ID); !errors.Is(err, kam.ErrNotFound) {
		t.Fatalf("another's handover: %v", err)
	}
}

// A receiver who stopped being an active account manager refuses the next
// batch; nothing of it moves.
func TestHandoverBatchRefusedWhenReceiverCannotTakeAccounts(t *testing.T) {
	ctx := context.Background()
	ka, err := st.CreateStaff(ctx, "KA "+uuid.NewString()[:6], nil, kam.RoleKAManager)
	if err != nil {
		t.Fatal(err)
	}
	from, to := newManager(t), newManager(t)
	c := newCustomer(t, ka.ID, &from)
	var starts []uuid.UUID
	h, err := st.StartHandover(ctx, from, to, "to", handoverRequest(ka.ID, &starts))
	if err != nil {
		t.Fatal(err)
	}
	// Past every rule (a handover running to them keeps them active): as if
	// the row had been changed by hand.
	if _, err := pool.Exec(ctx, "UPDATE staff SET active = false WHERE id = $1", to); err != nil {
		t.Fatal(err)
	}
	if _, err := st.MoveHandoverBatch(ctx, h.ID, 0, 10); codeOf(err) != kam.CodeHandoverTarget {
		t.Fatalf("batch to an inactive receiver: %v", err)
	}
	if n := countOf(t, "SELECT count(*) FROM customers WHERE id = $1 AND account_manager_id = $2", c, from); n != 1 {
		t.Fatal("the account moved")
	}
}

// Two crossing handovers (A to B, B to A) asked at the same moment: one
// begins, the other is refused as running; neither deadlocks.
func TestCrossingHandoversDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	ka, err := st.CreateStaff(ctx, "KA "+uuid.NewString()[:6], nil, kam.RoleKAManager)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		a, b := newManager(t), newManager(t)
		var starts [2][]uuid.UUID
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, pair := range [][2]uuid.UUID{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = st.StartHandover(ctx, pair[0], pair[1], "to", handoverRequest(ka.ID, &starts[i]))
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case codeOf(err) == kam.CodeHandoverRunning:
				refused++
			default:
				t.Fatalf("crossing handovers: %v", err)
			}
		}
		if ok != 1 || refused != 1 {
			t.Fatalf("%d began, %d refused; want one each: %v", ok, refused, errs)
		}
	}
}
