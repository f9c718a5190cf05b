package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// Access is one registered access (Art. 9): who touched which accounts, how,
// which sections, for which request and purpose.
type Access struct {
	StaffID     *uuid.UUID
	Role        *string
	CustomerIDs []uuid.UUID // none: the request named no account
	Action      string
	Sections    []string
	RequestID   string
	Purpose     string
	Route       string
}

// Register appends access rows. It takes no lock, so concurrent requests never
// wait for each other here; the chain is sealed afterwards by Seal.
func (s *Store) Register(ctx context.Context, a Access) error {
	if err := appendAccess(ctx, s.q, a); err != nil {
		return err
	}
	noteRegistered(ctx, a)
	return nil
}

// appendAccess writes a's rows with q, which may be a transaction's.
func appendAccess(ctx context.Context, q *dbq.Queries, a Access) error {
	ids := a.CustomerIDs
	if len(ids) == 0 {
		ids = []uuid.UUID{uuid.Nil}
	}
	sections := a.Sections
	if sections == nil {
		sections = []string{}
	}
	// uuid.Nil stands for "no account"; store it as NULL.
	err := q.AppendAccess(ctx, dbq.AppendAccessParams{
		StaffID: a.StaffID, StaffRole: a.Role, Action: a.Action, Sections: sections,
		RequestID: a.RequestID, Purpose: a.Purpose, Route: a.Route, CustomerIds: ids,
	})
	if err != nil {
		return interpret(err)
	}
	return nil
}

var genesis = make([]byte, sha256.Size)

// ErrNoRegisterKey: this store was given no register key, so it can neither
// seal nor verify the chain.
var ErrNoRegisterKey = errors.New("access register: no key (KAM_REGISTER_KEY)")

// rowContent is what a row's hash covers: its place, its content and its
// predecessor's hash, as the JSON array encoding/json makes of them (every
// chain sealed so far holds these bytes).
func rowContent(r dbq.AccessLog, pos int64, prev []byte) []byte {
	return appendRowContent(make([]byte, 0, 256), r, pos, prev)
}

// appendRowContent appends rowContent to b without reflection: the sealer
// hashes every register row, tens of thousands a second under a task list's
// load, and encoding/json's []any was most of its CPU. A string that needs
// any escaping goes through encoding/json itself, so the bytes are its
// (TestRowContentIsEncodingJSON).
func appendRowContent(b []byte, r dbq.AccessLog, pos int64, prev []byte) []byte {
	var staff, customer, role string
	if r.StaffID != nil {
		staff = r.StaffID.String()
	}
	if r.CustomerID != nil && *r.CustomerID != uuid.Nil {
		customer = r.CustomerID.String()
	}
	if r.StaffRole != nil {
		role = *r.StaffRole
	}
	b = append(b, '[', '"')
	b = strconv.AppendInt(b, pos, 10)
	b = append(b, '"', ',', '"')
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, '"', ',', '"')
	b = r.At.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, '"')
	for _, f := range [...]string{staff, role, customer, r.Action} {
		b = appendJSONString(append(b, ','), f)
	}
	if r.Sections == nil {
		b = append(b, ",null"...)
	} else {
		b = append(b, ',', '[')
		for i, sec := range r.Sections {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, sec)
		}
		b = append(b, ']')
	}
	for _, f := range [...]string{r.RequestID, r.Purpose, r.Route} {
		b = appendJSONString(append(b, ','), f)
	}
	b = append(b, ',', '"')
	b = hex.AppendEncode(b, prev)
	return append(b, '"', ']')
}

// appendJSONString appends s as encoding/json writes a string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// legacyDigest is the plain SHA-256 of rows sealed before the chain was keyed.
func legacyDigest(r dbq.AccessLog, pos int64, prev []byte) []byte {
	h := sha256.Sum256(rowContent(r, pos, prev))
	return h[:]
}

// keyedDigest is the HMAC-SHA256 with the register key: whoever can write
// the table but lacks the key cannot re-seal a row so that it verifies.
func keyedDigest(key []byte, r dbq.AccessLog, pos int64, prev []byte) []byte {
	return newChainHasher(key).digest(r, pos, prev)
}

// chainHasher computes keyedDigest row after row with one HMAC state and
// one buffer.
type chainHasher struct {
	mac hash.Hash
	buf []byte
}

func newChainHasher(key []byte) *chainHasher {
	return &chainHasher{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 512)}
}

func (h *chainHasher) digest(r dbq.AccessLog, pos int64, prev []byte) []byte {
	h.buf = appendRowContent(h.buf[:0], r, pos, prev)
	h.mac.Reset()
	h.mac.Write(h.buf)
	return h.mac.Sum(nil)
}

// Seal links every unsealed row into the chain, oldest first, keyed. One
// sealer runs at a time (an advisory lock), so positions are gap-free; it
// returns how many rows it sealed. Rows are sealed in the order of seq, and
// only up to a seq no transaction still writing can fall below (sealHorizon),
// so every row at or below the last sealed seq is sealed.
func (s *Store) Seal(ctx context.Context) (int, error) {
	key := s.reg.key
	if len(key) == 0 {
		return 0, ErrNoRegisterKey
	}
	horizon, err := s.sealHorizon(ctx)
	if err != nil {
		return 0, err
	}
	const batch = 2000
	total, hasher := 0, newChainHasher(key)
	for {
		n := 0
		err := s.inTx(ctx, func(q *dbq.Queries) error {
			if err := q.LockSealer(ctx); err != nil {
				return err
			}
			pos, prev := int64(0), genesis
			head, err := q.ChainHead(ctx)
			if err == nil {
				pos, prev = head.ChainPos, head.Hash
			} else if interpret(err) != kam.ErrNotFound {
				return err
			}
			// Rows from before the seals' table go first, in a batch of
			// their own: every row of the range after them lies above them.
			rows, err := q.UnsealedBeforeSeals(ctx, batch)
			if err == nil && len(rows) == 0 {
				rows, err = q.UnsealedAccess(ctx, dbq.UnsealedAccessParams{Horizon: horizon, Lim: batch})
			}
			if err != nil {
				return err
			}
			seal := dbq.SealAccessRowsParams{}
			for _, r := range rows {
				pos++
				h := hasher.digest(r, pos, prev)
				seal.Seqs = append(seal.Seqs, r.Seq)
				seal.ChainPositions = append(seal.ChainPositions, pos)
				seal.PrevHashes = append(seal.PrevHashes, prev)
				seal.Hashes = append(seal.Hashes, h)
				prev = h
			}
			n = len(rows)
			if n == 0 {
				return nil
			}
			// One statement for the batch (a row per statement cost the
			// database a round trip per registered access).
			sealed, err := q.SealAccessRows(ctx, seal)
			if err == nil && sealed != int64(n) {
				err = fmt.Errorf("access register: sealed %d of %d rows", sealed, n)
			}
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

// Unsealed counts the register rows waiting for their seal.
func (s *Store) Unsealed(ctx context.Context) (int64, error) {
	n, err := s.q.CountUnsealed(ctx)
	return n, interpret(err)
}

// WALPosition is the cluster's WAL position in bytes (every database's
// writes), for a benchmark's WAL per operation.
func (s *Store) WALPosition(ctx context.Context) (int64, error) {
	n, err := s.q.WALPosition(ctx)
	return n, interpret(err)
}

// sealWait bounds how long Seal waits for the transactions that may still
// add register rows below its horizon; past it, Seal seals nothing new.
const sealWait = 2 * time.Second

// sealHorizon answers a seq at or below which no register row can appear
// any more: the last seq drawn, once every transaction that held the
// register's write lock when it was read has ended (a row's seq is drawn
// under that lock, so a row at or below it belongs to one of them or to a
// transaction already over). Rows commit out of seq order; sealing past a
// row still uncommitted would leave it below the chain's last seq forever.
// 0 when they are still running after sealWait (a long import, say): the
// next call tries again.
func (s *Store) sealHorizon(ctx context.Context) (int64, error) {
	horizon, err := s.q.RegisterHorizon(ctx)
	if err != nil {
		return 0, interpret(err)
	}
	writers, err := s.q.RegisterWriters(ctx)
	if err != nil {
		return 0, interpret(err)
	}
	deadline, pause := time.Now().Add(sealWait), time.Millisecond
	for len(writers) > 0 {
		running, err := s.q.WritersRunning(ctx, writers)
		if err != nil {
			return 0, interpret(err)
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			return 0, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
	return horizon, nil
}

// Verification is the result of walking the chain.
type Verification struct {
	OK       bool
	Checked  int64
	Unsealed int64
	// BrokenAt is the chain position of the first row whose link does not hold.
	BrokenAt  *int64
	BrokenSeq *int64
	Reason    string
	// Checkpoint is the newest signed checkpoint the chain was held against.
	Checkpoint *Checkpoint
	// UnkeyedUntil is the last position sealed before the chain was keyed;
	// rows up to it carry the plain SHA-256 digest.
	UnkeyedUntil int64
}

func (v *Verification) fail(at *int64, seq *int64, reason string) {
	v.OK, v.BrokenAt, v.BrokenSeq, v.Reason = false, at, seq, reason
}

// Verify seals what is pending, then recomputes every link from the start
// and holds the chain against the newest signed checkpoint (the checkpoint
// file's and extra): a chain shorter than a checkpoint was cut at its end, a
// different hash at a checkpoint's position was re-sealed. A checkpoint with
// a bad signature, or a row sealed outside the chain (position ≤ 0), fails
// too.
func (s *Store) Verify(ctx context.Context, extra ...Checkpoint) (Verification, error) {
	key := s.reg.key
	if len(key) == 0 {
		return Verification{}, ErrNoRegisterKey
	}
	if _, err := s.Seal(ctx); err != nil {
		return Verification{}, err
	}
	v := Verification{OK: true}
	cp, bad, err := s.newestCheckpoint(extra)
	if err != nil {
		return v, err
	}
	if bad != "" {
		v.fail(nil, nil, bad)
		return v, nil
	}
	v.Checkpoint = cp
	if v.UnkeyedUntil, err = s.q.UnkeyedUntil(ctx); err != nil {
		return v, interpret(err)
	}
	pos, err := s.walkChain(ctx, &v, key, cp)
	if err != nil || !v.OK {
		return v, err
	}
	if cp != nil && pos < cp.Position {
		at := pos + 1
		v.fail(&at, nil, fmt.Sprintf("the chain ends at %d, but the checkpoint of %s saw %d rows: rows were removed from its end",
			pos, cp.At.UTC().Format(time.RFC3339), cp.Position))
		return v, nil
	}
	// A seal past the walk's end whose row is missing would otherwise pass
	// unnoticed until the next checkpoint.
	switch head, err := s.q.ChainHead(ctx); {
	case err == nil && head.ChainPos > pos:
		at := pos + 1
		v.fail(&at, nil, fmt.Sprintf("row %d is missing from the chain", at))
		return v, nil
	case err != nil && interpret(err) != kam.ErrNotFound:
		return v, interpret(err)
	}
	off, err := s.q.OffChainAccess(ctx)
	if err == nil {
		v.fail(&off.ChainPos, &off.Seq, fmt.Sprintf("row %d is sealed outside the chain (position %d)", off.Seq, off.ChainPos))
		return v, nil
	}
	if interpret(err) != kam.ErrNotFound {
		return v, interpret(err)
	}
	if v.Unsealed, err = s.q.CountUnsealed(ctx); err != nil {
		return v, interpret(err)
	}
	return v, nil
}

// walkChain recomputes every link from position 1 and returns the last
// position reached; the first broken link, or a row that differs from the
// checkpoint cp at its position, fails v.
func (s *Store) walkChain(ctx context.Context, v *Verification, key []byte, cp *Checkpoint) (int64, error) {
	var cpHead []byte
	if cp != nil {
		cpHead, _ = hex.DecodeString(cp.Head)
	}
	pos, prev, hasher := int64(0), genesis, newChainHasher(key)
	for {
		rows, err := s.q.ChainPage(ctx, dbq.ChainPageParams{After: pos, Lim: 5000})
		if err != nil {
			return pos, interpret(err)
		}
		for _, r := range rows {
			want := pos + 1
			digest := hasher.digest(r.AccessLog, want, prev)
			if want <= v.UnkeyedUntil {
				digest = legacyDigest(r.AccessLog, want, prev)
			}
			at, seq := want, r.AccessLog.Seq
			switch {
			case r.ChainPos != want:
				v.fail(&at, &seq, fmt.Sprintf("row %d is missing from the chain", want))
			case !bytes.Equal(r.PrevHash, prev):
				v.fail(&at, &seq, "previous-hash link does not match the row before")
			case !bytes.Equal(r.Hash, digest):
				v.fail(&at, &seq, "row content does not match its hash")
			case cp != nil && want == cp.Position && !bytes.Equal(r.Hash, cpHead):
				v.fail(&at, &seq, fmt.Sprintf("row %d differs from the checkpoint of %s: the chain was re-sealed",
					want, cp.At.UTC().Format(time.RFC3339)))
			}
			if !v.OK {
				return pos, nil
			}
			v.Checked++
			pos, prev = want, r.Hash
		}
		if len(rows) < 5000 {
			return pos, nil
		}
	}
}

// RequireAppendOnlyRole refuses a connection whose role could alter or
// bypass the register (owner, superuser, DELETE/TRUNCATE/TRIGGER): the
// serving processes must not be able to escape it (Art. 9).
func (s *Store) RequireAppendOnlyRole(ctx context.Context) error {
	g, err := s.q.RegisterGuard(ctx)
	if err != nil {
		return fmt.Errorf("check the database role: %w", err)
	}
	if g.CanTamper {
		return fmt.Errorf("the database role %q can alter or bypass the access register; serve as kam_app (KAM_APP_DATABASE_URL), created by the migrations", g.RoleName)
	}
	return nil
}

// ListAccess pages through the access register, newest first.
func (s *Store) ListAccess(ctx context.Context, f kam.AccessQuery) ([]kam.AccessEntry, error) {
	rows, err := s.q.ListAccessLog(ctx, dbq.ListAccessLogParams{StaffID: f.StaffID, CustomerID: f.CustomerID, Since: f.Since,
		Until: f.Until, Action: f.Action, Before: f.Before, Lim: f.Limit})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.AccessEntry, len(rows))
	for i, r := range rows {
		l := r.AccessLog
		out[i] = kam.AccessEntry{Seq: l.Seq, At: l.At, StaffID: l.StaffID, StaffRole: l.StaffRole, CustomerID: l.CustomerID,
			Action: l.Action, Sections: l.Sections, RequestID: l.RequestID, Purpose: l.Purpose, Route: l.Route,
			ChainPos: r.ChainPos, PrevHash: r.PrevHash, Hash: r.Hash}
	}
	return out, nil
}

// AccountOfRecord answers the account a ticket, discount request, grant,
// filing or greeting task belongs to, whoever may see it, or uuid.Nil for an
// id that names none: a refused attempt on the record is registered against
// it (SPEC §5).
func (s *Store) AccountOfRecord(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	c, err := s.q.AccountOfRecord(ctx, id)
	if errors.Is(interpret(err), kam.ErrNotFound) {
		return uuid.Nil, nil
	}
	return c, interpret(err)
}
