// Package db connects to Postgres, creates kam's database when it is missing,
// and applies the embedded goose migrations.
package db

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"kam/db/migrations"
)

// EnsureDatabase creates the database named in dsn when it does not exist yet.
// The DSN is the pool's (Connect), so it is parsed as the pool parses it:
// pgx alone would send pool_max_conns and the like to the server as run-time
// parameters, which it refuses.
func EnsureDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := cfg.ConnConfig.Database
	if name == "" || name == "postgres" {
		return nil
	}
	admin, err := withDatabase(dsn, "postgres")
	if err != nil {
		return err
	}
	adminCfg, err := pgxpool.ParseConfig(admin)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, adminCfg.ConnConfig)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database: %w", err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "42P04" { // created meanwhile by another replica
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// withDatabase returns dsn pointed at another database.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("DATABASE_URL: %w", err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil
}

// AppRole is the login role the serving processes connect as: migration
// 00011 creates it and grants it everything the app does, but on the access
// register only reading, appending and the one-time sealing (Art. 9).
const AppRole = "kam_app"

// AppURL is dsn (the owner's, which migrates) with the user replaced by
// AppRole: the default of KAM_APP_DATABASE_URL. The password stays, and
// ProvisionAppRole gives it to AppRole when migrating, so a server that
// asks for passwords accepts both.
func AppURL(dsn string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("DATABASE_URL: %w", err)
		}
		if pw, ok := u.User.Password(); ok {
			u.User = url.UserPassword(AppRole, pw)
		} else {
			u.User = url.User(AppRole)
		}
		return u.String(), nil
	}
	// keyword=value: a later keyword overrides an earlier one.
	return dsn + " user=" + AppRole, nil
}

// ProvisionAppRole gives AppRole the password appDSN logs in with, when
// appDSN names AppRole and a password: migration 00011 creates the role
// without one, which only servers trusting the connection accept. It runs as
// the owner, who needs CREATEROLE for it.
func ProvisionAppRole(ctx context.Context, owner *pgxpool.Pool, appDSN string) error {
	cfg, err := pgx.ParseConfig(appDSN)
	if err != nil {
		return fmt.Errorf("KAM_APP_DATABASE_URL: %w", err)
	}
	if cfg.User != AppRole || cfg.Password == "" {
		return nil
	}
	var stmt string
	if err := owner.QueryRow(ctx, "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", AppRole, cfg.Password).Scan(&stmt); err != nil {
		return fmt.Errorf("set the %s password: %w", AppRole, err)
	}
	if _, err := owner.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("set the %s password: %w", AppRole, err)
	}
	return nil
}

// WithDatabase is withDatabase for tests and tools.
func WithDatabase(dsn, name string) (string, error) { return withDatabase(dsn, name) }

// Connect opens a pool.
func Connect(ctx context.Context, dsn string, opts ...Option) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	for _, o := range opts {
		o(cfg)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// pgx's default (4 on this machine) is too few for the API, the
		// worker's activities and the register sealer in one process;
		// pool_max_conns in DATABASE_URL overrides this.
		cfg.MaxConns = 20
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		encodeUUIDsBinary(c.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	return pool, nil
}

// Option tunes the pool Connect makes.
type Option func(*pgxpool.Config)

// InZone makes loc the TimeZone of every connection: where SQL turns an
// instant into a day or a month (::date, date_trunc, current_date), the day
// is the company's (KAM_TIMEZONE), not the database server's. Without it a
// ticket opened at 07:00 in Shanghai on 1 January counted in the previous
// year's staff report. A zone Postgres cannot name (Go's "Local") leaves the
// server's.
func InZone(loc *time.Location) Option {
	return func(cfg *pgxpool.Config) {
		if loc == nil || loc.String() == "Local" {
			return
		}
		cfg.ConnConfig.RuntimeParams["timezone"] = loc.String()
	}
}

// Provider returns the goose provider over the embedded migrations. A session
// lock keeps two replicas from migrating at once.
func Provider(pool *pgxpool.Pool) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(pool), migrations.FS,
		goose.WithSessionLocker(locker))
}

// Migrate applies every pending migration.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	p, err := Provider(pool)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
