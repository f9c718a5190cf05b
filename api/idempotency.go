package api

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"strconv"
)

const maxBody = 1 << 20

// idempotent replays creating POSTs that carry an Idempotency-Key: the same
// key and body return the first response and create nothing; the same key
// with another body is refused (422 idempotency_key_reused).
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 200 {
			writeProblem(w, newProblem(http.StatusBadRequest, "malformed_request", "Idempotency-Key is longer than 200 characters"))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			// Let the handler answer the oversized or broken body as usual.
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
			next.ServeHTTP(w, r)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		h.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
		h.Write(body)
		caller := callerOf(r.Context())
		replay, err := s.store.ClaimKey(r.Context(), caller.ID, key, h.Sum(nil))
		if err != nil {
			writeProblem(w, problemFor(s.log, err).(*Problem))
			return
		}
		if replay != nil {
			ct := "application/json"
			if replay.Status >= 400 {
				ct = "application/problem+json"
			}
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(replay.Status)
			_, _ = w.Write(replay.Body)
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.status >= 500 {
			_ = s.store.ReleaseKey(r.Context(), caller.ID, key)
			return
		}
		if err := s.store.CompleteKey(r.Context(), caller.ID, key, rec.status, rec.buf.Bytes()); err != nil {
			s.log.Error("store idempotent response", "error", err, "status", strconv.Itoa(rec.status))
		}
	})
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

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}
