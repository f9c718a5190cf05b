package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// A JSON body's shape is bounded before huma decodes and validates it:
// validation costs memory per offending item (a 1 MiB body of half a million
// wrong items allocated some 330 MB), so an array far beyond any schema's
// maxItems (SPEC §7: 100) or a deeply nested body is refused unread. Arrays up
// to maxJSONArrayItems still reach the schema, whose error names the field.
//
// An object is bounded the same way: no schema has more than a few dozen
// properties, and each unknown one costs huma an error, matched against
// every known name, before the problem is cut to its 16 KiB.
const (
	maxJSONArrayItems    = 1000
	maxJSONObjectMembers = 1000
	maxJSONDepth         = 32
)

// boundJSONBodies refuses (422 validation_failed) a request body with an
// array of more than maxJSONArrayItems items, nested deeper than
// maxJSONDepth, or with a string breaking the text rules.
//
// decodesJSON is huma's own answer to whether it decodes a body of a given
// Content-Type as JSON. Guessing that from the type's spelling (it contains
// "json") let bodies through unbounded that huma decodes as JSON all the
// same: ";" and "+;" read as its default type. What huma does not decode
// passes untouched: a route reading it raw (the CSV imports) checks it, any
// other answers 415.
func boundJSONBodies(decodesJSON func(contentType string) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body != nil && r.Body != http.NoBody {
				canonicalJSONType(r)
				// No type at all is JSON on every route that decodes a body.
				if ct := r.Header.Get("Content-Type"); ct == "" || decodesJSON(ct) {
					if p := boundsProblem(w, r); p != nil {
						writeProblem(w, r, p)
						return
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// boundsProblem reads r's body and says what breaks the bounds, or nil. A
// body it cannot read whole, or that is not JSON, is huma's to answer.
func boundsProblem(w http.ResponseWriter, r *http.Request) *Problem {
	body, whole := bufferBody(w, r)
	if !whole {
		return nil
	}
	if msg := jsonShapeProblem(body); msg != "" {
		return invalidField("body", msg)
	}
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return nil
	}
	return textProblem(doc)
}

// canonicalJSONType spells a JSON media type in lower case: media types are
// case-insensitive (RFC 9110 §8.3.1), huma's look-up of its formats is not,
// and "APPLICATION/JSON" was refused 415.
func canonicalJSONType(r *http.Request) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return
	}
	if canon := mime.FormatMediaType(mt, params); canon != "" && canon != ct {
		r.Header.Set("Content-Type", canon)
	}
}

// jsonShapeProblem scans a JSON text without decoding it and says what is
// too large about its shape, or "". Malformed JSON is left to the decoder.
func jsonShapeProblem(b []byte) string {
	type container struct {
		object bool
		commas int
	}
	var open []container
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			if len(open) == maxJSONDepth {
				return "the body is nested more than " + itoa(maxJSONDepth) + " levels deep"
			}
			open = append(open, container{object: c == '{'})
		case ']', '}':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		case ',':
			if n := len(open); n > 0 {
				top := &open[n-1]
				top.commas++ // items or members = commas + 1
				switch {
				case !top.object && top.commas >= maxJSONArrayItems:
					return "an array has more than " + itoa(maxJSONArrayItems) + " items (at most 100 where not stated)"
				case top.object && top.commas >= maxJSONObjectMembers:
					return "an object has more than " + itoa(maxJSONObjectMembers) + " members"
				}
			}
		}
	}
	return ""
}

// Text rules (SPEC §7 "Limits on input"; issue: control characters stored in
// names). A name shown to colleagues, printed on a statement or pasted into a
// terminal must read as what it is: no control characters (ANSI escapes start
// with one), no bidirectional overrides that reorder what follows, no
// invisible characters that make two names look alike. Every string of every
// JSON request body is held to this, whatever the route, so a new body
// cannot forget it; fields holding prose (freeTextFields) may also carry
// newlines and tabs.

// freeTextFields are the body fields, by JSON name, that hold prose.
var freeTextFields = map[string]bool{
	"notes": true, "note": true, "comment": true, "body": true, "reason": true, "reason_text": true,
	"outcome": true, "follow_ups": true, "main_products": true, "address": true, "description": true,
}

// badRune tells whether r may not appear in text input; multiline admits
// newline, carriage return and tab.
func badRune(r rune, multiline bool) bool {
	switch {
	case r == '\n' || r == '\r' || r == '\t':
		return !multiline
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0, DEL, C1
		return true
	case r == 0x061c, // Arabic letter mark (bidi)
		r >= 0x200b && r <= 0x200f, // zero-width space/joiners, LRM, RLM
		r >= 0x2028 && r <= 0x202e, // line/paragraph separators, bidi embeddings and overrides
		r >= 0x2060 && r <= 0x206f, // word joiner, invisible operators, bidi isolates, deprecated format
		r == 0xfeff:                // zero-width no-break space (BOM)
		return true
	}
	return false
}

// textOK tells whether s passes the text rules.
func textOK(s string, multiline bool) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return badRune(r, multiline) })
}

// textProblem checks every string of a decoded JSON body (object keys
// included) and lists each offending field once; nil when all pass.
func textProblem(doc any) *Problem {
	p := invalid("validation_failed", "a text contains control, bidirectional-override or invisible characters")
	walkText(p, "body", "", doc)
	if len(p.Errors) == 0 {
		return nil
	}
	p.noteDropped()
	return p
}

func walkText(p *Problem, at, key string, v any) {
	switch x := v.(type) {
	case string:
		free := freeTextFields[key]
		if !textOK(x, free) {
			msg := "must not contain control, bidirectional-override or invisible characters"
			if free {
				msg = "must not contain control characters (other than newline and tab), bidirectional overrides or invisible characters"
			}
			p.addError(FieldError{Location: at, Message: msg})
		}
	case []any:
		for i, item := range x {
			walkText(p, at+"["+itoa(i)+"]", key, item)
		}
	case map[string]any:
		for k, item := range x {
			if !textOK(k, false) {
				p.addError(FieldError{Location: at, Message: "a field name contains control or invisible characters"})
				continue
			}
			walkText(p, at+"."+k, k, item)
		}
	}
}

// bodyReadTimeout bounds how long a middleware waits for a request body, as
// huma does for the bodies it reads itself: a client sending a byte a second
// must not hold a connection for ever.
const bodyReadTimeout = 5 * time.Second

// bufferBody reads the body, at most maxBody bytes within bodyReadTimeout,
// and puts it back for the next reader. whole is false for a broken or
// oversized body, which huma answers as usual.
func bufferBody(w http.ResponseWriter, r *http.Request) (body []byte, whole bool) {
	body, err := readBody(w, r, maxBody, bodyReadTimeout)
	return body, err == nil
}

// errBodyTooLarge is a body over the limit readBody was given.
var errBodyTooLarge = errors.New("the request body is over its limit")

// readBody reads the body, at most limit bytes within timeout, and puts back
// what it read for the next reader. The error is errBodyTooLarge for a body
// over limit (one whose Content-Length is over it is not read at all), or
// the read's own; nil when the body was read whole. The deadline reaches the
// connection through the writers' Unwrap; where it cannot, the server's
// ReadTimeout still applies.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, timeout time.Duration) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, errBodyTooLarge
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(timeout)) == nil {
		defer rc.SetReadDeadline(time.Time{}) //nolint:errcheck // only clears what was set
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		// Room for the declared length and the read that meets its end:
		// one allocation, not a series of doublings.
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	body := buf.Bytes()
	if err == nil && int64(len(body)) > limit {
		err = errBodyTooLarge
	}
	if err != nil {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		return body, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// bodyDeadlineEndsWithBody clears the connection's read deadline once the
// handler has read its body to the end. huma bounds a body's read with a
// deadline on the connection and leaves it set; when a middleware has
// already read the body off the connection (bufferBody), the server's own
// clearing at the body's end has passed, and the server's background read
// then meets huma's deadline while the handler still works (a tier review
// waiting for its run): the read's error cancels the connection's context,
// so the request and every later request on that kept-alive connection start
// canceled.
func bodyDeadlineEndsWithBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &deadlineClearingBody{ReadCloser: r.Body, rc: http.NewResponseController(w)}
		}
		next.ServeHTTP(w, r)
	})
}

type deadlineClearingBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	cleared bool
}

func (b *deadlineClearingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	// Only the body's true end: after a read that failed (a slow client
	// cut off by the deadline), the deadline must stand, or the server's
	// drain of the rest of the body would wait on that client for ever.
	if errors.Is(err, io.EOF) && !b.cleared {
		b.cleared = true
		_ = b.rc.SetReadDeadline(time.Time{}) // a writer that cannot set one has none to clear
	}
	return n, err
}
