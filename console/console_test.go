package console_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"kam/api"
	"kam/console"
)

func catalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := fs.ReadFile(console.Static, "i18n/"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", lang, err)
	}
	return m
}

func scripts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(console.Static, "js", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(console.Static, p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every key is in both catalogs, with a text, and every key a script asks
// for by name exists.
func TestCatalogsMatch(t *testing.T) {
	en, zh := catalog(t, "en"), catalog(t, "zh-CN")
	for k, v := range en {
		if zh[k] == "" {
			t.Errorf("zh-CN lacks %q (en: %q)", k, v)
		}
		if v == "" {
			t.Errorf("en has an empty %q", k)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("en lacks %q (zh-CN: %q)", k, zh[k])
		}
	}
	used := regexp.MustCompile(`\bt\('([A-Za-z0-9_.]+)'`)
	for name, src := range scripts(t) {
		for _, m := range used.FindAllStringSubmatch(src, -1) {
			if k := m[1]; !strings.HasSuffix(k, ".") && en[k] == "" {
				t.Errorf("%s uses %q, which no catalog has", name, k)
			}
		}
	}
}

// pendingRoutes are SPEC §7 routes that other branches are building; the
// console already uses them and hides what a server without them answers 404.
var pendingRoutes = []string{
	// The reversal of a charge or a payment, its kind in the path (both are
	// documented; the script builds the path from the entry's kind).
	"POST /v1/customers/{}/{}/{}/reversal",
}

// The console is a client of the documented API: every /v1 path in its
// scripts is an operation of the OpenAPI document (or a pending SPEC §7 one).
func TestConsoleCallsOnlyDocumentedRoutes(t *testing.T) {
	rr := httptest.NewRecorder()
	api.New(api.Options{}).ServeHTTP(rr, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(rr.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]*\}`)
	var documented []string
	for p := range doc.Paths {
		documented = append(documented, param.ReplaceAllString(p, "{}"))
	}
	for _, r := range pendingRoutes {
		documented = append(documented, r[strings.Index(r, " ")+1:])
	}
	literal := regexp.MustCompile("[`'](/v1/[^`'?]*)")
	expr := regexp.MustCompile(`\$\{[^}]*\}`)
	seen := 0
	for name, src := range scripts(t) {
		for _, m := range literal.FindAllStringSubmatch(src, -1) {
			p := strings.TrimRight(expr.ReplaceAllString(m[1], "{}"), "/")
			if !matchesAny(p, documented) {
				t.Errorf("%s calls %s, which is not in the OpenAPI document", name, m[1])
			}
			seen++
		}
	}
	if seen < 30 {
		t.Fatalf("found only %d API paths in the scripts", seen)
	}
	for _, r := range pendingRoutes { // say when a pending route has landed
		method, p, _ := strings.Cut(r, " ")
		for dp, ops := range doc.Paths {
			if _, ok := ops[strings.ToLower(method)]; ok && param.ReplaceAllString(dp, "{}") == p {
				t.Logf("%s is now documented: drop it from pendingRoutes", r)
			}
		}
	}
}

// matchesAny: a console path matches a documented one segment by segment; a
// "{}" on either side stands for any segment; a prefix (a path the script
// completes, such as '/v1/customers/' + id) matches too.
func matchesAny(p string, documented []string) bool {
	ps := strings.Split(p, "/")
	for _, d := range documented {
		ds := strings.Split(d, "/")
		if len(ps) > len(ds) {
			continue
		}
		ok := true
		for i := range ps {
			if ps[i] != ds[i] && ps[i] != "{}" && ds[i] != "{}" && ps[i] != "" {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func get(t *testing.T, h http.Handler, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	return rr
}

// The page is served with a strict policy (its own scripts only), no sniffing,
// revalidation of its own files and a year's cache of the versioned vendor files.
func TestConsoleHeaders(t *testing.T) {
	h := api.New(api.Options{})
	res := get(t, h, "/console")
	if res.Code != http.StatusMovedPermanently || res.Header().Get("Location") != "/console/" {
		t.Fatalf("/console = %d %q", res.Code, res.Header().Get("Location"))
	}
	page := get(t, h, "/console/")
	if page.Code != 200 || !strings.Contains(page.Body.String(), `<script type="module" src="js/main.js">`) {
		t.Fatalf("/console/ = %d %s", page.Code, page.Body.String())
	}
	csp := page.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	if page.Header().Get("X-Content-Type-Options") != "nosniff" || page.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("headers = %v", page.Header())
	}
	if strings.Contains(page.Body.String(), "<script>") || strings.Contains(page.Body.String(), " style=") {
		t.Error("index.html has inline script or style")
	}
	etag := page.Header().Get("ETag")
	if again := get(t, h, "/console/", "If-None-Match", etag); etag == "" || again.Code != http.StatusNotModified {
		t.Errorf("revalidation = %d (etag %q)", again.Code, etag)
	}
	js := get(t, h, "/console/js/main.js")
	if js.Code != 200 || !strings.HasPrefix(js.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("main.js = %d %q", js.Code, js.Header().Get("Content-Type"))
	}
	vendor := get(t, h, "/console/vendor/uplot-1.6.32/uPlot.esm.js")
	if vendor.Code != 200 || !strings.Contains(vendor.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("vendor = %d %q", vendor.Code, vendor.Header().Get("Cache-Control"))
	}
	for _, p := range []string{"/console/nope.js", "/console/../openapi.json", "/console/%2e%2e/healthz", "/console/js/../../console.go"} {
		if r := get(t, h, p); r.Code != http.StatusNotFound || !strings.Contains(r.Body.String(), `"not_found"`) {
			t.Errorf("%s = %d %s", p, r.Code, r.Body.String())
		}
	}
	post := httptest.NewRecorder()
	h.ServeHTTP(post, httptest.NewRequest("POST", "/console/index.html", strings.NewReader("x")))
	if post.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/index.html = %d", post.Code)
	}
	// Not behind the API's bearer auth, and it adds nothing to the OpenAPI document.
	if doc := get(t, h, "/openapi.json").Body.String(); strings.Contains(doc, "/console") {
		t.Error("the console appears in the OpenAPI document")
	}
}

// Every vendored library comes with its licence.
func TestVendoredLicences(t *testing.T) {
	dirs, err := fs.ReadDir(console.Static, "vendor")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, d.Name())
		if _, err := fs.Stat(console.Static, "vendor/"+d.Name()+"/LICENSE"); err != nil {
			t.Errorf("vendor/%s has no LICENSE", d.Name())
		}
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "htm-3.1.1,uplot-1.6.32" {
		t.Errorf("vendored = %v: record a new library in console/README.md", names)
	}
}
