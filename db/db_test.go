package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kam/db"
	"kam/db/dbtest"
)

// kam dev creates its database when it is missing, and the migrations go all
// the way down and up again.
func TestEnsureDatabaseAndMigrationsRoundTrip(t *testing.T) {
	ctx := context.Background()
	dsn := scratchDatabase(t, "kam_test_ensure_")
	for range 2 { // the second call finds it and does nothing
		if err := db.EnsureDatabase(ctx, dsn); err != nil {
			t.Fatal(err)
		}
	}
	pool, err := db.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	p, err := db.Provider(pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var tables int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("%d tables left after migrating down", tables)
	}
	if err := db.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var tiers int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM tiers").Scan(&tiers); err != nil || tiers != 3 {
		t.Fatalf("tiers = %d (%v)", tiers, err)
	}
}

// DATABASE_URL may carry the pool's own parameters (pool_max_conns):
// creating the database must not send them to the server, which refuses
// them as unknown run-time parameters.
func TestEnsureDatabaseWithPoolParameters(t *testing.T) {
	ctx := context.Background()
	dsn := scratchDatabase(t, "kam_test_ensure_pool_")
	switch {
	case !strings.Contains(dsn, "://"):
		dsn += " pool_max_conns=3 pool_min_conns=1"
	case strings.Contains(dsn, "?"):
		dsn += "&pool_max_conns=3&pool_min_conns=1"
	default:
		dsn += "?pool_max_conns=3&pool_min_conns=1"
	}
	if err := db.EnsureDatabase(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	pool, err := db.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := pool.Config().MaxConns; got != 3 {
		t.Fatalf("MaxConns %d, want pool_max_conns=3", got)
	}
}

// scratchDatabase names a database that does not exist yet (the test makes
// it) and drops it when the test ends.
func scratchDatabase(t *testing.T, prefix string) string {
	t.Helper()
	name := prefix + uuid.NewString()[:8]
	dsn, err := db.WithDatabase(dbtest.BaseURL(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if c, err := pgx.Connect(ctx, dbtest.BaseURL()); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
	})
	return dsn
}
