package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/db/dbq"
	"kam/db/store"
)

var (
	visitSections    = []string{"visits"}
	greetingSections = []string{"greetings"}
)

// TierPut changes a tier's service policy (Art. 3, 15).
type TierPut struct {
	Name                 string   `json:"name" minLength:"1" maxLength:"100"`
	VisitCadence         string   `json:"visit_cadence" minLength:"1" maxLength:"100" doc:"Cron spec, descriptor or @every duration"`
	TicketResponseWithin string   `json:"ticket_response_within" minLength:"2" maxLength:"20" doc:"Go duration, e.g. 2h"`
	TicketResolveWithin  string   `json:"ticket_resolve_within" minLength:"2" maxLength:"20" doc:"Go duration, e.g. 24h"`
	GreetingOccasions    []string `json:"greeting_occasions" maxItems:"3" uniqueItems:"true" enum:"birthday,anniversary,holiday"`
	Gift                 bool     `json:"gift,omitempty" doc:"Greetings come with a gift"`
}

// VisitCreate records a visit (Art. 7.6, 20).
type VisitCreate struct {
	VisitedOn    string   `json:"visited_on" format:"date"`
	StaffID      string   `json:"staff_id,omitempty" format:"uuid" doc:"Who visited; default: you"`
	KeyPersonIDs []string `json:"key_person_ids,omitempty" maxItems:"50"`
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
}

func visitOut(v dbq.Visit) Visit {
	out := Visit{ID: v.ID.String(), CustomerID: v.CustomerID.String(), Status: v.Status, DueAt: v.DueAt, VisitedOn: dateString(v.VisitedOn),
		StaffID: uuidString(v.StaffID), Notes: v.Notes, Outcome: v.Outcome, FollowUps: v.FollowUps, CompletedAt: v.CompletedAt, KeyPersonIDs: []string{}}
	for _, k := range v.KeyPersonIds {
		out.KeyPersonIDs = append(out.KeyPersonIDs, k.String())
	}
	return out
}

// HolidayCreate adds a day to the company calendar (Art. 19).
type HolidayCreate struct {
	Name string `json:"name" minLength:"1" maxLength:"100"`
	On   string `json:"on" format:"date"`
}

// Holiday is a day of the company calendar.
type Holiday struct {
	ID   string `json:"id" format:"uuid"`
	Name string `json:"name"`
	On   string `json:"on"`
}

// Greeting is a greeting task for an account manager (Art. 19).
type Greeting struct {
	ID               string     `json:"id" format:"uuid"`
	CustomerID       string     `json:"customer_id" format:"uuid"`
	Occasion         string     `json:"occasion" enum:"birthday,anniversary,holiday"`
	On               string     `json:"on"`
	KeyPersonID      *string    `json:"key_person_id" format:"uuid"`
	HolidayID        *string    `json:"holiday_id" format:"uuid"`
	Title            string     `json:"title"`
	Gift             bool       `json:"gift"`
	AccountManagerID *string    `json:"account_manager_id" format:"uuid"`
	Status           string     `json:"status" enum:"open,done"`
	DoneAt           *time.Time `json:"done_at"`
}

func greetingOut(g dbq.Greeting) Greeting {
	return Greeting{ID: g.ID.String(), CustomerID: g.CustomerID.String(), Occasion: g.Occasion, On: g.OccasionOn.Format(time.DateOnly),
		KeyPersonID: uuidString(g.KeyPersonID), HolidayID: uuidString(g.HolidayID), Title: g.Title, Gift: g.Gift,
		AccountManagerID: uuidString(g.AccountManagerID), Status: g.Status, DoneAt: g.DoneAt}
}

func (s *Server) serviceRoutes() {
	huma.Register(s.api, op("put-tier", http.MethodPut, "/v1/tiers/{code}", "Change a tier's service policy (Art. 15); running plans follow at once", "policy"), s.putTier)
	huma.Register(s.api, created(op("record-visit", http.MethodPost, "/v1/customers/{id}/visits", "Record a visit; it completes the planned one (Art. 20)", "service")), s.recordVisit)
	huma.Register(s.api, op("list-visits", http.MethodGet, "/v1/customers/{id}/visits", "Planned, done and missed visits", "service"), s.listVisits)
	huma.Register(s.api, created(op("create-holiday", http.MethodPost, "/v1/holidays", "Add a holiday to the company calendar", "service")), s.createHoliday)
	huma.Register(s.api, op("list-holidays", http.MethodGet, "/v1/holidays", "The company calendar", "service"), s.listHolidays)
	del := op("delete-holiday", http.MethodDelete, "/v1/holidays/{id}", "Remove a holiday", "service")
	del.DefaultStatus = http.StatusNoContent
	huma.Register(s.api, del, s.deleteHoliday)
	huma.Register(s.api, op("list-greetings", http.MethodGet, "/v1/greetings", "Greeting tasks for a day (Art. 19)", "service"), s.listGreetings)
	huma.Register(s.api, op("complete-greeting", http.MethodPost, "/v1/greetings/{id}/done", "Mark a greeting task done", "service"), s.completeGreeting)
}

// today is the company's date now.
func (s *Server) today() time.Time {
	now := time.Now().In(s.procs.Settings.Timezone)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

// greetNow makes the greeting tasks an addition brings inside the lead
// window at once, rather than at the next daily sweep.
func (s *Server) greetNow(ctx context.Context, customer, holiday *uuid.UUID) {
	if _, err := s.store.SweepGreetings(ctx, s.today(), kam.LeadDays(s.procs.Settings.GreetingLead), customer, holiday); err != nil {
		s.log.Warn("greeting sweep", "error", err)
	}
}

func (s *Server) putTier(ctx context.Context, in *struct {
	Code string `path:"code" maxLength:"16"`
	Body TierPut
}) (*struct{ Body Tier }, error) {
	if !can(callerOf(ctx).Role, capSetPolicies) {
		return nil, forbidden("tiers are set by the admin and the KA Department")
	}
	if _, err := store.ParseCycle("visit_cadence", in.Body.VisitCadence); err != nil {
		return nil, problemFor(s.log, err)
	}
	for field, v := range map[string]string{"ticket_response_within": in.Body.TicketResponseWithin, "ticket_resolve_within": in.Body.TicketResolveWithin} {
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			return nil, invalidField("body."+field, "a positive Go duration, e.g. 2h")
		}
	}
	occasions := in.Body.GreetingOccasions
	if occasions == nil {
		occasions = []string{}
	}
	t, err := s.store.Q().UpdateTier(ctx, dbq.UpdateTierParams{Code: in.Code, Name: in.Body.Name, VisitCadence: in.Body.VisitCadence,
		TicketResponseWithin: in.Body.TicketResponseWithin, TicketResolveWithin: in.Body.TicketResolveWithin, GreetingOccasions: occasions, Gift: in.Body.Gift})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	// Every plan of this tier re-reads its cadence now. A lost signal leaves
	// a plan on the old cadence until its current visit is done.
	var after *uuid.UUID
	for {
		ids, err := s.store.Q().CustomersInTier(ctx, dbq.CustomersInTierParams{Tier: in.Code, After: after, Lim: 500})
		if err != nil {
			s.log.Warn("tier change signals", "error", err)
			break
		}
		for _, id := range ids {
			if err := s.procs.PlanChanged(ctx, id); err != nil {
				s.log.Warn("signal visit plan", "customer", id, "error", err)
			}
		}
		if len(ids) < 500 {
			break
		}
		after = &ids[len(ids)-1]
	}
	return &struct{ Body Tier }{Body: tierOut(t)}, nil
}

func (s *Server) recordVisit(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body VisitCreate
}) (*struct{ Body Visit }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	on, err := optDate("body.visited_on", &in.Body.VisitedOn)
	if err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	staffID := p.ID
	if in.Body.StaffID != "" {
		if staffID, err = parseUUID("body.staff_id", in.Body.StaffID); err != nil {
			return nil, err
		}
	}
	people, err := keyPersonIDs(in.Body.KeyPersonIDs)
	if err != nil {
		return nil, err
	}
	scope, err := s.gateAccount(ctx, id, capRecordVisits, visitSections)
	if err != nil {
		return nil, err
	}
	if err := s.visitRule(ctx, scope, id, staffID, *on); err != nil {
		return nil, err
	}
	if _, err := s.store.Q().GetStaff(ctx, staffID); err != nil {
		return nil, invalidField("body.staff_id", "no such staff member")
	}
	var planned bool
	v, err := archiveWrite(s, ctx, []uuid.UUID{id}, visitSections, func(ctx context.Context) (v dbq.Visit, err error) {
		v, planned, err = s.store.RecordVisit(ctx, scope, id, store.VisitInput{VisitedOn: *on, StaffID: staffID, KeyPersonIDs: people,
			Notes: in.Body.Notes, Outcome: in.Body.Outcome, FollowUps: in.Body.FollowUps})
		return v, err
	})
	if err != nil {
		return nil, s.archiveErr(ctx, id, visitSections, err)
	}
	if planned {
		if err := s.procs.VisitRecorded(ctx, id); err != nil {
			s.log.Warn("signal visit plan", "customer", id, "error", err)
		}
	}
	return &struct{ Body Visit }{Body: visitOut(v)}, nil
}

// keyPersonIDs reads a visit's key-person ids, naming the first that is not
// a UUID.
func keyPersonIDs(raw []string) ([]uuid.UUID, error) {
	var people []uuid.UUID
	for i, k := range raw {
		kid, err := uuid.Parse(k)
		if err != nil {
			return nil, invalidField("body.key_person_ids["+itoa(i)+"]", "not a UUID")
		}
		people = append(people, kid)
	}
	return people, nil
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
	c, err := s.store.Q().GetCustomer(ctx, dbq.GetCustomerParams{ID: id, ManagerID: scope.ManagerID})
	if err != nil {
		return s.archiveErr(ctx, id, visitSections, store.Interpret(err))
	}
	if p.Role == kam.RoleKAManager && c.AccountManagerID != nil && *c.AccountManagerID == staffID {
		return nil
	}
	return s.deny(ctx, id, visitSections, problemFor(s.log, &kam.Error{Kind: kam.KindForbidden, Code: "visit_not_yours", Field: "staff_id",
		Message: "a visit is recorded in your own name (a KA manager may also record it for the account's manager)"}))
}

// visitCursor carries a visit's place in ListVisits' order: its due time (a
// visit outside the plan has none and sorts by when it was recorded), its id.
func visitCursor(v dbq.Visit) string {
	at := v.CreatedAt
	if v.DueAt != nil {
		at = *v.DueAt
	}
	return encodeCursor("visits", timeText(at), v.ID.String())
}

func (s *Server) listVisits(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid"`
	Status string `query:"status" maxLength:"16" doc:"planned, done, missed or cancelled"`
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
	scope, err := s.gateAccount(ctx, id, capReadArchive, visitSections)
	if err != nil {
		return nil, err
	}
	if err := s.store.Visible(ctx, scope, id); err != nil {
		return nil, s.archiveErr(ctx, id, visitSections, err)
	}
	rows, err := s.store.Q().ListVisits(ctx, dbq.ListVisitsParams{CustomerID: id, Status: nonEmpty(in.Status), AfterAt: afterAt, AfterID: afterID, Lim: int32(in.Limit + 1)})
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	if err := s.register(ctx, kam.AccessView, []uuid.UUID{id}, visitSections); err != nil {
		return nil, err
	}
	out := pageOf(rows, in.Limit, visitOut, visitCursor)
	return &struct{ Body Page[Visit] }{Body: out}, nil
}

func (s *Server) createHoliday(ctx context.Context, in *struct{ Body HolidayCreate }) (*struct{ Body Holiday }, error) {
	if !can(callerOf(ctx).Role, capSetPolicies) {
		return nil, forbidden("the company calendar is kept by the admin and the KA Department")
	}
	on, err := optDate("body.on", &in.Body.On)
	if err != nil {
		return nil, err
	}
	h, err := s.store.Q().CreateHoliday(ctx, dbq.CreateHolidayParams{ID: store.NewID(), Name: in.Body.Name, OnDate: *on})
	if err != nil {
		if de := store.Interpret(err); errors.As(de, new(*kam.Error)) {
			return nil, problemFor(s.log, kam.Conflict("duplicate_holiday", "this holiday is already in the calendar"))
		}
		return nil, problemFor(s.log, err)
	}
	s.greetNow(ctx, nil, &h.ID)
	return &struct{ Body Holiday }{Body: Holiday{ID: h.ID.String(), Name: h.Name, On: h.OnDate.Format(time.DateOnly)}}, nil
}

func (s *Server) listHolidays(ctx context.Context, in *struct {
	Year   int    `query:"year" minimum:"1900" maximum:"2200"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Holiday] }, error) {
	arg := dbq.ListHolidaysParams{Lim: int32(in.Limit + 1)}
	if in.Year != 0 {
		y := int32(in.Year)
		arg.Year = &y
	}
	var on time.Time
	var name string
	var id uuid.UUID
	if ok, err := decodeCursor(in.Cursor, "holidays", dateKey(&on), textKey(&name), uuidKey(&id)); err != nil {
		return nil, err
	} else if ok {
		arg.AfterOn, arg.AfterName, arg.AfterID = &on, &name, &id
	}
	rows, err := s.store.Q().ListHolidays(ctx, arg)
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	out := pageOf(rows, in.Limit, func(h dbq.Holiday) Holiday {
		return Holiday{ID: h.ID.String(), Name: h.Name, On: h.OnDate.Format(time.DateOnly)}
	}, func(h dbq.Holiday) string { return encodeCursor("holidays", dateText(h.OnDate), h.Name, h.ID.String()) })
	return &struct{ Body Page[Holiday] }{Body: out}, nil
}

func (s *Server) deleteHoliday(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*struct{}, error) {
	if !can(callerOf(ctx).Role, capSetPolicies) {
		return nil, forbidden("the company calendar is kept by the admin and the KA Department")
	}
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	n, err := s.store.Q().DeleteHoliday(ctx, id)
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	if n == 0 {
		return nil, notFound()
	}
	return nil, nil
}

func (s *Server) listGreetings(ctx context.Context, in *struct {
	On     string `query:"on" format:"date" doc:"Default: today in the company time zone"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Greeting] }, error) {
	p := callerOf(ctx)
	if !can(p.Role, capGreetings) {
		return nil, s.deny(ctx, uuid.Nil, greetingSections, forbidden("greeting tasks are the account managers' and the KA Department's"))
	}
	day := s.today()
	if in.On != "" {
		d, err := optDate("query.on", &in.On)
		if err != nil {
			return nil, err
		}
		day = *d
	}
	arg := dbq.ListGreetingsPageParams{OnDate: day, ManagerID: scopeOf(p).ManagerID, Lim: int32(in.Limit + 1)}
	var occasion string
	var customer, gid uuid.UUID
	if ok, err := decodeCursor(in.Cursor, "greetings", textKey(&occasion), uuidKey(&customer), uuidKey(&gid)); err != nil {
		return nil, err
	} else if ok {
		arg.AfterOccasion, arg.AfterCustomer, arg.AfterID = &occasion, &customer, &gid
	}
	rows, err := s.store.Q().ListGreetingsPage(ctx, arg)
	if err != nil {
		return nil, problemFor(s.log, store.Interpret(err))
	}
	out := pageOf(rows, in.Limit, greetingOut, func(g dbq.Greeting) string {
		return encodeCursor("greetings", g.Occasion, g.CustomerID.String(), g.ID.String())
	})
	var ids []uuid.UUID
	for _, g := range rows[:len(out.Items)] {
		if !slices.Contains(ids, g.CustomerID) {
			ids = append(ids, g.CustomerID)
		}
	}
	// A greeting task shows a key person's birthday: archive data (Art. 9).
	if len(ids) > 0 {
		if err := s.register(ctx, kam.AccessList, ids, greetingSections); err != nil {
			return nil, err
		}
	}
	return &struct{ Body Page[Greeting] }{Body: out}, nil
}

func (s *Server) completeGreeting(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*struct{ Body Greeting }, error) {
	p := callerOf(ctx)
	if !can(p.Role, capGreetings) {
		return nil, s.deny(ctx, uuid.Nil, greetingSections, notFound())
	}
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	// The task names its account: the store puts it into the register entry.
	g, err := archiveWrite(s, ctx, nil, greetingSections, func(ctx context.Context) (g dbq.Greeting, err error) {
		err = s.store.Write(ctx, func(q *dbq.Queries) error {
			if g, err = q.CompleteGreeting(ctx, dbq.CompleteGreetingParams{ID: id, ManagerID: scopeOf(p).ManagerID}); err != nil {
				return err
			}
			store.SetAccessCustomers(ctx, g.CustomerID)
			return nil
		})
		return g, err
	})
	if errors.Is(err, kam.ErrNotFound) {
		return nil, s.deny(ctx, uuid.Nil, greetingSections, notFound())
	}
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Greeting }{Body: greetingOut(g)}, nil
}
