package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam/db/internal/dbq"
)

// referenceContent is how rowContent was written first, and how every chain
// sealed before it was hashed: encoding/json over the row's fields.
func referenceContent(r dbq.AccessLog, pos int64, prev []byte) []byte {
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
	return content
}

// The sealer's encoder writes the very bytes encoding/json wrote, for any
// content: a differing byte would break every chain already sealed.
func TestRowContentIsEncodingJSON(t *testing.T) {
	pieces := []string{"", "a", "view", "GET /v1/customers/{id}", "年度拜访", "\"", "\\", "<", ">", "&", "\n", "\t", "\x00", "\x1f",
		"\x7f", "\u2028", "\u2029", "\xff", "\xe4\xb8", "é", "💼", " ", "'", "/", "%s"}
	rng := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		var b bytes.Buffer
		for range rng.IntN(5) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	for i := range 20000 {
		r := dbq.AccessLog{Seq: rng.Int64N(1 << 40), At: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(time.FixedZone("x", 8*3600)),
			Action: text(), RequestID: text(), Purpose: text(), Route: text()}
		if rng.IntN(2) == 0 {
			id := uuid.New()
			r.StaffID = &id
		}
		if rng.IntN(3) > 0 {
			id := uuid.New()
			if rng.IntN(4) == 0 {
				id = uuid.Nil
			}
			r.CustomerID = &id
		}
		if rng.IntN(2) == 0 {
			role := text()
			r.StaffRole = &role
		}
		switch rng.IntN(3) {
		case 0: // nil: null
		case 1:
			r.Sections = []string{}
		default:
			for range 1 + rng.IntN(3) {
				r.Sections = append(r.Sections, text())
			}
		}
		prev := make([]byte, 32*rng.IntN(2))
		for j := range prev {
			prev[j] = byte(rng.IntN(256))
		}
		pos := rng.Int64N(1<<40) - 5
		if got, want := rowContent(r, pos, prev), referenceContent(r, pos, prev); !bytes.Equal(got, want) {
			t.Fatalf("row %d: rowContent\n%s\nencoding/json\n%s", i, got, want)
		}
	}
}

// BenchmarkRowContent: the sealer's per-row encoding beside encoding/json's.
func BenchmarkRowContent(b *testing.B) {
	staff, customer, role := uuid.New(), uuid.New(), "account_manager"
	r := dbq.AccessLog{Seq: 123456789, At: time.Now(), StaffID: &staff, StaffRole: &role, CustomerID: &customer, Action: "list",
		Sections: []string{"basics", "credit"}, RequestID: "0f9c2a7e-6a53-4c1e-9d6b-1c2e3f4a5b6c", Route: "GET /v1/me/tasks"}
	prev := make([]byte, 32)
	b.Run("append", func(b *testing.B) {
		h := newChainHasher([]byte("key"))
		for range b.N {
			h.digest(r, 42, prev)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for range b.N {
			m := newChainHasher([]byte("key")).mac
			m.Write(referenceContent(r, 42, prev))
			m.Sum(nil)
		}
	})
}
