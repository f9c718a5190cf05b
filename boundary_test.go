package kam_test

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The domain is the bottom of the house: package kam imports no other kam
// package, and the upper packages reach Postgres only through db/store (the
// sqlc output is internal to db/, so the compiler refuses any other import of
// it). Issue 11.
func TestDomainImportsNoKamPackage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "kam" || strings.HasPrefix(path, "kam/") {
				t.Errorf("%s imports %s: the domain package imports no other kam package", name, path)
			}
		}
	}
}

// workflows, activities and api speak the domain's language: each imports
// package kam.
func TestUpperPackagesUseTheDomain(t *testing.T) {
	for _, pkg := range []string{"./workflows", "./activities", "./api"} {
		out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		if !strings.Contains("\n"+string(out)+"\n", "\nkam\n") {
			t.Errorf("%s does not import package kam", pkg)
		}
	}
}
