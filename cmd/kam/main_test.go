package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"kam/db/dbtest"
)

// capture runs the CLI with args and returns what it printed on stdout.
func capture(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	runErr := run(args)
	os.Stdout = old
	w.Close()
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, r)
	return buf.String(), runErr
}

func TestCLIMigrateStaffVersion(t *testing.T) {
	dsn, drop, err := dbtest.NewDatabase("cli")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	t.Setenv("DATABASE_URL", dsn)

	out, err := capture(t, "migrate", "status")
	if err != nil || !strings.Contains(out, "00001_foundation.sql") || !strings.Contains(out, "applied") {
		t.Fatalf("migrate status: %v\n%s", err, out)
	}
	t.Setenv("KAM_DEFAULT_LOCALE", "en")
	out, err = capture(t, "staff", "add", "--name", "Kim", "--role", "ka_manager")
	if err != nil || !strings.Contains(out, "token (shown once): kam_") {
		t.Fatalf("staff add: %v\n%s", err, out)
	}
	assertTokenID(t, dsn, out, "en")
	t.Setenv("KAM_DEFAULT_LOCALE", "fr")
	if _, err := capture(t, "staff", "add", "--name", "Kim", "--role", "ka_manager"); err == nil || !strings.Contains(err.Error(), "KAM_DEFAULT_LOCALE") {
		t.Fatalf("an unknown default locale was not named: %v", err)
	}
	t.Setenv("KAM_DEFAULT_LOCALE", "")
	if _, err := capture(t, "staff", "add", "--name", "Kim", "--role", "emperor"); err == nil {
		t.Fatal("an unknown role was accepted")
	}
	out, err = capture(t, "version")
	if err != nil || !strings.HasPrefix(out, "kam ") {
		t.Fatalf("version: %v %q", err, out)
	}
	if _, err := capture(t, "frobnicate"); err == nil {
		t.Fatal("an unknown command succeeded")
	}
	t.Setenv("KAM_ONBOARDING_REMIND_EVERY", "soon")
	if _, err := capture(t, "migrate", "status"); err == nil || !strings.Contains(err.Error(), "KAM_ONBOARDING_REMIND_EVERY") {
		t.Fatalf("a bad duration was not named: %v", err)
	}
}

// assertTokenID checks that staff add printed the id of the token it issued
// (what DELETE /v1/staff/{id}/tokens/{token_id} revokes) and made the person
// in the given locale.
func assertTokenID(t *testing.T, dsn, out, locale string) {
	t.Helper()
	_, after, ok := strings.Cut(out, "token id=")
	if !ok {
		t.Fatalf("staff add printed no token id:\n%s", out)
	}
	id := strings.TrimSpace(strings.SplitN(after, "\n", 2)[0])
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var got string
	if err := conn.QueryRow(context.Background(), "SELECT s.locale FROM api_tokens t JOIN staff s ON s.id = t.staff_id WHERE t.id::text = $1 AND t.revoked_at IS NULL", id).Scan(&got); err != nil {
		t.Fatalf("the printed token id %q is no token: %v", id, err)
	}
	if got != locale {
		t.Fatalf("locale %q, want %q (KAM_DEFAULT_LOCALE)", got, locale)
	}
}

// kam replay takes one workflow id, with its flags before or after it; an
// archive without the run is an error (exit code 1), not an OK.
func TestCLIReplayArguments(t *testing.T) {
	if _, err := capture(t, "replay"); err == nil || !strings.Contains(err.Error(), "usage: kam replay") {
		t.Fatalf("no workflow id: %v", err)
	}
	if _, err := capture(t, "replay", "a", "b"); err == nil || !strings.Contains(err.Error(), "usage: kam replay") {
		t.Fatalf("two workflow ids: %v", err)
	}
	empty := t.TempDir()
	for _, args := range [][]string{
		{"replay", "discount-request/x", "--archive", empty},
		{"replay", "--archive", empty, "discount-request/x", "--run-id", "r"},
	} {
		out, err := capture(t, args...)
		if err == nil || !strings.Contains(err.Error(), "archive") || strings.Contains(out, "OK") {
			t.Fatalf("%v: %v %q", args, err, out)
		}
	}
}

// kam temporal refuses an unknown store and stray arguments before it starts
// anything (TestScaleOut runs it for real).
func TestCLITemporalArguments(t *testing.T) {
	t.Setenv("KAM_DATA_DIR", t.TempDir())
	if _, err := capture(t, "temporal", "--temporal-store", "mysql"); err == nil || !strings.Contains(err.Error(), "--temporal-store") {
		t.Fatalf("an unknown store: %v", err)
	}
	if _, err := capture(t, "temporal", "now"); err == nil || !strings.Contains(err.Error(), "no arguments") {
		t.Fatalf("a stray argument: %v", err)
	}
	out, err := capture(t, "help")
	if err != nil || !strings.Contains(out, "temporal [--ephemeral]") {
		t.Fatalf("help does not name kam temporal: %v\n%s", err, out)
	}
}
