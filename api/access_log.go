package api

import (
	"context"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"kam"
)

// AccessEntry is one row of the access register (SPEC §5).
type AccessEntry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	StaffID    *string   `json:"staff_id" format:"uuid"`
	StaffRole  *string   `json:"staff_role"`
	CustomerID *string   `json:"customer_id" format:"uuid"`
	Action     string    `json:"action" enum:"view,list,export,update,denied"`
	Sections   []string  `json:"sections"`
	RequestID  string    `json:"request_id"`
	Purpose    string    `json:"purpose"`
	Route      string    `json:"route"`
	ChainPos   *int64    `json:"chain_pos" doc:"Position in the hash chain; null until sealed, normally within two seconds"`
	PrevHash   *string   `json:"prev_hash"`
	Hash       *string   `json:"hash" doc:"HMAC-SHA256 (the register key) of this row's content and prev_hash, hex; plain SHA-256 up to the verification's unkeyed_until"`
}

// Verification reports the first broken link of the chain, if any.
type Verification struct {
	OK        bool   `json:"ok"`
	Checked   int64  `json:"checked" doc:"Rows whose links were recomputed"`
	Unsealed  int64  `json:"unsealed" doc:"Rows appended while verifying, not yet in the chain"`
	BrokenAt  *int64 `json:"broken_at,omitempty" doc:"Chain position of the first row whose link fails"`
	BrokenSeq *int64 `json:"broken_seq,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// The chain is held against the newest signed checkpoint kept outside
	// the database: shorter than it is truncation, another hash at its
	// position is re-sealing.
	CheckpointPosition *int64     `json:"checkpoint_position,omitempty" doc:"Position of the newest signed checkpoint the chain was checked against"`
	CheckpointAt       *time.Time `json:"checkpoint_at,omitempty" doc:"When that checkpoint was taken"`
	UnkeyedUntil       int64      `json:"unkeyed_until,omitempty" doc:"Rows up to this position were sealed before the chain was keyed and carry a plain SHA-256"`
}

func hexp(b []byte) *string {
	if b == nil {
		return nil
	}
	s := hex.EncodeToString(b)
	return &s
}

func accessOut(r kam.AccessEntry) AccessEntry {
	return AccessEntry{Seq: r.Seq, At: r.At, StaffID: uuidString(r.StaffID), StaffRole: r.StaffRole,
		CustomerID: uuidString(r.CustomerID), Action: r.Action, Sections: r.Sections, RequestID: r.RequestID,
		Purpose: r.Purpose, Route: r.Route, ChainPos: r.ChainPos, PrevHash: hexp(r.PrevHash), Hash: hexp(r.Hash)}
}

func (s *Server) registerRoutes() {
	huma.Register(s.api, op("list-access-log", http.MethodGet, "/v1/access-log", "The access register, newest first (auditor)", "register"), s.listAccess)
	huma.Register(s.api, heavyOp(op("verify-access-log", http.MethodGet, "/v1/access-log/verify", "Recompute the hash chain (auditor)", "register")), s.verifyAccess)
}

func (s *Server) listAccess(ctx context.Context, in *struct {
	StaffID    string `query:"staff_id" format:"uuid"`
	CustomerID string `query:"customer_id" format:"uuid"`
	Action     string `query:"action" maxLength:"16"`
	From       string `query:"from" format:"date-time" doc:"RFC 3339; inclusive"`
	To         string `query:"to" format:"date-time" doc:"RFC 3339; exclusive"`
	Limit      int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Cursor     string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[AccessEntry] }, error) {
	if !can(callerOf(ctx).Role, capReadRegister) {
		return nil, forbidden("only auditors read the access register")
	}
	var bad fieldErrors
	p, err := accessQuery(in.StaffID, in.CustomerID, in.Action, in.Cursor, in.Limit)
	bad.add(err)
	p.Since, err = optInstant("query.from", in.From)
	bad.add(err)
	p.Until, err = optInstant("query.to", in.To)
	bad.add(err)
	if err := bad.err(); err != nil {
		return nil, err
	}
	rows, err := s.store.ListAccess(ctx, p)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	page := pageOf(rows, in.Limit, accessOut, func(r kam.AccessEntry) string { return encodeCursor("access-log", int64Text(r.Seq)) })
	return &struct{ Body Page[AccessEntry] }{Body: page}, nil
}

// accessQuery reads the register list's filters and cursor.
func accessQuery(staffID, customerID, action, cursor string, limit int) (kam.AccessQuery, error) {
	var bad fieldErrors
	staff, err := optUUID("query.staff_id", nonEmpty(staffID))
	bad.add(err)
	customer, err := optUUID("query.customer_id", nonEmpty(customerID))
	bad.add(err)
	before, err := int64Cursor(cursor, "access-log")
	bad.add(err)
	if err := bad.err(); err != nil {
		return kam.AccessQuery{}, err
	}
	return kam.AccessQuery{StaffID: staff, CustomerID: customer, Action: nonEmpty(action), Before: before, Limit: int32(limit + 1)}, nil
}

func (s *Server) verifyAccess(ctx context.Context, _ *struct{}) (*struct{ Body Verification }, error) {
	if !can(callerOf(ctx).Role, capReadRegister) {
		return nil, forbidden("only auditors verify the access register")
	}
	v, err := s.store.Verify(ctx)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	out := Verification{OK: v.OK, Checked: v.Checked, Unsealed: v.Unsealed, BrokenAt: v.BrokenAt, BrokenSeq: v.BrokenSeq, Reason: v.Reason,
		UnkeyedUntil: v.UnkeyedUntil}
	if cp := v.Checkpoint; cp != nil {
		out.CheckpointPosition, out.CheckpointAt = &cp.Position, &cp.At
	}
	return &struct{ Body Verification }{Body: out}, nil
}
