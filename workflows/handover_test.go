package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"kam"
	"kam/activities"
)

// handoverStore is the record a handover run works on, in memory: what the
// store's batch does (move up to limit accounts of From, with the pending
// requests on them; batch n once), including a batch whose transaction
// commits but whose answer is lost.
type handoverStore struct {
	mu        sync.Mutex
	accounts  []uuid.UUID               // still From's, in id order
	requests  map[uuid.UUID][]uuid.UUID // account -> pending requests of From
	batches   map[int]kam.HandoverBatch
	moved     map[uuid.UUID]int // account -> times moved
	calls     int               // batch activity calls
	loseAfter map[int]bool      // batch n: commit, then fail the answer (once)
	refuseAt  int               // batch n is refused (the receiver left); -1 never
	finished  []activities.HandoverEnd
	signals   []string // "<signal> <workflow id>"
	changes   []RequesterChange
	gone      bool // no run exists to signal
	// afterSignal, when set, is called with the number of signals sent.
	afterSignal func(n int)
	unstored    bool // the handover's row never committed
	// unreachable: how many confirmations fail as with the database down;
	// confirms counts them all.
	unreachable, confirms int
}

func newHandoverStore(accounts int) *handoverStore {
	s := &handoverStore{requests: map[uuid.UUID][]uuid.UUID{}, batches: map[int]kam.HandoverBatch{}, moved: map[uuid.UUID]int{},
		loseAfter: map[int]bool{}, refuseAt: -1}
	for range accounts {
		s.accounts = append(s.accounts, uuid.New())
	}
	slices.SortFunc(s.accounts, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return s
}

func (s *handoverStore) batch(_ context.Context, in activities.HandoverBatchInput) (kam.HandoverBatch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if b, ok := s.batches[in.Batch]; ok {
		return b, nil
	}
	if in.Batch == s.refuseAt {
		return kam.HandoverBatch{}, temporal.NewNonRetryableApplicationError("staff member is no longer an active account manager", activities.ErrHandoverRefused, nil)
	}
	n := min(in.Limit, len(s.accounts))
	b := kam.HandoverBatch{Batch: in.Batch, Accounts: slices.Clone(s.accounts[:n]), Requests: []uuid.UUID{}}
	s.accounts = s.accounts[n:]
	for _, c := range b.Accounts {
		s.moved[c]++
		b.Requests = append(b.Requests, s.requests[c]...)
	}
	s.batches[in.Batch] = b
	if s.loseAfter[in.Batch] {
		delete(s.loseAfter, in.Batch)
		return kam.HandoverBatch{}, errors.New("connection reset after commit")
	}
	return b, nil
}

type handoverRun struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	store *handoverStore
	in    HandoverInput
}

func newHandoverRun(t *testing.T, s *handoverStore, in HandoverInput) *handoverRun {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger())
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.SetStartTime(t0)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	env.OnActivity(a.ConfirmHandover, mock.Anything, in.HandoverID).Return(func(context.Context, uuid.UUID) error {
		if s.unstored {
			return temporal.NewApplicationError("not stored", activities.ErrHandoverMissing)
		}
		if s.confirms++; s.confirms <= s.unreachable {
			return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
		}
		return nil
	})
	env.OnActivity(a.MoveHandoverBatch, mock.Anything, mock.Anything).Return(s.batch)
	env.OnActivity(a.FinishHandover, mock.Anything, mock.Anything).Return(func(_ context.Context, e activities.HandoverEnd) (kam.Handover, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.finished = append(s.finished, e)
		return kam.Handover{ID: e.HandoverID, Status: e.Status, Reason: e.Reason, AccountsMoved: len(s.moved)}, nil
	})
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", mock.Anything, mock.Anything).Return(
		func(_, workflowID, _, signal string, arg any) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.signals = append(s.signals, signal+" "+workflowID)
			if c, ok := arg.(RequesterChange); ok {
				s.changes = append(s.changes, c)
			}
			if s.afterSignal != nil {
				s.afterSignal(len(s.signals))
			}
			if s.gone {
				return &temporal.UnknownExternalWorkflowExecutionError{}
			}
			return nil
		})
	return &handoverRun{t: t, env: env, store: s, in: in}
}

func handoverInput(batch int) HandoverInput {
	return HandoverInput{HandoverID: uuid.New(), From: uuid.New(), To: uuid.New(), BatchSize: batch, VisitLead: 72 * time.Hour, Timezone: "Asia/Shanghai"}
}

// run executes the run and answers its result, or its continue-as-new input.
func (r *handoverRun) run() (kam.Handover, *HandoverInput) {
	r.t.Helper()
	r.env.ExecuteWorkflow(StaffHandover, r.in)
	if !r.env.IsWorkflowCompleted() {
		r.t.Fatal("run did not complete")
	}
	if err := r.env.GetWorkflowError(); isContinueAsNew(err) {
		var next HandoverInput
		if err := converterDecode(continueAsNewOf(err), &next); err != nil {
			r.t.Fatal(err)
		}
		return kam.Handover{}, &next
	} else if err != nil {
		r.t.Fatal(err)
	}
	var h kam.Handover
	if err := r.env.GetWorkflowResult(&h); err != nil {
		r.t.Fatal(err)
	}
	return h, nil
}

// everyAccountOnce checks that each account moved once.
func (s *handoverStore) everyAccountOnce(t *testing.T, want int) {
	t.Helper()
	if len(s.accounts) != 0 || len(s.moved) != want {
		t.Fatalf("%d accounts moved, %d left; want %d moved", len(s.moved), len(s.accounts), want)
	}
	for c, n := range s.moved {
		if n != 1 {
			t.Fatalf("account %s moved %d times", c, n)
		}
	}
}

func countOf(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// SPEC §7, Art. 20: 120 accounts in batches of 50 (50, 50, 20); each
// pending request's approval run is told (and nothing else), and the
// handover ends done once.
func TestHandoverMovesEveryAccountInBatches(t *testing.T) {
	s := newHandoverStore(120)
	var requests []uuid.UUID
	for _, c := range []uuid.UUID{s.accounts[3], s.accounts[77], s.accounts[119]} {
		r := uuid.New()
		s.requests[c] = []uuid.UUID{r}
		requests = append(requests, r)
	}
	in := handoverInput(50)
	h, next := newHandoverRun(t, s, in).run()
	if next != nil || h.Status != kam.HandoverDone {
		t.Fatalf("result %+v, continued as new: %v", h, next)
	}
	s.everyAccountOnce(t, 120)
	if len(s.batches) != 3 || s.calls != 3 {
		t.Fatalf("%d batches in %d calls, want 3 in 3", len(s.batches), s.calls)
	}
	for _, r := range requests {
		if k := countOf(s.signals, SignalRequesterChanged+" "+DiscountWorkflowID(r)); k != 1 {
			t.Fatalf("approval run of %s told %d times", r, k)
		}
	}
	if len(s.signals) != len(requests) {
		t.Fatalf("signals %v, want one per request", s.signals)
	}
	for _, c := range s.changes {
		if c.From != in.From || c.To != in.To {
			t.Fatalf("requester change %+v, want %s -> %s", c, in.From, in.To)
		}
	}
	if len(s.finished) != 1 || s.finished[0].Status != kam.HandoverDone || s.finished[0].HandoverID != in.HandoverID {
		t.Fatalf("finished %+v", s.finished)
	}
}

// A batch that committed but whose answer was lost (a crash between the
// commit and the report) is asked again and answers what it moved: nothing
// moves twice and nothing is skipped.
func TestHandoverBatchRetriedAfterLostAnswer(t *testing.T) {
	s := newHandoverStore(30)
	s.loseAfter[1] = true
	h, next := newHandoverRun(t, s, handoverInput(10)).run()
	if next != nil || h.Status != kam.HandoverDone {
		t.Fatalf("result %+v", h)
	}
	s.everyAccountOnce(t, 30)
	// Batches 0, 1 (lost), 1 again, 2, 3 (empty: the end).
	if s.calls != 5 || len(s.batches) != 4 {
		t.Fatalf("%d calls, %d batches; want 5 and 4", s.calls, len(s.batches))
	}
}

// Many accounts: a run continues as new after handoverBatchesPerRun batches,
// carrying its place; the next run resumes there.
func TestHandoverContinuesAsNewAndResumes(t *testing.T) {
	s := newHandoverStore(2*handoverBatchesPerRun + 5)
	in := handoverInput(2)
	_, next := newHandoverRun(t, s, in).run()
	if next == nil || next.NextBatch != handoverBatchesPerRun || next.HandoverID != in.HandoverID {
		t.Fatalf("continued as new with %+v, want batch %d", next, handoverBatchesPerRun)
	}
	if len(s.finished) != 0 {
		t.Fatal("finished before the last batch")
	}
	h, again := newHandoverRun(t, s, *next).run()
	if again != nil || h.Status != kam.HandoverDone {
		t.Fatalf("second run: %+v %+v", h, again)
	}
	s.everyAccountOnce(t, 2*handoverBatchesPerRun+5)
}

// A receiver who is no longer an active account manager stops the handover
// as failed; what moved before stays moved.
func TestHandoverStopsWhenReceiverCannotTakeAccounts(t *testing.T) {
	s := newHandoverStore(25)
	s.refuseAt = 1
	h, _ := newHandoverRun(t, s, handoverInput(10)).run()
	if h.Status != kam.HandoverFailed || len(s.finished) != 1 || s.finished[0].Reason == "" {
		t.Fatalf("result %+v, finished %+v", h, s.finished)
	}
	if len(s.moved) != 10 || len(s.accounts) != 15 {
		t.Fatalf("%d moved, %d left; want 10 and 15", len(s.moved), len(s.accounts))
	}
}

// An approval run that no longer exists (a request decided since) has
// nothing to change: the handover goes on.
func TestHandoverIgnoresRunsThatAreGone(t *testing.T) {
	s := newHandoverStore(5)
	s.requests[s.accounts[2]] = []uuid.UUID{uuid.New()}
	s.gone = true
	h, _ := newHandoverRun(t, s, handoverInput(10)).run()
	if h.Status != kam.HandoverDone || len(s.moved) != 5 || len(s.signals) != 1 {
		t.Fatalf("result %+v, %d moved, signals %v", h, len(s.moved), s.signals)
	}
}

// A run whose row never committed (the request's transaction rolled back)
// ends without moving anything.
func TestHandoverWithoutRowEnds(t *testing.T) {
	s := newHandoverStore(5)
	s.unstored = true
	h, _ := newHandoverRun(t, s, handoverInput(10)).run()
	if h.Status != "abandoned" || s.calls != 0 {
		t.Fatalf("result %+v after %d batches", h, s.calls)
	}
}

// A database out for longer than the confirmation's retries is waited out:
// the handover goes on instead of ending with its row left running.
func TestHandoverOutlastsAnOutageAtItsStart(t *testing.T) {
	s := newHandoverStore(5)
	s.unreachable = 20
	h, _ := newHandoverRun(t, s, handoverInput(10)).run()
	if h.Status != kam.HandoverDone || len(s.moved) != 5 || s.confirms <= s.unreachable {
		t.Fatalf("result %+v, %d moved after %d confirmations", h, len(s.moved), s.confirms)
	}
}

// SPEC §7: a pending request handed over is the new manager's: its notices
// go to them, they may withdraw it, and the previous requester may not.
func TestApprovalFollowsHandedOverRequester(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	heir := uuid.New()
	change := RequesterChange{From: r.in.RequesterID, To: heir}
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(SignalRequesterChanged, change) }, time.Hour)
	// A repeated or stale change names someone who is no longer the requester.
	r.env.RegisterDelayedCallback(func() {
		r.env.SignalWorkflow(SignalRequesterChanged, RequesterChange{From: r.in.RequesterID, To: uuid.New()})
	}, 2*time.Hour)
	r.at(3*time.Hour, UpdateWithdraw, Withdrawal{By: r.in.RequesterID})
	r.at(4*time.Hour, UpdateWithdraw, Withdrawal{By: heir})
	st := r.run()
	if st.State != kam.StateWithdrawn {
		t.Fatalf("state %+v", st)
	}
	if len(r.rejected) != 1 || r.rejected[0] != ErrNotRequester {
		t.Fatalf("refused %v, want the previous requester's withdrawal refused (not_requester)", r.rejected)
	}
	// Reminders before the withdrawal went to the deciders; nothing went to
	// the previous requester after the change.
	for _, e := range r.events {
		if e.Notice != nil && slices.Contains(e.Notice.StaffIDs, r.in.RequesterID) {
			t.Fatalf("notice %s went to the previous requester", e.Key)
		}
	}
}

// The decision on a handed-over request is told to the new manager.
func TestApprovalTellsHandedOverRequesterOfDecision(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	heir := uuid.New()
	r.env.RegisterDelayedCallback(func() {
		r.env.SignalWorkflow(SignalRequesterChanged, RequesterChange{From: r.in.RequesterID, To: heir})
	}, time.Hour)
	r.decide(2*time.Hour, kam.RoleKAManager, "reject")
	if st := r.run(); st.State != kam.StateRejected {
		t.Fatalf("state %+v", st)
	}
	told := false
	for _, e := range r.events {
		if e.Kind == "discount_reject" {
			told = slices.Contains(e.Notice.StaffIDs, heir) && !slices.Contains(e.Notice.StaffIDs, r.in.RequesterID)
		}
	}
	if !told {
		t.Fatalf("the rejection was not told to the new manager alone: %+v", r.events)
	}
}

// Art. 12: whoever asked for a request never decides it, even after a
// handover made someone else its requester and a change of role made them a
// decider; nor does their deputy. The stage's own decider still may.
func TestHandedOverRequesterNeverDecides(t *testing.T) {
	r := newApprovalRun(t, kam.RouteStandard)
	asker := r.in.RequesterID
	r.env.RegisterDelayedCallback(func() {
		r.env.SignalWorkflow(SignalRequesterChanged, RequesterChange{From: asker, To: uuid.New()})
	}, time.Hour)
	r.at(2*time.Hour, UpdateDecide, Decision{By: asker, Role: kam.RoleKAManager, Decision: "approve"})
	r.at(3*time.Hour, UpdateDecide, Decision{By: uuid.New(), Role: kam.RoleAccountManager, Decision: "approve",
		Deputyship: &kam.Deputyship{ID: uuid.New(), From: asker, FromRole: kam.RoleKAManager, StartsAt: t0, EndsAt: t0.Add(48 * time.Hour)}})
	r.decide(4*time.Hour, kam.RoleKAManager, "reject")
	if st := r.run(); st.State != kam.StateRejected {
		t.Fatalf("state %+v", st)
	}
	if !slices.Equal(r.rejected, []string{ErrNotDecider, ErrNotDecider}) {
		t.Fatalf("refused %v, want the former requester and their deputy refused (not_decider)", r.rejected)
	}
}

// A batch whose accounts carry 2,300 pending requests (MovePendingRequests
// has no bound): their approval runs are told at most 500 at a time, each
// chunk waited for, since Temporal refuses a task with more than 2,000
// signals pending. A run whose history grows long continues as new between
// two chunks, and the next run tells the rest, each run once.
func TestHandoverTellsManyRequestsInChunks(t *testing.T) {
	s := newHandoverStore(3)
	var requests []uuid.UUID
	for range 2300 {
		requests = append(requests, uuid.New())
	}
	s.requests[s.accounts[0]] = requests[:1500]
	s.requests[s.accounts[2]] = requests[1500:]
	in := handoverInput(50)
	r := newHandoverRun(t, s, in)
	s.afterSignal = func(n int) {
		if n == 600 { // in the second chunk: Temporal suggests continuing
			r.env.SetContinueAsNewSuggested(true)
		}
	}
	_, next := r.run()
	if next == nil || next.NextBatch != 0 || next.Told != 2*handoverSignalsPerTask || len(s.signals) != 2*handoverSignalsPerTask {
		t.Fatalf("continued with %+v after %d signals", next, len(s.signals))
	}
	s.afterSignal = nil
	h, again := newHandoverRun(t, s, *next).run()
	if again != nil || h.Status != kam.HandoverDone || len(s.finished) != 1 || s.calls != 2 {
		t.Fatalf("result %+v, continued %v, finished %v, %d batch calls", h, again, s.finished, s.calls)
	}
	s.everyAccountOnce(t, 3)
	if len(s.signals) != len(requests) {
		t.Fatalf("%d signals for %d requests", len(s.signals), len(requests))
	}
	for _, q := range requests {
		if k := countOf(s.signals, SignalRequesterChanged+" "+DiscountWorkflowID(q)); k != 1 {
			t.Fatalf("approval run of %s told %d times", q, k)
		}
	}
}
