package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestEveryProblemCodeIsWorded: every code a problem can carry has its words
// in both locales, so a zh-CN caller never reads an English detail (SPEC §7
// "Language"). The codes are read from the sources, not listed here: a list
// kept by hand is how already_reversed, not_reversible and cash_terms went
// without words, since the catalog tests only compare the catalogs with each
// other and with the message-key constants.
func TestEveryProblemCodeIsWorded(t *testing.T) {
	codes := emittedCodes(t)
	// Codes raised in each way the scan knows, so a scan that goes blind
	// fails here rather than passing on nothing.
	for _, c := range []string{
		"validation_failed",                            // a literal in kam.Errorf
		"credit_suspended",                             // db/store
		"not_decider",                                  // a workflows constant through refusalKinds
		"has_assignments",                              // a kam constant
		"malformed_header",                             // an api constant
		"error",                                        // api's fallback
		"method_not_allowed", "unsupported_media_type", // defaultCodes
		"already_reversed", // a kam.Error literal
	} {
		if _, ok := codes[c]; !ok {
			t.Errorf("the scan did not find %s; has the way codes are raised changed?", c)
		}
	}
	var missing []string
	for code, where := range codes {
		if _, ok := enProblems[code]; !ok {
			missing = append(missing, code+" (en; raised at "+where+")")
		}
		if _, ok := zhProblems[code]; !ok {
			missing = append(missing, code+" (zh-CN; raised at "+where+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("problem code without words: %s", m)
	}
	// And words for no code are a code renamed or gone.
	for code := range enProblems {
		if _, ok := codes[code]; !ok {
			t.Errorf("words for %s, which no code raises", code)
		}
	}
}

// codeArgs are the constructors of a refusal and the position of their code
// argument: kam's (qualified kam. outside the root package) and api's named
// problems.
var codeArgs = map[string]map[string]int{
	"kam": {"Errorf": 1, "Refused": 0, "Conflict": 0},
	"api": {"invalid": 0, "malformed": 0, "unauthenticated": 0, "unsupportedMediaType": 0, "newProblem": 1},
}

// emittedCodes reads every Go source of the module but tests and this
// package, and returns each problem code found with where it was first
// seen: a Code field of a composite literal, a code argument of a refusal's
// constructor, a constant named code… or Code…, a key of a table classing
// codes by kind (map[string]kam.Kind), a value of api's defaultCodes. A
// constant used there (workflows.ErrNotDecider) is resolved to its value.
func emittedCodes(t *testing.T) map[string]string {
	t.Helper()
	type file struct {
		path string
		f    *ast.File
	}
	var files []file
	root, _ := filepath.Abs("..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "i18n" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, b, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		files = append(files, file{rel, f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// String constants by package name and constant name.
	consts := map[string]string{}
	for _, fl := range files {
		for _, d := range fl.f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				v := s.(*ast.ValueSpec)
				for i, n := range v.Names {
					if i < len(v.Values) {
						if lit, ok := v.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[fl.f.Name.Name+"."+n.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	codes := map[string]string{}
	for _, fl := range files {
		pkg := fl.f.Name.Name
		add := func(e ast.Expr) {
			var code string
			switch x := e.(type) {
			case *ast.BasicLit:
				if x.Kind == token.STRING {
					code, _ = strconv.Unquote(x.Value)
				}
			case *ast.Ident:
				code = consts[pkg+"."+x.Name]
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok {
					code = consts[id.Name+"."+x.Sel.Name]
				}
			}
			if _, seen := codes[code]; code != "" && !seen {
				codes[code] = fl.path + ":" + strconv.Itoa(fset.Position(e.Pos()).Line)
			}
		}
		ast.Inspect(fl.f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.KeyValueExpr:
				if id, ok := x.Key.(*ast.Ident); ok && id.Name == "Code" {
					add(x.Value)
				}
			case *ast.CallExpr:
				from, name := pkg, ""
				switch fn := x.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					if id, ok := fn.X.(*ast.Ident); ok {
						from, name = id.Name, fn.Sel.Name
					}
				}
				if i, ok := codeArgs[from][name]; ok && i < len(x.Args) {
					add(x.Args[i])
				}
			case *ast.ValueSpec:
				for i, n := range x.Names {
					if i >= len(x.Values) {
						continue
					}
					if strings.HasPrefix(n.Name, "code") || strings.HasPrefix(n.Name, "Code") {
						add(x.Values[i])
					}
					lit, ok := x.Values[i].(*ast.CompositeLit)
					if !ok {
						continue
					}
					m, ok := lit.Type.(*ast.MapType)
					if !ok {
						continue
					}
					byKind := isKind(m.Value)
					for _, el := range lit.Elts {
						kv := el.(*ast.KeyValueExpr)
						switch {
						case byKind:
							add(kv.Key)
						case pkg == "api" && n.Name == "defaultCodes":
							add(kv.Value)
						}
					}
				}
			}
			return true
		})
	}
	return codes
}

// isKind tells whether e names the type kam.Kind.
func isKind(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "Kind"
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "kam" && x.Sel.Name == "Kind"
	}
	return false
}
