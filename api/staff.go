package api

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// Staff is a member of staff as the API shows it.
type Staff struct {
	ID        string    `json:"id" format:"uuid"`
	Name      string    `json:"name"`
	Email     *string   `json:"email"`
	Role      string    `json:"role"`
	Active    bool      `json:"active" doc:"false: every token is revoked and none can be issued"`
	Locale    string    `json:"locale" enum:"zh-CN,en" doc:"Language of notices and problem details"`
	Version   int32     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
}

func staffOut(s kam.Staff) Staff {
	return Staff{ID: s.ID.String(), Name: s.Name, Email: s.Email, Role: s.Role, Active: s.Active, Locale: s.Locale,
		Version: s.Version, CreatedAt: s.CreatedAt}
}

type staffOutput struct {
	ETag string `header:"ETag"`
	Body Staff
}

// StaffChanged is a changed staff record, with the handover the change began.
type StaffChanged struct {
	Staff
	Handover *Handover `json:"handover,omitempty" doc:"The handover a handover_to began (or found running): the accounts move in batches; follow it at its link"`
}

type staffChangedOutput struct {
	ETag string `header:"ETag"`
	Body StaffChanged
}

func staffAnswer(st kam.Staff) *staffOutput {
	return &staffOutput{ETag: etag(st.Version), Body: staffOut(st)}
}

// StaffCreate adds a member of staff.
type StaffCreate struct {
	Name   string  `json:"name" minLength:"1" maxLength:"200"`
	Email  *string `json:"email,omitempty" maxLength:"254"`
	Role   string  `json:"role" enum:"admin,general_manager,ka_manager,account_manager,data_clerk,service_agent,finance,auditor"`
	Locale *string `json:"locale,omitempty" enum:"zh-CN,en" doc:"Omitted: KAM_DEFAULT_LOCALE (zh-CN)"`
}

// StaffPatch changes a member of staff (admin); absent fields stay as they are.
type StaffPatch struct {
	Name       *string `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Email      *string `json:"email,omitempty" maxLength:"254" doc:"An empty string or null clears it"`
	Role       *string `json:"role,omitempty" enum:"admin,general_manager,ka_manager,account_manager,data_clerk,service_agent,finance,auditor"`
	Active     *bool   `json:"active,omitempty" doc:"false revokes every token of the person at once; refused (409 has_assignments) while accounts are assigned to them, unless handover_to is named"`
	Locale     *string `json:"locale,omitempty" enum:"zh-CN,en"`
	HandoverTo *string `json:"handover_to,omitempty" format:"uuid" doc:"An active account manager who receives every account of a person deactivated (or moved out of account_manager) by this PATCH, with their pending discount requests, visit plans and greeting tasks: the handover of POST /v1/staff/{id}/handover, begun in the same transaction and followed under handover"`
}

// TokenInfo is what a token list shows: never the secret, never its hash.
type TokenInfo struct {
	ID         string     `json:"id" format:"uuid"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at" doc:"Updated at most once a minute"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Version    int32      `json:"version" doc:"1 when issued; 2 once revoked; last_used_at moves without it (SPEC §3)"`
}

func tokenInfoOut(t kam.TokenInfo) TokenInfo {
	return TokenInfo{ID: t.ID.String(), CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt, Version: t.Version}
}

// TokenCreate optionally bounds a token's life.
type TokenCreate struct {
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"RFC 3339 instant; omitted: never expires"`
}

// Token is shown once, when it is issued.
type Token struct {
	ID        string     `json:"id" format:"uuid"`
	Token     string     `json:"token" doc:"The secret; only this response ever shows it"`
	ExpiresAt *time.Time `json:"expires_at"`
	Version   int32      `json:"version" doc:"1: the token as issued (SPEC §3)"`
}

func (s *Server) staffRoutes() {
	huma.Register(s.api, created(op("create-staff", http.MethodPost, "/v1/staff", "Add a member of staff (admin)", "staff")), s.createStaff)
	huma.Register(s.api, op("list-staff", http.MethodGet, "/v1/staff", "List staff", "staff"), s.listStaff)
	huma.Register(s.api, op("get-staff", http.MethodGet, "/v1/staff/{id}", "A member of staff (admin, general_manager, ka_manager)", "staff"), s.getStaff)
	huma.Register(s.api, op("patch-staff", http.MethodPatch, "/v1/staff/{id}", "Change or deactivate a member of staff (admin)", "staff"), s.patchStaff)
	huma.Register(s.api, op("list-tokens", http.MethodGet, "/v1/staff/{id}/tokens", "A person's API tokens, without secrets (admin, or the tokens' owner)", "staff"), s.listTokens)
	huma.Register(s.api, created(op("create-token", http.MethodPost, "/v1/staff/{id}/tokens", "Issue an API token (admin)", "staff")), s.createToken)
	del := op("revoke-token", http.MethodDelete, "/v1/staff/{id}/tokens/{token_id}", "Revoke an API token (admin, or the token's owner)", "staff")
	del.DefaultStatus = http.StatusNoContent
	huma.Register(s.api, del, s.revokeToken)
	huma.Register(s.api, op("me", http.MethodGet, "/v1/me", "Who am I", "staff"), s.me)
}

func (s *Server) createStaff(ctx context.Context, in *struct{ Body StaffCreate }) (*struct{ Body Staff }, error) {
	if !can(callerOf(ctx).Role, capManageStaff) {
		return nil, forbidden("only an admin manages staff")
	}
	if in.Body.Email != nil && *in.Body.Email == "" {
		in.Body.Email = nil
	}
	if err := validEmail("body.email", in.Body.Email); err != nil {
		return nil, err
	}
	n := store.NewStaff{Name: in.Body.Name, Email: in.Body.Email, Role: in.Body.Role}
	if in.Body.Locale != nil {
		n.Locale = *in.Body.Locale
	}
	st, err := s.store.AddStaff(ctx, n)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Staff }{Body: staffOut(st)}, nil
}

func (s *Server) listStaff(ctx context.Context, in *struct {
	Role   string `query:"role" maxLength:"32"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Staff] }, error) {
	if !can(callerOf(ctx).Role, capListStaff) {
		return nil, forbidden("your role does not list staff")
	}
	after, err := uuidCursor(in.Cursor, "staff")
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListStaff(ctx, after, nonEmpty(in.Role), int32(in.Limit+1))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	page := pageOf(rows, in.Limit, staffOut, func(st kam.Staff) string { return encodeCursor("staff", st.ID.String()) })
	return &struct{ Body Page[Staff] }{Body: page}, nil
}

func (s *Server) createToken(ctx context.Context, in *struct {
	ID   string       `path:"id" format:"uuid"`
	Body *TokenCreate `required:"false"`
}) (*struct{ Body Token }, error) {
	if !can(callerOf(ctx).Role, capManageStaff) {
		return nil, forbidden("only an admin issues tokens")
	}
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	var exp *time.Time
	if in.Body != nil && in.Body.ExpiresAt != nil {
		exp = in.Body.ExpiresAt
		if !exp.After(time.Now()) {
			return nil, invalidField("body.expires_at", "expires_at must be in the future")
		}
		if err := instantInRange("body.expires_at", *exp); err != nil {
			return nil, err
		}
	}
	// The store refuses an unknown (404) or inactive (409 staff_inactive) person.
	secret := store.NewTokenSecret()
	t, err := s.store.IssueToken(ctx, id, secret, exp)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Token }{Body: Token{ID: t.ID.String(), Token: secret, ExpiresAt: t.ExpiresAt, Version: t.Version}}, nil
}

func (s *Server) revokeToken(ctx context.Context, in *struct {
	ID      string `path:"id" format:"uuid"`
	TokenID string `path:"token_id" format:"uuid"`
}) (*struct{}, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	tid, err := parseUUID("path.token_id", in.TokenID)
	if err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	if !can(p.Role, capManageStaff) && p.ID != id {
		return nil, forbidden("only an admin, or the token's owner, revokes a token")
	}
	if err := s.store.RevokeToken(ctx, id, tid); err != nil {
		return nil, problemFor(s.log, err)
	}
	return nil, nil
}

func (s *Server) me(ctx context.Context, _ *struct{}) (*struct{ Body Staff }, error) {
	st, err := s.store.Staff(ctx, callerOf(ctx).ID)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Staff }{Body: staffOut(st)}, nil
}

func (s *Server) getStaff(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*staffOutput, error) {
	// Whoever may list staff may read one record of the list.
	if !can(callerOf(ctx).Role, capListStaff) {
		return nil, forbidden("your role does not read staff records")
	}
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	st, err := s.store.Staff(ctx, id)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return staffAnswer(st), nil
}

func (s *Server) patchStaff(ctx context.Context, in *struct {
	ID      string `path:"id" format:"uuid"`
	IfMatch string `header:"If-Match" doc:"The version you read (ETag); a stale one gets 412"`
	Body    StaffPatch
	RawBody []byte
}) (*staffChangedOutput, error) {
	if !can(callerOf(ctx).Role, capManageStaff) {
		return nil, forbidden("only an admin manages staff")
	}
	id, ifMatch, patch, err := staffUpdate(in.ID, in.IfMatch, in.Body, in.RawBody)
	if err != nil {
		return nil, err
	}
	// handover_to begins the one handover there is (POST .../handover): its
	// run moves the accounts, each with its register row (Art. 9, 20).
	res, err := s.store.UpdateStaff(ctx, id, ifMatch, patch, s.handoverStart(ctx))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	out := &staffChangedOutput{ETag: etag(res.Staff.Version), Body: StaffChanged{Staff: staffOut(res.Staff)}}
	if res.Handover != nil {
		h := handoverOut(*res.Handover)
		out.Body.Handover = &h
	}
	return out, nil
}

// staffUpdate reads a staff PATCH: whom, the version it was read at, and the
// patch with its explicit nulls.
func staffUpdate(rawID, rawIfMatch string, b StaffPatch, raw []byte) (uuid.UUID, *int32, store.StaffPatch, error) {
	id, err := parseUUID("path.id", rawID)
	if err != nil {
		return id, nil, store.StaffPatch{}, err
	}
	ifMatch, err := parseIfMatch(rawIfMatch)
	if err != nil {
		return id, nil, store.StaffPatch{}, err
	}
	var bad fieldErrors
	patch, err := staffPatchOf(b)
	bad.add(err)
	patch.ClearEmail, err = staffNulls(raw, patch.ClearEmail)
	bad.add(err)
	if err := bad.err(); err != nil {
		return id, nil, store.StaffPatch{}, err
	}
	return id, ifMatch, patch, nil
}

// staffPatchOf checks a PATCH body and turns it into the store's patch.
func staffPatchOf(b StaffPatch) (store.StaffPatch, error) {
	p := store.StaffPatch{Name: b.Name, Role: b.Role, Locale: b.Locale, Active: b.Active}
	var bad fieldErrors
	if b.Email != nil && *b.Email == "" {
		p.ClearEmail = true
	} else if bad.add(validEmail("body.email", b.Email)) {
		p.Email = b.Email
	}
	if b.HandoverTo != nil {
		to, err := parseUUID("body.handover_to", *b.HandoverTo)
		if bad.add(err) {
			p.HandoverTo = &to
		}
	}
	return p, bad.err()
}

// staffNulls reads a PATCH body's explicit nulls (JSON merge patch): a null
// e-mail clears it; every other field of a staff record is required.
func staffNulls(raw []byte, clearEmail bool) (bool, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return clearEmail, nil // huma has already rejected a body that is not an object
	}
	var bad fieldErrors
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if string(fields[name]) != "null" {
			continue
		}
		if name != "email" {
			bad.field("body."+name, name+" may not be null")
			continue
		}
		clearEmail = true
	}
	return clearEmail, bad.err()
}

func (s *Server) listTokens(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[TokenInfo] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	// Like revoking: an admin, or the tokens' owner (to find the id to revoke).
	if !can(p.Role, capManageStaff) && p.ID != id {
		return nil, forbidden("only an admin, or the tokens' owner, lists tokens")
	}
	after, err := uuidCursor(in.Cursor, "tokens")
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Staff(ctx, id); err != nil {
		return nil, problemFor(s.log, err)
	}
	rows, err := s.store.ListTokens(ctx, id, after, int32(in.Limit+1))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	page := pageOf(rows, in.Limit, tokenInfoOut, func(t kam.TokenInfo) string { return encodeCursor("tokens", t.ID.String()) })
	return &struct{ Body Page[TokenInfo] }{Body: page}, nil
}
