package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Kind is the class of a domain error; the API maps each kind to one HTTP
// status in a single table, and passes Code through as the problem's code.
type Kind int

const (
	KindInvalid      Kind = iota + 1 // the request contradicts a rule (422)
	KindNotFound                     // absent, or outside the caller's scope (404)
	KindConflict                     // clashes with the current state (409)
	KindForbidden                    // visible, but the action is not the caller's (403)
	KindPrecondition                 // a stale If-Match version (412)
	KindUnavailable                  // a part kam cannot work without failed: the access register (503)
)

// Error is a domain error with a stable machine code.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	// Field names the offending input field, for validation errors.
	Field string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds a domain error.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is a validation failure on one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: "validation_failed", Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is what callers see for a missing row or one outside their scope.
var ErrNotFound = &Error{Kind: KindNotFound, Code: "not_found", Message: "no such resource"}

// Interpret is interpret for callers that use the typed queries directly.
func Interpret(err error) error { return interpret(err) }

// interpret turns driver errors into domain errors, so nothing above the store
// ever sees pgx.
func interpret(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505": // unique_violation
			switch pg.ConstraintName {
			case "customers_code_key":
				return &Error{Kind: KindConflict, Code: "duplicate_code", Field: "code", Message: "another account already has this code"}
			case "staff_email_key":
				return &Error{Kind: KindConflict, Code: "duplicate_email", Field: "email", Message: "another staff member already has this e-mail"}
			}
			return Errorf(KindConflict, "conflict", "the record already exists")
		case "23503": // foreign_key_violation
			switch pg.ConstraintName {
			case "customers_tier_fkey":
				return Invalid("tier", "no such tier")
			case "customers_account_manager_id_fkey":
				return Invalid("account_manager_id", "no such staff member")
			}
			return Errorf(KindInvalid, "validation_failed", "a referenced record does not exist")
		case "23514": // check_violation
			return Errorf(KindInvalid, "validation_failed", "a value is out of range: %s", pg.Message)
		}
		if strings.HasPrefix(pg.Code, "22") { // data exception: range, length, encoding (a NUL byte), format
			return Errorf(KindInvalid, "validation_failed", "a value cannot be stored: %s", pg.Message)
		}
	}
	return err
}
