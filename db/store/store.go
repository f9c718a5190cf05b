// Package store owns kam's Postgres record: it runs the sqlc queries, owns
// transactions, and turns driver errors into domain errors.
package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kam/db/dbq"
)

// Store is the system of record.
type Store struct {
	Pool *pgxpool.Pool
	q    *dbq.Queries
	reg  registerKeying // how the access register is sealed (register.go)
}

// New wraps a pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{Pool: pool, q: dbq.New(pool)}
}

// Q gives read-only callers the typed queries directly.
func (s *Store) Q() *dbq.Queries { return s.q }

// inTx runs fn in one transaction: all of it lands, or none of it.
func (s *Store) inTx(ctx context.Context, fn func(q *dbq.Queries) error) error {
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
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
