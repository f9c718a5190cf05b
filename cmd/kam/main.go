// Command kam is the key-account management backend: `kam dev` runs
// everything in one process; serve, worker, migrate and staff are the parts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"kam"
	"kam/cmd/kam/app"
	"kam/db"
	"kam/db/store"
)

const usage = `usage: kam <command> [flags]

commands:
  dev [--ephemeral] [--temporal-store sqlite|postgres]
                               embedded Temporal, migrations, seed data, worker and API in one process
  temporal [--ephemeral] [--temporal-store sqlite|postgres]
                               the embedded Temporal server alone, for serve and worker processes to share
  serve                        the HTTP API (Temporal at TEMPORAL_ADDRESS)
  worker                       the Temporal worker (Temporal at TEMPORAL_ADDRESS)
  migrate up|down|status       the database schema
  staff add --name N --role R  add a member of staff and print an API token
  bench settle [--agreements N] [--temporal-store S] [--sqlite-file] [--cpuprofile F] [--memprofile F]
                               time one settlement cycle close across N agreements (embedded Temporal)
  bench load [--accounts N] [--temporal-store S] [--sqlite-file] [--cycle=false] [--workers 2]
                               kam's paths beside the bare operations they stand on, p50/p99
  replay <workflow-id> [--run-id R] [--archive DIR]
                               replay a run's history (live or archived) against this build's workflow code
  version                      print the version
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kam:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version":
		fmt.Println("kam", app.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	cfg, err := app.FromEnv()
	if err != nil {
		return err
	}
	log := app.NewLogger(os.Stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "dev":
		ephemeral, err := temporalFlags("dev", &cfg, rest)
		if err != nil {
			return err
		}
		if cfg.TemporalAddress != "" {
			log.Warn("TEMPORAL_ADDRESS is ignored by kam dev, which embeds its own server")
		}
		return serveUntilDone(ctx, cfg, app.Parts{EmbeddedTemporal: true, Ephemeral: ephemeral, Migrate: true, Bootstrap: true, API: true, Worker: true}, log)
	case "temporal":
		ephemeral, err := temporalFlags("temporal", &cfg, rest)
		if err != nil {
			return err
		}
		return temporalUntilDone(ctx, cfg, ephemeral, log)
	case "serve":
		return serveUntilDone(ctx, cfg, app.Parts{API: true, Bootstrap: true}, log)
	case "worker":
		return serveUntilDone(ctx, cfg, app.Parts{Worker: true}, log)
	case "migrate":
		return migrate(ctx, cfg, rest)
	case "staff":
		return staff(ctx, cfg, rest)
	case "replay":
		return replay(ctx, cfg, rest)
	case "bench":
		switch {
		case len(rest) > 0 && rest[0] == "settle":
			return benchSettle(ctx, cfg, rest[1:])
		case len(rest) > 0 && rest[0] == "load":
			return benchLoad(ctx, cfg, rest[1:])
		}
		return errors.New("usage: kam bench settle [--agreements N] | kam bench load [--accounts N] [--requests M]")
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func serveUntilDone(ctx context.Context, cfg app.Config, parts app.Parts, log interface {
	Info(string, ...any)
}) error {
	r, err := app.Start(ctx, cfg, parts, app.NewLogger(os.Stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	log.Info("kam is running; Ctrl-C stops it", "version", app.Version)
	<-ctx.Done()
	log.Info("shutting down")
	r.Stop()
	return nil
}

// temporalFlags parses the flags of the commands that embed the Temporal
// server and makes the data dir it keeps its state (and archive) in.
func temporalFlags(name string, cfg *app.Config, args []string) (ephemeral bool, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.BoolVar(&ephemeral, "ephemeral", false, "keep Temporal's state in memory")
	fs.StringVar(&cfg.TemporalStore, "temporal-store", cfg.TemporalStore, "where the embedded Temporal server keeps its state: sqlite (a file in KAM_DATA_DIR) or postgres (databases <kam's>_temporal and _temporal_visibility)")
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("kam %s takes no arguments, only flags", name)
	}
	if cfg.TemporalStore != "sqlite" && cfg.TemporalStore != "postgres" {
		return false, errors.New("--temporal-store: sqlite or postgres")
	}
	return ephemeral, os.MkdirAll(cfg.DataDir, 0o755)
}

// temporalUntilDone runs kam temporal: it prints the frontend's address on
// standard output (what TEMPORAL_ADDRESS of kam serve and kam worker names)
// and serves until SIGINT or SIGTERM.
func temporalUntilDone(ctx context.Context, cfg app.Config, ephemeral bool, log interface {
	Info(string, ...any)
	Warn(string, ...any)
}) error {
	if cfg.TemporalAddress != "" {
		log.Warn("TEMPORAL_ADDRESS is ignored by kam temporal, which is the server")
	}
	r, err := app.StartTemporal(ctx, cfg, ephemeral, app.NewLogger(os.Stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	fmt.Printf("kam temporal: frontend at %s, namespace %s, store %s; Ctrl-C stops it\n", r.TemporalAddress, cfg.TemporalNamespace, cfg.TemporalStore)
	<-ctx.Done()
	log.Info("shutting down")
	r.Stop()
	return nil
}

func migrate(ctx context.Context, cfg app.Config, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: kam migrate up|down|status")
	}
	if args[0] == "up" {
		if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	p, err := db.Provider(pool)
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Println("applied", r.Source.Path, r.Duration.Round(time.Millisecond))
		}
		if err != nil {
			return err
		}
		// kam_app, which serve and worker connect as, logs in with the
		// password of KAM_APP_DATABASE_URL (default: DATABASE_URL's).
		appURL, err := cfg.AppURL()
		if err != nil {
			return err
		}
		if err := db.ProvisionAppRole(ctx, pool, appURL); err != nil {
			// An owner without CREATEROLE: the role's password is the DBA's.
			fmt.Fprintln(os.Stderr, "kam: warning:", err)
		}
		return nil
	case "down":
		r, err := p.Down(ctx)
		if r != nil {
			fmt.Println("rolled back", r.Source.Path)
		}
		return err
	case "status":
		st, err := p.Status(ctx)
		for _, s := range st {
			applied := "pending"
			if !s.AppliedAt.IsZero() {
				applied = "applied " + s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Printf("%-40s %s\n", s.Source.Path, applied)
		}
		return err
	}
	return errors.New("usage: kam migrate up|down|status")
}

// replay prints OK when the run replays against this build's workflows;
// the nondeterminism error otherwise (and the exit code is 1).
func replay(ctx context.Context, cfg app.Config, args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	runID := fs.String("run-id", "", "the run to replay (default: the current run, else the one archived last)")
	archive := fs.String("archive", "", "read this filestore archive directory (kam dev's .kam/archive) instead of asking the Temporal server")
	id, err := parseWithOneArg(fs, args)
	if err != nil {
		return errors.New("usage: kam replay <workflow-id> [--run-id R] [--archive DIR]")
	}
	run, err := app.Replay(ctx, cfg, app.ReplayOptions{
		WorkflowID: id, RunID: *runID, ArchiveDir: *archive, Log: app.NewLogger(os.Stderr, cfg.LogLevel),
	})
	if err != nil {
		return err
	}
	fmt.Printf("OK %s run %s: %s, %d events (%s history) replay against this build\n",
		run.WorkflowID, run.RunID, run.WorkflowType(), len(run.History.GetEvents()), run.Source)
	return nil
}

// parseWithOneArg parses flags before and after exactly one argument.
func parseWithOneArg(fs *flag.FlagSet, args []string) (string, error) {
	var arg string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		if arg != "" {
			return "", errors.New("more than one argument")
		}
		arg, args = fs.Arg(0), fs.Args()[1:]
	}
	if arg == "" {
		return "", errors.New("an argument is needed")
	}
	return arg, nil
}

func staff(ctx context.Context, cfg app.Config, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: kam staff add --name N --role R [--email E]")
	}
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "one of: admin general_manager ka_manager account_manager data_clerk service_agent finance auditor")
	email := fs.String("email", "", "e-mail (optional)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	valid := false
	for _, r := range kam.Roles {
		valid = valid || r == *role
	}
	if *name == "" || !valid {
		return fmt.Errorf("--name is required and --role must be one of %v", kam.Roles)
	}
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	s := store.New(pool)
	var e *string
	if *email != "" {
		e = email
	}
	s.SetDefaultLocale(cfg.DefaultLocale)
	st, err := s.CreateStaff(ctx, *name, e, *role)
	if err != nil {
		return err
	}
	secret := store.NewTokenSecret()
	tok, err := s.IssueToken(ctx, st.ID, secret, nil)
	if err != nil {
		return err
	}
	// The token id is what DELETE /v1/staff/{id}/tokens/{token_id} revokes.
	fmt.Printf("staff %s (%s) id=%s\ntoken (shown once): %s\ntoken id=%s\n", st.Name, st.Role, st.ID, secret, tok.ID)
	return nil
}
