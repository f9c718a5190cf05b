package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The sqlc output lives in db/internal, so nothing above db/ can import it;
// this test keeps it from leaking the other way, through what the store
// answers: no exported function, method, type or field of the store names a
// sqlc type (issue 11: the store answers in kam's domain types).
func TestStoreAnswersInDomainTypes(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && (d.Recv == nil || exportedRecv(d.Recv)) && namesSQLC(d.Type) {
					t.Errorf("%s: %s answers or takes a sqlc type", fset.Position(d.Pos()), d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					ts, ok := spec.(*ast.TypeSpec)
					if !ok || !ts.Name.IsExported() {
						continue
					}
					if st, ok := ts.Type.(*ast.StructType); ok {
						for _, field := range st.Fields.List {
							if exportedField(field) && namesSQLC(field.Type) {
								t.Errorf("%s: %s has an exported field of a sqlc type", fset.Position(field.Pos()), ts.Name.Name)
							}
						}
					} else if namesSQLC(ts.Type) {
						t.Errorf("%s: %s is a sqlc type", fset.Position(ts.Pos()), ts.Name.Name)
					}
				}
			}
		}
	}
}

func exportedRecv(r *ast.FieldList) bool {
	t := r.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}

func exportedField(f *ast.Field) bool {
	if len(f.Names) == 0 {
		return true // embedded
	}
	for _, n := range f.Names {
		if n.IsExported() {
			return true
		}
	}
	return false
}

func namesSQLC(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "dbq" {
				found = true
			}
		}
		return !found
	})
	return found
}
