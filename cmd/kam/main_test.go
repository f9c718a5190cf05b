package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

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
	out, err = capture(t, "staff", "add", "--name", "Kim", "--role", "ka_manager")
	if err != nil || !strings.Contains(out, "token (shown once): kam_") {
		t.Fatalf("staff add: %v\n%s", err, out)
	}
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
