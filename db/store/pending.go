package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// ErrUnregistered is what a write answers when its register entry could not
// be written: the write's transaction was rolled back with it (Art. 9).
var ErrUnregistered = &kam.Error{Kind: kam.KindUnavailable, Code: "unavailable",
	Message: "the access register cannot be written; nothing was shown or changed"}

// pendingAccess is the register entry a request's archive write still owes.
type pendingAccess struct {
	mu      sync.Mutex
	access  Access
	written bool
}

type pendingKey struct{}

// WithAccess makes a the register entry of the archive write that runs with
// the returned context: the first transaction of the store that commits under
// it writes a, in that transaction, once (Art. 9).
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, pendingKey{}, &pendingAccess{access: a})
}

// AccessWritten tells whether the entry pending in ctx has been committed.
func AccessWritten(ctx context.Context) bool {
	p := pendingOf(ctx)
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written
}

// PendingAccess is the entry pending in ctx, if any.
func PendingAccess(ctx context.Context) (Access, bool) {
	p := pendingOf(ctx)
	if p == nil {
		return Access{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.access, true
}

// SetAccessCustomers names the accounts of the pending entry when the write
// only learns them itself (a new archive's id, a greeting task's account). It
// does not override accounts the caller named.
func SetAccessCustomers(ctx context.Context, ids ...uuid.UUID) {
	p := pendingOf(ctx)
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.access.CustomerIDs) == 0 {
		p.access.CustomerIDs = ids
	}
}

func pendingOf(ctx context.Context) *pendingAccess {
	p, _ := ctx.Value(pendingKey{}).(*pendingAccess)
	return p
}

// writeWith appends the pending entry with a transaction's queries. Its
// failure is ErrUnregistered whatever the cause, so no caller mistakes it for
// bad input and the transaction rolls back.
func (p *pendingAccess) writeWith(ctx context.Context, q *dbq.Queries) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.written {
		return nil
	}
	if err := appendAccess(ctx, q, p.access); err != nil {
		return fmt.Errorf("access register: %v: %w", err, ErrUnregistered)
	}
	return nil
}

// committed marks the entry written once its transaction committed, and
// answers it when this transaction was the one that wrote it.
func (p *pendingAccess) committed() (Access, bool) {
	if p == nil {
		return Access{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.written {
		return Access{}, false
	}
	p.written = true
	return p.access, true
}

type changesKey struct{}

// TrackChanges returns a context whose store transactions record that they
// committed: the idempotency layer must never forget a request that changed
// something.
func TrackChanges(ctx context.Context) context.Context {
	return context.WithValue(ctx, changesKey{}, new(tracker))
}

// HoldKey is TrackChanges for a request that holds claim c: each of its
// transactions also stamps c as committed before it commits, so the key is
// never taken again after the change landed (a recorded outcome can be
// lost, a committed transaction cannot); a transaction whose claim a retry
// took over is rolled back instead (errClaimLost).
func HoldKey(ctx context.Context, c *Claim) context.Context {
	return context.WithValue(ctx, changesKey{}, &tracker{claim: c})
}

// tracker is what TrackChanges records of a request: whether it committed a
// change, and the register entries written for it that name accounts; and
// the Idempotency-Key claim it holds, if any (HoldKey).
type tracker struct {
	changed atomic.Bool
	mu      sync.Mutex
	shown   []Access
	claim   *Claim
	// settled: the claim's outcome was recorded or the claim freed; writes
	// still made under the request's context (an import's follow-up, off
	// the request) no longer stamp it.
	settled atomic.Bool
}

func trackerOf(ctx context.Context) *tracker {
	t, _ := ctx.Value(changesKey{}).(*tracker)
	return t
}

// noteRegistered records register entries written under ctx: a replay of
// the request's answer shows those accounts again, and registers them
// (Registered).
func noteRegistered(ctx context.Context, entries ...Access) {
	t := trackerOf(ctx)
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range entries {
		if len(a.CustomerIDs) > 0 {
			t.shown = append(t.shown, a)
		}
	}
}

// Registered is the register entries naming accounts that were written under
// ctx (see TrackChanges).
func Registered(ctx context.Context) []Access {
	t := trackerOf(ctx)
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Access(nil), t.shown...)
}

// MarkChanged records a change the store did not commit itself (a workflow
// that accepted an update). Store.ChangedOutside also stamps the request's
// claim.
func MarkChanged(ctx context.Context) { markChanged(ctx) }

// Changed tells whether a change was committed under ctx (see TrackChanges).
func Changed(ctx context.Context) bool {
	t := trackerOf(ctx)
	return t != nil && t.changed.Load()
}

func markChanged(ctx context.Context) {
	if t := trackerOf(ctx); t != nil {
		t.changed.Store(true)
	}
}
