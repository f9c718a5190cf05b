package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
	"kam/i18n"
)

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

// Locales a member of staff may read kam in (SPEC §7 "Language").
const (
	LocaleZH = "zh-CN"
	LocaleEN = "en"
)

// Locales lists every locale, the default first.
var Locales = []string{LocaleZH, LocaleEN}

// ValidLocale tells whether l is one of Locales.
func ValidLocale(l string) bool { return slices.Contains(Locales, l) }

// SetDefaultLocale sets the locale new staff get when none is named
// (KAM_DEFAULT_LOCALE); an unknown one is ignored.
func (s *Store) SetDefaultLocale(l string) {
	if ValidLocale(l) {
		s.defaultLocale = l
	}
}

// DefaultLocale is the locale new staff get when none is named (also of a
// nil store: a server built only to describe its routes).
func (s *Store) DefaultLocale() string {
	if s == nil || s.defaultLocale == "" {
		return LocaleZH
	}
	return s.defaultLocale
}

// NewStaff is a member of staff to add; an empty Locale takes the default.
type NewStaff struct {
	Name   string
	Email  *string
	Role   string
	Locale string
}

// AddStaff adds a staff member.
func (s *Store) AddStaff(ctx context.Context, n NewStaff) (kam.Staff, error) {
	if n.Locale == "" {
		n.Locale = s.DefaultLocale()
	}
	var st dbq.Staff
	// In a transaction like every write, so an Idempotency-Key is never
	// released after the person exists.
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		var err error
		st, err = q.CreateStaff(ctx, dbq.CreateStaffParams{ID: NewID(), Name: n.Name, Email: n.Email, Role: n.Role, Locale: n.Locale})
		return err
	})
	return staffOf(st), err
}

// CreateStaff adds a staff member in the default locale.
func (s *Store) CreateStaff(ctx context.Context, name string, email *string, role string) (kam.Staff, error) {
	return s.AddStaff(ctx, NewStaff{Name: name, Email: email, Role: role})
}

// ErrStaffInactive refuses what an inactive person may not be given.
var ErrStaffInactive = &kam.Error{Kind: kam.KindConflict, Code: "staff_inactive", Message: "this member of staff is inactive"}

// IssueToken creates a token for an active staff member; the secret is
// returned only here. The person's row is share-locked until commit, so a
// deactivation running at the same time either waits for this token (and
// revokes it) or has already made the person inactive (and this refuses).
func (s *Store) IssueToken(ctx context.Context, staffID uuid.UUID, secret string, expiresAt *time.Time) (kam.TokenInfo, error) {
	if secret == "" {
		secret = NewTokenSecret()
	}
	var t dbq.ApiToken
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		st, err := q.ShareLockStaff(ctx, staffID)
		if err != nil {
			return err
		}
		if !st.Active {
			return ErrStaffInactive
		}
		t, err = q.CreateToken(ctx, dbq.CreateTokenParams{ID: NewID(), StaffID: staffID, TokenHash: HashToken(secret), ExpiresAt: expiresAt})
		return err
	})
	return kam.TokenInfo{ID: t.ID, StaffID: t.StaffID, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt, Version: t.Version}, err
}

// Authenticate returns the staff member a bearer token belongs to. It stamps
// the token's last_used_at when the stamp is a minute old or missing, so
// almost every request stays a pure read; a failed stamp is not a failed
// authentication (the stamp is a convenience, not a record). While this
// process listens for token and staff changes (WatchAuth) the answer is
// cached for up to authTTL and dropped at the first change (authcache.go).
func (s *Store) Authenticate(ctx context.Context, token string) (kam.Staff, error) {
	hash, now := HashToken(token), time.Now()
	if st, ok := s.auth.get(hash, now); ok {
		return st, nil
	}
	gen, armed := s.auth.begin()
	row, err := s.q.Authenticate(ctx, hash)
	if err != nil {
		return kam.Staff{}, interpret(err)
	}
	if row.Stale {
		_ = s.q.TouchToken(ctx, row.TokenID)
	}
	st := staffOf(row.Staff)
	if armed {
		s.auth.put(hash, gen, st, row.ExpiresAt, now)
	}
	return st, nil
}

// Bootstrapped is the first admin created by Bootstrap.
type Bootstrapped struct {
	StaffID uuid.UUID
	TokenID uuid.UUID
	// Token is the secret; it equals the operator's when one was given.
	Token string
}

// Bootstrap creates the first admin when there is no staff at all, with the
// given token (or a new one), stored like every token (a hashed row with an
// id, so it can be listed and revoked). ok is false when staff existed.
func (s *Store) Bootstrap(ctx context.Context, token string) (b Bootstrapped, ok bool, err error) {
	err = s.inTx(ctx, func(q *dbq.Queries) error {
		if err := q.LockBootstrap(ctx); err != nil {
			return err
		}
		n, err := q.CountStaff(ctx)
		if err != nil || n > 0 {
			return err
		}
		st, err := q.CreateStaff(ctx, dbq.CreateStaffParams{ID: NewID(), Name: "Administrator", Role: kam.RoleAdmin, Locale: s.DefaultLocale()})
		if err != nil {
			return err
		}
		if token == "" {
			token = NewTokenSecret()
		}
		t, err := q.CreateToken(ctx, dbq.CreateTokenParams{ID: NewID(), StaffID: st.ID, TokenHash: HashToken(token)})
		if err != nil {
			return err
		}
		b, ok = Bootstrapped{StaffID: st.ID, TokenID: t.ID, Token: token}, true
		return nil
	})
	return b, ok, err
}

// StaffPatch carries the fields an admin changes; nil leaves a field as it is.
type StaffPatch struct {
	Name, Email, Role, Locale *string
	ClearEmail                bool
	Active                    *bool
	// HandoverTo receives the person's accounts when they stop managing them.
	HandoverTo *uuid.UUID
}

// StaffUpdate is what UpdateStaff did.
type StaffUpdate struct {
	Staff kam.Staff
	// Handover is the handover this change began (or found running), if any.
	Handover *kam.Handover
}

// UpdateStaff changes a staff record under a row lock. ifMatch, when given,
// must equal the current version.
//
// A person who stops managing accounts (deactivated, or moved out of the
// account_manager role) must not leave accounts without a manager (Art. 20):
// that is refused with has_assignments while accounts are assigned to them
// (or are still being handed over to them), unless HandoverTo names an
// active account manager. Then the change begins a handover to them in this
// same transaction, the one way every handover goes (StartHandover): hs
// starts its run, which moves the accounts in batches, each with a history
// row and an `update` register row under hs.Access. Deactivation revokes
// every token of the person. The last active admin can neither be
// deactivated nor lose the role.
func (s *Store) UpdateStaff(ctx context.Context, id uuid.UUID, ifMatch *int32, p StaffPatch, hs HandoverStart) (StaffUpdate, error) {
	var out StaffUpdate
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if err := lockHeirFirst(ctx, q, id, p.HandoverTo); err != nil {
			return err
		}
		st, err := q.LockStaff(ctx, id)
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != st.Version {
			return kam.Errorf(kam.KindPrecondition, "version_conflict", "the staff record is at version %d, not %d", st.Version, *ifMatch).
				With(string(i18n.VersionConflictDetail), st.Version, *ifMatch)
		}
		next := applyStaff(st, p)
		if err := keepAnAdmin(ctx, q, st, next); err != nil {
			return err
		}
		if out.Handover, err = handOver(ctx, q, st, next, p.HandoverTo, hs); err != nil {
			return err
		}
		if st.Active && !next.Active {
			if _, err := q.RevokeStaffTokens(ctx, id); err != nil {
				return err
			}
		}
		if !next.Active || !kam.DecidesApprovals(next.Role) {
			// SPEC §7: a deputy decides, and sees, only while able to
			// decide approvals; a delegator who cannot has none to lend.
			if _, err := q.EndDelegationsOf(ctx, id); err != nil {
				return err
			}
		}
		if staffUnchanged(st, next) {
			out.Staff = staffOf(st)
			return nil
		}
		row, err := q.UpdateStaff(ctx, dbq.UpdateStaffParams{ID: id, Name: next.Name, Email: next.Email, Role: next.Role, Active: next.Active, Locale: next.Locale})
		out.Staff = staffOf(row)
		return err
	})
	s.auth.flush() // a deactivation or a new role holds from the next request on
	return out, err
}

func applyStaff(st dbq.Staff, p StaffPatch) dbq.Staff {
	if p.Name != nil {
		st.Name = *p.Name
	}
	if p.ClearEmail {
		st.Email = nil
	} else if p.Email != nil {
		e := *p.Email
		st.Email = &e
	}
	if p.Role != nil {
		st.Role = *p.Role
	}
	if p.Locale != nil {
		st.Locale = *p.Locale
	}
	if p.Active != nil {
		st.Active = *p.Active
	}
	return st
}

func staffUnchanged(a, b dbq.Staff) bool {
	sameEmail := (a.Email == nil && b.Email == nil) || (a.Email != nil && b.Email != nil && *a.Email == *b.Email)
	return sameEmail && a.Name == b.Name && a.Role == b.Role && a.Active == b.Active && a.Locale == b.Locale
}

// keepAnAdmin refuses to take away the last active admin: nobody could
// manage staff or tokens afterwards.
func keepAnAdmin(ctx context.Context, q *dbq.Queries, was, next dbq.Staff) error {
	if !(was.Active && was.Role == kam.RoleAdmin) || (next.Active && next.Role == kam.RoleAdmin) {
		return nil
	}
	if err := q.LockAdmins(ctx); err != nil {
		return err
	}
	n, err := q.CountOtherActiveAdmins(ctx, was.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return kam.Errorf(kam.KindConflict, "last_admin", "this is the last active admin; make another admin first")
	}
	return nil
}

// handOver begins the handover of a departing manager's accounts to `to`
// (Art. 20: no account is left without its manager), or refuses the
// departure while accounts are theirs and nobody is named.
func handOver(ctx context.Context, q *dbq.Queries, was, next dbq.Staff, to *uuid.UUID, hs HandoverStart) (*kam.Handover, error) {
	leaves := (was.Active && !next.Active) || (was.Role == kam.RoleAccountManager && next.Role != kam.RoleAccountManager)
	if !leaves {
		if to != nil {
			return nil, kam.Invalid("handover_to", "handover_to goes with active: false or a role other than account_manager")
		}
		return nil, nil
	}
	if to != nil {
		h, err := beginHandover(ctx, q, was.ID, *to, "handover_to", hs)
		return &h, err
	}
	n, err := q.CountAssignedAccounts(ctx, &was.ID)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, kam.Conflict(kam.CodeHasAssignments, "%d accounts are assigned to this person; name handover_to (an active account manager) to move them", n).
			With(string(i18n.HasAssignmentsDetail), n)
	}
	if n, err = q.CountRunningHandoversTo(ctx, was.ID); err != nil || n > 0 {
		if err != nil {
			return nil, err
		}
		return nil, kam.Conflict(kam.CodeHasAssignments, "accounts are being handed over to this person; wait until that handover is done")
	}
	return nil, nil
}

// ListTokens pages through a person's tokens, in issue order; never a secret
// or a hash.
func (s *Store) ListTokens(ctx context.Context, staffID uuid.UUID, after *uuid.UUID, limit int32) ([]kam.TokenInfo, error) {
	rows, err := s.q.ListTokens(ctx, dbq.ListTokensParams{StaffID: staffID, After: after, Lim: limit})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.TokenInfo, len(rows))
	for i, t := range rows {
		out[i] = kam.TokenInfo{ID: t.ID, StaffID: t.StaffID, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt, Version: t.Version}
	}
	return out, nil
}

// staffOf is the domain's view of a staff row.
func staffOf(st dbq.Staff) kam.Staff {
	return kam.Staff{ID: st.ID, Name: st.Name, Email: st.Email, Role: st.Role, Active: st.Active,
		CreatedAt: st.CreatedAt, Locale: st.Locale, Version: st.Version}
}

// Staff returns one member of staff (ErrNotFound when unknown).
func (s *Store) Staff(ctx context.Context, id uuid.UUID) (kam.Staff, error) {
	st, err := s.q.GetStaff(ctx, id)
	if err != nil {
		return kam.Staff{}, interpret(err)
	}
	return staffOf(st), nil
}

// ListStaff pages through staff in id order, optionally of one role.
func (s *Store) ListStaff(ctx context.Context, after *uuid.UUID, role *string, limit int32) ([]kam.Staff, error) {
	rows, err := s.q.ListStaff(ctx, dbq.ListStaffParams{After: after, Role: role, Lim: limit})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]kam.Staff, len(rows))
	for i, st := range rows {
		out[i] = staffOf(st)
	}
	return out, nil
}

// RevokeToken revokes one of a person's tokens; a token that is not theirs
// is not found, so no one learns another person's token ids.
func (s *Store) RevokeToken(ctx context.Context, staffID, tokenID uuid.UUID) error {
	if _, err := s.q.GetToken(ctx, dbq.GetTokenParams{ID: tokenID, StaffID: staffID}); err != nil {
		return interpret(err)
	}
	_, err := s.q.RevokeToken(ctx, dbq.RevokeTokenParams{ID: tokenID, StaffID: staffID})
	s.auth.flush() // refused from the next request on, without waiting for kam_auth
	return interpret(err)
}
