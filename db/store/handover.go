package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// HandoverStart is how a handover begins: the request that asks for it (its
// register entry: who, role, request id, route, purpose, which every batch
// writes again for the accounts it moves) and the start of its run, called
// inside the transaction that stores the handover, so that none is stored
// without its run.
type HandoverStart struct {
	Access Access
	Start  func(kam.Handover) error
}

// CodeHandoverFinished refuses a batch of a handover that is no longer running.
const CodeHandoverFinished = "handover_finished"

// StartHandover begins the handover of all of from's accounts to `to` (SPEC
// §7, POST /v1/staff/{id}/handover): from must exist (kam.ErrNotFound), `to`
// must be an active account manager other than from (field names the input
// that named them). A handover of from that is already running to the same
// person is answered again, and its run started again (a no-op): a retried
// request never starts two.
func (s *Store) StartHandover(ctx context.Context, from, to uuid.UUID, field string, hs HandoverStart) (kam.Handover, error) {
	var out kam.Handover
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if err := lockHeirFirst(ctx, q, from, &to); err != nil {
			return err
		}
		if _, err := q.LockStaff(ctx, from); err != nil {
			return err
		}
		var err error
		out, err = beginHandover(ctx, q, from, to, field, hs)
		return err
	})
	return out, err
}

// lockHeirFirst share-locks the receiver before the leaver's row when its id
// sorts first: every handover takes the two staff rows in id order, so two
// crossing ones (A to B, B to A) wait for each other instead of deadlocking,
// and the second then finds the first.
func lockHeirFirst(ctx context.Context, q *dbq.Queries, from uuid.UUID, to *uuid.UUID) error {
	if to == nil || bytes.Compare(to[:], from[:]) >= 0 {
		return nil
	}
	_, err := q.ShareLockStaff(ctx, *to)
	if errors.Is(interpret(err), kam.ErrNotFound) {
		return nil // checkHeir refuses it
	}
	return err
}

// beginHandover stores a handover of from (whose row the caller holds
// locked), or finds the one running to the same person, and starts its run,
// all in the caller's transaction.
func beginHandover(ctx context.Context, q *dbq.Queries, from, to uuid.UUID, field string, hs HandoverStart) (kam.Handover, error) {
	if err := checkHeir(ctx, q, from, to, field); err != nil {
		return kam.Handover{}, err
	}
	if n, err := q.CountRunningHandoversTo(ctx, from); err != nil || n > 0 {
		if err != nil {
			return kam.Handover{}, err
		}
		return kam.Handover{}, kam.Conflict(kam.CodeHandoverRunning, "accounts are still being handed over to this person; wait until that handover is done")
	}
	h, err := q.RunningHandoverFrom(ctx, from)
	switch {
	case err == nil && h.ToStaffID != to:
		return kam.Handover{}, kam.Conflict(kam.CodeHandoverRunning, "a handover of this person's accounts to %s is running (%s)", h.ToStaffID, h.ID)
	case err == nil:
		// The same handover asked for again: answered, not repeated.
	case errors.Is(interpret(err), kam.ErrNotFound):
		if h, err = q.CreateHandover(ctx, newHandover(from, to, hs.Access)); err != nil {
			return kam.Handover{}, err
		}
	default:
		return kam.Handover{}, err
	}
	out := handoverOf(h)
	if hs.Start != nil {
		if err := hs.Start(out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// checkHeir makes sure `to` may receive from's accounts: an active account
// manager (kam.ReceivesAccounts), not from, and not handing over their own.
// Their row stays share-locked until commit, so they cannot be deactivated
// meanwhile; afterwards the running handover keeps them (has_assignments).
func checkHeir(ctx context.Context, q *dbq.Queries, from, to uuid.UUID, field string) error {
	if to == from {
		return kam.HandoverToSelf(field)
	}
	heir, err := q.ShareLockStaff(ctx, to)
	if errors.Is(interpret(err), kam.ErrNotFound) {
		return kam.HandoverTarget(field, "no such staff member")
	} else if err != nil {
		return err
	}
	if !kam.ReceivesAccounts(heir.Role, heir.Active) {
		return kam.HandoverTarget(field, "staff member %s is not an active account manager", heir.ID)
	}
	if _, err := q.RunningHandoverFrom(ctx, to); err == nil {
		return kam.Conflict(kam.CodeHandoverRunning, "staff member %s is handing over their own accounts", to)
	} else if !errors.Is(interpret(err), kam.ErrNotFound) {
		return err
	}
	return nil
}

func newHandover(from, to uuid.UUID, a Access) dbq.CreateHandoverParams {
	p := dbq.CreateHandoverParams{ID: NewID(), FromStaffID: from, ToStaffID: to, RequestID: a.RequestID, Route: a.Route, Purpose: a.Purpose}
	if a.StaffID != nil {
		p.RequestedBy = *a.StaffID
	}
	if a.Role != nil {
		p.RequestedRole = *a.Role
	}
	return p
}

func handoverOf(h dbq.StaffHandover) kam.Handover {
	return kam.Handover{ID: h.ID, FromStaffID: h.FromStaffID, ToStaffID: h.ToStaffID, RequestedBy: h.RequestedBy,
		Status: h.Status, Reason: h.Reason, AccountsMoved: int(h.AccountsMoved), RequestsMoved: int(h.RequestsMoved),
		GreetingsMoved: int(h.GreetingsMoved), Batches: int(h.Batches), CreatedAt: h.CreatedAt, FinishedAt: h.FinishedAt, Version: h.Version}
}

func batchOf(b dbq.StaffHandoverBatch) kam.HandoverBatch {
	return kam.HandoverBatch{Batch: int(b.Batch), Accounts: b.CustomerIds, Requests: b.RequestIds, Greetings: int(b.Greetings)}
}

// Handover reads one handover of a person (kam.ErrNotFound for another's).
func (s *Store) Handover(ctx context.Context, from, id uuid.UUID) (kam.Handover, error) {
	h, err := s.q.GetHandover(ctx, dbq.GetHandoverParams{ID: id, FromStaffID: from})
	return handoverOf(h), interpret(err)
}

// MoveHandoverBatch moves the next batch of up to limit accounts of a
// running handover to its receiver, in one transaction: each account with a
// history row (by whoever asked for the handover) and its `update` register
// row under that request (Art. 9), the accounts' open greeting tasks
// (Art. 19), and the departing manager's pending discount requests on them
// (Art. 11, 12; each with a handed_over event). Batch n is done once: asked
// again (a retry whose answer was lost), it answers what it moved the first
// time. A receiver who is no longer an active account manager refuses the
// batch (kam.CodeHandoverTarget), and nothing moves.
func (s *Store) MoveHandoverBatch(ctx context.Context, id uuid.UUID, batch, limit int) (kam.HandoverBatch, error) {
	var out kam.HandoverBatch
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		h, err := q.LockHandover(ctx, id)
		if err != nil {
			return err
		}
		done, err := q.GetHandoverBatch(ctx, dbq.GetHandoverBatchParams{HandoverID: id, Batch: int32(batch)})
		if err == nil {
			out = batchOf(done)
			return nil
		} else if !errors.Is(interpret(err), kam.ErrNotFound) {
			return err
		}
		if h.Status != kam.HandoverRunning {
			return kam.Conflict(CodeHandoverFinished, "handover %s is %s", h.ID, h.Status)
		}
		out, err = moveBatch(ctx, q, h, batch, limit)
		return err
	})
	return out, err
}

func moveBatch(ctx context.Context, q *dbq.Queries, h dbq.StaffHandover, batch, limit int) (kam.HandoverBatch, error) {
	out := kam.HandoverBatch{Batch: batch, Accounts: []uuid.UUID{}, Requests: []uuid.UUID{}}
	heir, err := q.ShareLockStaff(ctx, h.ToStaffID)
	if err != nil {
		return out, err
	}
	if !kam.ReceivesAccounts(heir.Role, heir.Active) {
		return out, kam.HandoverTarget("to", "staff member %s is no longer an active account manager", heir.ID)
	}
	accounts, err := q.LockAssignedAccountsBatch(ctx, dbq.LockAssignedAccountsBatchParams{ManagerID: &h.FromStaffID, Lim: int32(limit)})
	if err != nil {
		return out, err
	}
	for _, c := range accounts {
		changes := apply(&c, CustomerPatch{AccountManagerID: &heir.ID})
		if _, err := saveCustomer(ctx, q, c, changes, h.RequestedBy); err != nil {
			return out, err
		}
		out.Accounts = append(out.Accounts, c.ID)
	}
	touched, err := moveFollowUps(ctx, q, h, &out)
	if err != nil {
		return out, err
	}
	// One row per account, naming what moved with it: its service section
	// always, its greeting tasks and discount requests when they moved too.
	groups := map[string][]uuid.UUID{}
	var order []string
	for _, c := range out.Accounts {
		sections := append([]string{kam.SectionService}, touched[c]...)
		key := strings.Join(sections, ",")
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], c)
	}
	role := h.RequestedRole
	for _, key := range order {
		if err := appendAccess(ctx, q, Access{StaffID: &h.RequestedBy, Role: &role, CustomerIDs: groups[key], Action: kam.AccessUpdate,
			Sections: strings.Split(key, ","), RequestID: h.RequestID, Purpose: h.Purpose, Route: h.Route}); err != nil {
			return out, fmt.Errorf("access register: %v: %w", err, ErrUnregistered)
		}
	}
	if err := q.InsertHandoverBatch(ctx, dbq.InsertHandoverBatchParams{HandoverID: h.ID, Batch: int32(batch),
		CustomerIds: out.Accounts, RequestIds: out.Requests, Greetings: int32(out.Greetings)}); err != nil {
		return out, err
	}
	return out, q.CountHandoverBatch(ctx, dbq.CountHandoverBatchParams{ID: h.ID, Accounts: int32(len(out.Accounts)),
		Requests: int32(len(out.Requests)), Greetings: int32(out.Greetings)})
}

// moveFollowUps moves what follows the batch's accounts: their open greeting
// tasks, and the departing manager's pending discount requests on them.
// It answers the sections each account's move touched beyond its service
// section, for the account's register row (Art. 9).
func moveFollowUps(ctx context.Context, q *dbq.Queries, h dbq.StaffHandover, out *kam.HandoverBatch) (map[uuid.UUID][]string, error) {
	touched := map[uuid.UUID][]string{}
	if len(out.Accounts) == 0 {
		return touched, nil
	}
	greeted, err := q.MoveGreetingTasks(ctx, dbq.MoveGreetingTasksParams{ToStaffID: &h.ToStaffID, CustomerIds: out.Accounts})
	if err != nil {
		return nil, err
	}
	out.Greetings = len(greeted)
	for _, c := range greeted {
		if !slices.Contains(touched[c], "greetings") {
			touched[c] = append(touched[c], "greetings")
		}
	}
	moved, err := q.MovePendingRequests(ctx, dbq.MovePendingRequestsParams{ToStaffID: h.ToStaffID, FromStaffID: h.FromStaffID, CustomerIds: out.Accounts})
	if err != nil {
		return nil, err
	}
	for _, m := range moved {
		out.Requests = append(out.Requests, m.ID)
		if !slices.Contains(touched[m.CustomerID], "discounts") {
			touched[m.CustomerID] = append(touched[m.CustomerID], "discounts")
		}
	}
	for _, r := range out.Requests {
		if err := q.InsertDiscountEvent(ctx, dbq.InsertDiscountEventParams{RequestID: r, EventKey: "handover/" + h.ID.String(), Kind: "handed_over",
			Detail: fmt.Sprintf("requester %s handed over to %s (staff handover %s)", h.FromStaffID, h.ToStaffID, h.ID)}); err != nil {
			return nil, err
		}
	}
	return touched, nil
}

// FinishHandover ends a running handover as done or failed (with why); one
// that has already ended is answered as it stands.
func (s *Store) FinishHandover(ctx context.Context, id uuid.UUID, status, reason string) (kam.Handover, error) {
	var out kam.Handover
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		h, err := q.LockHandover(ctx, id)
		if err != nil {
			return err
		}
		if h.Status == kam.HandoverRunning {
			if h, err = q.FinishHandover(ctx, dbq.FinishHandoverParams{ID: id, Status: status, Reason: reason}); err != nil {
				return err
			}
		}
		out = handoverOf(h)
		return nil
	})
	return out, err
}

// HandoverFollowUps lists what the new manager of these accounts must hear
// of: their planned visits and open greeting tasks.
func (s *Store) HandoverFollowUps(ctx context.Context, customers []uuid.UUID) ([]kam.Visit, []kam.GreetingTask, error) {
	visits, err := s.q.PlannedVisitsOf(ctx, customers)
	if err != nil {
		return nil, nil, interpret(err)
	}
	greetings, err := s.q.OpenGreetingsOf(ctx, customers)
	if err != nil {
		return nil, nil, interpret(err)
	}
	return mapRows(visits, visitOf), mapRows(greetings, func(r dbq.OpenGreetingsOfRow) kam.GreetingTask {
		return greetingTaskOf(r.Greeting, r.CustomerName, r.Subject)
	}), nil
}

// HandoverExists tells a handover's run that its row is stored
// (kam.ErrNotFound while it is not, or if its transaction rolled back).
func (s *Store) HandoverExists(ctx context.Context, id uuid.UUID) error {
	_, err := s.q.GetHandoverByID(ctx, id)
	return interpret(err)
}
