package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"kam"
	"kam/i18n"
)

// The 16 KiB ceiling holds however a problem was built and whoever writes it.
func TestProblemCeiling(t *testing.T) {
	p := newProblem(http.StatusUnprocessableEntity, "", strings.Repeat("詳", 50_000))
	for i := range 1000 {
		p.Errors = append(p.Errors, FieldError{Location: "body.x" + itoa(i), Message: strings.Repeat("m", 5000), Value: strings.Repeat("v", 5000)})
	}
	b, err := json.Marshal(p)
	if err != nil || len(b) > maxProblemBytes {
		t.Fatalf("json.Marshal: %d bytes, %v", len(b), err)
	}
	w := httptest.NewRecorder()
	writeProblem(w, httptest.NewRequest(http.MethodGet, "/", nil), p)
	if w.Body.Len() > maxProblemBytes+1 || !json.Valid(w.Body.Bytes()) {
		t.Fatalf("writeProblem: %d bytes", w.Body.Len())
	}
	var back Problem
	if err := json.Unmarshal(b, &back); err != nil || back.Code != "validation_failed" || back.Status != 422 {
		t.Fatalf("the cut problem is no longer one: %v %s", err, b[:200])
	}
}

// addError lists a location once, caps the list and never echoes an array.
func TestProblemAddError(t *testing.T) {
	p := newProblem(http.StatusUnprocessableEntity, "", "validation failed")
	arr := make([]any, 10_000)
	for range 10_000 {
		p.addError(FieldError{Location: "body.methods", Message: "expected array items to be unique", Value: arr})
	}
	for i := range 100 {
		p.addError(FieldError{Location: "body.items[" + itoa(i) + "]", Message: "bad", Value: strings.Repeat("v", 1000)})
	}
	p.noteDropped()
	if len(p.Errors) != maxFieldErrors || p.Errors[0].Value != nil || len(p.Errors[1].Value.(string)) > 4*maxValueRunes {
		t.Fatalf("errors = %d, first value %v", len(p.Errors), p.Errors[0].Value)
	}
	if d := p.in("en").Detail; !strings.Contains(d, "81 more offending fields") {
		t.Fatalf("detail = %q", d)
	}
	if d := p.in("zh-CN").Detail; !strings.Contains(d, "另有 81 个字段未列出") {
		t.Fatalf("detail in zh-CN = %q", d)
	}
}

func TestJSONShape(t *testing.T) {
	for body, bad := range map[string]bool{
		`{"a":[` + strings.Repeat("1,", 999) + `1]}`:      false, // 1000 items
		`{"a":[` + strings.Repeat("1,", 1000) + `1]}`:     true,
		`{"a":"` + strings.Repeat(",", 5000) + `"}`:       false, // commas in a string
		`{"a":"\"` + strings.Repeat(",", 5000) + `"}`:     false, // after an escaped quote
		`{` + strings.Repeat(`"k":1,`, 999) + `"z":1}`:    false, // 1000 members
		`{` + strings.Repeat(`"k":1,`, 1000) + `"z":1}`:   true,
		strings.Repeat("[", 33) + strings.Repeat("]", 33): true,
		strings.Repeat("[", 32) + strings.Repeat("]", 32): false,
	} {
		if got := jsonShapeProblem([]byte(body)) != ""; got != bad {
			t.Errorf("%.40s…: refused %v, want %v", body, got, bad)
		}
	}
}

func TestTextRules(t *testing.T) {
	for s, want := range map[string][2]bool{ // {single-line ok, free text ok}
		"王小明 O'Brien-Smith": {true, true},
		"a\nb\tc\r\n":       {false, true},
		"\x1b[2J":           {false, false},
		"x\u202ey":          {false, false},
		"x\u2067y":          {false, false},
		"x\u200by":          {false, false},
		"\ufeffx":           {false, false},
		"x\u0085":           {false, false},
		"x\x00":             {false, false},
		"x\u2028y":          {false, false},
		"emoji 👍🏽":          {true, true},
	} {
		if textOK(s, false) != want[0] || textOK(s, true) != want[1] {
			t.Errorf("%q: single-line %v, free %v; want %v", s, textOK(s, false), textOK(s, true), want)
		}
	}
}

// A missing required property is placed at itself, nested ones included;
// other schema errors keep huma's location.
func TestRequiredAt(t *testing.T) {
	for _, c := range []struct{ loc, msg, want string }{
		{"body", "expected required property code to be present", "body.code"},
		{"body.invitees[3]", "expected required property staff_id to be present", "body.invitees[3].staff_id"},
		{"body.name", "expected length <= 200", "body.name"},
		{"body", "expected property a to be present when b is present", "body"},
	} {
		if got := requiredAt(c.loc, c.msg); got != c.want {
			t.Errorf("requiredAt(%q, %q) = %q, want %q", c.loc, c.msg, got, c.want)
		}
	}
	var p *Problem
	_ = errors.As(huma.NewError(422, "", &huma.ErrorDetail{Location: "body", Message: "expected required property code to be present"},
		&huma.ErrorDetail{Location: "body", Message: "expected required property name to be present"}), &p)
	if len(p.Errors) != 2 || p.Errors[0].Location != "body.code" || p.Errors[1].Location != "body.name" {
		t.Fatalf("errors = %+v", p.Errors)
	}
}

// fieldErrors lists every field refused, each once, in one problem; a
// refusal that is not a field's is answered as it is.
func TestFieldErrors(t *testing.T) {
	var none fieldErrors
	if none.add(nil); none.err() != nil {
		t.Fatalf("no refusal: %v", none.err())
	}
	var bad fieldErrors
	bad.field("body.a", "bad a")
	bad.add(kam.Invalid("b", "bad b"))
	bad.add(invalidField("body.a", "bad a again"))
	many := invalid("validation_failed", "many")
	for i := range maxFieldErrors + 5 {
		many.addError(FieldError{Location: "body.c[" + itoa(i) + "]", Message: "bad c"})
	}
	many.noteDropped()
	bad.add(many)
	var p *Problem
	if !errors.As(bad.err(), &p) || p.Code != "validation_failed" || p.Status != 422 {
		t.Fatalf("got %v", bad.err())
	}
	if len(p.Errors) != maxFieldErrors || p.Errors[0].Location != "body.a" || p.Errors[1].Location != "body.b" {
		t.Fatalf("errors = %+v", p.Errors)
	}
	// body.c[18] … body.c[24] are not listed: 7 more.
	if d := p.in(i18n.En).Detail; d != "the request does not pass validation (7 more offending fields not listed)" {
		t.Fatalf("detail = %q", d)
	}
	var other fieldErrors
	other.field("body.a", "bad a")
	other.add(kam.Conflict("credit_closed", "closed"))
	var de *kam.Error
	if !errors.As(other.err(), &de) || de.Code != "credit_closed" {
		t.Fatalf("got %v", other.err())
	}
}
