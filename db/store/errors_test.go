package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"kam"
	"kam/db/store"
)

// Postgres's own words (table, constraint and type names) never reach a
// caller: interpret words the refusal itself and keeps the raw message for
// the log only.
func TestInterpretHidesDriverWords(t *testing.T) {
	for _, pg := range []*pgconn.PgError{
		{Code: "22003", Message: "numeric field overflow"},
		{Code: "22001", Message: "value too long for type character varying(100)"},
		{Code: "22021", Message: `invalid byte sequence for encoding "UTF8": 0x00`},
		{Code: "22008", Message: "date/time field value out of range"},
		{Code: "23514", Message: `new row for relation "secret_table" violates check constraint "secret_check"`, ConstraintName: "secret_check"},
	} {
		var de *kam.Error
		if !errors.As(store.Interpret(pg), &de) || de.Kind != kam.KindInvalid || de.Code != "validation_failed" {
			t.Fatalf("%s: %v", pg.Code, store.Interpret(pg))
		}
		for _, w := range []string{"numeric", "varchar", "character varying", "UTF8", "relation", "constraint", "secret", "date/time"} {
			if strings.Contains(de.Message, w) {
				t.Errorf("%s: %q shows the driver's words", pg.Code, de.Message)
			}
		}
		if de.Internal != pg.Message {
			t.Errorf("%s: raw message %q not kept for the log", pg.Code, de.Internal)
		}
	}
	var de *kam.Error
	if !errors.As(store.Interpret(&pgconn.PgError{Code: "23514", ConstraintName: "discount_requests_check"}), &de) || de.Field != "valid_to" {
		t.Fatalf("a known constraint names its field: %+v", de)
	}
}

// Every constraint interpret maps exists in the schema under that name.
func TestMappedConstraintsExist(t *testing.T) {
	for _, name := range store.MappedConstraints() {
		var n int
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_constraint WHERE conname = $1 AND contype = 'c'", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("constraint %s: %d in the schema", name, n)
		}
	}
}
