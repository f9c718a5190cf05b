package api

import (
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/i18n"
)

// Reading and writing the values requests carry: ids, dates, money, ETags.

func invalidField(location, msg string) *Problem {
	p := invalid("validation_failed", msg)
	p.Errors = []FieldError{{Location: location, Message: msg}}
	return p
}

// fieldErrors gathers the refusals of a request's fields, so the request is
// refused once naming every offending field (SPEC §7 "A validation error
// lists each offending field once"), not at the first one read. The zero
// value is ready.
type fieldErrors struct {
	p     *Problem // validation_failed, with every offending field so far
	other error    // the first refusal that is not a field's: it wins
}

// add notes err, what reading one or more fields returned, and tells
// whether it is nil (the fields passed), so a check that needs a parsed
// value can depend on it.
func (f *fieldErrors) add(err error) bool {
	if err == nil {
		return true
	}
	var de *kam.Error
	if errors.As(err, &de) && de.Kind == kam.KindInvalid && de.Field != "" {
		err = refusal(de)
	}
	var p *Problem
	if !errors.As(err, &p) || p.Code != "validation_failed" || len(p.Errors) == 0 {
		if f.other == nil {
			f.other = err
		}
		return false
	}
	if f.p == nil {
		first := *p
		first.Errors, first.dropped, first.more = nil, 0, 0
		f.p = &first
	} else {
		f.p.Detail, f.p.words = "the request does not pass validation", i18n.Message{}
	}
	for _, e := range p.Errors {
		f.p.addError(e)
	}
	f.p.dropped += p.dropped + p.more
	return false
}

// field notes one offending field.
func (f *fieldErrors) field(location, msg string) { f.add(invalidField(location, msg)) }

// err is the refusal of every field noted; nil when all passed.
func (f *fieldErrors) err() error {
	switch {
	case f.other != nil:
		return f.other
	case f.p != nil:
		f.p.noteDropped()
		return f.p
	}
	return nil
}

// parseUUID reads an id huma has already checked for UUID format.
func parseUUID(location, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, invalidField(location, "not a UUID")
	}
	return id, nil
}

func optUUID(location string, s *string) (*uuid.UUID, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	id, err := parseUUID(location, *s)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// Limits on input (SPEC §7 "Limits on input"): one bound for every date and
// every amount of money a request carries. Every money field's tag also
// states the bound (pattern ^[0-9]{1,12}(\.[0-9]{1,2})?$, checked by huma
// before the handler; TestLimitsInSchema holds every request schema to it).
var (
	firstDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	lastDate  = time.Date(2200, 12, 31, 0, 0, 0, 0, time.UTC)
	maxMoney  = decimal.RequireFromString("999999999999.99")
)

// maxDecimalText is the longest text read as a decimal, money or a cursor's
// key: the longest amount is 15 characters ("999999999999.99").
const maxDecimalText = 40

// optDate reads a date, refusing one outside 1900-01-01 … 2200-12-31: a
// far date (9999-12-31) used to reach a workflow timer and fail there.
func optDate(location string, s *string) (*time.Time, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, *s)
	if err != nil {
		return nil, invalidField(location, "not a date (YYYY-MM-DD)")
	}
	if t.Before(firstDate) || t.After(lastDate) {
		return nil, invalidField(location, "a date between 1900-01-01 and 2200-12-31")
	}
	return &t, nil
}

// instantInRange refuses an instant outside 1900-01-01 … 2200-12-31, the
// dates' bound: a token expiring in 9999 was stored, and an access-log range
// of ten thousand years read. TestLimitsInstantInputsAreBounded finds every
// instant input in the API's schema.
func instantInRange(location string, t time.Time) error {
	if t.Before(firstDate) || !t.Before(lastDate.AddDate(0, 0, 1)) {
		return invalidField(location, "an instant between 1900-01-01 and 2200-12-31")
	}
	return nil
}

// optInstant reads an optional RFC 3339 instant within instantInRange. A
// string, not a time.Time, because the zero time.Time is both "absent" and
// 0001-01-01T00:00:00Z, which must be refused.
func optInstant(location, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, invalidField(location, "not an RFC 3339 instant")
	}
	if err := instantInRange(location, t); err != nil {
		return nil, err
	}
	return &t, nil
}

// parseMoney reads a non-negative amount of at most 999,999,999,999.99, so
// that sums over many of them stay within the ledger's numeric(18,2).
//
// Its text is bounded before it is parsed: the decimal parser reads every
// digit into one big integer at a cost that grows with the square of their
// number (a million digits took 5 s of CPU, three million the whole write
// timeout), and an import cell is bounded only by the 5 MiB file.
func parseMoney(location, s string) (decimal.Decimal, error) {
	if len(s) > maxDecimalText {
		return decimal.Decimal{}, invalidField(location, "an amount of at most 999999999999.99")
	}
	d, err := decimal.NewFromString(s)
	if err != nil || d.IsNegative() {
		return d, invalidField(location, "not a non-negative decimal amount")
	}
	if d.GreaterThan(maxMoney) {
		return d, invalidField(location, "an amount of at most 999999999999.99")
	}
	return d, nil
}

// dateRange reads the optional query.from and query.to dates of a list.
func dateRange(from, to string) (*time.Time, *time.Time, error) {
	var bad fieldErrors
	f, err := optDate("query.from", nonEmpty(from))
	bad.add(err)
	t, err := optDate("query.to", nonEmpty(to))
	bad.add(err)
	return f, t, bad.err()
}

func optMoney(location string, s *string) (*decimal.Decimal, error) {
	if s == nil {
		return nil, nil
	}
	d, err := parseMoney(location, *s)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func money(d decimal.Decimal) string { return d.StringFixed(2) }

func optMoneyString(d decimal.NullDecimal) *string {
	if !d.Valid {
		return nil
	}
	s := money(d.Decimal)
	return &s
}

func dateString(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

func uuidString(id *uuid.UUID) *string {
	if id == nil {
		return nil
	}
	s := id.String()
	return &s
}

// parseIfMatch reads If-Match as a version: 3, "3" or W/"3". Read as HTTP
// defines it (RFC 9110 §13.1.1): "*" asks for no particular version (as no
// header does); an entity tag that names no version of ours ("abc") can
// match none, so the change is refused 412 version_conflict, as a stale one
// is; what is no entity tag at all is a malformed header (400).
func parseIfMatch(h string) (*int32, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return nil, nil
	}
	bare := strings.TrimPrefix(h, "W/")
	quoted := len(bare) >= 2 && bare[0] == '"' && bare[len(bare)-1] == '"'
	n, err := strconv.ParseInt(strings.Trim(bare, `"`), 10, 32)
	switch {
	case err == nil && n >= 1:
		v := int32(n)
		return &v, nil
	case quoted:
		return nil, problemFor(nil, kam.Errorf(kam.KindPrecondition, "version_conflict", "If-Match %s names no version of this record", h))
	}
	p := malformed("malformed_request", "If-Match must carry the version number from the ETag")
	p.Errors = []FieldError{{Location: "header.If-Match", Message: "not a version"}}
	return nil, p
}

func etag(version int32) string { return `"` + strconv.Itoa(int(version)) + `"` }

func emailOK(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

func itoa(i int) string { return strconv.Itoa(i) }
