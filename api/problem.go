package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"kam/db/store"
)

// Problem is an RFC 9457 problem document with kam's stable machine code.
type Problem struct {
	Type     string       `json:"type" doc:"A URI reference naming the problem type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Code     string       `json:"code" doc:"Stable machine-readable code, e.g. version_conflict"`
	Errors   []FieldError `json:"errors,omitempty" doc:"Per-field problems (validation_failed)"`
}

// FieldError names one offending input.
type FieldError struct {
	Location string `json:"location,omitempty" doc:"Where: body.name, path.id, query.limit, header.If-Match"`
	Message  string `json:"message"`
	Value    any    `json:"value,omitempty"`
}

func (p *Problem) Error() string  { return p.Detail }
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma send application/problem+json for errors.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// statusCodes is the one table from a domain error kind to an HTTP status.
var statusCodes = map[store.Kind]int{
	store.KindInvalid:      http.StatusUnprocessableEntity,
	store.KindNotFound:     http.StatusNotFound,
	store.KindConflict:     http.StatusConflict,
	store.KindForbidden:    http.StatusForbidden,
	store.KindPrecondition: http.StatusPreconditionFailed,
	store.KindUnavailable:  http.StatusServiceUnavailable,
}

// defaultCodes names the problems huma itself raises (bad JSON, schema
// violations, oversized bodies) and any status without a domain code.
var defaultCodes = map[int]string{
	http.StatusBadRequest:            "malformed_request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusNotAcceptable:         "not_acceptable",
	http.StatusConflict:              "conflict",
	http.StatusPreconditionFailed:    "version_conflict",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   "validation_failed",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusInternalServerError:   "internal",
	http.StatusServiceUnavailable:    "unavailable",
}

// Codes the API raises itself, beside a status's default.
const (
	// codeMalformedHeader: a header kam stores is not valid UTF-8 (SPEC §7).
	codeMalformedHeader = "malformed_header"
)

func newProblem(status int, code, detail string) *Problem {
	if code == "" {
		code = defaultCodes[status]
		if code == "" {
			code = "error"
		}
	}
	return &Problem{Type: "https://kam.invalid/problems/" + code, Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

func init() {
	// huma raises its own errors (decoding, validation, body size) through
	// NewError; give them kam's shape and codes.
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		p := newProblem(status, "", msg)
		for _, e := range errs {
			if e == nil {
				continue
			}
			var d *huma.ErrorDetail
			if errors.As(e, &d) {
				p.Errors = append(p.Errors, FieldError{Location: d.Location, Message: d.Message, Value: d.Value})
			} else {
				p.Errors = append(p.Errors, FieldError{Message: e.Error()})
			}
		}
		if status == http.StatusUnprocessableEntity && msg == "" {
			p.Detail = "the request does not match the schema"
		}
		return p
	}
}

// problemFor maps any error from below the API to what the caller sees: a
// domain error keeps its code; anything else is an internal error whose
// detail stays in the log.
func problemFor(log *slog.Logger, err error) error {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var de *store.Error
	if errors.As(err, &de) {
		status, ok := statusCodes[de.Kind]
		if !ok {
			status = http.StatusInternalServerError
		}
		prob := newProblem(status, de.Code, de.Message)
		if de.Field != "" {
			prob.Errors = []FieldError{{Location: "body." + de.Field, Message: de.Message}}
		}
		return prob
	}
	log.Error("internal error", "error", err)
	return newProblem(http.StatusInternalServerError, "internal", "an internal error occurred; it has been logged")
}

// writeProblem writes a problem outside huma (middleware, plain handlers).
func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func forbidden(detail string) *Problem { return newProblem(http.StatusForbidden, "forbidden", detail) }
func notFound() *Problem               { return newProblem(http.StatusNotFound, "not_found", "no such resource") }
