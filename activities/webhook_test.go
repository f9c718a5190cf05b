package activities_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/activities"
	"kam/db"
	"kam/db/dbtest"
	"kam/db/store"
)

// newStore gives each test a database of its own: a deliverer takes every
// due row, so tests must not see each other's queue.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	dsn, drop, err := dbtest.NewDatabase("activities")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := db.Connect(context.Background(), dsn)
	if err != nil {
		drop()
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close(); drop() })
	return store.New(pool)
}

// receiver is a webhook endpoint that answers fail for its first failures
// requests (all of them when failures < 0), then 204.
type receiver struct {
	mu       sync.Mutex
	failures int
	requests []*http.Request
	bodies   [][]byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests = append(rc.requests, r)
	rc.bodies = append(rc.bodies, body)
	if rc.failures < 0 || len(rc.requests) <= rc.failures {
		http.Error(w, "not now", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.requests)
}

// seen returns the headers of each request so far and its body.
func (rc *receiver) seen() ([]http.Header, [][]byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	hs := make([]http.Header, len(rc.requests))
	for i, r := range rc.requests {
		hs[i] = r.Header
	}
	return hs, rc.bodies
}

// hanging is a receiver that never answers until the test ends.
func hanging(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hs.Close)
	t.Cleanup(func() { close(release) })
	return hs
}

func staffMember(t *testing.T, s *store.Store) uuid.UUID {
	t.Helper()
	m, err := s.CreateStaff(context.Background(), "Hook "+uuid.NewString()[:8], nil, kam.RoleAccountManager)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func queued(t *testing.T, s *store.Store, eventKey string) store.WebhookRecord {
	t.Helper()
	d, err := s.WebhookOf(context.Background(), eventKey)
	if err != nil {
		t.Fatalf("delivery of %s: %v", eventKey, err)
	}
	return d
}

// enqueue puts one notice in the outbox through Notify, as a workflow would.
func enqueue(t *testing.T, s *store.Store) activities.Notice {
	t.Helper()
	n := activities.Notice{EventKey: "test/" + uuid.NewString(), Kind: "test", Title: "t", StaffIDs: []uuid.UUID{staffMember(t, s)}}
	s.QueueWebhookCopies(true)
	a := &activities.Activities{Store: s}
	if _, err := a.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	return n
}

// drain runs the deliverer until cond holds, or fails after a few seconds.
func drain(t *testing.T, d *activities.Deliverer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the deliverer did not get there in time")
		}
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// SPEC §7: a receiver that never answers does not delay the notice. Notify
// returns at once with the inbox written and the copy queued; the deliverer
// then spends one request timeout on it, not the process.
func TestNotifyDoesNotWaitForAHangingReceiver(t *testing.T) {
	s := newStore(t)
	hs := hanging(t)
	to := staffMember(t, s)
	s.QueueWebhookCopies(true)
	a := &activities.Activities{Store: s}
	n := activities.Notice{EventKey: "grant/" + uuid.NewString(), Kind: "grant", Title: "granted", StaffIDs: []uuid.UUID{to}}

	began := time.Now()
	for range 2 { // a retried activity queues nothing new
		if got, err := a.Notify(context.Background(), n); err != nil || got != 1 {
			t.Fatalf("Notify = %d, %v", got, err)
		}
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("Notify took %s with a hanging receiver", took)
	}
	if c, err := s.InboxEntries(context.Background(), n.EventKey); err != nil || c != 1 {
		t.Fatalf("inbox rows = %d, %v", c, err)
	}
	row := queued(t, s, n.EventKey)
	if row.Attempts != 0 || row.DeliveredAt != nil || row.DeadAt != nil {
		t.Fatalf("queued copy = %+v", row)
	}
	var payload map[string]any
	if err := json.Unmarshal(row.Payload, &payload); err != nil || payload["event_key"] != n.EventKey || payload["title"] != "granted" {
		t.Fatalf("payload = %s (%v)", row.Payload, err)
	}

	d := &activities.Deliverer{Store: s, URL: hs.URL, Key: []byte("k"), Timeout: 200 * time.Millisecond, BaseBackoff: time.Hour}
	began = time.Now()
	if _, err := d.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("one attempt took %s, past its timeout", took)
	}
	row = queued(t, s, n.EventKey)
	if row.Attempts != 1 || row.DeliveredAt != nil || row.DeadAt != nil || row.LastError == nil || !row.NextAttemptAt.After(time.Now().Add(30*time.Minute)) {
		t.Fatalf("after a hung attempt: %+v", row)
	}
}

// The signature is checked here the way a receiver would, from the Standard
// Webhooks definition, not with kam's Sign.
func TestWebhookSignatureVerifiesIndependently(t *testing.T) {
	keyBytes := []byte("0123456789abcdef-a-shared-key-of-32")
	for name, secret := range map[string]string{
		"whsec": "whsec_" + base64.StdEncoding.EncodeToString(keyBytes),
		"raw":   string(keyBytes),
	} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			rc := &receiver{}
			hs := httptest.NewServer(rc)
			defer hs.Close()
			n := enqueue(t, s)
			key, err := activities.WebhookKey(secret)
			if err != nil {
				t.Fatal(err)
			}
			d := &activities.Deliverer{Store: s, URL: hs.URL, Key: key}
			drain(t, d, func() bool { return rc.count() == 1 })

			headers, bodies := rc.seen()
			h, body := headers[0], bodies[0]
			id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
			if id != queued(t, s, n.EventKey).ID.String() {
				t.Fatalf("webhook-id %q is not the delivery's id", id)
			}
			sec, err := strconv.ParseInt(ts, 10, 64)
			if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
				t.Fatalf("webhook-timestamp %q", ts)
			}
			mac := hmac.New(sha256.New, keyBytes)
			mac.Write([]byte(id + "." + ts + "." + string(body)))
			want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
			if got := h.Get("webhook-signature"); got != want {
				t.Fatalf("webhook-signature %q, want %q", got, want)
			}
			if h.Get("X-Kam-Signature") != "" {
				t.Fatal("the old X-Kam-Signature is still sent")
			}
		})
	}
}

// A receiver that fails a few times and then accepts gets the copy exactly
// once more than it failed, all under one webhook-id, and nothing after.
func TestWebhookRetriedUntilDeliveredOnce(t *testing.T) {
	s := newStore(t)
	rc := &receiver{failures: 3}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	n := enqueue(t, s)
	d := &activities.Deliverer{Store: s, URL: hs.URL, Key: []byte("k"), BaseBackoff: 10 * time.Millisecond}
	drain(t, d, func() bool { return queued(t, s, n.EventKey).DeliveredAt != nil })
	for range 5 {
		time.Sleep(20 * time.Millisecond)
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if rc.count() != 4 {
		t.Fatalf("receiver saw %d requests, want 3 failures + 1 delivery", rc.count())
	}
	headers, _ := rc.seen()
	for _, h := range headers {
		if h.Get("webhook-id") != headers[0].Get("webhook-id") {
			t.Fatal("the webhook-id changed between attempts")
		}
	}
	if row := queued(t, s, n.EventKey); row.Attempts != 4 || row.DeadAt != nil || row.LastError != nil {
		t.Fatalf("delivered row = %+v", row)
	}
}

// A receiver that always fails gets MaxAttempts tries, then the delivery is
// dead (the dead letter) and never tried again.
func TestWebhookDeadAfterMaxAttempts(t *testing.T) {
	s := newStore(t)
	rc := &receiver{failures: -1}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	n := enqueue(t, s)
	var dead int
	d := &activities.Deliverer{Store: s, URL: hs.URL, Key: []byte("k"), MaxAttempts: 3, BaseBackoff: 10 * time.Millisecond, OnDead: func() { dead++ }}
	drain(t, d, func() bool { return queued(t, s, n.EventKey).DeadAt != nil })
	for range 5 {
		time.Sleep(30 * time.Millisecond)
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if rc.count() != 3 || dead != 1 {
		t.Fatalf("receiver saw %d requests (want 3), %d dead letters (want 1)", rc.count(), dead)
	}
	row := queued(t, s, n.EventKey)
	if row.Attempts != 3 || row.DeliveredAt != nil || row.LastError == nil || *row.LastError == "" {
		t.Fatalf("dead row = %+v", row)
	}
}

// A last attempt that never reports back (its deliverer stopped mid-post) is
// dead once its lease ends, without another request.
func TestAbandonedLastAttemptIsBuried(t *testing.T) {
	s := newStore(t)
	rc := &receiver{}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	n := enqueue(t, s)
	if got, err := s.ClaimWebhooks(context.Background(), 10, 1, time.Millisecond); err != nil || len(got) != 1 {
		t.Fatalf("claim = %v, %v", got, err)
	}
	time.Sleep(10 * time.Millisecond)
	var dead int
	d := &activities.Deliverer{Store: s, URL: hs.URL, Key: []byte("k"), MaxAttempts: 1, OnDead: func() { dead++ }}
	if _, err := d.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if row := queued(t, s, n.EventKey); row.DeadAt == nil || dead != 1 || rc.count() != 0 {
		t.Fatalf("row %+v, %d dead, %d requests", row, dead, rc.count())
	}
}

func TestWebhookKey(t *testing.T) {
	if k, err := activities.WebhookKey("whsec_" + base64.StdEncoding.EncodeToString([]byte("abc"))); err != nil || string(k) != "abc" {
		t.Fatalf("whsec key = %q, %v", k, err)
	}
	if k, err := activities.WebhookKey("plain-secret"); err != nil || string(k) != "plain-secret" {
		t.Fatalf("raw key = %q, %v", k, err)
	}
	for _, bad := range []string{"", "whsec_", "whsec_not base64!"} {
		if _, err := activities.WebhookKey(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

// A receiver's redirect is a failed attempt, not followed: the signed copy
// never reaches the host the redirect names (a private address, say).
func TestWebhookRedirectIsNotFollowed(t *testing.T) {
	s := newStore(t)
	inside := &receiver{}
	target := httptest.NewServer(inside)
	defer target.Close()
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		hs := httptest.NewServer(http.RedirectHandler(target.URL+"/admin", code))
		n := enqueue(t, s)
		d := &activities.Deliverer{Store: s, URL: hs.URL, Key: []byte("k"), BaseBackoff: time.Hour}
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		hs.Close()
		row := queued(t, s, n.EventKey)
		if inside.count() != 0 || row.DeliveredAt != nil || row.LastError == nil || !strings.Contains(*row.LastError, strconv.Itoa(code)) {
			t.Fatalf("%d: the redirect's target saw %d requests; row %+v", code, inside.count(), row)
		}
	}
}

// A failed attempt's recorded error names no part of the URL, which may hold
// the receiver's credential, nor the receiver's own reason phrase.
func TestWebhookErrorKeepsTheURLOut(t *testing.T) {
	s := newStore(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens there now
	teller := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer teller.Close()
	for _, base := range []string{closed.URL, teller.URL} {
		n := enqueue(t, s)
		d := &activities.Deliverer{Store: s, URL: base + "/hook/SECRETPATH?access_token=SECRETTOKEN", Key: []byte("k"), BaseBackoff: time.Hour}
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		row := queued(t, s, n.EventKey)
		if row.LastError == nil || strings.Contains(*row.LastError, "SECRET") {
			t.Fatalf("last_error = %v", row.LastError)
		}
	}
}
