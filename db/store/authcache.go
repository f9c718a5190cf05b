package store

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"kam"
	"kam/db/internal/dbq"
)

// authCache keeps the answers of Authenticate so that a request costs no
// round trip for its token. It serves only while armed, that is while this
// process listens on channel kam_auth (WatchAuth), where every change to a
// token or a staff record is announced when it commits (migration 00026):
// each announcement empties the cache, so a revoked token, a deactivated
// person or a changed role is refused by the next request. Changes made
// through this store empty it on their own as well, before they answer. An
// entry lives at most authTTL (so last_used_at is still stamped about once a
// minute) and never past the token's expiry.
type authCache struct {
	mu      sync.Mutex
	armed   bool
	gen     uint64 // bumped by every flush; an answer read under an older one is not kept
	entries map[string]authEntry
}

type authEntry struct {
	staff kam.Staff
	until time.Time
}

const (
	authTTL = 30 * time.Second
	// authMax bounds the cache; when full it starts over.
	authMax = 10000
)

func (c *authCache) get(hash []byte, now time.Time) (kam.Staff, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(hash)]
	if !ok || !c.armed || !now.Before(e.until) {
		return kam.Staff{}, false
	}
	return e.staff, true
}

// begin is taken before a lookup in the database: put keeps the answer only
// if nothing was flushed in between.
func (c *authCache) begin() (gen uint64, armed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen, c.armed
}

func (c *authCache) put(hash []byte, gen uint64, st kam.Staff, expires *time.Time, now time.Time) {
	until := now.Add(authTTL)
	if expires != nil && expires.Before(until) {
		until = *expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.armed || gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= authMax {
		c.entries = map[string]authEntry{}
	}
	c.entries[string(hash)] = authEntry{staff: st, until: until}
}

// flush forgets every answer, including those being looked up now.
func (c *authCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

func (c *authCache) arm(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
	c.armed = on
}

// WatchAuth listens for token and staff changes until ctx ends, and lets
// Authenticate cache while it listens. A lost connection stops the caching
// at once (announcements may have been missed) until listening again.
func (s *Store) WatchAuth(ctx context.Context, log *slog.Logger) {
	for ctx.Err() == nil {
		err := s.listenAuth(ctx)
		s.auth.arm(false)
		if ctx.Err() != nil {
			return
		}
		log.Warn("token cache off: lost the kam_auth listener", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenAuth(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := dbq.New(conn).ListenAuth(ctx); err != nil {
		return err
	}
	s.auth.arm(true)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		s.auth.flush()
	}
}
