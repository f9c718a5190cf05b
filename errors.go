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
	// Key, when set, names the words of the detail in the caller's locale
	// (a key of kam/i18n's catalogs) and Args their arguments; without it
	// the detail is Message in English and the code's words otherwise
	// (SPEC §7 "Language").
	Key  string
	Args []any
}

// With is e worded by the catalog message key with args.
func (e *Error) With(key string, args ...any) *Error {
	e.Key, e.Args = key, args
	return e
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

// Refused is a refusal of an action on something the caller can see (403):
// code names which rule refused it.
func Refused(code, format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Conflict is a clash with the current state (409) under code.
func Conflict(code, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Unavailable is a refusal because a dependency (the register, Temporal) did
// not answer; nothing was changed, and the caller may try again (503).
func Unavailable(format string, args ...any) *Error {
	return &Error{Kind: KindUnavailable, Code: "unavailable", Message: fmt.Sprintf(format, args...)}
}

// StartFailed is what a store callback returns when the workflow paired with
// the row it stores could not be started: the row's transaction rolls back,
// so nothing is stored without its process (503). message is answered; the
// cause is only logged.
func StartFailed(message string, cause error) *Error {
	return &Error{Kind: KindUnavailable, Code: "unavailable", Message: message + "; nothing was stored", Internal: cause.Error()}
}

// ErrAssignedFields refuses a change of an account's tier, manager or status
// by anyone but the KA Department (403).
var ErrAssignedFields = &Error{Kind: KindForbidden, Code: "forbidden_field", Message: "tier, account_manager_id and status are set by the KA Department"}

// ErrRecode refuses a change of an account's code by a caller who sees only
// their own accounts (403): whether another code is taken would tell them
// of accounts they may not see (SPEC §2), so they change none.
var ErrRecode = &Error{Kind: KindForbidden, Code: "forbidden_field", Field: "code", Message: "an account's code is changed by the KA Department or a data clerk"}
