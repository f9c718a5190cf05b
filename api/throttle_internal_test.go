package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The three limits, each on its own: requests per member of staff, heavy
// ones per member, heavy ones in the process (a wait, then 503 server_busy).
func TestThrottleLimits(t *testing.T) {
	th := newThrottle(Limits{PerStaff: 3, HeavyPerStaff: 2, Heavy: 3, HeavyWait: 50 * time.Millisecond})
	ctx := context.Background()
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	enter := func(id uuid.UUID, heavy bool) (func(), *Problem, int) { return th.enter(ctx, id, heavy) }

	relA1, p, _ := enter(a, true)
	relA2, p2, _ := enter(a, true)
	if p != nil || p2 != nil {
		t.Fatal("two heavy requests of one caller refused")
	}
	start := time.Now()
	if _, p, retry := enter(a, true); p == nil || p.Status != http.StatusTooManyRequests || p.Code != "rate_limited" || retry != retryAfterOwn {
		t.Fatalf("a third heavy request of one caller: %+v, Retry-After %d", p, retry)
	}
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Fatalf("refused after %s, without waiting for the caller's own heavy slot", waited)
	}
	// The console opens three reports at once: the third waits for one of
	// the first two and is served.
	go func() { time.Sleep(10 * time.Millisecond); relA2() }()
	relA2, p, _ = enter(a, true)
	if p != nil {
		t.Fatalf("a third heavy request refused though one of the caller's ended: %+v", p)
	}
	relA3, p, _ := enter(a, false)
	if p != nil {
		t.Fatal("an ordinary request refused beside two heavy ones")
	}
	start = time.Now()
	if _, p, _ := enter(a, false); p == nil || p.Status != http.StatusTooManyRequests {
		t.Fatalf("a fourth request of one caller past PerStaff 3: %+v", p)
	}
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Fatalf("refused after %s, without waiting for the caller's own slot", waited)
	}
	// A burst waits its turn: a request ending frees a slot for the next.
	go func() { time.Sleep(10 * time.Millisecond); relA3() }()
	relA3, p, _ = enter(a, false)
	if p != nil {
		t.Fatalf("a waiting request refused though the caller's request ended: %+v", p)
	}
	// The process's third heavy slot goes to b; c then waits and is refused.
	relB, p, _ := enter(b, true)
	if p != nil {
		t.Fatal("b's heavy request refused with a slot free")
	}
	start = time.Now()
	if _, p, retry := enter(c, true); p == nil || p.Status != http.StatusServiceUnavailable || p.Code != codeServerBusy || retry != retryAfterHeavy {
		t.Fatalf("a heavy request with every slot taken: %+v", p)
	}
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Fatalf("refused after %s, without waiting for a slot", waited)
	}
	// A slot freed while c waits is c's.
	go func() { time.Sleep(10 * time.Millisecond); relA1() }()
	relC, p, _ := enter(c, true)
	if p != nil {
		t.Fatalf("c refused though a slot was freed: %+v", p)
	}
	relA2()
	relA3()
	relB()
	relC()
	if len(th.staff) != 0 || len(th.heavy) != 0 {
		t.Fatalf("after every request ended: %d callers, %d heavy slots held", len(th.staff), len(th.heavy))
	}
	// Negative fields lift a limit.
	free := newThrottle(Limits{PerStaff: -1, HeavyPerStaff: -1, Heavy: -1})
	for range 100 {
		if _, p, _ := free.enter(ctx, a, true); p != nil {
			t.Fatal("refused with no limits")
		}
	}
}
