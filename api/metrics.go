package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
)

// Metrics is kam's Prometheus registry: HTTP by route, the Postgres pool, the
// Go runtime, and the Temporal SDK's own metrics, all on one /metrics.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics builds the registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kam_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kam_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchPool exports the pgx pool's statistics.
func (m *Metrics) WatchPool(pool *pgxpool.Pool) {
	gauge := func(name, help string, f func(*pgxpool.Stat) float64) {
		m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(pool.Stat()) }))
	}
	gauge("kam_db_pool_total_conns", "Open Postgres connections.", func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) })
	gauge("kam_db_pool_acquired_conns", "Postgres connections in use.", func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) })
	gauge("kam_db_pool_idle_conns", "Idle Postgres connections.", func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) })
	gauge("kam_db_pool_max_conns", "Pool size limit.", func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) })
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kam_db_pool_acquire_total", Help: "Connection acquisitions."},
		func() float64 { return float64(pool.Stat().AcquireCount()) }))
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kam_db_pool_empty_acquire_total", Help: "Acquisitions that had to wait for a connection."},
		func() float64 { return float64(pool.Stat().EmptyAcquireCount()) }))
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

func (m *Metrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route, method := routeLabel(r), methodLabel(r.Method)
		m.requests.WithLabelValues(route, method, statusLabel(sw.status)).Inc()
		m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// Every label value comes from a closed set: anything a caller sends (a
// made-up method, a random path) would otherwise add a series that lives as
// long as the process, and an anonymous client could grow /metrics without
// bound.

// knownMethods are the methods kam may label by name; the rest are "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

func methodLabel(method string) string {
	if knownMethods[method] {
		return method
	}
	return "other"
}

// routeLabel is the chi route pattern that matched (a finite set: the
// routes kam declares), or "unmatched" for a path no route knows.
func routeLabel(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
		return rc.RoutePattern()
	}
	return "unmatched"
}

// statusLabel is the exact code when net/http knows it (a fixed table, so
// 401, 403 and 422 stay apart for whoever watches them), otherwise the class.
func statusLabel(code int) string {
	if code >= 100 && code <= 599 && http.StatusText(code) != "" {
		return strconv.Itoa(code)
	}
	if code >= 100 && code <= 599 {
		return strconv.Itoa(code/100) + "xx"
	}
	return "other"
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController and huma reach the connection through
// this wrapper: without it huma's per-request body read deadline (and any
// Flush or write deadline) silently does nothing, and a body sent a byte at a
// time holds the connection open.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// TemporalHandler returns a client.MetricsHandler that records the SDK's
// metrics (workflow task latency, activity failures, poller counts...) in
// this registry, so they appear on the same /metrics.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	return &sdkMetrics{m: m, vecs: &sdkVecs{counters: map[string]*prometheus.CounterVec{}, gauges: map[string]*prometheus.GaugeVec{}, timers: map[string]*prometheus.HistogramVec{}}}
}

// sdkVecs is shared by every tagged copy of the handler: one vector per
// metric name, registered on first use with the label names it first saw.
type sdkVecs struct {
	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
	timers   map[string]*prometheus.HistogramVec
	labels   map[string][]string
}

type sdkMetrics struct {
	m    *Metrics
	vecs *sdkVecs
	tags map[string]string
}

func (h *sdkMetrics) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return &sdkMetrics{m: h.m, vecs: h.vecs, tags: merged}
}

// labelValues lines the handler's tags up with the vector's label names; a
// tag the vector was not created with is dropped, a missing one is empty.
func (h *sdkMetrics) labelValues(names []string) []string {
	vals := make([]string, len(names))
	for i, n := range names {
		vals[i] = h.tags[n]
	}
	return vals
}

func (h *sdkMetrics) labelNames(name string) []string {
	if h.vecs.labels == nil {
		h.vecs.labels = map[string][]string{}
	}
	if l, ok := h.vecs.labels[name]; ok {
		return l
	}
	l := make([]string, 0, len(h.tags))
	for k := range h.tags {
		l = append(l, k)
	}
	slices.Sort(l)
	h.vecs.labels[name] = l
	return l
}

func promName(name string) string {
	return "temporal_" + strings.NewReplacer(".", "_", "-", "_").Replace(name)
}

func (h *sdkMetrics) Counter(name string) client.MetricsCounter {
	h.vecs.mu.Lock()
	defer h.vecs.mu.Unlock()
	names := h.labelNames(name)
	v, ok := h.vecs.counters[name]
	if !ok {
		v = prometheus.NewCounterVec(prometheus.CounterOpts{Name: promName(name), Help: "Temporal SDK counter " + name}, names)
		if err := h.m.Registry.Register(v); err != nil {
			return noopMetric{}
		}
		h.vecs.counters[name] = v
	}
	c := v.WithLabelValues(h.labelValues(names)...)
	return counterFunc(func(d int64) { c.Add(float64(d)) })
}

func (h *sdkMetrics) Gauge(name string) client.MetricsGauge {
	h.vecs.mu.Lock()
	defer h.vecs.mu.Unlock()
	names := h.labelNames(name)
	v, ok := h.vecs.gauges[name]
	if !ok {
		v = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: promName(name), Help: "Temporal SDK gauge " + name}, names)
		if err := h.m.Registry.Register(v); err != nil {
			return noopMetric{}
		}
		h.vecs.gauges[name] = v
	}
	g := v.WithLabelValues(h.labelValues(names)...)
	return gaugeFunc(g.Set)
}

func (h *sdkMetrics) Timer(name string) client.MetricsTimer {
	h.vecs.mu.Lock()
	defer h.vecs.mu.Unlock()
	names := h.labelNames(name)
	v, ok := h.vecs.timers[name]
	if !ok {
		v = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: promName(name) + "_seconds", Help: "Temporal SDK timer " + name, Buckets: prometheus.DefBuckets}, names)
		if err := h.m.Registry.Register(v); err != nil {
			return noopMetric{}
		}
		h.vecs.timers[name] = v
	}
	o := v.WithLabelValues(h.labelValues(names)...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

type noopMetric struct{}

func (noopMetric) Inc(int64)            {}
func (noopMetric) Update(float64)       {}
func (noopMetric) Record(time.Duration) {}
