package kam

import "fmt"

// Kind is the class of a domain error; the API maps each kind to one HTTP
// status in a single table, and passes Code through as the problem's code.
type Kind int

const (
	KindInvalid      Kind = iota + 1 // the request contradicts a rule (422)
	KindNotFound                     // absent, or outside the caller's scope (404)
	KindConflict                     // clashes with the current state (409)
	KindForbidden                    // visible, but the action is not the caller's (403)
	KindPrecondition                 // a stale If-Match version (412)
	KindUnavailable                  // a dependency refused; nothing was changed (503)
)

// Error is a domain error with a stable machine code.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	// Field names the offending input field, for validation errors.
	Field string
	// Internal is the cause as the driver worded it: logged, never answered.
	Internal string
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

// ErrNotFound is what callers see for a missing row or one outside their scope
// (SPEC §2: no existence leak).
var ErrNotFound = &Error{Kind: KindNotFound, Code: "not_found", Message: "no such resource"}
