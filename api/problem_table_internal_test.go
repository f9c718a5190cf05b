package api

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"kam"
	"kam/i18n"
)

// TestOneErrorTable: a status is chosen in api/problem.go only; every other
// file raises a domain error (kam.Error) or one of problem.go's named
// problems, so one table decides what a client sees (issue 11).
func TestOneErrorTable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if f == "problem.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "newProblem(") {
				t.Errorf("%s:%d builds a problem inline; raise a kam.Error (problemFor) or use problem.go's named problems: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
	if checked < 10 {
		t.Fatalf("read only %d api files; is the test running in api/?", checked)
	}
}

// TestKindStatusTable: every domain kind declared in the root package has
// exactly its status in statusCodes, and problemFor answers with it and the
// error's own code.
func TestKindStatusTable(t *testing.T) {
	want := map[string]struct {
		kind   kam.Kind
		status int
	}{
		"KindInvalid":      {kam.KindInvalid, http.StatusUnprocessableEntity},
		"KindNotFound":     {kam.KindNotFound, http.StatusNotFound},
		"KindConflict":     {kam.KindConflict, http.StatusConflict},
		"KindForbidden":    {kam.KindForbidden, http.StatusForbidden},
		"KindPrecondition": {kam.KindPrecondition, http.StatusPreconditionFailed},
		"KindUnavailable":  {kam.KindUnavailable, http.StatusServiceUnavailable},
	}
	declared := declaredKinds(t)
	for _, name := range declared {
		if _, ok := want[name]; !ok {
			t.Errorf("kam.%s has no row here; give it a status in statusCodes and in this test", name)
		}
	}
	if len(declared) != len(want) || len(statusCodes) != len(want) {
		t.Errorf("kinds declared %d, listed here %d, in statusCodes %d", len(declared), len(want), len(statusCodes))
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, w := range want {
		if got := statusCodes[w.kind]; got != w.status {
			t.Errorf("statusCodes[%s] = %d, want %d", name, got, w.status)
		}
		var p *Problem
		if !errors.As(problemFor(log, &kam.Error{Kind: w.kind, Code: "some_code", Message: "m"}), &p) {
			t.Fatalf("%s: problemFor did not answer a *Problem", name)
		}
		if p.Status != w.status || p.Code != "some_code" || p.Detail != "m" {
			t.Errorf("%s: problem %d %q %q, want %d some_code m", name, p.Status, p.Code, p.Detail, w.status)
		}
	}
}

// declaredKinds reads the names of the Kind constants from the root
// package's source, so a kind added there without a status fails here.
func declaredKinds(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "errors.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST || len(g.Specs) == 0 {
			continue
		}
		first := g.Specs[0].(*ast.ValueSpec)
		if id, ok := first.Type.(*ast.Ident); !ok || id.Name != "Kind" {
			continue
		}
		for _, s := range g.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				names = append(names, n.Name)
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("no Kind constants found in ../errors.go")
	}
	return names
}

// TestStartFailedAnswer: a workflow start that failed inside its row's
// transaction is answered 503 unavailable, says nothing was stored, and
// keeps Temporal's words out of the answer.
func TestStartFailedAnswer(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	err := problemFor(log, kam.StartFailed("the approval process could not be started", errors.New("frontend: connection refused")))
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("got %T", err)
	}
	if p.Status != http.StatusServiceUnavailable || p.Code != "unavailable" ||
		p.Detail != "the approval process could not be started; nothing was stored" {
		t.Errorf("got %d %q %q", p.Status, p.Code, p.Detail)
	}
	if strings.Contains(p.Detail, "connection refused") {
		t.Error("the cause leaked into the answer")
	}
}

// TestHumaRefusalsHaveCodes: a status huma answers by itself (a body read
// timing out is 408) has a code of its own, not the fallback, and words in
// both locales.
func TestHumaRefusalsHaveCodes(t *testing.T) {
	for _, status := range []int{400, 404, 405, 406, 408, 412, 413, 415, 422, 500} {
		var p *Problem
		if !errors.As(huma.NewError(status, "huma's words"), &p) {
			t.Fatalf("%d: not a *Problem", status)
		}
		if p.Code == codeOtherStatus {
			t.Errorf("%d: code %q, the fallback", status, p.Code)
		}
		if d := p.in(i18n.ZhCN).Detail; d == "huma's words" {
			t.Errorf("%d (%s): no zh-CN words", status, p.Code)
		}
	}
}
