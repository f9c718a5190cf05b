package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
		`{` + strings.Repeat(`"k":1,`, 5000) + `"z":1}`:   false, // object members are not items
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
