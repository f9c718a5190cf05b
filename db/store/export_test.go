package store

import (
	"time"

	"kam/db/internal/dbq"
)

// The store's own tests reach below its methods: the typed queries, to set
// up and inspect rows no method writes or reads, and the driver-error
// interpretation.

// Queries gives the store's tests the typed queries.
func (s *Store) Queries() *dbq.Queries { return s.q }

// Interpret is interpret, for the store's tests.
func Interpret(err error) error { return interpret(err) }

// AuthCached tells whether the store holds token's lookup in its cache.
func AuthCached(s *Store, token string) bool {
	_, ok := s.auth.get(HashToken(token), time.Now())
	return ok
}
