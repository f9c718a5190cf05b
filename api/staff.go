package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"kam/db/dbq"
	"kam/db/store"
)

// Staff is a member of staff as the API shows it.
type Staff struct {
	ID        string    `json:"id" format:"uuid"`
	Name      string    `json:"name"`
	Email     *string   `json:"email"`
	Role      string    `json:"role"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

func staffOut(s dbq.Staff) Staff {
	return Staff{ID: s.ID.String(), Name: s.Name, Email: s.Email, Role: s.Role, Active: s.Active, CreatedAt: s.CreatedAt}
}

// StaffCreate adds a member of staff.
type StaffCreate struct {
	Name  string  `json:"name" minLength:"1" maxLength:"200"`
	Email *string `json:"email,omitempty" maxLength:"254"`
	Role  string  `json:"role" enum:"admin,general_manager,ka_manager,account_manager,data_clerk,service_agent,finance,auditor"`
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
}

func (s *Server) staffRoutes() {
	huma.Register(s.api, created(op("create-staff", http.MethodPost, "/v1/staff", "Add a member of staff (admin)", "staff")), s.createStaff)
	huma.Register(s.api, op("list-staff", http.MethodGet, "/v1/staff", "List staff", "staff"), s.listStaff)
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
	st, err := s.store.CreateStaff(ctx, in.Body.Name, in.Body.Email, in.Body.Role)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Staff }{Body: staffOut(st)}, nil
}

func (s *Server) listStaff(ctx context.Context, in *struct {
	Role   string `query:"role" maxLength:"32"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"200"`
}) (*struct{ Body Page[Staff] }, error) {
	if !can(callerOf(ctx).Role, capListStaff) {
		return nil, forbidden("your role does not list staff")
	}
	after, err := uuidCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.Q().ListStaff(ctx, dbq.ListStaffParams{After: after, Role: nonEmpty(in.Role), Lim: int32(in.Limit + 1)})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	page := pageOf(rows, in.Limit, staffOut, func(st dbq.Staff) string { return encodeCursor(st.ID.String()) })
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
		if !in.Body.ExpiresAt.After(time.Now()) {
			return nil, invalidField("body.expires_at", "expires_at must be in the future")
		}
		exp = in.Body.ExpiresAt
	}
	if _, err := s.store.Q().GetStaff(ctx, id); err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	secret := store.NewTokenSecret()
	t, err := s.store.IssueToken(ctx, id, secret, exp)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Token }{Body: Token{ID: t.ID.String(), Token: secret, ExpiresAt: t.ExpiresAt}}, nil
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
	if _, err := s.store.Q().GetToken(ctx, dbq.GetTokenParams{ID: tid, StaffID: id}); err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	if _, err := s.store.Q().RevokeToken(ctx, dbq.RevokeTokenParams{ID: tid, StaffID: id}); err != nil {
		return nil, problemFor(s.log, err)
	}
	return nil, nil
}

func (s *Server) me(ctx context.Context, _ *struct{}) (*struct{ Body Staff }, error) {
	st, err := s.store.Q().GetStaff(ctx, callerOf(ctx).ID)
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	return &struct{ Body Staff }{Body: staffOut(st)}, nil
}
