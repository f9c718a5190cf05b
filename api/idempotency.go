package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

const maxBody = 1 << 20

// idempotent replays creating POSTs that carry an Idempotency-Key: the same
// key and body return the first response and create nothing; the same key
// with another body is refused (422 idempotency_key_reused). Only a failure
// that committed nothing frees the key; keys expire (store.KeyPolicy).
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
		body, whole := bufferBody(w, r)
		if !whole {
			next.ServeHTTP(w, r)
			return
		}
		caller := callerOf(r.Context())
		replay, err := s.store.ClaimKey(r.Context(), caller.ID, key, requestHash(r, body))
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
		// The store marks this context when a transaction commits, so a
		// failure after a committed change never frees the key.
		ctx := store.TrackChanges(r.Context())
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				// The recoverer answers 500; the key must not stay claimed,
				// nor be freed if something was committed.
				body, _ := json.Marshal(internalProblem())
				s.settleKey(ctx, caller.ID, key, http.StatusInternalServerError, body)
				panic(v)
			}
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
		s.settleKey(ctx, caller.ID, key, rec.status, rec.buf.Bytes())
	})
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

// writeReplay answers a retry with the first answer, marked as replayed.
func writeReplay(w http.ResponseWriter, replay *store.Replay) {
	ct := "application/json"
	if replay.Status >= 400 {
		ct = "application/problem+json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(replay.Status)
	_, _ = w.Write(replay.Body)
}

// settleKey ends a claim. A failure (5xx) that changed nothing frees the key
// for a retry; any other outcome, and a failure after a committed change, is
// what a retry replays, so a retry never repeats a change. A secret in the
// body is never stored (SPEC §7): the replay withholds it.
func (s *Server) settleKey(ctx context.Context, staffID uuid.UUID, key string, status int, body []byte) {
	if status >= 500 && !store.Changed(ctx) {
		if err := s.store.ReleaseKey(ctx, staffID, key); err != nil {
			s.log.Error("release idempotency key", "error", err)
		}
		return
	}
	if err := s.store.CompleteKey(ctx, staffID, key, status, withoutSecrets(body)); err != nil {
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

// recorder copies a response while it is written.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (read and write
// deadlines, flushing) through the recorder.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}
