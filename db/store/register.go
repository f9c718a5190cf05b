package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"kam/db/dbq"
)

// Access register actions (SPEC §5).
const (
	AccessView   = "view"
	AccessList   = "list"
	AccessExport = "export"
	AccessUpdate = "update"
	AccessDenied = "denied"
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
	return appendAccess(ctx, s.q, a)
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

// rowDigest is the SHA-256 of a row's content and its predecessor's hash.
func rowDigest(r dbq.AccessLog, pos int64, prev []byte) []byte {
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
	content, _ := json.Marshal([]any{
		strconv.FormatInt(pos, 10), strconv.FormatInt(r.Seq, 10),
		r.At.UTC().Format("2006-01-02T15:04:05.000000Z"), staff, role, customer, r.Action,
		r.Sections, r.RequestID, r.Purpose, r.Route, hex.EncodeToString(prev),
	})
	h := sha256.Sum256(content)
	return h[:]
}

// Seal links every unsealed row into the chain, oldest first. One sealer runs
// at a time (an advisory lock), so positions are gap-free; it returns how many
// rows it sealed.
func (s *Store) Seal(ctx context.Context) (int, error) {
	const batch = 2000
	total := 0
	for {
		n := 0
		err := s.inTx(ctx, func(q *dbq.Queries) error {
			if err := q.LockSealer(ctx); err != nil {
				return err
			}
			pos, prev := int64(0), genesis
			head, err := q.ChainHead(ctx)
			if err == nil {
				pos, prev = *head.ChainPos, head.Hash
			} else if interpret(err) != ErrNotFound {
				return err
			}
			rows, err := q.UnsealedAccess(ctx, batch)
			if err != nil {
				return err
			}
			for _, r := range rows {
				pos++
				h := rowDigest(r, pos, prev)
				p := pos
				if err := q.SealAccess(ctx, dbq.SealAccessParams{Seq: r.Seq, ChainPos: &p, PrevHash: prev, Hash: h}); err != nil {
					return err
				}
				prev = h
			}
			n = len(rows)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < batch {
			return total, nil
		}
	}
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
}

// Verify seals what is pending, then recomputes every link from the start.
func (s *Store) Verify(ctx context.Context) (Verification, error) {
	if _, err := s.Seal(ctx); err != nil {
		return Verification{}, err
	}
	v := Verification{OK: true}
	pos, prev := int64(0), genesis
	for {
		rows, err := s.q.ChainPage(ctx, dbq.ChainPageParams{After: pos, Lim: 5000})
		if err != nil {
			return v, interpret(err)
		}
		for _, r := range rows {
			want := pos + 1
			fail := func(reason string) {
				v.OK, v.Reason = false, reason
				at, seq := want, r.Seq
				v.BrokenAt, v.BrokenSeq = &at, &seq
			}
			switch {
			case *r.ChainPos != want:
				fail(fmt.Sprintf("row %d is missing from the chain", want))
			case !bytes.Equal(r.PrevHash, prev):
				fail("previous-hash link does not match the row before")
			case !bytes.Equal(r.Hash, rowDigest(r, want, prev)):
				fail("row content does not match its hash")
			}
			if !v.OK {
				return v, nil
			}
			v.Checked++
			pos, prev = want, r.Hash
		}
		if len(rows) < 5000 {
			break
		}
	}
	counts, err := s.q.CountAccess(ctx)
	if err != nil {
		return v, interpret(err)
	}
	v.Unsealed = counts.Total - counts.Sealed
	return v, nil
}
