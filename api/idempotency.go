package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

const maxBody = 1 << 20

// idempotent replays creating POSTs that carry an Idempotency-Key: the same
// key and body return the first response (status, replayedHeaders and body)
// and create nothing; the same key with another body is refused (422
// idempotency_key_reused). Only a failure that committed nothing frees the
// key; keys expire (store.KeyPolicy).
//
// The body is hashed whole, whatever its size up to the route's own limit
// (an import takes 5 MiB): a body over it claims nothing and is refused by
// huma (413) as any request's is; on a route that reads no body, a keyed
// body over maxBody is refused here, or the route would run unclaimed. The
// body is held in memory to be handed on, bounded by that limit: huma holds
// it whole as well, so spooling it to disk would add I/O and save at most
// that one copy.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 200 {
			writeProblem(w, r, malformed("malformed_request", "Idempotency-Key is longer than 200 characters"))
			return
		}
		bound := s.postBodyBound(r)
		body, err := readBody(w, r, bound.limit, bound.timeout)
		if err != nil {
			if bound.routeReads {
				// Over the route's limit, or not arriving in time: huma
				// refuses it (413, 408) before the handler runs.
				next.ServeHTTP(w, r)
				return
			}
			// A route that reads no body would run unclaimed: refused.
			writeProblem(w, r, unreadBody(err, bound))
			return
		}
		caller := callerOf(r.Context())
		claim, replay, err := s.store.ClaimKey(r.Context(), caller.ID, key, requestHash(r, body))
		if err != nil {
			writeProblem(w, r, problemFor(s.log, err).(*Problem))
			return
		}
		if replay != nil {
			// A replay shows its accounts again, so it is answered only
			// while the caller may still see them: one moved off an
			// account, or out of a section, since the first answer is
			// refused as any other read would be (SPEC §2).
			if denied := s.replayDenied(r.Context(), replay.Shown); denied != nil {
				writeProblem(w, r, problemFor(s.log, denied).(*Problem))
				return
			}
			// The replayed answer shows its accounts again: registered
			// as read, as the first answer's accounts were, or as
			// denied again for a refusal (SPEC §5).
			for _, sh := range replay.Shown {
				action := kam.AccessView
				if sh.Refused {
					action = kam.AccessDenied
				}
				if err := s.register(r.Context(), action, sh.CustomerIDs, sh.Sections); err != nil {
					writeProblem(w, r, problemFor(s.log, err).(*Problem))
					return
				}
			}
			writeReplay(w, replay)
			return
		}
		// The store marks this context when a transaction commits, and
		// stamps the claim as committed in that transaction, so neither a
		// failure after a committed change nor a lost outcome frees the key.
		ctx := store.HoldKey(r.Context(), claim)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				// The recoverer answers 500; the key must not stay claimed,
				// nor be freed if something was committed.
				body, _ := json.Marshal(internalProblem())
				s.settleKey(ctx, claim, http.StatusInternalServerError, nil, body)
				panic(v)
			}
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
		s.settleKey(ctx, claim, rec.status, rec.kept(), rec.buf.Bytes())
	})
}

// bodyBound is how much of a request body a route takes, and how long it
// waits for it; routeReads when the route reads its body, so that huma
// refuses one over limit (413) or late (408) before the handler runs.
type bodyBound struct {
	limit      int64 // the largest body taken whole
	timeout    time.Duration
	routeReads bool
}

// postBodyBounds is each POST route's bodyBound, by route pattern, as its
// operation declares it: huma refuses a body of MaxBodyBytes or more.
func postBodyBounds(oapi *huma.OpenAPI) map[string]bodyBound {
	out := map[string]bodyBound{}
	for path, item := range oapi.Paths {
		op := item.Post
		if op == nil || op.MaxBodyBytes <= 0 {
			continue
		}
		b := bodyBound{limit: op.MaxBodyBytes - 1, timeout: op.BodyReadTimeout, routeReads: true}
		if b.timeout <= 0 {
			b.timeout = bodyReadTimeout
		}
		out[path] = b
	}
	return out
}

// postBodyBound is the bound of r's route. A route that reads no body is
// read as any middleware reads a body (maxBody, bodyReadTimeout), for its
// hash.
func (s *Server) postBodyBound(r *http.Request) bodyBound {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if b, ok := s.postBodies[rc.RoutePattern()]; ok {
			return b
		}
	}
	return bodyBound{limit: maxBody, timeout: bodyReadTimeout}
}

// unreadBody refuses a keyed request whose body could not be hashed on a
// route that reads none: too large (413), too late (408), or broken (400).
func unreadBody(err error, b bodyBound) *Problem {
	var ne net.Error
	switch {
	case errors.Is(err, errBodyTooLarge):
		return bodyTooLarge("a request with an Idempotency-Key may carry a body of at most " + itoa(int(b.limit)) + " bytes here")
	case errors.As(err, &ne) && ne.Timeout():
		return bodyTimeout("the request body did not arrive in time")
	}
	return malformed("", "the request body could not be read")
}

// sectionCapability is what a caller needs to be shown a section beyond the
// archive itself (SPEC §2: credit and discounts are confidential).
var sectionCapability = map[string][]capability{
	kam.SectionCredit: {capReadCredit},
	"discounts":       {capSeeDiscounts, capRequestDiscount, capReadGrants},
}

// replayDenied is the refusal of a replay whose accounts or sections the
// caller may no longer see, registered as denied; nil when they still may.
// An account out of sight is 404, a section of a visible one 403 (SPEC §2).
func (s *Server) replayDenied(ctx context.Context, shown []store.Shown) error {
	p := callerOf(ctx)
	var lost []uuid.UUID
	var lostSections []string
	var why error
	for _, sh := range shown {
		if sh.Refused {
			continue
		}
		sectionsOK := true
		for _, sec := range sh.Sections {
			if need, ok := sectionCapability[sec]; ok && !canAny(p.Role, need) {
				sectionsOK = false
			}
		}
		for _, id := range sh.CustomerIDs {
			visible := can(p.Role, capReadArchive)
			if visible {
				if err := s.store.Visible(ctx, scopeOf(p), id); errors.Is(err, kam.ErrNotFound) {
					visible = false
				} else if err != nil {
					return err
				}
			}
			switch {
			case !visible:
				why = notFound()
			case !sectionsOK:
				if why == nil {
					why = forbidden("your role may no longer see what this answer showed")
				}
			default:
				continue
			}
			lost = append(lost, id)
			for _, sec := range sh.Sections {
				if !slices.Contains(lostSections, sec) {
					lostSections = append(lostSections, sec)
				}
			}
		}
	}
	if why == nil {
		return nil
	}
	if err := s.register(ctx, kam.AccessDenied, lost, lostSections); err != nil {
		return err
	}
	return why
}

func canAny(role string, caps []capability) bool {
	for _, c := range caps {
		if can(role, c) {
			return true
		}
	}
	return false
}

// requestHash identifies a request under its key: method, path and query,
// and body. A retry must match it to be replayed.
func requestHash(r *http.Request, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
	h.Write(body)
	return h.Sum(nil)
}

// replayedHeaders are the headers of a first answer that its replay
// repeats: those kam's handlers set on an answer (ETag, Location, a
// download's Content-Type) and what describes its content. No other is kept:
// not X-Request-Id (each request has its own), not Idempotent-Replayed (the
// replay's own marker), nothing that could carry a secret (SPEC §7). A
// handler that sets another header on a creating answer lists it here
// (TestReplayedHeadersCoverCreatingAnswers reads them from the OpenAPI).
var replayedHeaders = []string{"Content-Type", "Content-Language", "Content-Disposition", "ETag", "Last-Modified", "Location"}

// keptHeaders is what of h a replay repeats (replayedHeaders); nil for none.
func keptHeaders(h http.Header) map[string][]string {
	var out map[string][]string
	for _, k := range replayedHeaders {
		if v := h.Values(k); len(v) > 0 {
			if out == nil {
				out = map[string][]string{}
			}
			out[http.CanonicalHeaderKey(k)] = slices.Clone(v)
		}
	}
	return out
}

// writeReplay answers a retry with the first answer, marked as replayed:
// its status, the headers kept of it and its body. An answer recorded
// without headers (by a build before migration 00038) is JSON, or a problem.
func writeReplay(w http.ResponseWriter, replay *store.Replay) {
	h := w.Header()
	for k, v := range keptHeaders(replay.Header) {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		ct := "application/json"
		if replay.Status >= 400 {
			ct = "application/problem+json"
		}
		h.Set("Content-Type", ct)
	}
	h.Set("Idempotent-Replayed", "true")
	w.WriteHeader(replay.Status)
	_, _ = w.Write(replay.Body)
}

// settleKey ends a claim. A failure (5xx) that changed nothing frees the key
// for a retry; any other outcome, and a failure after a committed change, is
// what a retry replays, so a retry never repeats a change. A secret in the
// body is never stored (SPEC §7): the replay withholds it; of the headers,
// only replayedHeaders are stored.
func (s *Server) settleKey(ctx context.Context, claim *store.Claim, status int, header map[string][]string, body []byte) {
	if status >= 500 && !store.Changed(ctx) {
		if err := s.store.ReleaseKey(ctx, claim); err != nil {
			s.log.Error("release idempotency key", "error", err)
		}
		return
	}
	if err := s.store.CompleteKey(ctx, claim, status, keptHeaders(header), withoutSecrets(body)); err != nil {
		s.log.Error("store idempotent response", "error", err, "status", strconv.Itoa(status))
	}
}

// secretFields are response fields shown once and never stored (a token's secret).
var secretFields = []string{"token"}

// secretWithheld replaces a withheld secret in a replayed body.
const secretWithheld = "the token secret is shown only once and is not replayed; revoke this token and issue another if it was lost"

// withoutSecrets drops secretFields from a JSON object body and says so in
// "notice"; any other body is kept as it is.
func withoutSecrets(body []byte) []byte {
	if len(body) == 0 || body[0] != '{' {
		return body
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return body
	}
	redacted := false
	for _, f := range secretFields {
		if _, ok := obj[f]; ok {
			delete(obj, f)
			redacted = true
		}
	}
	if !redacted {
		return body
	}
	obj["notice"], _ = json.Marshal(secretWithheld)
	out, err := json.Marshal(obj)
	if err != nil {
		return []byte("{}")
	}
	return out
}

// recorder copies a response while it is written: its status, the headers
// a replay repeats as they were sent, and its body.
type recorder struct {
	http.ResponseWriter
	status int
	header map[string][]string
	buf    bytes.Buffer
	wrote  bool
}

// sent notes the status and headers as the first write sends them.
func (r *recorder) sent(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
		r.header = keptHeaders(r.ResponseWriter.Header())
	}
}

func (r *recorder) WriteHeader(code int) {
	r.sent(code)
	r.ResponseWriter.WriteHeader(code)
}

// kept is what a replay repeats of the headers: as sent, or as they stand
// when nothing was written.
func (r *recorder) kept() map[string][]string {
	if r.wrote {
		return r.header
	}
	return keptHeaders(r.ResponseWriter.Header())
}

// Unwrap lets http.ResponseController reach the connection (read and write
// deadlines, flushing) through the recorder.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Write(b []byte) (int, error) {
	r.sent(http.StatusOK)
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}
