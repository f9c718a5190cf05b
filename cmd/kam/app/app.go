package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"kam/activities"
	"kam/api"
	"kam/cmd/kam/devserver"
	"kam/db"
	"kam/db/store"
	"kam/workflows"
)

// Version is set at build time with -ldflags "-X kam/cmd/kam/app.Version=...".
var Version = "dev"

// Parts says which parts a process runs.
type Parts struct {
	EmbeddedTemporal bool // run the Temporal server in this process
	Ephemeral        bool // keep the embedded server's state in memory
	Migrate          bool // create the database if missing and migrate it
	Bootstrap        bool // create the first admin when there is no staff
	API              bool
	Worker           bool
	// Out receives the one-time bootstrap token line; nil: standard output.
	Out io.Writer
	// APIClient, for tests, wraps the Temporal client the API starts and
	// steers runs with (e.g. one whose starts fail); the worker keeps its own.
	APIClient func(client.Client) client.Client
}

// TemporalDatabases names the Postgres databases of the embedded server's
// state after kam's own (kam → kam_temporal, kam_temporal_visibility) on
// the same server, and creates them when missing.
func TemporalDatabases(ctx context.Context, dsn string) (*devserver.Postgres, error) {
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pg := &devserver.Postgres{
		Addr: net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))), User: pc.User, Password: pc.Password,
		Database: pc.Database + "_temporal", VisibilityDatabase: pc.Database + "_temporal_visibility",
	}
	if strings.HasPrefix(pc.Host, "/") {
		return nil, errors.New("the Postgres Temporal store needs a TCP address in DATABASE_URL, not a socket")
	}
	for _, name := range []string{pg.Database, pg.VisibilityDatabase} {
		d, err := db.WithDatabase(dsn, name)
		if err != nil {
			return nil, err
		}
		if err := db.EnsureDatabase(ctx, d); err != nil {
			return nil, err
		}
	}
	return pg, nil
}

// Running is a started kam.
type Running struct {
	URL      string // base URL of the API, when it runs
	Temporal client.Client
	// TemporalAddress is the frontend the client dialled.
	TemporalAddress string
	Store           *store.Store
	Processes       *workflows.Processes
	Log             *slog.Logger
	stop            []func()
	httpServer      *http.Server
}

// Stop shuts down in order: HTTP drain, worker, Temporal client and server, pool.
func (r *Running) Stop() {
	if r.httpServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = r.httpServer.Shutdown(ctx)
		cancel()
	}
	for i := len(r.stop) - 1; i >= 0; i-- {
		r.stop[i]()
	}
}

// NewLogger is kam's structured JSON log.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// printBootstrap tells the operator about the first admin: the token's id
// always (to revoke it with DELETE /v1/staff/{id}/tokens/{token_id}), the
// secret only when kam generated it, since an operator's own
// KAM_BOOTSTRAP_TOKEN must not reach a log.
func printBootstrap(out io.Writer, b store.Bootstrapped, given bool) {
	if given {
		fmt.Fprintf(out, "\nkam: created the first admin (staff %s) with the token from KAM_BOOTSTRAP_TOKEN; token id %s\n\n", b.StaffID, b.TokenID)
		return
	}
	fmt.Fprintf(out, "\nkam: created the first admin (staff %s). Its API token, shown only this once:\n\n    %s\n\n  token id %s (to revoke it: DELETE /v1/staff/%s/tokens/%s)\n\n",
		b.StaffID, b.Token, b.TokenID, b.StaffID, b.TokenID)
}

// Start brings up the requested parts and returns once they all serve.
func Start(ctx context.Context, cfg Config, parts Parts, log *slog.Logger) (_ *Running, err error) {
	r := &Running{Log: log}
	defer func() {
		if err != nil {
			r.Stop()
		}
	}()
	// Before the embedded server: its own system workers are the process's
	// first SDK workers and create the cache every worker in it shares, with
	// the SDK's default size, if it is not set by then. Set only in
	// startWorker, kam dev cached 10,000 settlement runs where 2,000 were
	// meant (bench settle's goroutine profile: 9,998 parked runs).
	worker.SetStickyWorkflowCacheSize(stickyCacheSize)
	if err := r.openStore(ctx, cfg, parts); err != nil {
		return nil, err
	}
	address, err := r.startTemporal(ctx, cfg, parts)
	if err != nil {
		return nil, err
	}
	metrics := api.NewMetrics()
	metrics.WatchPool(r.Store.Pool)
	tc, err := client.Dial(client.Options{
		HostPort: address, Namespace: cfg.TemporalNamespace,
		Logger:         sdklog.NewStructuredLogger(log.With("component", "temporal-sdk")),
		MetricsHandler: metrics.TemporalHandler(),
	})
	if err != nil {
		return nil, fmt.Errorf("temporal at %s: %w", address, err)
	}
	r.Temporal, r.TemporalAddress = tc, address
	r.stop = append(r.stop, tc.Close)
	settings := cfg.Settings
	settings.Timezone = cmp.Or(settings.Timezone, cfg.Timezone, time.UTC)
	r.Processes = &workflows.Processes{Client: tc, Settings: settings}
	if parts.Worker {
		if err := r.startWorker(ctx, cfg, metrics); err != nil {
			return nil, err
		}
	}
	if parts.API {
		if err := r.startAPI(ctx, cfg, parts, metrics); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// StartTemporal runs the embedded Temporal server alone (kam temporal), as
// kam dev configures it (namespace, retention, archival, store, port), for
// kam serve and kam worker processes to share through TEMPORAL_ADDRESS.
func StartTemporal(ctx context.Context, cfg Config, ephemeral bool, log *slog.Logger) (*Running, error) {
	r := &Running{Log: log}
	address, err := r.startTemporal(ctx, cfg, Parts{EmbeddedTemporal: true, Ephemeral: ephemeral})
	if err != nil {
		r.Stop()
		return nil, err
	}
	r.TemporalAddress = address
	return r, nil
}

// openStore migrates (when asked), connects as the app role, keys the
// register and bootstraps the first admin (when asked).
func (r *Running) openStore(ctx context.Context, cfg Config, parts Parts) error {
	if parts.Migrate {
		if err := migrateAsOwner(ctx, cfg, r.Log); err != nil {
			return err
		}
	}
	pool, err := connectApp(ctx, cfg)
	if err != nil {
		return err
	}
	r.stop = append(r.stop, pool.Close)
	r.Store = store.New(pool)
	r.Store.Keys = cfg.Idempotency // zero fields keep the defaults
	r.Store.SetDefaultLocale(cfg.DefaultLocale)
	r.Store.SetZone(cfg.Timezone)
	r.Store.QueueWebhookCopies(cfg.WebhookURL != "")
	if err := keyRegister(r.Store, cfg, parts, r.Log); err != nil {
		return err
	}
	if !parts.Bootstrap {
		return nil
	}
	b, created, err := r.Store.Bootstrap(ctx, cfg.BootstrapToken)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if created {
		printBootstrap(cmp.Or[io.Writer](parts.Out, os.Stdout), b, cfg.BootstrapToken != "")
	}
	return nil
}

// startTemporal starts the embedded Temporal server when the process embeds
// one, and answers the frontend's address.
func (r *Running) startTemporal(ctx context.Context, cfg Config, parts Parts) (string, error) {
	if !parts.EmbeddedTemporal {
		return cmp.Or(cfg.TemporalAddress, "127.0.0.1:7233"), nil
	}
	file := ""
	if !parts.Ephemeral && cfg.TemporalStore != "postgres" {
		file = filepath.Join(cfg.DataDir, "temporal.sqlite")
	}
	var pg *devserver.Postgres
	if cfg.TemporalStore == "postgres" {
		if parts.Ephemeral {
			return "", errors.New("a Temporal store in Postgres is not ephemeral: drop --ephemeral or use the sqlite store")
		}
		var err error
		if pg, err = TemporalDatabases(ctx, cfg.DatabaseURL); err != nil {
			return "", err
		}
	}
	archive, err := archiveDir(cfg, parts)
	if err != nil {
		return "", err
	}
	srv, err := devserver.Start(devserver.Options{
		DatabaseFile: file, Postgres: pg, FrontendPort: cfg.TemporalPort, Namespaces: []string{cfg.TemporalNamespace},
		Retention: 72 * time.Hour, ArchiveDir: archive, ArchiveDelay: cfg.ArchiveDelay, Logger: r.Log,
	})
	if err != nil {
		return "", err
	}
	r.stop = append(r.stop, srv.Stop)
	at := file
	if pg != nil {
		at = pg.Database + ", " + pg.VisibilityDatabase
	}
	r.Log.Info("embedded temporal server started", "address", srv.HostPort(), "namespace", cfg.TemporalNamespace, "store", cfg.TemporalStore, "at", at, "archive", archive)
	return srv.HostPort(), nil
}

// archiveFolder holds, in the data dir, the histories of closed workflows
// (Temporal's archival, filestore provider), kept past retention so that
// `kam replay` can check any decision against today's code.
const archiveFolder = "archive"

// archiveDir is where the embedded server archives: DataDir/archive, made
// absolute (Temporal's file:// URI needs it). An ephemeral server keeps
// nothing on disk, so it does not archive; nor does one without a data dir.
func archiveDir(cfg Config, parts Parts) (string, error) {
	if parts.Ephemeral || cfg.DataDir == "" {
		return "", nil
	}
	return filepath.Abs(filepath.Join(cfg.DataDir, archiveFolder))
}

// stickyCacheSize bounds the runs a worker keeps in memory between their
// workflow tasks (the SDK's default is 10,000, each with its goroutines and
// state). Most of kam's runs sleep for days (a settlement run until its next
// close); one not cached is replayed from its history when it wakes, which
// costs a history read and some CPU, not a lost step.
const stickyCacheSize = 2000

// startWorker runs the workflows and activities, the webhook deliverer, and
// makes sure the Schedules exist.
func (r *Running) startWorker(ctx context.Context, cfg Config, metrics *api.Metrics) error {
	w := worker.New(r.Temporal, workflows.TaskQueue, worker.Options{
		// A run's next workflow task waits this long on this worker's own
		// queue, where the run is cached, before it goes to the shared one
		// and is replayed from its history. Temporal's 5 s is shorter than
		// the queue gets when many runs wake at once (a cycle close across
		// every agreement); a worker that stops polling loses its tasks to
		// the shared queue after 10 s regardless.
		StickyScheduleToStartTimeout: 30 * time.Second,
		// Each poll waits on a round trip through the server; two (the
		// default) left the worker idle while runs woken together queued.
		MaxConcurrentWorkflowTaskPollers: 8,
	})
	workflows.Register(w, &activities.Activities{
		Store: r.Store, Log: r.Log, Runs: r.Processes,
	})
	if err := w.Start(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	r.stop = append(r.stop, w.Stop)
	if cfg.WebhookURL != "" {
		stopDeliverer, err := startDeliverer(ctx, cfg, r.Store, metrics, r.Log)
		if err != nil {
			return err
		}
		r.stop = append(r.stop, stopDeliverer)
	}
	procs := r.Processes
	schedules := []struct {
		name   string
		ensure func(context.Context) error
	}{
		{"greeting", procs.EnsureGreetingSchedule},
		{"inspection", procs.EnsureInspectionSchedule},
		{"tier review", procs.EnsureTierReviewSchedule},
		// Committed rows whose run was never started get it here, now and
		// every few minutes (workflows.Reconcile).
		{"reconcile", procs.EnsureReconcileSchedule},
	}
	for _, sc := range schedules {
		if err := sc.ensure(ctx); err != nil {
			return fmt.Errorf("%s schedule: %w", sc.name, err)
		}
	}
	if err := procs.TriggerReconcile(ctx); err != nil {
		// The Schedule's next tick sweeps anyway.
		r.Log.Warn("trigger reconcile", "error", err)
	}
	return nil
}

// startAPI serves the API, with the register's sealer beside it.
func (r *Running) startAPI(ctx context.Context, cfg Config, parts Parts, metrics *api.Metrics) error {
	sealCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	r.stop = append(r.stop, func() { cancel(); <-done })
	sealer := &activities.Sealer{Store: r.Store, Every: cfg.CheckpointEvery, Log: r.Log, Notify: &activities.Activities{Store: r.Store, Log: r.Log}}
	go func() { defer close(done); sealer.Run(sealCtx) }()
	authDone := make(chan struct{})
	r.stop = append(r.stop, func() { cancel(); <-authDone })
	go func() { defer close(authDone); r.Store.WatchAuth(sealCtx, r.Log) }()

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	apiProcs := r.Processes
	if parts.APIClient != nil {
		apiProcs = &workflows.Processes{Client: parts.APIClient(r.Temporal), Settings: r.Processes.Settings}
	}
	handler := api.New(api.Options{Store: r.Store, Processes: apiProcs, Log: r.Log, Metrics: metrics, Version: Version, Limits: cfg.Limits})
	r.httpServer = newHTTPServer(handler, cfg)
	go func() {
		if err := r.httpServer.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.Log.Error("http server", "error", err)
		}
	}()
	r.URL = "http://" + ln.Addr().String()
	r.Log.Info("api listening", "url", r.URL)
	return nil
}

// startDeliverer runs the webhook deliverer beside the worker: it posts the
// copies Notify queues, so no process waits on the receiver (SPEC §7). The
// returned func stops it and waits for it.
func startDeliverer(ctx context.Context, cfg Config, s *store.Store, metrics *api.Metrics, log *slog.Logger) (func(), error) {
	key, err := activities.WebhookKey(cfg.WebhookSecret)
	if err != nil {
		return nil, fmt.Errorf("KAM_NOTIFY_WEBHOOK_SECRET: %w (required with KAM_NOTIFY_WEBHOOK_URL)", err)
	}
	dead := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kam_webhook_dead_total", Help: "Webhook deliveries given up after their last attempt (dead letters).",
	})
	metrics.Registry.MustRegister(dead)
	d := &activities.Deliverer{
		Store: s, URL: cfg.WebhookURL, Key: key, MaxAttempts: cfg.WebhookMaxAttempts,
		Log: log.With("component", "webhook"), OnDead: dead.Inc,
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); d.Run(runCtx) }()
	return func() { cancel(); <-done }, nil
}

// maxHeaderBytes caps a request's header block: kam's own headers are short
// (a token, a request id, a purpose of at most 200 characters), and the
// default of 1 MiB lets every connection hold a megabyte before any handler
// can refuse it.
const maxHeaderBytes = 64 << 10

// newHTTPServer bounds what one connection can hold: the time to read a
// request (headers first, and never longer than the whole read), to write
// the answer, to sit idle between requests, and the size of the headers.
// Handlers may set a tighter read deadline per request (huma does for the
// body), which reaches the connection through the wrappers' Unwrap.
func newHTTPServer(handler http.Handler, cfg Config) *http.Server {
	read := cmp.Or(cfg.HTTPReadTimeout, DefaultHTTPReadTimeout)
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: min(10*time.Second, read),
		ReadTimeout:       read,
		WriteTimeout:      cmp.Or(cfg.HTTPWriteTimeout, DefaultHTTPWriteTimeout),
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// migrateAsOwner creates the database when missing, migrates it as the
// owner (DATABASE_URL) and gives kam_app its password; the owner's pool is
// closed before serving starts.
func migrateAsOwner(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	owner, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer owner.Close()
	if err := db.Migrate(ctx, owner); err != nil {
		return err
	}
	appURL, err := cfg.AppURL()
	if err != nil {
		return err
	}
	if err := db.ProvisionAppRole(ctx, owner, appURL); err != nil {
		// An owner without CREATEROLE: the role's password is the DBA's.
		log.Warn("app database role", "error", err)
	}
	return nil
}

// connectApp opens the serving pool as the app role (KAM_APP_DATABASE_URL,
// by default DATABASE_URL's server as kam_app), which can append to the
// access register but neither alter nor bypass it (Art. 9); a role that could
// is refused.
func connectApp(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	dsn, err := cfg.AppURL()
	if err != nil {
		return nil, err
	}
	pool, err := db.Connect(ctx, dsn, db.InZone(cfg.Timezone))
	if err != nil {
		return nil, fmt.Errorf("connect as the app role (KAM_APP_DATABASE_URL; run kam migrate up first): %w", err)
	}
	if err := store.New(pool).RequireAppendOnlyRole(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// registerKeyFile and checkpointFile live in the data dir.
const (
	registerKeyFile = "register.key"
	checkpointFile  = "register-checkpoints.jsonl"
)

// keyRegister gives the store the register key and checkpoint file: the key
// is KAM_REGISTER_KEY, else DataDir/register.key, which a process embedding
// Temporal (kam dev) creates when missing; serve and worker need one of the
// two. Without a data dir (tests) kam dev keys in memory and keeps no file.
func keyRegister(s *store.Store, cfg Config, parts Parts, log *slog.Logger) error {
	if cfg.DataDir != "" {
		s.SetCheckpointFile(filepath.Join(cfg.DataDir, checkpointFile))
	}
	if len(cfg.RegisterKey) > 0 {
		s.SetRegisterKey(cfg.RegisterKey)
		return nil
	}
	if cfg.DataDir == "" {
		if !parts.EmbeddedTemporal {
			return errors.New("KAM_REGISTER_KEY is required (hex or base64, at least 32 bytes)")
		}
		key := make([]byte, store.MinRegisterKey)
		_, _ = rand.Read(key)
		log.Warn("no data dir: the access register key lives in memory only")
		s.SetRegisterKey(key)
		return nil
	}
	path := filepath.Join(cfg.DataDir, registerKeyFile)
	key, err := store.ReadRegisterKey(path)
	if errors.Is(err, os.ErrNotExist) && parts.EmbeddedTemporal {
		key, err = store.CreateRegisterKey(path)
		if err == nil {
			log.Info("created the access register key", "file", path)
		}
	}
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("KAM_REGISTER_KEY is required (hex or base64, at least 32 bytes), or %s as kam dev writes it", path)
	}
	if err != nil {
		return err
	}
	s.SetRegisterKey(key)
	return nil
}
