package activities_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbiddenImports are the packages activities must not reach past the
// store's methods to (issue 11, item 2): the sqlc output stays private to db/.
var forbiddenImports = []string{"kam/db/dbq"}

// TestActivitiesDoNotImportSQLC fails if any non-test file of activities/
// imports the sqlc package.
func TestActivitiesDoNotImportSQLC(t *testing.T) {
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
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range forbiddenImports {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s; use a db/store method that returns a kam type instead", name, path)
				}
			}
		}
	}
}
