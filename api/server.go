// Package api is kam's HTTP API: a thin layer that authenticates, authorizes
// per operation and per row, registers archive access (Art. 9), calls one
// store or Temporal method, and shapes the answer. Errors become RFC 9457
// problems in one place (problem.go).
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"

	"kam/console"
	"kam/db/store"
	"kam/workflows"
)

// Server holds the API's dependencies.
type Server struct {
	store   *store.Store
	procs   *workflows.Processes
	log     *slog.Logger
	metrics *Metrics
	api     huma.API
	// postBodies bounds, by route pattern, the body idempotent hashes.
	postBodies map[string]bodyBound
	// throttle holds each caller to the Limits; heavyRoutes are the
	// operations that take a heavy slot, by "METHOD pattern".
	throttle    *throttle
	heavyRoutes map[string]string
}

// Options wires the API.
type Options struct {
	Store     *store.Store
	Processes *workflows.Processes
	Log       *slog.Logger
	Metrics   *Metrics
	Version   string
	// Limits bound the requests a caller has in flight; zero fields take
	// DefaultLimits.
	Limits Limits
}

var bearer = []map[string][]string{{"bearer": {}}}

// New builds the HTTP handler.
func New(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	s := &Server{store: o.Store, procs: o.Processes, log: o.Log, metrics: o.Metrics, throttle: newThrottle(o.Limits)}

	r := chi.NewRouter()
	r.Use(securityHeaders, requestID, s.withLanguage, s.recoverer, o.Metrics.middleware)
	notFoundProblem := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeProblem(w, r, notFound()) })
	r.NotFound(notFoundProblem)
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, methodNotAllowed())
	})
	s.public(r, notFoundProblem)

	r.Group(func(g chi.Router) {
		g.Use(s.authenticate, s.throttled, s.idempotent)
		// SPEC §7: a body's arrays, nesting and text are bounded before
		// validation, for every body huma will decode as JSON (s.api is set
		// below, before any request).
		g.Use(boundJSONBodies(func(ct string) bool { return s.api.Unmarshal(ct, []byte("{}"), new(any)) == nil }))
		g.Use(bodyDeadlineEndsWithBody)
		s.api = humachi.New(g, humaConfig(o.Version))
		s.routes()
		s.postBodies = postBodyBounds(s.api.OpenAPI())
		s.heavyRoutes = heavyRoutes(s.api.OpenAPI())
		describePublic(s.api.OpenAPI())
	})
	r.Get("/openapi.json", s.serveOpenAPI)
	return r
}

// public mounts what answers without a token: probes, metrics and the staff
// console. The console is static: it signs in with a token the user types,
// and every read it makes is an authenticated /v1 call.
func (s *Server) public(r chi.Router, notFound http.HandlerFunc) {
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", s.ready)
	r.Handle("/metrics", s.metrics.Handler())
	r.Get("/console", console.Redirect)
	files := console.Handler(notFound)
	r.Get(console.Prefix+"*", files.ServeHTTP)
	r.Head(console.Prefix+"*", files.ServeHTTP)
}

// describePublic adds the routes that answer without a token to the OpenAPI
// document (SPEC §3: it describes every route). They are served by the root
// router, outside huma and its bearer middleware, so they are described here
// and not registered. The console's static files are not API routes.
func describePublic(o *huma.OpenAPI) {
	body := func(mediaType, typ, doc string) *huma.Response {
		return &huma.Response{Description: doc, Content: map[string]*huma.MediaType{
			mediaType: {Schema: &huma.Schema{Type: typ}},
		}}
	}
	checks := &huma.Schema{Type: huma.TypeObject, AdditionalProperties: &huma.Schema{Type: huma.TypeString}}
	readiness := func(doc string) *huma.Response {
		return &huma.Response{Description: doc, Content: map[string]*huma.MediaType{"application/json": {Schema: checks}}}
	}
	for _, op := range []*huma.Operation{
		{OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Tags: []string{"probes"},
			Summary: "Liveness: the process answers",
			Responses: map[string]*huma.Response{"200": {Description: `Always {"status": "ok"}`, Content: map[string]*huma.MediaType{
				"application/json": {Schema: &huma.Schema{Type: huma.TypeObject, Properties: map[string]*huma.Schema{"status": {Type: huma.TypeString, Enum: []any{"ok"}}}}},
			}}}},
		{OperationID: "readyz", Method: http.MethodGet, Path: "/readyz", Tags: []string{"probes"},
			Summary:     "Readiness: Postgres and Temporal reachable",
			Description: "One word per dependency (`postgres`, `temporal`): `ok`, `unavailable` or `not configured`; the reason goes to the log only.",
			Responses: map[string]*huma.Response{
				"200": readiness("Every dependency answers"),
				"503": readiness("A dependency does not answer"),
			}},
		{OperationID: "metrics", Method: http.MethodGet, Path: "/metrics", Tags: []string{"probes"},
			Summary:   "Prometheus metrics (HTTP, database pool, Temporal SDK, Go runtime)",
			Responses: map[string]*huma.Response{"200": body("text/plain", huma.TypeString, "Prometheus text exposition format")}},
		{OperationID: "openapi", Method: http.MethodGet, Path: "/openapi.json", Tags: []string{"probes"},
			Summary:   "This document (OpenAPI 3.1)",
			Responses: map[string]*huma.Response{"200": body("application/openapi+json", huma.TypeObject, "The OpenAPI document")}},
	} {
		o.AddOperation(op)
	}
}

// humaConfig is the API's OpenAPI description and its bearer scheme.
func humaConfig(version string) huma.Config {
	cfg := huma.DefaultConfig("kam", version)
	cfg.Info.Description = "Key-account management (regulation Art. 1-22). Errors are RFC 9457 problems with a stable `code`."
	cfg.OpenAPIPath, cfg.DocsPath, cfg.SchemasPath = "", "", ""
	cfg.CreateHooks = nil // no $schema links in bodies: the contract is SPEC's field list
	// Problems are worded in the caller's locale (SPEC §7 "Language").
	cfg.Transformers = append(cfg.Transformers, localizeProblems)
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "A kam API token (`kam staff add` or POST /v1/staff/{id}/tokens)."},
	}
	return cfg
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	b, err := json.Marshal(s.api.OpenAPI())
	if err != nil {
		writeProblem(w, r, internalProblem())
		return
	}
	w.Header().Set("Content-Type", "application/openapi+json")
	_, _ = w.Write(b)
}

func (s *Server) routes() {
	s.staffRoutes()
	s.handoverRoutes()
	s.customerRoutes()
	s.registerRoutes()
	s.inboxRoutes()
	s.taskRoutes()
	s.tierRoutes()
	s.tierReviewRoutes()
	s.discountRoutes()
	s.delegationRoutes()
	s.creditRoutes()
	s.ticketRoutes()
	s.visitRoutes()
	s.greetingRoutes()
	s.analysisRoutes()
	s.reportRoutes()
	s.budgetRoutes()
	s.importRoutes()
}

// op declares an authenticated operation.
func op(id, method, path, summary string, tags ...string) huma.Operation {
	return huma.Operation{
		OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags, Security: bearer,
		Errors: []int{400, 401, 403, 404, 422},
	}
}

func created(o huma.Operation) huma.Operation {
	o.DefaultStatus = http.StatusCreated
	return o
}

// ready answers one word per dependency: the driver's error names hosts,
// ports and users, which an unauthenticated probe must not learn, so it goes
// to the log only.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness: postgres unavailable", "error", err)
		checks["postgres"], status = "unavailable", http.StatusServiceUnavailable
	}
	if s.procs == nil {
		checks["temporal"], status = "not configured", http.StatusServiceUnavailable
	} else if err := s.procs.Ping(ctx); err != nil {
		s.log.Warn("readiness: temporal unavailable", "error", err)
		checks["temporal"], status = "unavailable", http.StatusServiceUnavailable
	}
	writeJSON(w, status, checks)
}

// recoverer turns a panic into a logged 500 problem instead of a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in handler", "panic", v, "path", r.URL.Path, "stack", string(debug.Stack()))
				writeProblem(w, r, internalProblem())
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders are on every answer, problems and CSV included: no
// browser sniffs an answer into HTML (a CSV, a problem echoing the caller's
// value), and none of kam's own answers may be framed or run anything (the
// console's files replace the policy with their own, console.Handler). A
// /v1 answer (archives, ledgers, the register: Art. 9 data) is kept out of
// browser and proxy caches; kam answers no conditional GET, so nothing is
// lost.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
