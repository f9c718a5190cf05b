package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"kam"
	"kam/db/store"
)

// Without a kam_auth listener nothing is cached: a revocation made on any
// connection is refused by the next lookup. With one, lookups are cached and
// the notification empties the cache; when the listener stops, caching stops.
func TestAuthenticateCachesOnlyWhileListening(t *testing.T) {
	ctx := context.Background()
	s := store.New(pool)
	issue := func() (kam.Staff, string) {
		t.Helper()
		m, err := s.CreateStaff(ctx, "cache "+time.Now().String(), nil, kam.RoleAuditor)
		if err != nil {
			t.Fatal(err)
		}
		secret := store.NewTokenSecret()
		if _, err := s.IssueToken(ctx, m.ID, secret, nil); err != nil {
			t.Fatal(err)
		}
		return m, secret
	}
	revoke := func(m kam.Staff) {
		t.Helper()
		if _, err := pool.Exec(ctx, "UPDATE api_tokens SET revoked_at = now() WHERE staff_id = $1", m.ID); err != nil {
			t.Fatal(err)
		}
	}
	m, secret := issue()
	if _, err := s.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	revoke(m)
	if _, err := s.Authenticate(ctx, secret); err != kam.ErrNotFound {
		t.Fatalf("not listening: a revoked token authenticated (%v)", err)
	}

	watch, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.WatchAuth(watch, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	m, secret = issue()
	// Cached once the listener is up.
	waitFor(t, func() bool {
		_, err := s.Authenticate(ctx, secret)
		return err == nil && store.AuthCached(s, secret)
	})
	revoke(m)
	changed := time.Now()
	waitFor(t, func() bool {
		_, err := s.Authenticate(ctx, secret)
		return err == kam.ErrNotFound
	})
	t.Logf("refused %v after the revocation committed", time.Since(changed).Round(time.Microsecond))

	stop()
	<-done
	m, secret = issue()
	if _, err := s.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if store.AuthCached(s, secret) {
		t.Fatal("cached with no listener")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("not within 2 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
