package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"kam/api"
	"kam/db/store"
	"kam/workflows"
)

// kamHTTPSeries lists the kam_http_* series on /metrics, and its size.
func kamHTTPSeries(t *testing.T) ([]string, int) {
	t.Helper()
	m := must(t, call(t, "GET", "/metrics", "", nil), 200)
	var series []string
	for _, line := range strings.Split(string(m.Raw), "\n") {
		if strings.HasPrefix(line, "kam_http_") {
			series = append(series, line[:strings.LastIndex(line, " ")])
		}
	}
	sort.Strings(series)
	return series, len(m.Raw)
}

// madeUpMethod is a valid HTTP token no server knows.
func madeUpMethod(rng *rand.Rand) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&'*+-.^_`|~0123456789"
	b := make([]byte, 3+rng.IntN(20))
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

// randomRequest is a made-up method or a random path, or both, without a token.
func randomRequest(rng *rand.Rand) (method, path string) {
	known := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	routes := []string{"/healthz", "/v1/customers", "/v1/customers/" + fmt.Sprint(rng.Uint64())}
	randomPath := fmt.Sprintf("/zz-%x/%s", rng.Uint64(), url.PathEscape(madeUpMethod(rng)))
	switch rng.IntN(3) {
	case 0:
		return madeUpMethod(rng), routes[rng.IntN(len(routes))]
	case 1:
		return madeUpMethod(rng), randomPath
	default:
		return known[rng.IntN(len(known))], randomPath
	}
}

// Made-up methods and random paths (no token needed) used to add a series
// each: after the first few requests, 1,000 more add no series and leave
// /metrics about the size it was (only counter digits grow).
func TestMetricLabelsAreBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	send := func(n int) {
		for range n {
			method, path := randomRequest(rng)
			req, err := http.NewRequest(method, baseURL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode >= 500 {
				t.Fatalf("%s %s: %d", method, path, res.StatusCode)
			}
		}
	}
	send(100)
	before, sizeBefore := kamHTTPSeries(t)
	send(1000)
	after, sizeAfter := kamHTTPSeries(t)
	if len(after) != len(before) || strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("1,000 random requests changed the kam_http series: %d -> %d", len(before), len(after))
	}
	if grown := sizeAfter - sizeBefore; grown > 4<<10 {
		t.Errorf("/metrics grew by %d bytes over 1,000 random requests", grown)
	}
	methods := map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true, "other": true}
	var outside []string
	for _, s := range after {
		for _, kv := range strings.Split(s[strings.Index(s, "{")+1:strings.LastIndex(s, "}")], ",") {
			k, v, _ := strings.Cut(kv, "=")
			v = strings.Trim(v, `"`)
			if (k == "method" && !methods[v]) || (k == "route" && v != "unmatched" && (!strings.HasPrefix(v, "/") || strings.HasPrefix(v, "/zz-"))) {
				outside = append(outside, s)
			}
		}
	}
	if len(outside) > 0 {
		t.Errorf("%d series with a label outside the closed set, e.g.\n\t%s", len(outside), strings.Join(outside[:min(len(outside), 5)], "\n\t"))
	}
}

// unreachable is a store and a Temporal client that can reach nothing.
func unreachable(t *testing.T) (*store.Store, *workflows.Processes) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), "postgres://kam_secret_user@127.0.0.1:1/kam_secret_db?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	return store.New(pool), &workflows.Processes{Client: tc, Settings: workflows.DefaultSettings()}
}

// /readyz is open to anyone: it answers a word per dependency, and the
// driver's message (hosts, ports, user and database names) goes to the log.
func TestReadyAnswersAWordAndLogsTheCause(t *testing.T) {
	st, procs := unreachable(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	srv := httptest.NewServer(api.New(api.Options{Store: st, Processes: procs, Log: log}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", res.StatusCode, raw)
	}
	if got := strings.TrimSpace(string(raw)); got != `{"postgres":"unavailable","temporal":"unavailable"}` {
		t.Errorf("readyz = %s", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "kam_secret_user") || !strings.Contains(logs.String(), "temporal unavailable") {
		t.Errorf("the causes are not logged: %s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// slowBody sends a request whose body arrives a byte per 100 ms (a minute
// for the whole of it) and returns the status line kam answered, if any,
// once the server has closed the connection.
func slowBody(t *testing.T, base, method, path, token string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"code":"` + strings.Repeat("S", 580) + `"}`
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, path, u.Host, len(body))
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan string, 1)
	go func() {
		rd := bufio.NewReader(conn)
		status, _ := rd.ReadString('\n')
		_, _ = io.Copy(io.Discard, rd) // until the server closes
		closed <- strings.TrimSpace(status)
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	bound := time.After(20 * time.Second)
	for i := 0; ; i++ {
		select {
		case status := <-closed:
			return status
		case <-bound:
			t.Fatalf("%s %s: the connection is still open after 20 s of a slow body", method, path)
		case <-tick.C:
			if i < len(body) {
				// A write error means the server is gone: wait for the reader.
				_, _ = conn.Write([]byte{body[i]})
			}
		}
	}
}

// A body sent a byte at a time is cut off by huma's per-request body
// deadline, which reaches the connection only through the response-writer
// wrappers' Unwrap: this server sets no timeouts of its own.
func TestSlowBodyIsCutOff(t *testing.T) {
	srv := httptest.NewServer(api.New(api.Options{Store: running.Store, Processes: running.Processes}))
	defer srv.Close()
	start := time.Now()
	status := slowBody(t, srv.URL, "POST", "/v1/customers", adminToken)
	if strings.HasPrefix(status, "HTTP/1.1 5") {
		t.Errorf("a slow body answered %s", status)
	}
	t.Logf("slow body closed after %v: %q", time.Since(start).Round(time.Millisecond), status)
}
