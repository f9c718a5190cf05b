// Package devserver embeds a single-process Temporal server (frontend, history,
// matching and worker services) backed by SQLite, the way the Temporal CLI's
// dev server does, or by Temporal's own PostgreSQL persistence. `kam dev` and
// the integration tests use it so that nothing but Go and Postgres is needed
// on the machine.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	toolschema "go.temporal.io/server/tools/common/schema"
	toolsql "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"
)

const loopback = "127.0.0.1"

// Options says how to run the embedded server.
type Options struct {
	// DatabaseFile is the SQLite file holding every workflow; empty keeps all
	// state in memory (lost on exit).
	DatabaseFile string
	// FrontendPort is the gRPC port clients (and the Temporal CLI) dial; 0 picks a free one.
	FrontendPort int
	// Namespaces are registered before the server starts.
	Namespaces []string
	// Retention is how long closed workflow histories are kept.
	Retention time.Duration
	// ArchiveDir, an absolute directory, turns on Temporal's own archival
	// with the filestore provider: a closed run's history and visibility
	// record are written there (history/, visibility/) shortly after it
	// closes and outlive Retention; the frontend reads them back for a run
	// past retention, and ReadArchive without a server. Empty: no archival.
	ArchiveDir string
	// ArchiveDelay bounds the random delay between a run closing and its
	// archival (which spreads the archiving of many runs); zero keeps
	// Temporal's default of 5 minutes.
	ArchiveDelay time.Duration
	// Postgres, when set, keeps Temporal's state in two Postgres databases
	// (which must exist) instead of SQLite; their schema is set up and kept
	// current with the server's own schema tool, as on a real cluster.
	Postgres *Postgres
	Logger   *slog.Logger
	// LogLevel filters the server's own (chatty) logs; default Warn.
	LogLevel slog.Level
}

// Postgres names the databases of Temporal's PostgreSQL persistence.
type Postgres struct {
	Addr     string // host:port
	User     string
	Password string
	// Database holds executions, histories and task queues;
	// VisibilityDatabase the list/search index of workflows.
	Database, VisibilityDatabase string
	// MaxConns caps each database's connection pool (default 20).
	MaxConns int
}

// pgShards is the history shard count of a Postgres-backed server. It is
// fixed when the store is first set up (the server refuses another later).
// More shards let the history service write executions in parallel, which
// SQLite's single writer cannot use: a 1,000-agreement cycle close ran at
// 41/s with 4, 48/s with 16 and 52/s with 32 on two cores; 16 keeps the idle
// cost of each shard's queue processors small.
const pgShards = 16

// sql configures the pgx flavour of the plugin: on the same cycle close it
// ran at 48/s where the lib/pq one (postgres12) ran at 34/s, CPU-bound both.
func (p *Postgres) sql(database string) *config.SQL {
	conns := p.MaxConns
	if conns <= 0 {
		conns = 20
	}
	return &config.SQL{
		PluginName: postgresplugin.PluginNamePGX, DatabaseName: database, ConnectAddr: p.Addr, ConnectProtocol: "tcp",
		User: p.User, Password: p.Password, MaxConns: conns, MaxIdleConns: conns, MaxConnLifetime: time.Hour,
	}
}

// migrate brings one database to the newest schema version the server
// ships, with the server's schema tool (what temporal-sql-tool setup-schema
// -v 0.0 and update-schema run); an up-to-date database is left as it is.
func migrate(cfg *config.SQL, schemaName string, logger log.Logger) error {
	conn, err := toolsql.NewConnection(cfg, logger)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := toolschema.NewSetupSchemaTask(conn, &toolschema.SetupConfig{InitialVersion: "0.0"}, logger).Run(); err != nil {
		return err
	}
	return toolschema.NewUpdateSchemaTask(conn, &toolschema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger).Run()
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
	log      *serverLogger
}

// HostPort is the frontend address for client.Dial.
func (s *Server) HostPort() string { return s.hostPort }

// Stop shuts all services down; open workflows stay in the SQLite file. The
// services' complaints about each other going away are expected then, so only
// errors are logged from here on.
func (s *Server) Stop() {
	s.log.level.Set(slog.LevelError)
	s.srv.Stop()
}

// Start builds and starts the server. It returns once the frontend accepts calls.
// The internal ports are picked free just before use; another process may
// take one in between, so a start that loses such a race is tried again
// with new ports.
func Start(o Options) (*Server, error) {
	for attempt := 1; ; attempt++ {
		s, err := start(o)
		if err == nil || attempt == 5 || !portTaken(err) {
			return s, err
		}
	}
}

// portTaken tells a start that lost a port it had picked to another process
// (the server reports it by panicking with "Failed to start gRPC listener").
func portTaken(err error) bool {
	return strings.Contains(err.Error(), "address already in use") || strings.Contains(err.Error(), "Failed to start gRPC listener")
}

func start(o Options) (_ *Server, err error) {
	var srv temporal.Server
	defer func() {
		// The server's logger panics on Fatal (log.go); a start that fails
		// that way is an error, and what it started is stopped.
		if v := recover(); v != nil {
			if srv != nil {
				func() { defer func() { _ = recover() }(); _ = srv.Stop() }()
			}
			err = fmt.Errorf("devserver: start: %v", v)
		}
	}()
	if len(o.Namespaces) == 0 {
		return nil, errors.New("devserver: at least one namespace is needed")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Retention <= 0 {
		o.Retention = 72 * time.Hour
	}
	if o.ArchiveDir != "" && !filepath.IsAbs(o.ArchiveDir) {
		return nil, errors.New("devserver: the archive dir must be absolute")
	}
	if o.FrontendPort == 0 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		o.FrontendPort = p
	}
	ports := make([]int, 0, 8)
	for range 8 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	httpPort, membership, grpc := ports[0], ports[1:5], ports[5:8]

	logger := newServerLogger(o.Logger, o.LogLevel)
	nss := make([]*sqliteschema.NamespaceConfig, 0, len(o.Namespaces))
	for _, name := range o.Namespaces {
		ns, err := sqliteschema.NewNamespaceConfig("active", name, false, nil)
		if err != nil {
			return nil, fmt.Errorf("devserver: namespace %s: %w", name, err)
		}
		ns.Detail.Config.Retention = durationpb.New(o.Retention)
		archiveNamespace(ns, o.ArchiveDir)
		nss = append(nss, ns)
	}
	persistence := config.Persistence{DefaultStore: "sqlite", VisibilityStore: "sqlite", NumHistoryShards: 1}
	var nsConf *config.SQL
	if o.Postgres != nil {
		store, visibility := o.Postgres.sql(o.Postgres.Database), o.Postgres.sql(o.Postgres.VisibilityDatabase)
		if err := migrate(store, "postgresql/v12/temporal", logger); err != nil {
			return nil, fmt.Errorf("devserver: temporal schema in %s: %w", store.DatabaseName, err)
		}
		if err := migrate(visibility, "postgresql/v12/visibility", logger); err != nil {
			return nil, fmt.Errorf("devserver: visibility schema in %s: %w", visibility.DatabaseName, err)
		}
		persistence = config.Persistence{DefaultStore: "postgres", VisibilityStore: "postgres-visibility", NumHistoryShards: pgShards,
			DataStores: map[string]config.DataStore{"postgres": {SQL: store}, "postgres-visibility": {SQL: visibility}}}
		nsConf = store
	} else {
		sqlConf, err := sqliteStore(o.DatabaseFile)
		if err != nil {
			return nil, err
		}
		persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}}
		nsConf = sqlConf
	}
	// Namespaces are written straight into the store (a no-op when they
	// exist), so the first client call after start finds them. The helper
	// lives in the SQLite schema package but writes through the server's
	// generic SQL persistence, so it serves the Postgres store too.
	if err := sqliteschema.CreateNamespaces(nsConf, nss...); err != nil {
		return nil, fmt.Errorf("devserver: namespaces: %w", err)
	}

	hostPort := net.JoinHostPort(loopback, strconv.Itoa(o.FrontendPort))
	svc := func(grpcPort, membershipPort, http int) config.Service {
		return config.Service{RPC: config.RPC{
			GRPCPort: grpcPort, MembershipPort: membershipPort, BindOnIP: loopback, HTTPPort: http,
		}}
	}
	conf := &config.Config{
		Global:      config.Global{Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: loopback}},
		Persistence: persistence,
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{"active": {
				Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort,
				HTTPAddress: net.JoinHostPort(loopback, strconv.Itoa(httpPort)),
			}},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": svc(o.FrontendPort, membership[0], httpPort),
			"history":  svc(grpc[0], membership[1], 0),
			"matching": svc(grpc[1], membership[2], 0),
			"worker":   svc(grpc[2], membership[3], 0),
		},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}
	conf.Archival, conf.NamespaceDefaults.Archival = archivalConfig(o.ArchiveDir)
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, err
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, err
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, s := range conf.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(loopback, strconv.Itoa(s.RPC.GRPCPort)))
	}
	dyn := dynamicConfig(o)
	srv, err = temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dyn),
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: new: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start: %w", err)
	}
	if o.ArchiveDir != "" {
		// Only a namespace from before archival needs this; serving goes on
		// without it (its runs are then not archived), so a failure warns.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := enableArchival(ctx, hostPort, o.Namespaces, o.ArchiveDir, logger); err != nil {
			logger.l.Warn("archival could not be enabled", "error", err)
		}
	}
	return &Server{srv: srv, hostPort: hostPort, log: logger}, nil
}

// historyCacheRuns bounds the runs the history service caches.
const historyCacheRuns = 2000

// sqliteTaskWorkers runs each history task queue (timers, transfers,
// visibility) of a SQLite-backed server.
const sqliteTaskWorkers = 16

// dynamicConfig is the server's dynamic configuration, fixed for its life.
func dynamicConfig(o Options) dynamicconfig.StaticClient {
	dyn := dynamicconfig.StaticClient{
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 1000,
		// history.forceSearchAttributesCacheRefreshOnRead stays off: kam
		// defines no search attributes, and with it on every lookup (each
		// workflow task handed out, each visibility write) read the cluster
		// metadata from the store under one process-wide lock, 2.2-2.5 % of
		// the process's CPU in a cycle close and in decisions (bench
		// --cpuprofile, 2026-12-01).

		// After a kill -9 the queue processors may have lost the in-memory
		// wake-up of a task written just before; polling the store often
		// bounds the delay to seconds instead of the default minutes.
		dynamicconfig.TimerProcessorMaxPollInterval.Key():    10 * time.Second,
		dynamicconfig.TransferProcessorMaxPollInterval.Key(): 10 * time.Second,
		dynamicconfig.ArchivalProcessorMaxPollInterval.Key(): 10 * time.Second,
		// An activity a workflow task schedules on the worker that completes
		// that task comes back with the answer (eager execution), without a
		// trip through matching: the aftermath of a discount decision, say.
		dynamicconfig.EnableActivityEagerExecution.Key(): true,
		// One process serves every task queue: new tasks all go to the root
		// partition, where every poll is answered, instead of waiting in a
		// partition no poll happens to reach (a settlement close's workflow
		// task, moved off a busy sticky queue, waited ~50 s there). Reads
		// keep the default partitions, so tasks an older kam left in the
		// others are still delivered.
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// The history service keeps every run it touches in memory for an
		// hour, up to 128,000 of them: at 10,000 settlement runs woken by one
		// close, all 10,000 mutable states. A run not cached is read back
		// from the store when its next task comes, days later for most of
		// kam's runs.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): historyCacheRuns,
		// Timers due at one instant (a cycle close across every agreement)
		// are read in pages; the SQL stores' timer query rescans the page's
		// instant for each page, so pages of the default 100 made 10,000
		// closes cost more per close than 1,000 (87.7/s beside 258-300/s on
		// the SQLite file). Pages of 1,000: 206/s at 10,000, 308/s at 1,000.
		dynamicconfig.TimerTaskBatchSize.Key(): 1000,
	}
	if o.ArchiveDelay > 0 {
		dyn[dynamicconfig.ArchivalProcessorArchiveDelay.Key()] = o.ArchiveDelay
	}
	if o.Postgres == nil {
		// SQLite has one connection, which every history task waits on:
		// 512 timer tasks at once (the default workers) left each waiting
		// past its deadline when 10,000 cycle closes fell due together on
		// the file store, and the retries kept the connection busy with
		// nothing done (45 statements in 20 s). A few workers keep the
		// queue for the connection short.
		dyn[dynamicconfig.TimerProcessorSchedulerWorkerCount.Key()] = sqliteTaskWorkers
		dyn[dynamicconfig.TransferProcessorSchedulerWorkerCount.Key()] = sqliteTaskWorkers
		dyn[dynamicconfig.VisibilityProcessorSchedulerWorkerCount.Key()] = sqliteTaskWorkers
	}
	return dyn
}

// sqliteStore is the SQLite configuration: a file (its schema laid out on
// first use) or, with no file, a private in-memory database.
func sqliteStore(file string) (*config.SQL, error) {
	sqlConf := &config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if file == "" {
		sqlConf.ConnectAttributes["mode"] = "memory"
		sqlConf.ConnectAttributes["cache"] = "shared"
		// The SQLite plugin lays out the schema of an in-memory database itself.
		sqlConf.DatabaseName = "kam-" + strconv.Itoa(rand.IntN(1_000_000_000))
		return sqlConf, nil
	}
	sqlConf.ConnectAttributes["mode"] = "rwc"
	// Write-ahead logging: a commit is one append and one fsync instead of a
	// rollback journal's several (synchronous stays FULL, so a commit is as
	// durable as before); 10,000 settlement starts took longer than the
	// bench's 215 s budget without it.
	sqlConf.ConnectAttributes["journal_mode"] = "wal"
	sqlConf.DatabaseName = file
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return nil, fmt.Errorf("devserver: data dir: %w", err)
		}
		if err := sqliteschema.SetupSchema(sqlConf); err != nil {
			return nil, fmt.Errorf("devserver: schema: %w", err)
		}
	}
	return sqlConf, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return 0, fmt.Errorf("devserver: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
