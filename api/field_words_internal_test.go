package api

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"kam/i18n"
)

// Every sentence a domain rule says of a field (Invalid in kam and db/store,
// and the CHECK constraints the store names) reads in Chinese for a zh-CN caller: a new
// rule without its words fails here, not in front of a reader.
func TestDomainFieldMessagesAreWorded(t *testing.T) {
	store, err := filepath.Glob("../db/store/*.go")
	if err != nil {
		t.Fatal(err)
	}
	domain, err := filepath.Glob("../*.go")
	if err != nil {
		t.Fatal(err)
	}
	files := append(store, domain...)
	invalid := regexp.MustCompile(`\bInvalid\([^,]+, ("(?:[^"\\]|\\.)*")`)
	check := regexp.MustCompile(`\{"[a-z_]+", ("(?:[^"\\]|\\.)*")\}`)
	verb := regexp.MustCompile(`%[svdq]`)
	var sentences []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		found := invalid.FindAllSubmatch(b, -1)
		if filepath.Base(f) == "errors.go" {
			found = append(found, check.FindAllSubmatch(b, -1)...)
		}
		for _, m := range found {
			s, err := strconv.Unquote(string(m[1]))
			if err != nil {
				t.Fatalf("%s: %s: %v", f, m[1], err)
			}
			if s == "%s" || s == "%v" {
				continue // a wrapped error's own words, worded where it is raised
			}
			sentences = append(sentences, verb.ReplaceAllString(s, "X1"))
		}
	}
	if len(sentences) < 30 {
		t.Fatalf("found only %d domain sentences; is the test reading db/store?", len(sentences))
	}
	for _, s := range sentences {
		if got := fieldMessage(i18n.ZhCN, s); got == s {
			t.Errorf("no zh-CN words for %q (api/field_words.go)", s)
		}
	}
}
