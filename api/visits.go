package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

var visitSections = []string{"visits"}

// VisitCreate records a visit (Art. 7.6, 20).
type VisitCreate struct {
	VisitedOn    string   `json:"visited_on" format:"date"`
	StaffID      string   `json:"staff_id,omitempty" format:"uuid" doc:"Who visited; default: you"`
	KeyPersonIDs []string `json:"key_person_ids,omitempty" maxItems:"100"`
	Notes        string   `json:"notes,omitempty" maxLength:"10000"`
	Outcome      string   `json:"outcome,omitempty" maxLength:"2000"`
	FollowUps    string   `json:"follow_ups,omitempty" maxLength:"2000"`
}

// Visit is a planned, done or missed visit.
type Visit struct {
	ID           string     `json:"id" format:"uuid"`
	CustomerID   string     `json:"customer_id" format:"uuid"`
	Status       string     `json:"status" enum:"planned,done,missed,cancelled"`
	DueAt        *time.Time `json:"due_at"`
	VisitedOn    *string    `json:"visited_on"`
	StaffID      *string    `json:"staff_id" format:"uuid"`
	KeyPersonIDs []string   `json:"key_person_ids"`
	Notes        string     `json:"notes"`
	Outcome      string     `json:"outcome"`
	FollowUps    string     `json:"follow_ups"`
	CompletedAt  *time.Time `json:"completed_at"`
	Version      int32      `json:"version" doc:"1 when planned or recorded; one more when a planned visit is done, missed or cancelled, or a withdrawn one planned again (SPEC §3)"`
}

func visitOut(v kam.Visit) Visit {
	out := Visit{ID: v.ID.String(), CustomerID: v.CustomerID.String(), Status: v.Status, DueAt: v.DueAt, VisitedOn: dateString(v.VisitedOn),
		StaffID: uuidString(v.StaffID), Notes: v.Notes, Outcome: v.Outcome, FollowUps: v.FollowUps, CompletedAt: v.CompletedAt, Version: v.Version, KeyPersonIDs: []string{}}
	for _, k := range v.KeyPersonIDs {
		out.KeyPersonIDs = append(out.KeyPersonIDs, k.String())
	}
	return out
}

func (s *Server) visitRoutes() {
	huma.Register(s.api, created(op("record-visit", http.MethodPost, "/v1/customers/{id}/visits", "Record a visit; it completes the planned one (Art. 20)", "service")), s.recordVisit)
	huma.Register(s.api, op("list-visits", http.MethodGet, "/v1/customers/{id}/visits", "Planned, done and missed visits", "service"), s.listVisits)
}

// today is the company's date now.
func (s *Server) today() time.Time {
	now := time.Now().In(s.procs.Settings.Timezone)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

func (s *Server) recordVisit(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body VisitCreate
}) (*struct{ Body Visit }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	input, err := visitInput(callerOf(ctx).ID, in.Body)
	if err != nil {
		return nil, err
	}
	scope, err := s.visitAllowed(ctx, id, input)
	if err != nil {
		return nil, err
	}
	var planned bool
	v, err := archiveWrite(s, ctx, []uuid.UUID{id}, visitSections, func(ctx context.Context) (v kam.Visit, err error) {
		v, planned, err = s.store.RecordVisit(ctx, scope, id, input)
		return v, err
	})
	if err != nil {
		return nil, s.archiveErr(ctx, id, visitSections, err)
	}
	if planned {
		s.visitRecorded(ctx, id)
	}
	return &struct{ Body Visit }{Body: visitOut(v)}, nil
}

// visitRecorded tells the account's visit plan that a planned visit is done.
func (s *Server) visitRecorded(ctx context.Context, id uuid.UUID) {
	if err := s.procs.VisitRecorded(ctx, id); err != nil {
		s.log.Warn("signal visit plan", "customer", id, "error", err)
	}
}

// visitAllowed gates a visit to account id (404/403, registered as denied)
// and checks it against the visit rule and its staff member.
func (s *Server) visitAllowed(ctx context.Context, id uuid.UUID, v store.VisitInput) (store.Scope, error) {
	scope, err := s.gateAccount(ctx, id, capRecordVisits, visitSections)
	if err != nil {
		return scope, err
	}
	if err := s.visitRule(ctx, scope, id, v.StaffID, v.VisitedOn); err != nil {
		return scope, err
	}
	if err := s.store.StaffExists(ctx, v.StaffID); err != nil {
		return scope, invalidField("body.staff_id", "no such staff member")
	}
	return scope, nil
}

// visitInput reads a recorded visit; its staff member is the caller unless
// the body names another.
func visitInput(caller uuid.UUID, b VisitCreate) (store.VisitInput, error) {
	var bad fieldErrors
	on, err := optDate("body.visited_on", &b.VisitedOn)
	bad.add(err)
	staffID := caller
	if b.StaffID != "" {
		staffID, err = parseUUID("body.staff_id", b.StaffID)
		bad.add(err)
	}
	people, err := keyPersonIDs(b.KeyPersonIDs)
	bad.add(err)
	if err := bad.err(); err != nil {
		return store.VisitInput{}, err
	}
	return store.VisitInput{VisitedOn: *on, StaffID: staffID, KeyPersonIDs: people,
		Notes: b.Notes, Outcome: b.Outcome, FollowUps: b.FollowUps}, nil
}

// keyPersonIDs reads a visit's key-person ids, naming each that is not a
// UUID.
func keyPersonIDs(raw []string) ([]uuid.UUID, error) {
	var people []uuid.UUID
	var bad fieldErrors
	for i, k := range raw {
		kid, err := parseUUID("body.key_person_ids["+itoa(i)+"]", k)
		if bad.add(err) {
			people = append(people, kid)
		}
	}
	return people, bad.err()
}

// visitRule: a visit is a record of what someone did (Art. 7.6, 20), so it
// is recorded in the caller's own name, or by a KA manager in the name of
// the account's manager, and never dated after today (company time zone).
// Another name is 403 visit_not_yours (registered as a denied change); a
// later date is 422 visit_in_future.
func (s *Server) visitRule(ctx context.Context, scope store.Scope, id, staffID uuid.UUID, on time.Time) error {
	if on.After(s.today()) {
		return problemFor(s.log, &kam.Error{Kind: kam.KindInvalid, Code: "visit_in_future", Field: "visited_on",
			Message: "a visit cannot be dated after today"})
	}
	p := callerOf(ctx)
	if staffID == p.ID {
		return nil
	}
	manager, err := s.store.AccountManager(ctx, scope, id)
	if err != nil {
		return s.archiveErr(ctx, id, visitSections, err)
	}
	if p.Role == kam.RoleKAManager && manager != nil && *manager == staffID {
		return nil
	}
	return s.deny(ctx, id, visitSections, problemFor(s.log, &kam.Error{Kind: kam.KindForbidden, Code: "visit_not_yours", Field: "staff_id",
		Message: "a visit is recorded in your own name (a KA manager may also record it for the account's manager)"}))
}

// visitCursor carries a visit's place in ListVisits' order: its due time (a
// visit outside the plan has none and sorts by when it was recorded), its id.
func visitCursor(v kam.Visit) string {
	at := v.CreatedAt
	if v.DueAt != nil {
		at = *v.DueAt
	}
	return encodeCursor("visits", timeText(at), v.ID.String())
}

func (s *Server) listVisits(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid"`
	Status string `query:"status" maxLength:"16" doc:"planned, done or missed; cancelled (a visit a plan withdrew) is listed only when asked for"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Visit] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	afterAt, afterID, err := keyIDCursor(in.Cursor, "visits", timeKey)
	if err != nil {
		return nil, err
	}
	if in.Status != "" && !slices.Contains([]string{"planned", "done", "missed", "cancelled"}, in.Status) {
		return nil, invalidField("query.status", "status is planned, done, missed or cancelled")
	}
	f := kam.VisitFilter{Status: nonEmpty(in.Status), AfterAt: afterAt, AfterID: afterID, Limit: int32(in.Limit + 1)}
	r := archiveRead{need: capReadArchive, sections: visitSections, action: kam.AccessView}
	out, err := readAccount(s, ctx, id, r, func(ctx context.Context, _ store.Scope) (Page[Visit], error) {
		rows, err := s.store.ListVisits(ctx, id, f)
		return pageOf(rows, in.Limit, visitOut, visitCursor), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Visit] }{Body: out}, nil
}
