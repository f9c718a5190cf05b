// Package dbtest hands tests a database of their own: kam's migrations are
// applied once to a template database (named after a hash of the migration
// files, so a schema change makes a new one), and each caller gets a clone.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"kam/db"
	"kam/db/migrations"
)

// BaseURL is the server tests use: TEST_DATABASE_URL, or the local Postgres.
func BaseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func schemaHash() (string, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// ensureTemplate migrates the template once per schema, whichever test
// process gets there first; the others wait on an advisory lock.
func ensureTemplate(ctx context.Context, admin *pgx.Conn) (string, error) {
	hash, err := schemaHash()
	if err != nil {
		return "", err
	}
	name := "kam_template_" + hash
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(727003)"); err != nil {
		return "", err
	}
	defer admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(727003)") //nolint:errcheck
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	ident := pgx.Identifier{name}.Sanitize()
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", err
	}
	dsn, err := db.WithDatabase(BaseURL(), name)
	if err != nil {
		return "", err
	}
	pool, err := db.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+ident+" WITH is_template = true"); err != nil {
		return "", err
	}
	return name, nil
}

// NewDatabase creates a migrated database for one test package (or test) and
// returns its URL and a function that drops it.
func NewDatabase(prefix string) (string, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, BaseURL())
	if err != nil {
		return "", nil, fmt.Errorf("dbtest: is Postgres running at %s? %w", BaseURL(), err)
	}
	defer admin.Close(context.Background())
	tpl, err := ensureTemplate(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("dbtest: template: %w", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "kam_test_" + strings.ToLower(prefix) + "_" + hex.EncodeToString(b)
	ident := pgx.Identifier{name}.Sanitize()
	for attempt := 0; ; attempt++ {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE "+pgx.Identifier{tpl}.Sanitize())
		// Another process may be cloning the same template this instant.
		if err == nil || attempt == 20 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return "", nil, fmt.Errorf("dbtest: clone: %w", err)
	}
	dsn, err := db.WithDatabase(BaseURL(), name)
	if err != nil {
		return "", nil, err
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, BaseURL()); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
	}
	return dsn, drop, nil
}
