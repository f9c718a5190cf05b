package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"kam/db/dbq"
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
		meta := &requestMeta{RequestID: middleware.GetReqID(r.Context()), Purpose: truncate(r.Header.Get("X-Access-Purpose"), 200), r: r}
		ctx := context.WithValue(r.Context(), metaKey, meta)
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" || len(token) > 200 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kam"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, "unauthenticated", "send Authorization: Bearer <token>"))
			return
		}
		st, err := s.store.Authenticate(ctx, token)
		if err != nil {
			if err != store.ErrNotFound {
				s.log.Error("authenticate", "error", err)
				writeProblem(w, newProblem(http.StatusServiceUnavailable, "unavailable", "cannot check the token now"))
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="kam", error="invalid_token"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, "invalid_token", "the token is unknown, revoked or expired"))
			return
		}
		ctx = context.WithValue(ctx, principalKey, principalOf(st))
		meta.r = r.WithContext(ctx)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func principalOf(st dbq.Staff) principal {
	return principal{ID: st.ID, Role: st.Role, Name: st.Name}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
