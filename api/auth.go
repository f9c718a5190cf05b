package api

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

type ctxKey int

const (
	principalKey ctxKey = iota
	metaKey
)

// principal is the authenticated caller.
type principal struct {
	ID   uuid.UUID
	Role string
	Name string
}

// requestMeta is what the access register records of a request.
type requestMeta struct {
	RequestID string
	Purpose   string
	r         *http.Request
}

func (m *requestMeta) route() string {
	if rc := chi.RouteContext(m.r.Context()); rc != nil && rc.RoutePattern() != "" {
		return m.r.Method + " " + rc.RoutePattern()
	}
	return m.r.Method + " " + m.r.URL.Path
}

func callerOf(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey).(principal)
	return p
}

func metaOf(ctx context.Context) *requestMeta {
	m, _ := ctx.Value(metaKey).(*requestMeta)
	if m == nil {
		return &requestMeta{r: &http.Request{}}
	}
	return m
}

// authenticate resolves the bearer token of every /v1 request.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		purpose := r.Header.Get("X-Access-Purpose")
		if !utf8.ValidString(purpose) {
			// SPEC §7: the register stores text; a purpose it cannot hold is refused, never cut.
			writeProblem(w, r, malformed(codeMalformedHeader, "X-Access-Purpose is not valid UTF-8"))
			return
		}
		meta := &requestMeta{RequestID: middleware.GetReqID(r.Context()), Purpose: truncate(purpose, maxPurpose), r: r}
		ctx := context.WithValue(r.Context(), metaKey, meta)
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" || len(token) > 200 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kam"`)
			writeProblem(w, r, unauthenticated("unauthenticated", "send Authorization: Bearer <token>"))
			return
		}
		st, err := s.store.Authenticate(ctx, token)
		if err != nil {
			if err != kam.ErrNotFound {
				s.log.Error("authenticate", "error", err)
				writeProblem(w, r, refusal(kam.Unavailable("cannot check the token now")))
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="kam", error="invalid_token"`)
			writeProblem(w, r, unauthenticated("invalid_token", "the token is unknown, revoked or expired"))
			return
		}
		ctx = context.WithValue(ctx, principalKey, principalOf(st))
		noteCallerLocale(ctx, st.Locale)
		meta.r = r.WithContext(ctx)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func principalOf(st kam.Staff) principal {
	return principal{ID: st.ID, Role: st.Role, Name: st.Name}
}

// maxPurpose is SPEC §7's limit of X-Access-Purpose, in characters.
const maxPurpose = 200

// truncate keeps the first n characters of s, cutting between characters
// (never inside one, which the register could not store).
func truncate(s string, n int) string {
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}

// requestID keeps the caller's X-Request-Id only when it has SPEC §7's shape,
// since it is stored in the access register, which nothing may delete from
// (Art. 9); otherwise the server's own id replaces it. The id in use is
// echoed on every response and is what middleware.GetReqID returns.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !kam.RequestIDOK(id) {
			id = store.NewID().String()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), middleware.RequestIDKey, id)))
	})
}
