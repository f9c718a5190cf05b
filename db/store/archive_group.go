package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// RegisteredArchive reads one account's archive within scope and registers
// the read (a, which names that account) in the same statement, so in the
// same commit: the answer and its register row are durable together
// (Art. 9). Concurrent calls share one statement and one commit, which is
// what makes a registered read cost less than a read and a write of its own.
// kam.ErrNotFound: no such account in scope, and nothing was registered (the
// caller registers the denial). A group that cannot be written fails every
// read in it with ErrUnregistered.
func (s *Store) RegisteredArchive(ctx context.Context, scope Scope, id uuid.UUID, a Access) (Archive, error) {
	if err := ctx.Err(); err != nil {
		return Archive{}, callerGone(err)
	}
	w := &archiveWaiter{id: id, access: a, done: make(chan archiveAnswer, 1)}
	if scope.ManagerID != nil {
		w.manager = *scope.ManagerID
	}
	s.archiveReads.enqueue(w, s.readArchiveGroup)
	select {
	case ans := <-w.done:
		return ans.archive, ans.err
	case <-ctx.Done():
		// The row may still commit with its group; the read is not shown,
		// as one whose row could not be written (503, never an internal error).
		return Archive{}, callerGone(ctx.Err())
	}
}

// callerGone is the refusal of a read whose caller left: unregistered.
func callerGone(err error) error {
	return fmt.Errorf("access register: %v: %w", err, ErrUnregistered)
}

// archiveFlushers: archive-read groups in flight at once. Each is a read and
// an insert, heavier than a register row alone, so fewer and larger groups
// do better. With 8 clients on the 2-core machine (BenchmarkRegisteredRead,
// 2026-11-30): 1 gathers 4-5.6 reads per commit, and Postgres spends 76-80 µs
// per read, as much as on the floor's select and insert; 2 gathered 3 and
// spent 110-132 µs. 4 and 8 did worse than 2 (0.37 of the floor's reads/s).
const archiveFlushers = 1

type archiveWaiter struct {
	id      uuid.UUID
	manager uuid.UUID // uuid.Nil: no scope
	access  Access
	done    chan archiveAnswer
}

type archiveAnswer struct {
	archive Archive
	err     error
}

// archiveGroupRow is a register row of the group, tied to its request.
type archiveGroupRow struct {
	Ord int `json:"ord"`
	groupRow
}

// readArchiveGroup reads and registers a group's archives in one statement
// and answers each waiter.
func (s *Store) readArchiveGroup(group []*archiveWaiter) {
	found, err := s.archivesRegistered(group)
	for i, w := range group {
		switch ar, ok := found[i+1]; {
		case err != nil:
			w.done <- archiveAnswer{err: err}
		case !ok:
			w.done <- archiveAnswer{err: kam.ErrNotFound}
		default:
			w.done <- archiveAnswer{archive: ar}
		}
	}
}

// archivesRegistered answers the archives found, by the request's ord.
func (s *Store) archivesRegistered(group []*archiveWaiter) (map[int]Archive, error) {
	ids, managers := make([]uuid.UUID, len(group)), make([]uuid.UUID, len(group))
	rows := make([]archiveGroupRow, 0, len(group))
	for i, w := range group {
		ids[i], managers[i] = w.id, w.manager
		for _, r := range groupRows(w.access) {
			rows = append(rows, archiveGroupRow{Ord: i + 1, groupRow: r})
		}
	}
	body, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("access register: %v: %w", err, ErrUnregistered)
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	got, err := s.q.ReadArchivesRegistered(ctx, dbq.ReadArchivesRegisteredParams{Ids: ids, Managers: managers, Rows: body})
	if err != nil {
		return nil, fmt.Errorf("access register: %v: %w", interpret(err), ErrUnregistered)
	}
	out := make(map[int]Archive, len(got))
	for _, r := range got {
		c := kam.Customer(r.Customer)
		out[int(r.Ord)] = Archive{Customer: c, Missing: kam.MissingSections(c, factsOf(r.Contacts, r.Heads, r.Handlers, r.HasCredit)), CreditLevel: r.CreditLevel}
	}
	return out, nil
}
