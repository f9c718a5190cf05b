package api

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

// Limits bound what callers hold at once. Without them one ordinary token
// could hold the whole database pool: an account manager firing 30 ten-year
// overview reports at once (5.5 s each alone) made a data clerk's read of
// one archive take 2.8 s at the median and 8.2 s at worst, where it takes
// milliseconds, and the process held 280 MB of heap for the reports.
//
// A request counts against its caller (the member of staff, whichever of
// their tokens it carries) while it is served. A heavy operation (a report,
// an import, the register's verify, a tier review or inspection run on
// demand: x-kam-heavy in the OpenAPI document) also takes one of the
// process's few heavy slots, waiting up to HeavyWait for one.
type Limits struct {
	// PerStaff is the requests one member of staff may have in flight
	// (KAM_STAFF_MAX_REQUESTS); a further one waits up to HeavyWait for
	// one of them to end (a burst is served, in turn), then 429
	// rate_limited.
	PerStaff int
	// HeavyPerStaff is the heavy operations one member of staff may have in
	// flight (KAM_STAFF_MAX_HEAVY); a further one waits up to HeavyWait,
	// then 429 rate_limited.
	HeavyPerStaff int
	// Heavy is the heavy operations in flight in this process, all callers
	// together (KAM_MAX_HEAVY); a heavy request waits for a slot up to
	// HeavyWait (KAM_HEAVY_WAIT), then 503 server_busy.
	Heavy     int
	HeavyWait time.Duration
}

// DefaultLimits leave room for any client kam knows (the console sends a
// handful of reads at once, `kam bench load` 8 clients on one token) and
// keep heavy work to a fifth of the database pool's 20 connections.
func DefaultLimits() Limits {
	return Limits{PerStaff: 32, HeavyPerStaff: 2, Heavy: 4, HeavyWait: 10 * time.Second}
}

// withDefaults fills the zero fields with DefaultLimits; a negative one
// means no limit.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&l.PerStaff, d.PerStaff)
	fill(&l.HeavyPerStaff, d.HeavyPerStaff)
	fill(&l.Heavy, d.Heavy)
	if l.HeavyWait <= 0 {
		l.HeavyWait = d.HeavyWait
	}
	return l
}

// Retry-After of each refusal, in seconds: a caller over their own limit
// may retry as soon as one of their requests ends; a full house of heavy
// work frees a slot in about one report's time.
const (
	retryAfterOwn   = 1
	retryAfterHeavy = 10
)

// heavyExtension marks a heavy operation in the OpenAPI document: true, or
// the name of the query parameter that makes a request of it heavy.
const heavyExtension = "x-kam-heavy"

// heavyOp marks o heavy: it takes a heavy slot (Limits).
func heavyOp(o huma.Operation) huma.Operation { return markHeavy(o, true) }

// heavyWith marks o heavy when a request of it carries the query parameter
// param: an archive read ?as_of= has Postgres read the account's history
// since the day (50,000 changes: 0.12 s each; when kam read the history
// whole, 30 at once held 3.6 GB and stalled a colleague's read for 54 s).
func heavyWith(o huma.Operation, param string) huma.Operation { return markHeavy(o, param) }

func markHeavy(o huma.Operation, v any) huma.Operation {
	if o.Extensions == nil {
		o.Extensions = map[string]any{}
	}
	o.Extensions[heavyExtension] = v
	return o
}

// heavyRoutes lists the heavy operations, by method and route pattern, as
// the OpenAPI document marks them: "" when every request of one is heavy,
// else the query parameter that makes it so.
func heavyRoutes(oapi *huma.OpenAPI) map[string]string {
	out := map[string]string{}
	for path, item := range oapi.Paths {
		for method, op := range map[string]*huma.Operation{
			http.MethodGet: item.Get, http.MethodPost: item.Post, http.MethodPut: item.Put,
			http.MethodPatch: item.Patch, http.MethodDelete: item.Delete,
		} {
			if op == nil {
				continue
			}
			switch v := op.Extensions[heavyExtension].(type) {
			case bool:
				if v {
					out[method+" "+path] = ""
				}
			case string:
				out[method+" "+path] = v
			}
		}
	}
	return out
}

// throttle counts requests in flight per caller and heavy ones per process.
type throttle struct {
	limits Limits
	mu     sync.Mutex
	staff  map[uuid.UUID]*inFlight // only callers with a request in flight
	heavy  chan struct{}           // nil: no process-wide limit
}

// inFlight is one caller's requests: all counts those served and those
// waiting for one of the caller's slots.
type inFlight struct {
	all        int
	slots      chan struct{} // nil: no per-staff limit
	heavySlots chan struct{} // nil: no per-staff limit of heavy ones
}

func newThrottle(l Limits) *throttle {
	l = l.withDefaults()
	t := &throttle{limits: l, staff: map[uuid.UUID]*inFlight{}}
	if l.Heavy > 0 {
		t.heavy = make(chan struct{}, l.Heavy)
	}
	return t
}

// enter admits a request of caller id, or answers why not. release must be
// called once the request is served. A request past its caller's limits
// waits its turn up to HeavyWait: the console opens three reports at once,
// and a burst (60 reopens) is served in turn rather than refused.
func (t *throttle) enter(ctx context.Context, id uuid.UUID, heavy bool) (release func(), p *Problem, retryAfter int) {
	t.mu.Lock()
	n := t.staff[id]
	if n == nil {
		n = &inFlight{}
		if t.limits.PerStaff > 0 {
			n.slots = make(chan struct{}, t.limits.PerStaff)
		}
		if t.limits.HeavyPerStaff > 0 {
			n.heavySlots = make(chan struct{}, t.limits.HeavyPerStaff)
		}
		t.staff[id] = n
	}
	n.all++
	t.mu.Unlock()
	leave := func() {
		t.mu.Lock()
		n.all--
		if n.all == 0 {
			delete(t.staff, id)
		}
		t.mu.Unlock()
	}
	wait := time.NewTimer(t.limits.HeavyWait)
	defer wait.Stop()
	// take waits for a slot of slots and adds its return to leave; false
	// when the wait ran out or the caller left.
	take := func(slots chan struct{}) bool {
		if slots == nil {
			return true
		}
		select {
		case slots <- struct{}{}:
			own := leave
			leave = func() { <-slots; own() }
			return true
		case <-wait.C:
		case <-ctx.Done():
		}
		leave()
		return false
	}
	if !take(n.slots) {
		return nil, rateLimited("you have " + itoa(t.limits.PerStaff) + " requests in progress, the most one member of staff may have at once"), retryAfterOwn
	}
	if !heavy {
		return leave, nil, 0
	}
	if !take(n.heavySlots) {
		return nil, rateLimited("you have " + itoa(t.limits.HeavyPerStaff) + " reports, imports or runs in progress, the most one member of staff may have at once"), retryAfterOwn
	}
	if !take(t.heavy) {
		return nil, serverBusy(), retryAfterHeavy
	}
	return leave, nil, 0
}

// throttled admits an authenticated request under the Limits (429 or 503
// with Retry-After otherwise). It runs before the idempotency claim, so a
// refused keyed request claims nothing and its retry is served.
func (s *Server) throttled(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		heavy := false
		if rc := chi.RouteContext(r.Context()); rc != nil {
			param, ok := s.heavyRoutes[r.Method+" "+rc.RoutePattern()]
			heavy = ok && (param == "" || r.URL.Query().Has(param))
		}
		release, p, retry := s.throttle.enter(r.Context(), callerOf(r.Context()).ID, heavy)
		if p != nil {
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			writeProblem(w, r, p)
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}
