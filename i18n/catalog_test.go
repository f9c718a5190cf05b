package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestCatalogsHaveTheSameKeys: every message is in both locales.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	for k := range catalogs[En] {
		if _, ok := catalogs[ZhCN][k]; !ok {
			t.Errorf("%s: in en, missing in zh-CN", k)
		}
	}
	for k := range catalogs[ZhCN] {
		if _, ok := catalogs[En][k]; !ok {
			t.Errorf("%s: in zh-CN, missing in en", k)
		}
	}
}

// declaredKeys parses keys.go: the name and value of every Key constant.
func declaredKeys(t *testing.T) map[string]Key {
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Key{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			lit := v.Values[0].(*ast.BasicLit)
			out[v.Names[0].Name] = Key(strings.Trim(lit.Value, `"`))
		}
	}
	return out
}

// TestKeysAreDeclaredAndUsed: every key constant is in the catalogs and used
// by code outside this package, and every catalog entry that is not a
// problem code's detail is one of the constants.
func TestKeysAreDeclaredAndUsed(t *testing.T) {
	declared := declaredKeys(t)
	values := map[Key]bool{}
	for name, k := range declared {
		values[k] = true
		if !Has(k) {
			t.Errorf("%s (%s) is not in the catalogs", name, k)
		}
	}
	for k := range catalogs[En] {
		if !values[k] && !isProblemCode(k) {
			t.Errorf("catalog key %s has no constant", k)
		}
	}
	used := usedIdentifiers(t)
	var unused []string
	for name := range declared {
		if !used["i18n."+name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("keys no code uses: %v", unused)
	}
}

func isProblemCode(k Key) bool {
	code, ok := strings.CutPrefix(string(k), "problem.")
	_, known := enProblems[code]
	return ok && known
}

// usedIdentifiers collects every "i18n.Name" selector in the module's Go
// files outside this package.
func usedIdentifiers(t *testing.T) map[string]bool {
	used := map[string]bool{}
	root, _ := filepath.Abs("..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "i18n" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, b, 0)
		if err != nil {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := s.X.(*ast.Ident); ok && x.Name == "i18n" {
					used["i18n."+s.Sel.Name] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}
