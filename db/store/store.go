// Package store owns kam's Postgres record: it runs the sqlc queries, owns
// transactions, and turns driver errors into domain errors.
package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kam/db/internal/dbq"
)

// Store is the system of record.
type Store struct {
	Pool *pgxpool.Pool
	q    *dbq.Queries
	// Keys bounds idempotency keys in time (set before serving).
	Keys       KeyPolicy
	keysPurged atomic.Int64 // unix nanoseconds of the last purge
	// defaultLocale is a new staff member's locale (KAM_DEFAULT_LOCALE).
	defaultLocale string
	// webhookCopies: every delivered notice queues its webhook copy.
	webhookCopies bool
	reg           registerKeying              // how the access register is sealed (access_log.go)
	reads         groupCommit[*groupWaiter]   // reads' register rows, committed in groups (register_group.go)
	archiveReads  groupCommit[*archiveWaiter] // archive reads with their register rows (archive_group.go)
	auth          authCache                   // token lookups, while WatchAuth listens (authcache.go)
	// zone is the company's time zone (KAM_TIMEZONE): the day an account is
	// opened on is that zone's day, as as_of and the reports count days.
	zone *time.Location
}

// SetZone sets the company's time zone; unset, days are UTC days.
func (s *Store) SetZone(loc *time.Location) { s.zone = loc }

// zoneOrUTC is the company's zone, or UTC when none was set: the zone in
// which notices name their instants.
func (s *Store) zoneOrUTC() *time.Location {
	if s.zone == nil {
		return time.UTC
	}
	return s.zone
}

// New wraps a pool.
func New(pool *pgxpool.Pool) *Store {
	s := &Store{Pool: pool, q: dbq.New(pool), Keys: DefaultKeyPolicy()}
	s.archiveReads.flushers = archiveFlushers
	return s
}

// inTx runs fn in one transaction: all of it lands, or none of it. A register
// entry pending in ctx (WithAccess) is written by the same transaction just
// before it commits, so a change that cannot be registered does not happen
// (Art. 9); so is the stamp of the request's Idempotency-Key claim as
// committed (HoldKey); after the commit the request is marked as having
// changed something (TrackChanges).
func (s *Store) inTx(ctx context.Context, fn func(q *dbq.Queries) error) error {
	pending := pendingOf(ctx)
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		if err := fn(q); err != nil {
			return err
		}
		if err := pending.writeWith(ctx, q); err != nil {
			return err
		}
		// Last, so that a retry's claim waits on this row's lock only
		// while the transaction commits.
		return commitClaim(ctx, q)
	})
	if err != nil {
		return interpret(err)
	}
	if a, ok := pending.committed(); ok {
		noteRegistered(ctx, a)
	}
	markChanged(ctx)
	return nil
}

// readTx runs fn in one read-only, repeatable-read transaction: a read of
// several queries sees one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(q *dbq.Queries) error) error {
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return fn(s.q.WithTx(tx))
	})
	return interpret(err)
}

// NewID returns a time-ordered UUID (v7), so ids double as list cursors.
func NewID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		// Only a broken random source makes NewV7 fail; fall back to v4.
		return uuid.New()
	}
	return id
}

// Ping checks that Postgres answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.Pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}
