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
		s.store.ChangedOutside(ctx)
	}
	return out, err
}

// writeAccount is archiveWrite for a change to one account by a caller who
// needs capability need: the attempt is gated first (404/403, registered as
// denied under denied), the write runs in the caller's scope with its
// `update` entry under sections, and a not-found from it is an account the
// caller cannot see (registered as denied, 404).
func writeAccount[T any](s *Server, ctx context.Context, id uuid.UUID, need capability, denied, sections []string, write func(ctx context.Context, scope store.Scope) (T, error)) (T, error) {
	scope, err := s.gateAccount(ctx, id, need, denied)
	if err != nil {
		var zero T
		return zero, err
	}
	out, err := archiveWrite(s, ctx, []uuid.UUID{id}, sections, func(ctx context.Context) (T, error) {
		return write(ctx, scope)
	})
	if err != nil {
		return out, s.archiveErr(ctx, id, denied, err)
	}
	return out, nil
}
