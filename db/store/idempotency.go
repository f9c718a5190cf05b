package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// Replay is the stored outcome of a creating POST, with the accounts (and
// sections) its answer shows: a replay registers them again (SPEC §5).
// Header is what the API kept of the first answer's headers (ETag,
// Location, ...); nil for an outcome recorded without them (by a build
// before migration 00038).
type Replay struct {
	Status int
	Header map[string][]string
	Body   []byte
	Shown  []Shown
}

// Shown is accounts an answer shows, and which sections of them; Refused
// when the answer was a refusal (the first request was registered as
// denied), which a replay repeats as a refusal.
type Shown struct {
	CustomerIDs []uuid.UUID `json:"customer_ids"`
	Sections    []string    `json:"sections"`
	Refused     bool        `json:"refused,omitempty"`
}

// KeyPolicy bounds idempotency keys in time: an outcome is replayed for TTL
// after it was recorded, and a claim left unfinished (a crash mid-request)
// blocks its key for Lease only. Zero fields take the defaults.
type KeyPolicy struct {
	TTL   time.Duration // KAM_IDEMPOTENCY_TTL, default 24h
	Lease time.Duration // KAM_IDEMPOTENCY_LEASE, default 2m
}

// DefaultKeyPolicy is 24h of replay and a 2-minute lease.
func DefaultKeyPolicy() KeyPolicy { return KeyPolicy{TTL: 24 * time.Hour, Lease: 2 * time.Minute} }

func (p KeyPolicy) orDefault() KeyPolicy {
	d := DefaultKeyPolicy()
	if p.TTL <= 0 {
		p.TTL = d.TTL
	}
	if p.Lease <= 0 {
		p.Lease = d.Lease
	}
	return p
}

// purgeEvery spaces out the deletion of expired keys.
const purgeEvery = time.Minute

// ClaimKey reserves an Idempotency-Key for one request. It returns the earlier
// outcome when the key was used before with the same request, and a domain
// error when it was used with another request or is still in flight. An
// outcome older than the TTL, or a claim whose lease ran out, no longer holds
// the key.
func (s *Store) ClaimKey(ctx context.Context, staffID uuid.UUID, key string, requestHash []byte) (*Replay, error) {
	pol := s.Keys.orDefault()
	s.purgeKeys(ctx, pol)
	for range 2 {
		n, err := s.q.ClaimIdempotencyKey(ctx, dbq.ClaimIdempotencyKeyParams{StaffID: staffID, Key: key, RequestHash: requestHash,
			TtlSeconds: pol.TTL.Seconds(), LeaseSeconds: pol.Lease.Seconds()})
		if err != nil {
			return nil, interpret(err)
		}
		if n == 1 {
			return nil, nil
		}
		prev, err := s.q.GetIdempotencyKey(ctx, dbq.GetIdempotencyKeyParams{StaffID: staffID, Key: key})
		if err == nil {
			if string(prev.RequestHash) != string(requestHash) {
				return nil, kam.Errorf(kam.KindInvalid, "idempotency_key_reused", "this Idempotency-Key was used for a different request")
			}
			if prev.Status == nil {
				return nil, kam.Errorf(kam.KindConflict, "idempotency_in_progress", "a request with this Idempotency-Key is still being processed")
			}
			r := &Replay{Status: int(*prev.Status), Body: prev.Body}
			if err := json.Unmarshal(prev.Shown, &r.Shown); err != nil {
				return nil, fmt.Errorf("idempotency key's shown accounts: %w", err)
			}
			if prev.ReplayHeaders != nil {
				if err := json.Unmarshal(prev.ReplayHeaders, &r.Header); err != nil {
					return nil, fmt.Errorf("idempotency key's headers: %w", err)
				}
			}
			return r, nil
		}
		if interpret(err) != kam.ErrNotFound {
			return nil, interpret(err)
		}
		// Released between our insert and read: try once more.
	}
	return nil, kam.Errorf(kam.KindConflict, "idempotency_in_progress", "a request with this Idempotency-Key is still being processed")
}

// purgeKeys deletes expired keys, at most once a minute per process, so the
// table stays bounded without a job of its own. A failure only delays it.
func (s *Store) purgeKeys(ctx context.Context, pol KeyPolicy) {
	now := time.Now().UnixNano()
	last := s.keysPurged.Load()
	if now-last < int64(purgeEvery) || !s.keysPurged.CompareAndSwap(last, now) {
		return
	}
	_, _ = s.q.PurgeIdempotencyKeys(ctx, pol.TTL.Seconds())
}

// CompleteKey stores the outcome to replay (its status, the headers to
// replay and its body), with the accounts the request registered under ctx
// (TrackChanges), which its answer shows. The caller chooses the headers:
// nothing secret may be among them.
func (s *Store) CompleteKey(ctx context.Context, staffID uuid.UUID, key string, status int, header map[string][]string, body []byte) error {
	shown := []Shown{}
	for _, a := range Registered(ctx) {
		shown = append(shown, Shown{CustomerIDs: a.CustomerIDs, Sections: a.Sections, Refused: a.Action == kam.AccessDenied})
	}
	rows, err := json.Marshal(shown)
	if err != nil {
		return err
	}
	if header == nil {
		header = map[string][]string{}
	}
	headers, err := json.Marshal(header)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	st := int32(status)
	return interpret(s.q.CompleteIdempotencyKey(ctx, dbq.CompleteIdempotencyKeyParams{StaffID: staffID, Key: key, Status: &st, Body: body, Shown: rows, Headers: headers}))
}

// ReleaseKey frees a key whose request failed without effect, so a retry can
// run. The caller must know that nothing was committed (Changed).
func (s *Store) ReleaseKey(ctx context.Context, staffID uuid.UUID, key string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return interpret(s.q.ReleaseIdempotencyKey(ctx, dbq.ReleaseIdempotencyKeyParams{StaffID: staffID, Key: key}))
}
