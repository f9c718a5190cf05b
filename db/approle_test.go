package db_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"kam/db"
	"kam/db/dbtest"
)

// The app role's default DSN is the owner's with the user replaced; the
// password stays, for ProvisionAppRole to give kam_app.
func TestAppURLReplacesTheUser(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/kam?sslmode=disable":   "postgres://kam_app@127.0.0.1:5432/kam?sslmode=disable",
		"postgres://owner:s3cret@db:5432/kam":                      "postgres://kam_app:s3cret@db:5432/kam",
		"host=127.0.0.1 user=postgres password=pw dbname=kam":      "host=127.0.0.1 user=postgres password=pw dbname=kam user=kam_app",
		"postgresql://postgres@127.0.0.1/kam?application_name=kam": "postgresql://kam_app@127.0.0.1/kam?application_name=kam",
	} {
		got, err := db.AppURL(in)
		if err != nil || got != want {
			t.Errorf("AppURL(%q) = %q, %v; want %q", in, got, err, want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil || cfg.User != db.AppRole {
			t.Errorf("%q connects as %q (%v)", got, cfg.User, err)
		}
	}
}

// Migrating gives kam_app the password of its DSN; without one, nothing.
func TestProvisionAppRoleSetsItsPassword(t *testing.T) {
	ctx := context.Background()
	dsn, drop, err := dbtest.NewDatabase("approle")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	owner, err := db.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	hasPassword := func() bool {
		var has bool
		if err := owner.QueryRow(ctx, "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'kam_app'").Scan(&has); err != nil {
			t.Fatal(err)
		}
		return has
	}
	// The cluster is shared and trusts local connections: leave it as found.
	defer owner.Exec(ctx, "ALTER ROLE kam_app PASSWORD NULL") //nolint:errcheck
	if err := db.ProvisionAppRole(ctx, owner, "postgres://kam_app@127.0.0.1/x"); err != nil || hasPassword() {
		t.Fatalf("no password given: %v, has one %v", err, hasPassword())
	}
	if err := db.ProvisionAppRole(ctx, owner, "postgres://kam_app:it's%20a%20secret@127.0.0.1/x"); err != nil || !hasPassword() {
		t.Fatalf("password given: %v, has one %v", err, hasPassword())
	}
}
