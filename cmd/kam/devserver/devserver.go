// Package devserver embeds a single-process Temporal server (frontend, history,
// matching and worker services) backed by SQLite, the way the Temporal CLI's
// dev server does. `kam dev` and the integration tests use it so that nothing
// but Go and Postgres is needed on the machine.
package devserver

import (
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
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
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
	Logger    *slog.Logger
	// LogLevel filters the server's own (chatty) logs; default Warn.
	LogLevel slog.Level
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
		if err == nil || attempt == 5 || !strings.Contains(err.Error(), "address already in use") {
			return s, err
		}
	}
}

func start(o Options) (*Server, error) {
	if len(o.Namespaces) == 0 {
		return nil, errors.New("devserver: at least one namespace is needed")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Retention <= 0 {
		o.Retention = 72 * time.Hour
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

	sqlConf := &config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if o.DatabaseFile == "" {
		sqlConf.ConnectAttributes["mode"] = "memory"
		sqlConf.ConnectAttributes["cache"] = "shared"
		// The SQLite plugin lays out the schema of an in-memory database itself.
		sqlConf.DatabaseName = "kam-" + strconv.Itoa(rand.IntN(1_000_000_000))
	} else {
		sqlConf.ConnectAttributes["mode"] = "rwc"
		sqlConf.DatabaseName = o.DatabaseFile
		if _, err := os.Stat(o.DatabaseFile); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(o.DatabaseFile), 0o755); err != nil {
				return nil, fmt.Errorf("devserver: data dir: %w", err)
			}
			if err := sqliteschema.SetupSchema(sqlConf); err != nil {
				return nil, fmt.Errorf("devserver: schema: %w", err)
			}
		}
	}
	nss := make([]*sqliteschema.NamespaceConfig, 0, len(o.Namespaces))
	for _, name := range o.Namespaces {
		ns, err := sqliteschema.NewNamespaceConfig("active", name, false, nil)
		if err != nil {
			return nil, fmt.Errorf("devserver: namespace %s: %w", name, err)
		}
		ns.Detail.Config.Retention = durationpb.New(o.Retention)
		nss = append(nss, ns)
	}
	if err := sqliteschema.CreateNamespaces(sqlConf, nss...); err != nil {
		return nil, fmt.Errorf("devserver: namespaces: %w", err)
	}

	hostPort := net.JoinHostPort(loopback, strconv.Itoa(o.FrontendPort))
	svc := func(grpcPort, membershipPort, http int) config.Service {
		return config.Service{RPC: config.RPC{
			GRPCPort: grpcPort, MembershipPort: membershipPort, BindOnIP: loopback, HTTPPort: http,
		}}
	}
	conf := &config.Config{
		Global: config.Global{Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: loopback}},
		Persistence: config.Persistence{
			DefaultStore:     "sqlite",
			VisibilityStore:  "sqlite",
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{"sqlite": {SQL: sqlConf}},
		},
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
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}
	logger := newServerLogger(o.Logger, o.LogLevel)
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
	dyn := dynamicconfig.StaticClient{
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 1000,
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key():      true,
		// After a kill -9 the queue processors may have lost the in-memory
		// wake-up of a task written just before; polling the store often
		// bounds the delay to seconds instead of the default minutes.
		dynamicconfig.TimerProcessorMaxPollInterval.Key():    10 * time.Second,
		dynamicconfig.TransferProcessorMaxPollInterval.Key(): 10 * time.Second,
	}
	srv, err := temporal.NewServer(
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
	return &Server{srv: srv, hostPort: hostPort, log: logger}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return 0, fmt.Errorf("devserver: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
