package api

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A handler that outlives huma's body deadline keeps its context, and so does
// the next request on the same kept-alive connection, also when a middleware
// read the body off the connection first (before, the server's background
// read met the stale deadline and canceled the connection's context: the
// request and every later one on that connection started canceled).
func TestBodyDeadlineEndsWithTheBody(t *testing.T) {
	var canceled []bool
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// As huma does: a short deadline for the body, never cleared.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, _ = io.ReadAll(r.Body)
		if r.URL.Query().Get("slow") != "" {
			time.Sleep(300 * time.Millisecond)
		}
		canceled = append(canceled, r.Context().Err() != nil)
	})
	// As bufferBody does: the body read off the connection, then put back.
	preRead := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(preRead(bodyDeadlineEndsWithBody(handler)))
	defer srv.Close()
	c := srv.Client()
	for _, q := range []string{"?slow=1", "", ""} {
		res, err := c.Post(srv.URL+q, "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
	if len(canceled) != 3 || canceled[0] || canceled[1] || canceled[2] {
		t.Fatalf("contexts canceled: %v", canceled)
	}
}
