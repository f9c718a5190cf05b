// Package console is kam's staff console (SPEC §7 "Console", issue #16): a
// static client of kam's own /v1 API, embedded in the binary and served at
// /console/. It holds no session of its own: the page asks for an API token,
// keeps it in the tab's sessionStorage and sends it as a bearer token, so the
// API's authorization and access register see every read it makes.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Static is the console's files (index.html, js/, i18n/, vendor/).
var Static, _ = fs.Sub(files, "static")

// Prefix is where the console is mounted.
const Prefix = "/console/"

// policy lets the page load its own scripts, styles and catalogs and talk to
// its own origin, nothing else: no inline script, no CDN, no framing.
const policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type asset struct {
	body  []byte
	etag  string
	ctype string
}

// Handler serves the console's files under Prefix (GET and HEAD; the
// router answers other methods). Files are hashed once: an ETag lets the
// browser revalidate cheaply; the vendored libraries live under a versioned
// path and are cached for a year. A path that is not a file of the console
// goes to notFound (the API's problem answer).
func Handler(notFound http.Handler) http.Handler {
	assets := map[string]asset{}
	_ = fs.WalkDir(Static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		assets[p] = asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: contentType(p)}
		return nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, assets, notFound)
	})
}

// Redirect sends /console to /console/ (relative URLs in the page need the slash).
func Redirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
}

func serve(w http.ResponseWriter, r *http.Request, assets map[string]asset, notFound http.Handler) {
	h := w.Header()
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	name := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, Prefix)), "/")
	if name == "" {
		name = "index.html"
	}
	a, ok := assets[name]
	if !ok {
		notFound.ServeHTTP(w, r)
		return
	}
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	if strings.HasPrefix(name, "vendor/") {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(a.body)
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".json":
		return "application/json; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case "":
		return "text/plain; charset=utf-8" // LICENSE files
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}
