package api

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// archiveWrite is the one pipeline of every change to an account's archive
// that kam writes to Postgres itself: it puts the request's `update` register
// entry into ctx, runs write, and the store writes that entry inside the
// write's own transaction. A change whose entry cannot be written is rolled
// back and answered 503: no change stands unregistered (Art. 9).
func archiveWrite[T any](s *Server, ctx context.Context, customers []uuid.UUID, sections []string, write func(ctx context.Context) (T, error)) (T, error) {
	ctx = store.WithAccess(ctx, accessOf(ctx, kam.AccessUpdate, customers, sections))
	out, err := write(ctx)
	if err != nil {
		if errors.Is(err, store.ErrUnregistered) {
			return out, s.registerFailed(err)
		}
		return out, err
	}
	if !store.AccessWritten(ctx) {
		// The write ran no store transaction (a store method that bypasses
		// inTx): a bug. Register late rather than never, and say so.
		a, _ := store.PendingAccess(ctx)
		s.log.Error("archive write without its register entry in its transaction", "route", a.Route)
		if err := s.store.Register(ctx, a); err != nil {
			return out, s.registerFailed(err)
		}
	}
	return out, nil
}

// processWrite is the pipeline of a change that a workflow makes (an Update or
// Signal to a Temporal run): no transaction of ours carries it, so its
// `update` entry is registered durably first, and nothing is sent when that
// fails. An attempt the run then refuses stays registered; a change never
// goes unregistered (Art. 9).
func processWrite[T any](s *Server, ctx context.Context, customers []uuid.UUID, sections []string, write func(ctx context.Context) (T, error)) (T, error) {
	if err := s.register(ctx, kam.AccessUpdate, customers, sections); err != nil {
		var zero T
		return zero, err
	}
	out, err := write(ctx)
	if err == nil {
		// The run accepted the change: an Idempotency-Key must not be
		// released after it, whatever the answer becomes.
		store.MarkChanged(ctx)
	}
	return out, err
}
