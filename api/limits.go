package api

import (
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// A JSON body's shape is bounded before huma decodes and validates it:
// validation costs memory per offending item (a 1 MiB body of half a million
// wrong items allocated some 330 MB), so an array far beyond any schema's
// maxItems (SPEC §7: 100) or a deeply nested body is refused unread. Arrays up
// to maxJSONArrayItems still reach the schema, whose error names the field.
const (
	maxJSONArrayItems = 1000
	maxJSONDepth      = 32
)

// boundJSONBodies refuses (422 validation_failed) a JSON request body with
// an array of more than maxJSONArrayItems items or nested deeper than
// maxJSONDepth. Other bodies (CSV imports) pass untouched.
func boundJSONBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if r.Body == nil || r.Body == http.NoBody || (ct != "" && !strings.Contains(ct, "json")) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			// huma answers the oversized or broken body as usual.
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
			next.ServeHTTP(w, r)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if msg := jsonShapeProblem(body); msg != "" {
			writeProblem(w, invalidField("body", msg))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jsonShapeProblem scans a JSON text without decoding it and says what is
// too large about its shape, or "". Malformed JSON is left to the decoder.
func jsonShapeProblem(b []byte) string {
	var open []int // per open container: commas seen in an array, -1 for an object
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
			n := 0
			if c == '{' {
				n = -1
			}
			open = append(open, n)
		case ']', '}':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		case ',':
			if n := len(open); n > 0 && open[n-1] >= 0 {
				open[n-1]++
				if open[n-1] >= maxJSONArrayItems { // items = commas + 1
					return "an array has more than " + itoa(maxJSONArrayItems) + " items (at most 100 where not stated)"
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
// invisible characters that make two names look alike. Every string of a
// request body is held to this; fields tagged text:"free" (notes, comments,
// bodies) may also carry newlines and tabs.

// textTagFree marks a free-text field.
const textTagFree = "free"

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

// textErrors walks a request body and reports every string field that
// breaks the text rules, at its JSON location under prefix. Nested structs,
// embedded structs, pointers and slices are followed.
func textErrors(prefix *huma.PathBuffer, body any) []error {
	var errs []error
	walkText(prefix, reflect.ValueOf(body), false, &errs)
	return errs
}

func walkText(pb *huma.PathBuffer, v reflect.Value, multiline bool, errs *[]error) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkText(pb, v.Elem(), multiline, errs)
		}
	case reflect.String:
		if !textOK(v.String(), multiline) {
			msg := "must not contain control, bidirectional-override or invisible characters"
			if multiline {
				msg = "must not contain control characters (other than newline and tab), bidirectional overrides or invisible characters"
			}
			*errs = append(*errs, &huma.ErrorDetail{Location: pb.String(), Message: msg})
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			pb.PushIndex(i)
			walkText(pb, v.Index(i), multiline, errs)
			pb.Pop()
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Anonymous {
				walkText(pb, v.Field(i), multiline, errs)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			pb.Push(name)
			walkText(pb, v.Field(i), f.Tag.Get("text") == textTagFree, errs)
			pb.Pop()
		}
	}
}

// Every request body with text runs the text rules after the schema checks
// (huma calls Resolve on each body that has it).

func (b *CustomerCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error {
	return textErrors(p, b)
}
func (b *CustomerPatch) Resolve(_ huma.Context, p *huma.PathBuffer) []error { return textErrors(p, b) }
func (b *ContactCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error { return textErrors(p, b) }
func (b *KeyPersonCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error {
	return textErrors(p, b)
}
func (b *StaffCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error  { return textErrors(p, b) }
func (b *TicketCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error { return textErrors(p, b) }
func (b *TicketEventCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error {
	return textErrors(p, b)
}
func (b *TierPut) Resolve(_ huma.Context, p *huma.PathBuffer) []error       { return textErrors(p, b) }
func (b *VisitCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error   { return textErrors(p, b) }
func (b *HolidayCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error { return textErrors(p, b) }
func (b *CreditPut) Resolve(_ huma.Context, p *huma.PathBuffer) []error     { return textErrors(p, b) }
func (b *ChargeCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error  { return textErrors(p, b) }
func (b *PaymentCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error { return textErrors(p, b) }
func (b *SaleCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error    { return textErrors(p, b) }
func (b *SatisfactionCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error {
	return textErrors(p, b)
}
func (b *ChurnCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error { return textErrors(p, b) }
func (b *CostCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error  { return textErrors(p, b) }
func (b *EventCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error { return textErrors(p, b) }
func (b *DiscountRequestCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error {
	return textErrors(p, b)
}
func (b *DecisionCreate) Resolve(_ huma.Context, p *huma.PathBuffer) []error { return textErrors(p, b) }
