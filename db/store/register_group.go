package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// RegisterRead appends a read's access rows (view, list, export, denied)
// durably before it returns, like Register, but in a group commit: the rows
// of the reads that arrive while another group is being written go together
// in one INSERT and one commit (Art. 9: each read is answered only after its
// own row has committed; synchronous_commit is never lowered). When a
// group's write fails, every read in it gets ErrUnregistered. A write's own
// entry never comes here: it commits inside the write's transaction (inTx).
// A read that showed accounts with different sections passes one Access per
// set: its rows all go in one group, so they commit together, or none does.
func (s *Store) RegisterRead(ctx context.Context, a ...Access) error {
	w := &groupWaiter{access: a, done: make(chan error, 1)}
	s.reads.enqueue(w, s.writeGroup)
	select {
	case err := <-w.done:
		if err == nil {
			noteRegistered(ctx, a...)
		}
		return err
	case <-ctx.Done():
		// The row may still commit with its group; the read is not shown.
		return ctx.Err()
	}
}

// groupCommit gathers the waiters of one kind of group write. Up to
// maxFlushers groups are written at a time; a waiter that arrives while
// they are busy waits for the next group, which then takes every waiter
// queued by then. write answers every waiter of its group.
type groupCommit[W any] struct {
	flushers int // groups in flight at most; 0: maxFlushers
	mu       sync.Mutex
	queue    []W
	flushing int
}

type groupWaiter struct {
	access []Access
	done   chan error
}

const (
	// maxFlushers: groups in flight at once. Postgres already shares one
	// WAL flush among concurrent commits; more groups in flight keep the
	// flush busy, fewer make bigger groups (less work per row). 4 measured
	// best with 8 clients on the 2-core machine (1 and 2: 10-25 % fewer reads/s).
	maxFlushers = 4
	// maxGroup bounds one statement; more waits for the next group.
	maxGroup = 512
	// groupTimeout bounds one group's write, independent of any one
	// request's context (a client that leaves must not fail the others).
	groupTimeout = 10 * time.Second
)

func (g *groupCommit[W]) enqueue(w W, write func([]W)) {
	g.mu.Lock()
	g.queue = append(g.queue, w)
	lead := g.flushing < cmp.Or(g.flushers, maxFlushers)
	if lead {
		g.flushing++
	}
	g.mu.Unlock()
	if lead {
		g.flush(write)
	}
}

// flush writes the queued group; if waiters queued meanwhile and no other
// flusher is free, it hands them to a new flusher (the caller's own waiter
// is answered already, so its response is not held up by later groups).
func (g *groupCommit[W]) flush(write func([]W)) {
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	group := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()
	if n > 0 {
		write(group)
	}
	g.mu.Lock()
	more := len(g.queue) > 0
	if !more {
		g.flushing--
	}
	g.mu.Unlock()
	if more {
		go g.flush(write)
	}
}

// groupRow is one access_log row as AppendAccessRows reads it.
type groupRow struct {
	StaffID    *uuid.UUID `json:"staff_id"`
	StaffRole  *string    `json:"staff_role"`
	CustomerID *uuid.UUID `json:"customer_id"`
	Action     string     `json:"action"`
	Sections   []string   `json:"sections"`
	RequestID  string     `json:"request_id"`
	Purpose    string     `json:"purpose"`
	Route      string     `json:"route"`
}

// writeGroup appends every row of the group in one statement, which is one
// transaction: all of them commit, or none; each waiter hears the outcome.
func (s *Store) writeGroup(group []*groupWaiter) {
	err := s.appendGroup(group)
	for _, w := range group {
		w.done <- err
	}
}

func (s *Store) appendGroup(group []*groupWaiter) error {
	rows := make([]groupRow, 0, len(group))
	for _, w := range group {
		for _, a := range w.access {
			rows = append(rows, groupRows(a)...)
		}
	}
	body, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("access register: %v: %w", err, ErrUnregistered)
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	if err := s.q.AppendAccessRows(ctx, body); err != nil {
		return fmt.Errorf("access register: %v: %w", interpret(err), ErrUnregistered)
	}
	return nil
}

// groupRows are a's rows, one per account (none named: one row without).
func groupRows(a Access) []groupRow {
	sections := a.Sections
	if sections == nil {
		sections = []string{}
	}
	row := groupRow{StaffID: a.StaffID, StaffRole: a.Role, Action: a.Action, Sections: sections,
		RequestID: a.RequestID, Purpose: a.Purpose, Route: a.Route}
	if len(a.CustomerIDs) == 0 {
		return []groupRow{row}
	}
	out := make([]groupRow, len(a.CustomerIDs))
	for i, id := range a.CustomerIDs {
		out[i] = row
		if id != uuid.Nil {
			out[i].CustomerID = &id
		}
	}
	return out
}
