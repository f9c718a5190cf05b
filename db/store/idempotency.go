package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"kam/db/dbq"
)

// Replay is the stored outcome of a creating POST.
type Replay struct {
	Status int
	Body   []byte
}

// ClaimKey reserves an Idempotency-Key for one request. It returns the earlier
// outcome when the key was used before with the same request, and a domain
// error when it was used with another request or is still in flight.
func (s *Store) ClaimKey(ctx context.Context, staffID uuid.UUID, key string, requestHash []byte) (*Replay, error) {
	for range 2 {
		n, err := s.q.ClaimIdempotencyKey(ctx, dbq.ClaimIdempotencyKeyParams{StaffID: staffID, Key: key, RequestHash: requestHash})
		if err != nil {
			return nil, interpret(err)
		}
		if n == 1 {
			return nil, nil
		}
		prev, err := s.q.GetIdempotencyKey(ctx, dbq.GetIdempotencyKeyParams{StaffID: staffID, Key: key})
		if err == nil {
			if string(prev.RequestHash) != string(requestHash) {
				return nil, Errorf(KindInvalid, "idempotency_key_reused", "this Idempotency-Key was used for a different request")
			}
			if prev.Status == nil {
				return nil, Errorf(KindConflict, "idempotency_in_progress", "a request with this Idempotency-Key is still being processed")
			}
			return &Replay{Status: int(*prev.Status), Body: prev.Body}, nil
		}
		if interpret(err) != ErrNotFound {
			return nil, interpret(err)
		}
		// Released between our insert and read: try once more.
	}
	return nil, Errorf(KindConflict, "idempotency_in_progress", "a request with this Idempotency-Key is still being processed")
}

// CompleteKey stores the outcome to replay.
func (s *Store) CompleteKey(ctx context.Context, staffID uuid.UUID, key string, status int, body []byte) error {
	st := int32(status)
	return interpret(s.q.CompleteIdempotencyKey(ctx, dbq.CompleteIdempotencyKeyParams{StaffID: staffID, Key: key, Status: &st, Body: body}))
}

// ReleaseKey frees a key whose request failed without effect, so a retry can run.
func (s *Store) ReleaseKey(ctx context.Context, staffID uuid.UUID, key string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return interpret(s.q.ReleaseIdempotencyKey(ctx, dbq.ReleaseIdempotencyKeyParams{StaffID: staffID, Key: key}))
}
