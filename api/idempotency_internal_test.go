package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db"
	"kam/db/dbtest"
	"kam/db/store"
)

// The recorder must not hide the connection from http.ResponseController
// (deadlines, flushing).
func TestRecorderUnwraps(t *testing.T) {
	inner := httptest.NewRecorder()
	rec := &recorder{ResponseWriter: inner, status: http.StatusOK}
	if err := http.NewResponseController(rec).Flush(); err != nil {
		t.Fatalf("flush through the recorder: %v", err)
	}
	if !inner.Flushed {
		t.Fatal("the flush did not reach the writer underneath")
	}
}

// An Idempotency-Key is never released after a committed change: a 5xx that
// follows a commit is replayed, and the retry changes nothing.
func TestIdempotencyKeyKeptAfterCommittedChange(t *testing.T) {
	ctx := context.Background()
	s, st, staff := idempotencyServer(t, "api_idem", store.KeyPolicy{})

	var runs atomic.Int32
	// A handler that commits an archive and then fails, as a step after the
	// store call would.
	failAfterCommit := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		code := "IDEM-" + uuid.NewString()[:8]
		if _, err := st.CreateCustomer(r.Context(), store.CustomerPatch{Code: &code, Name: &code}, staff.ID); err != nil {
			t.Error(err)
		}
		writeProblem(w, r, newProblem(http.StatusServiceUnavailable, "unavailable", "a step after the commit failed"))
	})
	h := s.idempotent(failAfterCommit)
	key := uuid.NewString()
	send := func() *httptest.ResponseRecorder { return keyedPost(h, staff, key) }
	if w := send(); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("first answer %d", w.Code)
	}
	again := send()
	if again.Code != http.StatusServiceUnavailable || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d replayed=%q %s", again.Code, again.Header().Get("Idempotent-Replayed"), again.Body)
	}
	var n int
	if err := st.Pool.QueryRow(ctx, "SELECT count(*) FROM customers WHERE code LIKE 'IDEM-%'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 || runs.Load() != 1 {
		t.Fatalf("%d accounts from %d runs after a retry, want 1 and 1", n, runs.Load())
	}

	// A 5xx that changed nothing frees the key: the retry runs.
	key = uuid.NewString()
	h = s.idempotent(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		writeProblem(w, r, newProblem(http.StatusServiceUnavailable, "unavailable", "nothing happened"))
	}))
	before := runs.Load()
	send()
	send()
	if runs.Load()-before != 2 {
		t.Fatalf("a failure without effect kept its key (%d runs)", runs.Load()-before)
	}
}

// Every header a POST documents on its answers is replayed with it (or is
// the replay's own marker), and nothing else is kept: not the request's id,
// not a credential.
func TestReplayedHeadersCoverCreatingAnswers(t *testing.T) {
	s := New(Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Headers map[string]any `json:"headers"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for path, methods := range doc.Paths {
		op, ok := methods["post"]
		if !ok {
			continue
		}
		for status, r := range op.Responses {
			for name := range r.Headers {
				seen[http.CanonicalHeaderKey(name)] = true
				if strings.EqualFold(name, "Idempotent-Replayed") {
					continue
				}
				if !slices.ContainsFunc(replayedHeaders, func(k string) bool { return strings.EqualFold(k, name) }) {
					t.Errorf("POST %s answers %s with %s, which a replay would drop: list it in replayedHeaders", path, status, name)
				}
			}
		}
	}
	if !seen["Etag"] || !seen["Location"] {
		t.Fatalf("no ETag or Location documented on a POST (%v): is the OpenAPI read right?", seen)
	}

	h := http.Header{}
	for _, k := range []string{"ETag", "Location", "Content-Type", "X-Request-Id", "Set-Cookie", "Authorization", "Idempotent-Replayed"} {
		h.Set(k, "v")
	}
	if got := keptHeaders(h); len(got) != 3 || got["Etag"] == nil || got["Location"] == nil || got["Content-Type"] == nil {
		t.Fatalf("kept %v", got)
	}
}

// A request that outlives its claim's lease (held by a lock, say) and is
// retried with the same key makes its change once: the retry takes the key
// over and creates, the late request is refused (409) and creates nothing,
// and a further retry replays the retry's answer.
func TestIdempotencyLateRequestLosesItsClaim(t *testing.T) {
	ctx := context.Background()
	s, st, staff := idempotencyServer(t, "api_idem_late", store.KeyPolicy{Lease: time.Second})

	gate := make(chan struct{})
	var calls atomic.Int32
	h := s.idempotent(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-gate
		}
		code := "LATE-" + uuid.NewString()[:8]
		if _, err := st.CreateCustomer(r.Context(), store.CustomerPatch{Code: &code, Name: &code}, staff.ID); err != nil {
			writeProblem(w, r, problemFor(s.log, err).(*Problem))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"code":"` + code + `"}`))
	}))
	key := uuid.NewString()
	send := func() *httptest.ResponseRecorder { return keyedPost(h, staff, key) }
	late := make(chan *httptest.ResponseRecorder)
	go func() { late <- send() }()
	for calls.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	retry := send()
	if retry.Code != http.StatusCreated {
		t.Fatalf("retry past the lease: %d %s", retry.Code, retry.Body)
	}
	close(gate)
	first := <-late
	if first.Code != http.StatusConflict || !strings.Contains(first.Body.String(), "idempotency_in_progress") {
		t.Fatalf("late request: %d %s, want 409 idempotency_in_progress", first.Code, first.Body)
	}
	var n int
	if err := st.Pool.QueryRow(ctx, "SELECT count(*) FROM customers WHERE code LIKE 'LATE-%'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d accounts from one key, want 1", n)
	}
	again := send()
	if again.Code != http.StatusCreated || again.Body.String() != retry.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s, want the retry's answer %s", again.Code, again.Body, retry.Body)
	}
}

// idempotencyServer is a Server over a database of its own, holding keys
// under policy, with a KA manager to make requests as.
func idempotencyServer(t *testing.T, name string, policy store.KeyPolicy) (*Server, *store.Store, kam.Staff) {
	t.Helper()
	ctx := context.Background()
	dsn, drop, err := dbtest.NewDatabase(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	pool, err := db.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	st.Keys = policy
	staff, err := st.CreateStaff(ctx, "Idem "+uuid.NewString()[:6], nil, kam.RoleKAManager)
	if err != nil {
		t.Fatal(err)
	}
	return &Server{store: st, log: slog.New(slog.NewTextHandler(io.Discard, nil))}, st, staff
}

// keyedPost sends one POST /v1/customers under key as staff through h.
func keyedPost(h http.Handler, staff kam.Staff, key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/customers", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Idempotency-Key", key)
	req = req.WithContext(context.WithValue(req.Context(), principalKey, principal{ID: staff.ID, Role: staff.Role}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}
