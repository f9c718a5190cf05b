package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
)

// DelegationCreate hands the caller's approvals (or, for the admin, anyone's)
// to a deputy for a while (SPEC §7, Art. 11, 12).
type DelegationCreate struct {
	FromStaffID string     `json:"from_staff_id,omitempty" format:"uuid" doc:"Whose approvals: the caller's own (the default), or anyone's for the admin; a ka_manager or general_manager"`
	ToStaffID   string     `json:"to_staff_id" format:"uuid" doc:"The deputy: another active ka_manager or general_manager"`
	StartsAt    *time.Time `json:"starts_at,omitempty" doc:"RFC 3339; omitted: now"`
	EndsAt      time.Time  `json:"ends_at" doc:"RFC 3339, after starts_at and in the future"`
	Reason      string     `json:"reason,omitempty" maxLength:"500"`
}

// Delegation is a delegation of approvals and whether it is in force.
type Delegation struct {
	ID          string     `json:"id" format:"uuid"`
	FromStaffID string     `json:"from_staff_id" format:"uuid"`
	ToStaffID   string     `json:"to_staff_id" format:"uuid"`
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      time.Time  `json:"ends_at"`
	Reason      string     `json:"reason"`
	CreatedBy   string     `json:"created_by" format:"uuid"`
	CreatedAt   time.Time  `json:"created_at"`
	EndedAt     *time.Time `json:"ended_at" doc:"Set when it was ended early (DELETE)"`
	EndedBy     *string    `json:"ended_by" format:"uuid"`
	InForce     bool       `json:"in_force" doc:"The deputy decides for the delegator now"`
	Version     int32      `json:"version" doc:"1 when created; 2 once ended early (SPEC §3); in_force changes with the clock, not the version"`
}

func delegationOut(d kam.Delegation) Delegation {
	return Delegation{ID: d.ID.String(), FromStaffID: d.FromStaffID.String(), ToStaffID: d.ToStaffID.String(), StartsAt: d.StartsAt,
		EndsAt: d.EndsAt, Reason: d.Reason, CreatedBy: d.CreatedBy.String(), CreatedAt: d.CreatedAt, EndedAt: d.EndedAt,
		EndedBy: uuidString(d.EndedBy), InForce: d.InForceAt(time.Now()), Version: d.Version}
}

func (s *Server) delegationRoutes() {
	huma.Register(s.api, created(op("create-delegation", http.MethodPost, "/v1/delegations", "Delegate approvals to a deputy for a while (SPEC §7)", "approvals")), s.createDelegation)
	huma.Register(s.api, op("list-delegations", http.MethodGet, "/v1/delegations", "Delegations you are party to (admin, general_manager, auditor: all)", "approvals"), s.listDelegations)
	del := op("end-delegation", http.MethodDelete, "/v1/delegations/{id}", "End a delegation at once (its delegator, or the admin)", "approvals")
	del.DefaultStatus = http.StatusNoContent
	del.Errors = append(del.Errors, 409)
	huma.Register(s.api, del, s.endDelegation)
}

// createDelegation: one's own approvals (a ka_manager or general_manager), or
// the admin for anyone; the store checks the people and the times.
func (s *Server) createDelegation(ctx context.Context, in *struct{ Body DelegationCreate }) (*struct{ Body Delegation }, error) {
	p := callerOf(ctx)
	d, err := delegationInput(p.ID, in.Body)
	if err != nil {
		return nil, err
	}
	switch {
	case d.From != p.ID && !can(p.Role, capManageStaff):
		return nil, forbidden("a delegation is of one's own approvals; the admin makes them for anyone")
	case d.From == p.ID && !can(p.Role, capDelegate) && !can(p.Role, capManageStaff):
		return nil, forbidden("only those who decide approvals (ka_manager, general_manager) delegate them")
	}
	out, err := s.store.CreateDelegation(ctx, d)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Delegation }{Body: delegationOut(out)}, nil
}

// delegationInput reads a delegation: who, to whom, when (within SPEC §7's
// 1900–2200), why.
func delegationInput(caller uuid.UUID, b DelegationCreate) (kam.DelegationInput, error) {
	d := kam.DelegationInput{From: caller, StartsAt: time.Now(), EndsAt: b.EndsAt, Reason: b.Reason, CreatedBy: caller}
	var bad fieldErrors
	from, err := optUUID("body.from_staff_id", nonEmpty(b.FromStaffID))
	if bad.add(err) && from != nil {
		d.From = *from
	}
	d.To, err = parseUUID("body.to_staff_id", b.ToStaffID)
	bad.add(err)
	if b.StartsAt != nil {
		d.StartsAt = *b.StartsAt
	}
	bad.add(instantInRange("body.starts_at", d.StartsAt))
	bad.add(instantInRange("body.ends_at", d.EndsAt))
	return d, bad.err()
}

func (s *Server) listDelegations(ctx context.Context, in *struct {
	StaffID string `query:"staff_id" format:"uuid" doc:"Only delegations from or to this person"`
	InForce bool   `query:"in_force" doc:"Only those in force now"`
	Limit   int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor  string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Delegation] }, error) {
	f, err := delegationFilter(callerOf(ctx), in.StaffID, in.InForce, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListDelegations(ctx, f)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	page := pageOf(rows, in.Limit, delegationOut, func(d kam.Delegation) string { return encodeCursor("delegations", d.ID.String()) })
	return &struct{ Body Page[Delegation] }{Body: page}, nil
}

// delegationFilter reads a list's filter: those who see every delegation
// may name anyone; everyone else sees the delegations they are party to.
func delegationFilter(p principal, staffID string, inForce bool, cursor string, limit int) (kam.DelegationFilter, error) {
	f := kam.DelegationFilter{InForce: inForce, Lim: int32(limit + 1)}
	party, err := optUUID("query.staff_id", nonEmpty(staffID))
	if err != nil {
		return f, err
	}
	if !can(p.Role, capSeeDelegations) && (party == nil || *party != p.ID) {
		if party != nil {
			return f, forbidden("you see the delegations you are party to")
		}
		id := p.ID
		party = &id
	}
	f.Party = party
	f.Before, err = uuidCursor(cursor, "delegations")
	return f, err
}

// endDelegation ends a delegation at once (its delegator, or the admin):
// from then on its deputy decides nothing more for the delegator, whatever is
// pending. Someone who may not see it gets 404; a party who may not end it
// (the deputy), or who sees every delegation, 403.
func (s *Server) endDelegation(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*struct{}, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	d, err := s.store.GetDelegation(ctx, id)
	visible := err == nil && (can(p.Role, capSeeDelegations) || d.FromStaffID == p.ID || d.ToStaffID == p.ID)
	switch {
	case errors.Is(err, kam.ErrNotFound) || (err == nil && !visible):
		return nil, notFound()
	case err != nil:
		return nil, problemFor(s.log, err)
	case d.FromStaffID != p.ID && !can(p.Role, capManageStaff):
		return nil, forbidden("a delegation is ended by its delegator or the admin")
	}
	if _, err := s.store.EndDelegation(ctx, id, p.ID); err != nil {
		return nil, problemFor(s.log, err)
	}
	return nil, nil
}
