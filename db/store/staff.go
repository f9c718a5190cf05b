package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"

	"kam/db/dbq"
)

// Roles (SPEC §2).
const (
	RoleAdmin          = "admin"
	RoleGeneralManager = "general_manager"
	RoleKAManager      = "ka_manager"
	RoleAccountManager = "account_manager"
	RoleDataClerk      = "data_clerk"
	RoleServiceAgent   = "service_agent"
	RoleFinance        = "finance"
	RoleAuditor        = "auditor"
)

// Roles lists every role, in SPEC order.
var Roles = []string{RoleAdmin, RoleGeneralManager, RoleKAManager, RoleAccountManager,
	RoleDataClerk, RoleServiceAgent, RoleFinance, RoleAuditor}

// tokenPrefix marks kam tokens so a leaked one is recognisable in logs and scanners.
const tokenPrefix = "kam_"

// HashToken is the only form of a token that is stored.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// NewTokenSecret returns 32 random bytes, encoded for an Authorization header.
func NewTokenSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ValidTokenShape tells whether a bootstrap token supplied by an operator is
// strong enough to use.
func ValidTokenShape(token string) bool {
	return len(token) >= 32 && !strings.ContainsAny(token, " \t\r\n")
}

// CreateStaff adds a staff member.
func (s *Store) CreateStaff(ctx context.Context, name string, email *string, role string) (dbq.Staff, error) {
	st, err := s.q.CreateStaff(ctx, dbq.CreateStaffParams{ID: NewID(), Name: name, Email: email, Role: role})
	return st, interpret(err)
}

// IssueToken creates a token for a staff member; the secret is returned only here.
func (s *Store) IssueToken(ctx context.Context, staffID uuid.UUID, secret string, expiresAt *time.Time) (dbq.ApiToken, error) {
	if secret == "" {
		secret = NewTokenSecret()
	}
	t, err := s.q.CreateToken(ctx, dbq.CreateTokenParams{ID: NewID(), StaffID: staffID, TokenHash: HashToken(secret), ExpiresAt: expiresAt})
	return t, interpret(err)
}

// Authenticate returns the staff member a bearer token belongs to.
func (s *Store) Authenticate(ctx context.Context, token string) (dbq.Staff, error) {
	st, err := s.q.Authenticate(ctx, HashToken(token))
	return st, interpret(err)
}

// Bootstrap creates the first admin when there is no staff at all, with the
// given token (or a new one). It returns the token, or "" when staff existed.
func (s *Store) Bootstrap(ctx context.Context, token string) (string, error) {
	var issued string
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if err := q.LockBootstrap(ctx); err != nil {
			return err
		}
		n, err := q.CountStaff(ctx)
		if err != nil || n > 0 {
			return err
		}
		st, err := q.CreateStaff(ctx, dbq.CreateStaffParams{ID: NewID(), Name: "Administrator", Role: RoleAdmin})
		if err != nil {
			return err
		}
		if token == "" {
			token = NewTokenSecret()
		}
		if _, err := q.CreateToken(ctx, dbq.CreateTokenParams{ID: NewID(), StaffID: st.ID, TokenHash: HashToken(token)}); err != nil {
			return err
		}
		issued = token
		return nil
	})
	return issued, err
}
