package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/mail"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

func debugStack() []byte { return debug.Stack() }

func sortStrings(s []string) { slices.Sort(s) }

// Page is SPEC's list envelope.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as ?cursor= for the next page; absent on the last page"`
}

// pageOf cuts the look-ahead row off a page fetched with limit+1.
func pageOf[T, R any](rows []R, limit int, conv func(R) T, cursor func(R) string) Page[T] {
	p := Page[T]{Items: make([]T, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			p.NextCursor = cursor(rows[i-1])
			break
		}
		p.Items = append(p.Items, conv(r))
	}
	return p
}

// cursorVersion is the shape of every cursor this API issues; a change of
// shape bumps it so an old cursor is refused rather than misread.
const cursorVersion = 1

// pageCursor is the one cursor encoding of every list: base64url of a small
// JSON tuple naming the list and holding the sort keys of the page's last
// row. Lists page by keyset on those keys (never OFFSET: an offset skips or
// repeats rows under concurrent inserts and costs O(n)).
type pageCursor struct {
	V    int      `json:"v"`
	List string   `json:"l"`
	Keys []string `json:"k"`
}

// cursorKey reads one sort key of a cursor into its typed destination.
type cursorKey func(string) error

// encodeCursor issues the cursor of list after a row with these sort keys.
// Every ?cursor= takes up to 1024 characters: the longest key a list sorts
// by is a name of 100 characters (4 bytes each in UTF-8, unescaped here).
func encodeCursor(list string, keys ...string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(pageCursor{V: cursorVersion, List: list, Keys: keys})
	return base64.RawURLEncoding.EncodeToString(bytes.TrimSpace(b.Bytes()))
}

// decodeCursor reads a cursor of list into keys; it answers false for no
// cursor and 422 validation_failed at query.cursor for anything encodeCursor
// did not issue for this list (wrong list, version, arity or key).
func decodeCursor(c, list string, keys ...cursorKey) (bool, error) {
	if c == "" {
		return false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return false, badCursor()
	}
	var pc pageCursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&pc) != nil || dec.More() || pc.V != cursorVersion || pc.List != list || len(pc.Keys) != len(keys) {
		return false, badCursor()
	}
	for i, k := range keys {
		if k(pc.Keys[i]) != nil {
			return false, badCursor()
		}
	}
	return true, nil
}

func uuidKey(dst *uuid.UUID) cursorKey {
	return func(s string) (err error) { *dst, err = uuid.Parse(s); return err }
}

func int64Key(dst *int64) cursorKey {
	return func(s string) (err error) { *dst, err = strconv.ParseInt(s, 10, 64); return err }
}

func int32Key(dst *int32) cursorKey {
	return func(s string) error {
		n, err := strconv.ParseInt(s, 10, 32)
		*dst = int32(n)
		return err
	}
}

func textKey(dst *string) cursorKey { return func(s string) error { *dst = s; return nil } }

func boolKey(dst *bool) cursorKey {
	return func(s string) (err error) { *dst, err = strconv.ParseBool(s); return err }
}

// timeKey reads an instant; cursors carry instants at microsecond precision,
// Postgres's own, so the keyset comparison neither skips nor repeats a row.
func timeKey(dst *time.Time) cursorKey {
	return func(s string) (err error) { *dst, err = time.Parse(time.RFC3339Nano, s); return err }
}

func dateKey(dst *time.Time) cursorKey {
	return func(s string) (err error) { *dst, err = time.Parse(time.DateOnly, s); return err }
}

func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
func int64Text(n int64) string    { return strconv.FormatInt(n, 10) }
func dateText(t time.Time) string { return t.Format(time.DateOnly) }
func boolText(b bool) string      { return strconv.FormatBool(b) }

// keyIDCursor reads the cursor of a list ordered by one key (an instant or
// a date, read by key) and then the id.
func keyIDCursor(c, list string, key func(*time.Time) cursorKey) (*time.Time, *uuid.UUID, error) {
	var at time.Time
	var id uuid.UUID
	if ok, err := decodeCursor(c, list, key(&at), uuidKey(&id)); !ok {
		return nil, nil, err
	}
	return &at, &id, nil
}

// uuidCursor reads the cursor of a list ordered by id alone.
func uuidCursor(c, list string) (*uuid.UUID, error) {
	var id uuid.UUID
	ok, err := decodeCursor(c, list, uuidKey(&id))
	if !ok {
		return nil, err
	}
	return &id, nil
}

// int64Cursor reads the cursor of a list ordered by a serial number alone.
func int64Cursor(c, list string) (*int64, error) {
	var n int64
	ok, err := decodeCursor(c, list, int64Key(&n))
	if !ok {
		return nil, err
	}
	return &n, nil
}

func badCursor() *Problem {
	p := invalid("validation_failed", "the cursor is not one this API issued")
	p.Errors = []FieldError{{Location: "query.cursor", Message: "invalid cursor"}}
	return p
}

func invalidField(location, msg string) *Problem {
	p := invalid("validation_failed", msg)
	p.Errors = []FieldError{{Location: location, Message: msg}}
	return p
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

// parseMoney reads a non-negative amount of at most 999,999,999,999.99, so
// that sums over many of them stay within the ledger's numeric(18,2).
func parseMoney(location, s string) (decimal.Decimal, error) {
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
	f, err := optDate("query.from", nonEmpty(from))
	if err != nil {
		return nil, nil, err
	}
	t, err := optDate("query.to", nonEmpty(to))
	return f, t, err
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

// parseIfMatch accepts 3, "3" and W/"3".
func parseIfMatch(h string) (*int32, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil, nil
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.ParseInt(h, 10, 32)
	if err != nil || n < 1 {
		p := malformed("malformed_request", "If-Match must carry the version number from the ETag")
		p.Errors = []FieldError{{Location: "header.If-Match", Message: "not a version"}}
		return nil, p
	}
	v := int32(n)
	return &v, nil
}

func etag(version int32) string { return `"` + strconv.Itoa(int(version)) + `"` }

func emailOK(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

func itoa(i int) string { return strconv.Itoa(i) }
