package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"kam/i18n"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"kam"
)

// Problem is an RFC 9457 problem document with kam's stable machine code.
type Problem struct {
	Type     string       `json:"type" doc:"A URI reference naming the problem type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Code     string       `json:"code" doc:"Stable machine-readable code, e.g. version_conflict"`
	Errors   []FieldError `json:"errors,omitempty" doc:"Per-field problems (validation_failed); each field once, at most 20"`

	dropped int // offending fields past maxFieldErrors, counted while building
	// words, when set, are the detail in the reader's locale; more is the
	// count of offending fields not listed. Both are rendered when the
	// problem is written (localizeProblems, writeProblem).
	words i18n.Message
	more  int
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
var statusCodes = map[kam.Kind]int{
	kam.KindInvalid:      http.StatusUnprocessableEntity,
	kam.KindNotFound:     http.StatusNotFound,
	kam.KindConflict:     http.StatusConflict,
	kam.KindForbidden:    http.StatusForbidden,
	kam.KindPrecondition: http.StatusPreconditionFailed,
	kam.KindUnavailable:  http.StatusServiceUnavailable,
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
	http.StatusRequestTimeout:        "request_timeout",
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
	// codeOtherStatus: a status without a code of its own in defaultCodes.
	codeOtherStatus = "error"
)

func newProblem(status int, code, detail string) *Problem {
	if code == "" {
		code = defaultCodes[status]
		if code == "" {
			code = codeOtherStatus
		}
	}
	return &Problem{Type: "https://kam.invalid/problems/" + code, Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

// Problem size limits (SPEC §7 "Limits on input"): a validation error lists
// each offending field once and a problem body never exceeds 16 KiB, however
// large or repetitive the input. Without them one request with a long array
// of duplicates in a uniqueItems field made the validator's one-error-per-
// duplicate, each echoing the whole array, into a body of gigabytes.
const (
	maxProblemBytes = 16 << 10
	maxFieldErrors  = 20  // offending fields listed; the rest are counted in detail
	maxValueRunes   = 64  // an echoed string value is cut to this
	maxMessageRunes = 300 // a field message or detail is cut to this many runes (x4 for detail)
)

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
				p.addError(FieldError{Location: requiredAt(d.Location, d.Message), Message: d.Message, Value: d.Value})
			} else {
				p.addError(FieldError{Message: e.Error()})
			}
		}
		if status == http.StatusUnprocessableEntity && msg == "" {
			p.Detail = "the request does not match the schema"
		}
		p.noteDropped()
		return p
	}
}

// requiredAt is where a schema error is: huma places a missing required
// property at the object that lacks it ("body", "expected required property
// code to be present"), so two missing properties shared one location and
// all but the first were dropped as repeats; each is placed at its own.
func requiredAt(location, msg string) string {
	before, after, _ := strings.Cut(validation.MsgExpectedRequiredProperty, "%s")
	if len(msg) > len(before)+len(after) && strings.HasPrefix(msg, before) && strings.HasSuffix(msg, after) {
		if name := msg[len(before) : len(msg)-len(after)]; !strings.Contains(name, " ") {
			return location + "." + name
		}
	}
	return location
}

// addError lists one offending field: a location already listed is not
// listed again, past maxFieldErrors only the count grows, and the value is
// echoed only when it is a short scalar.
func (p *Problem) addError(e FieldError) {
	for _, have := range p.Errors {
		if have.Location == e.Location && (e.Location != "" || have.Message == e.Message) {
			return
		}
	}
	if len(p.Errors) >= maxFieldErrors {
		p.dropped++
		return
	}
	e.Message = cutRunes(e.Message, maxMessageRunes)
	e.Value = boundValue(e.Value)
	p.Errors = append(p.Errors, e)
}

// noteDropped notes how many offending fields were not listed; the detail
// says so when the problem is written, in the reader's locale.
func (p *Problem) noteDropped() {
	if p.dropped > 0 {
		p.more += p.dropped
		p.dropped = 0
	}
}

// boundValue keeps a scalar (a string cut short); arrays and objects are
// never echoed.
func boundValue(v any) any {
	switch x := v.(type) {
	case string:
		return cutRunes(x, maxValueRunes)
	case bool, float64, float32, int, int32, int64, json.Number:
		return x
	}
	return nil
}

// cutRunes shortens s to at most n runes, at a character boundary.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}

// MarshalJSON is the last guard on the 16 KiB ceiling, whoever writes the
// problem (huma, writeProblem, the idempotency replay): values go first,
// then listed fields, then the detail is cut.
func (p Problem) MarshalJSON() ([]byte, error) {
	type wire Problem // the same fields, without this method
	w := wire(p)
	b, err := json.Marshal(w)
	if err != nil || len(b) <= maxProblemBytes {
		return b, err
	}
	w.Errors = slices.Clone(w.Errors)
	for i := range w.Errors {
		w.Errors[i].Value = nil
	}
	w.Detail = cutRunes(w.Detail, 4*maxMessageRunes)
	w.Title, w.Instance = cutRunes(w.Title, maxMessageRunes), cutRunes(w.Instance, maxMessageRunes)
	for {
		if b, err = json.Marshal(w); err != nil || len(b) <= maxProblemBytes {
			return b, err
		}
		if len(w.Errors) == 0 {
			w.Detail = ""
			return json.Marshal(w)
		}
		w.Errors = w.Errors[:len(w.Errors)/2]
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
	var ir *kam.ImportRejected
	if errors.As(err, &ir) {
		return importRefusal(ir)
	}
	var de *kam.Error
	if errors.As(err, &de) {
		switch {
		case de.Internal == "":
		case de.Kind == kam.KindUnavailable:
			// A dependency's own words (Temporal, the driver) stay in the log.
			log.Error("dependency failed", "code", de.Code, "detail", de.Message, "error", de.Internal)
		default:
			// The driver's own words stay in the log, never in the answer.
			log.Warn("database refused a value", "code", de.Code, "field", de.Field, "error", de.Internal)
		}
		return refusal(de)
	}
	log.Error("internal error", "error", err)
	return internalProblem()
}

// refusal is the one place a domain error becomes a problem: its kind picks
// the status (statusCodes), its code and message pass through. problemFor
// uses it, and so do the few callers without a logger (middleware, input
// parsers) for refusals they raise themselves.
func refusal(de *kam.Error) *Problem {
	status, ok := statusCodes[de.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	prob := newProblem(status, de.Code, de.Message)
	if de.Key != "" {
		prob.words = i18n.M(i18n.Key(de.Key), de.Args...)
	}
	if de.Field != "" {
		prob.Errors = []FieldError{{Location: "body." + de.Field, Message: de.Message}}
	}
	return prob
}

// unsupportedMediaType is a body in a content type the operation does not
// read (415) under code.
func unsupportedMediaType(code, detail string) *Problem {
	return newProblem(http.StatusUnsupportedMediaType, code, detail)
}

// invalid is a validation refusal (422) under code, for input the API checks
// itself; the caller lists the offending fields.
func invalid(code, detail string) *Problem {
	return refusal(kam.Errorf(kam.KindInvalid, code, "%s", detail))
}

// Problems of the HTTP exchange itself, not of the domain: a request kam
// cannot read (400), no or a bad credential (401), a method a path does not
// have (405), and kam's own failure (500). They are raised before or beside
// any domain rule, so they have no domain kind.

// malformed is a request kam cannot read (400) under code.
func malformed(code, detail string) *Problem {
	return newProblem(http.StatusBadRequest, code, detail)
}

// unauthenticated is a missing or unknown credential (401) under code.
func unauthenticated(code, detail string) *Problem {
	return newProblem(http.StatusUnauthorized, code, detail)
}

// bodyTooLarge is a body over what its route takes (413).
func bodyTooLarge(detail string) *Problem {
	return newProblem(http.StatusRequestEntityTooLarge, "", detail)
}

// bodyTimeout is a body that did not arrive in time (408).
func bodyTimeout(detail string) *Problem {
	return newProblem(http.StatusRequestTimeout, "", detail)
}

// rateLimited refuses a request past its caller's own limit (429; Limits).
func rateLimited(detail string) *Problem {
	return newProblem(http.StatusTooManyRequests, "", detail)
}

// codeServerBusy: every heavy slot stayed taken while the request waited.
const codeServerBusy = "server_busy"

// serverBusy refuses a heavy request no slot was free for (503; Limits).
func serverBusy() *Problem {
	return newProblem(http.StatusServiceUnavailable, codeServerBusy, "kam is running as many reports, imports and runs as it takes at once; try again shortly")
}

// methodNotAllowed answers a method a path does not have (405).
func methodNotAllowed() *Problem {
	return newProblem(http.StatusMethodNotAllowed, "", "this method is not allowed on this path")
}

// internalProblem is kam's own failure (500); its cause is in the log.
func internalProblem() *Problem {
	return newProblem(http.StatusInternalServerError, "internal", "an internal error occurred; it has been logged")
}

// writeProblem writes a problem outside huma (middleware, plain handlers),
// in the request's locale.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p.in(localeOf(r.Context())))
}

// useChurnRegister refuses a PATCH that names an account's status (422),
// whatever the value: kam.ErrUseChurnRegister, as an opening or an import
// that would set one.
func useChurnRegister() *Problem { return refusal(kam.ErrUseChurnRegister) }

func forbidden(detail string) *Problem { return refusal(kam.Refused("forbidden", "%s", detail)) }
func notFound() *Problem               { return refusal(kam.ErrNotFound) }

// ImportRowError is one refusal in an import file (SPEC §7).
type ImportRowError struct {
	Row     int    `json:"row" doc:"The spreadsheet row: the header is row 1, the first data row row 2"`
	Field   string `json:"field" doc:"The column; empty for the row or the file as a whole"`
	Code    string `json:"code" doc:"Stable: required, too_long, invalid_format, not_an_option, unknown_tier, unknown_manager, unknown_account, duplicate_row, unknown_column, wrong_field_count, malformed_csv, formula_cell, ..."`
	Message string `json:"message,omitempty"`
}

// ImportProblem is the 422 of an import with row errors: a problem whose
// errors are the rows' ({row, field, code}), the first 100 in row order,
// with the report's counts (nothing was written: created and updated are 0).
type ImportProblem struct {
	Type        string           `json:"type"`
	Title       string           `json:"title"`
	Status      int              `json:"status"`
	Detail      string           `json:"detail,omitempty"`
	Code        string           `json:"code"`
	Rows        int              `json:"rows"`
	Created     int              `json:"created"`
	Updated     int              `json:"updated"`
	Unchanged   int              `json:"unchanged"`
	DryRun      bool             `json:"dry_run"`
	Errors      []ImportRowError `json:"errors"`
	ErrorsTotal int              `json:"errors_total" doc:"Every error found; errors lists the first 100"`

	words i18n.Message // the detail in the reader's locale
}

func (p *ImportProblem) Error() string             { return p.Detail }
func (p *ImportProblem) GetStatus() int            { return p.Status }
func (p *ImportProblem) ContentType(string) string { return "application/problem+json" }
func importRowErrors(errs []kam.ImportError) []ImportRowError {
	out := make([]ImportRowError, len(errs))
	for i, e := range errs {
		out[i] = ImportRowError{Row: e.Row, Field: e.Field, Code: e.Code, Message: cutRunes(e.Message, 120)}
	}
	return out
}

// importRefusal is the answer to a rejected import: nothing of it was written.
func importRefusal(ir *kam.ImportRejected) *ImportProblem {
	p := newProblem(http.StatusUnprocessableEntity, "import_rejected", "")
	words := i18n.M(i18n.ImportRejectedDetail, ir.Total)
	if ir.DryRun {
		words.Key = i18n.ImportRejectedDryDetail
	}
	return &ImportProblem{Type: p.Type, Title: p.Title, Status: p.Status, Detail: words.Render(i18n.En), Code: p.Code,
		Rows: ir.Rows, DryRun: ir.DryRun, Errors: importRowErrors(ir.Errors), ErrorsTotal: ir.Total, words: words}
}

// MarshalJSON holds the 16 KiB ceiling: messages go first, then listed rows.
func (p ImportProblem) MarshalJSON() ([]byte, error) {
	type wire ImportProblem
	w := wire(p)
	for {
		b, err := json.Marshal(w)
		if err != nil || len(b) <= maxProblemBytes || len(w.Errors) == 0 {
			return b, err
		}
		if w.Errors[0].Message != "" {
			w.Errors = slices.Clone(w.Errors)
			for i := range w.Errors {
				w.Errors[i].Message = ""
			}
			continue
		}
		w.Errors = w.Errors[:len(w.Errors)/2]
	}
}
