package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// The one cursor encoding and page envelope of every list.

// Page is SPEC's list envelope.
// next_cursor is always there, as SPEC's envelope names it: null on the
// last page, which a client looping "while next_cursor" stops on.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor" doc:"Pass as ?cursor= for the next page; null on the last page"`
}

// Next is the next page's cursor, "" on the last page.
func (p Page[T]) Next() string {
	if p.NextCursor == nil {
		return ""
	}
	return *p.NextCursor
}

// nextCursor is a page's next_cursor: none for "".
func nextCursor(c string) *string {
	if c == "" {
		return nil
	}
	return &c
}

// pageOf cuts the look-ahead row off a page fetched with limit+1.
func pageOf[T, R any](rows []R, limit int, conv func(R) T, cursor func(R) string) Page[T] {
	p := Page[T]{Items: make([]T, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			p.NextCursor = nextCursor(cursor(rows[i-1]))
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

// decimalKey reads an amount as money() writes it: digits and a point, no
// exponent. A forged key of "1e-10000" parsed, and every comparison of a row
// with it then scaled the row to ten thousand digits.
func decimalKey(dst *decimal.Decimal) cursorKey {
	return func(s string) (err error) {
		if len(s) > maxDecimalText || strings.ContainsAny(s, "eE") {
			return errBadDecimalKey
		}
		*dst, err = decimal.NewFromString(s)
		return err
	}
}

var errBadDecimalKey = errors.New("not a plain decimal")

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
