package api

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// archiveRead declares one read of account archives: the capability it
// needs, the archive sections it shows, and the register action it leaves
// (kam.AccessView, AccessList or AccessExport).
type archiveRead struct {
	need     capability
	sections []string
	action   string
	refusal  string // why a role without need is refused, on lists
	// scoped: the read applies the caller's scope itself, so the pipeline
	// skips its own visibility check and a not-found from the read is an
	// account the caller cannot see (registered as denied, 404).
	scoped bool
}

// readAccount is the pipeline of a read of one account's archive: it gates
// (404 for an account the caller cannot see, 403 for a role that may not,
// both registered as denied), runs read in the caller's scope, and registers
// the access before the answer leaves (Art. 9): nothing is shown unregistered.
func readAccount[T any](s *Server, ctx context.Context, id uuid.UUID, r archiveRead, read func(ctx context.Context, scope store.Scope) (T, error)) (T, error) {
	var zero T
	gate := s.gateVisible
	if r.scoped {
		gate = s.gateAccount
	}
	scope, err := gate(ctx, id, r.need, r.sections)
	if err != nil {
		return zero, err
	}
	out, err := read(ctx, scope)
	if err != nil && r.scoped {
		return zero, s.archiveErr(ctx, id, r.sections, err)
	}
	if err != nil {
		return zero, s.storeErr(err)
	}
	if err := s.registerRead(ctx, r.action, []uuid.UUID{id}, r.sections); err != nil {
		return zero, err
	}
	return out, nil
}

// readAccountRegistering is readAccount for a read the store registers
// itself, in the read's own statement and commit (read gets the register
// entry to write): the hot single-account reads, whose separate register
// write would cost more than the read. A scoped read's not-found is
// registered as denied, as in readAccount.
func readAccountRegistering[T any](s *Server, ctx context.Context, id uuid.UUID, r archiveRead, read func(ctx context.Context, scope store.Scope, a store.Access) (T, error)) (T, error) {
	var zero T
	scope, err := s.gateAccount(ctx, id, r.need, r.sections)
	if err != nil {
		return zero, err
	}
	out, err := read(ctx, scope, accessOf(ctx, r.action, []uuid.UUID{id}, r.sections))
	switch {
	case errors.Is(err, store.ErrUnregistered):
		return zero, s.registerFailed(err)
	case err != nil:
		return zero, s.archiveErr(ctx, id, r.sections, err)
	}
	return out, nil
}

// readList is the pipeline of a read across accounts: a role without the
// capability is refused 403 and registered as denied; read returns what it
// shows and the accounts on it, and only those are registered, before the
// answer (a page showing no account leaves no row).
func readList[T any](s *Server, ctx context.Context, r archiveRead, read func(ctx context.Context, scope store.Scope) (T, []uuid.UUID, error)) (T, error) {
	var zero T
	p := callerOf(ctx)
	if !can(p.Role, r.need) {
		return zero, s.deny(ctx, uuid.Nil, r.sections, forbidden(r.refusal))
	}
	out, shown, err := read(ctx, scopeOf(p))
	if err != nil {
		return zero, s.storeErr(err)
	}
	if err := s.registerShown(ctx, r.action, shown, r.sections); err != nil {
		return zero, err
	}
	return out, nil
}

// shownAccount is one account a list showed, with the sections it showed
// of it.
type shownAccount struct {
	ID       uuid.UUID
	Sections []string
}

// shownAccounts gathers the accounts a page shows, each once in order of
// first appearance, with the basics and every section its rows show.
type shownAccounts struct {
	list []shownAccount
	at   map[uuid.UUID]int
}

func (s *shownAccounts) add(id uuid.UUID, sections []string) {
	i, ok := s.at[id]
	if !ok {
		if s.at == nil {
			s.at = map[uuid.UUID]int{}
		}
		i = len(s.list)
		s.at[id] = i
		s.list = append(s.list, shownAccount{ID: id, Sections: []string{kam.SectionBasics}})
	}
	for _, sec := range sections {
		if !slices.Contains(s.list[i].Sections, sec) {
			s.list[i].Sections = append(s.list[i].Sections, sec)
		}
	}
}

// readListEach is readList for a list that shows different sections of
// different accounts (the caller's tasks): read returns each account shown
// with its sections, and each is registered under action with those, before
// the answer. What a caller may list is decided inside read (the caller's
// own things), so there is no capability to refuse.
func readListEach[T any](s *Server, ctx context.Context, action string, read func(ctx context.Context) (T, []shownAccount, error)) (T, error) {
	var zero T
	out, shown, err := read(ctx)
	if err != nil {
		return zero, s.storeErr(err)
	}
	// One register call per set of sections: accounts shown alike share it.
	var keys []string
	groups := map[string][]uuid.UUID{}
	for _, a := range shown {
		key := strings.Join(a.Sections, ",")
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], a.ID)
	}
	// All of them in one call: one group commit to wait for, not one per
	// set, and the page's rows commit together or not at all.
	if len(keys) == 0 {
		return out, nil
	}
	access := make([]store.Access, len(keys))
	for i, key := range keys {
		access[i] = accessOf(ctx, action, groups[key], strings.Split(key, ","))
	}
	if err := s.store.RegisterRead(ctx, access...); err != nil {
		return zero, s.registerFailed(err)
	}
	return out, nil
}

// registerShown registers an access to the accounts shown; showing none
// leaves no row.
func (s *Server) registerShown(ctx context.Context, action string, shown []uuid.UUID, sections []string) error {
	if len(shown) == 0 {
		return nil
	}
	return s.registerRead(ctx, action, shown, sections)
}

// registerRead registers a read before its answer leaves, in the store's
// group commit: concurrent reads' rows share one INSERT and one commit, and
// each read waits for its own row to be durable. A group that cannot be
// written fails every read in it: 503, nothing shown (Art. 9).
func (s *Server) registerRead(ctx context.Context, action string, customers []uuid.UUID, sections []string) error {
	if err := s.store.RegisterRead(ctx, accessOf(ctx, action, customers, sections)); err != nil {
		return s.registerFailed(err)
	}
	return nil
}

// storeErr maps an error from a store call (sqlc or store method) to what the
// caller sees.
func (s *Server) storeErr(err error) error {
	return problemFor(s.log, err)
}

// accountsOf lists, once each and in order of first appearance, the accounts
// of the rows shown.
func accountsOf[R any](rows []R, account func(R) uuid.UUID) []uuid.UUID {
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, r := range rows {
		if id := account(r); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}
