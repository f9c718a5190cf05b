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

// Claim is one request's hold on an Idempotency-Key. At (the claim's
// claimed_at) tells it from a later claim of the same key, so a request
// whose lease ran out and was taken over can neither settle nor free the
// claim that replaced it.
type Claim struct {
	StaffID uuid.UUID
	Key     string
	At      time.Time
}

// ClaimKey reserves an Idempotency-Key for one request. It returns the earlier
// outcome when the key was used before with the same request, and a domain
// error when it was used with another request or is still in flight. An
// outcome older than the TTL, or a claim whose lease ran out, no longer holds
// the key; a claim whose request committed a change (HoldKey) holds it until
// its outcome is recorded, or for the TTL.
func (s *Store) ClaimKey(ctx context.Context, staffID uuid.UUID, key string, requestHash []byte) (*Claim, *Replay, error) {
	pol := s.Keys.orDefault()
	s.purgeKeys(ctx, pol)
	for range 2 {
		at, err := s.q.ClaimIdempotencyKey(ctx, dbq.ClaimIdempotencyKeyParams{StaffID: staffID, Key: key, RequestHash: requestHash,
			TtlSeconds: pol.TTL.Seconds(), LeaseSeconds: pol.Lease.Seconds()})
		if err != nil {
			return nil, nil, interpret(err)
		}
		if len(at) == 1 {
			return &Claim{StaffID: staffID, Key: key, At: at[0]}, nil, nil
		}
		prev, err := s.q.GetIdempotencyKey(ctx, dbq.GetIdempotencyKeyParams{StaffID: staffID, Key: key})
		if err == nil {
			if string(prev.RequestHash) != string(requestHash) {
				return nil, nil, kam.Errorf(kam.KindInvalid, "idempotency_key_reused", "this Idempotency-Key was used for a different request")
			}
			if prev.Status == nil {
				return nil, nil, errKeyInProgress
			}
			r := &Replay{Status: int(*prev.Status), Body: prev.Body}
			if err := json.Unmarshal(prev.Shown, &r.Shown); err != nil {
				return nil, nil, fmt.Errorf("idempotency key's shown accounts: %w", err)
			}
			if prev.ReplayHeaders != nil {
				if err := json.Unmarshal(prev.ReplayHeaders, &r.Header); err != nil {
					return nil, nil, fmt.Errorf("idempotency key's headers: %w", err)
				}
			}
			return nil, r, nil
		}
		if interpret(err) != kam.ErrNotFound {
			return nil, nil, interpret(err)
		}
		// Released between our insert and read: try once more.
	}
	return nil, nil, errKeyInProgress
}

var errKeyInProgress = kam.Errorf(kam.KindConflict, "idempotency_in_progress", "a request with this Idempotency-Key is still being processed")

// errClaimLost is what a write answers when its request's claim ran out of
// lease and a retry took the key: the retry makes the change, so this one
// is rolled back rather than made twice.
var errClaimLost = kam.Errorf(kam.KindConflict, "idempotency_in_progress",
	"this request took longer than its Idempotency-Key's lease and a retry with the same key took it over; nothing was changed by this request")

// commitClaim stamps the claim held under ctx (HoldKey) as committed, with the
// write's own transaction, so the claim can never be taken again once the
// change lands; errClaimLost when the claim is no longer this request's.
func commitClaim(ctx context.Context, q *dbq.Queries) error {
	t := trackerOf(ctx)
	if t == nil || t.claim == nil || t.settled.Load() {
		return nil
	}
	c := t.claim
	n, err := q.CommitIdempotencyClaim(ctx, dbq.CommitIdempotencyClaimParams{StaffID: c.StaffID, Key: c.Key, ClaimedAt: c.At})
	if err != nil {
		return err
	}
	if n == 0 {
		return errClaimLost
	}
	return nil
}

// ChangedOutside records a change the store did not commit itself (a
// workflow that accepted an update): the request counts as changed
// (Changed), and its claim is stamped as committed, on its own as nothing of
// ours carries the change. A failure to stamp it leaves the claim to its
// lease, as before.
func (s *Store) ChangedOutside(ctx context.Context) {
	markChanged(ctx)
	t := trackerOf(ctx)
	if t == nil || t.claim == nil || t.settled.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = commitClaim(ctx, s.q)
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
// Nothing is recorded for a claim that is no longer c (taken over by a
// retry).
func (s *Store) CompleteKey(ctx context.Context, c *Claim, status int, header map[string][]string, body []byte) error {
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
	settled(ctx)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	st := int32(status)
	return interpret(s.q.CompleteIdempotencyKey(ctx, dbq.CompleteIdempotencyKeyParams{StaffID: c.StaffID, Key: c.Key, ClaimedAt: c.At, Status: &st, Body: body, Shown: rows, Headers: headers}))
}

// ReleaseKey frees a key whose request failed without effect, so a retry can
// run. The caller must know that nothing was committed (Changed); a claim
// stamped as committed, or no longer c, is not freed.
func (s *Store) ReleaseKey(ctx context.Context, c *Claim) error {
	settled(ctx)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return interpret(s.q.ReleaseIdempotencyKey(ctx, dbq.ReleaseIdempotencyKeyParams{StaffID: c.StaffID, Key: c.Key, ClaimedAt: c.At}))
}

// settled ends the stamping of ctx's claim (see tracker.settled).
func settled(ctx context.Context) {
	if t := trackerOf(ctx); t != nil {
		t.settled.Store(true)
	}
}
