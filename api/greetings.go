package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/activities"
	"kam/db/store"
)

var greetingSections = []string{"greetings"}

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
	Title            string     `json:"title" doc:"In the caller's locale (Accept-Language overrides it)"`
	Gift             bool       `json:"gift"`
	AccountManagerID *string    `json:"account_manager_id" format:"uuid"`
	Status           string     `json:"status" enum:"open,done,cancelled" doc:"cancelled: the key person was removed, or their birthday corrected (Art. 19)"`
	DoneAt           *time.Time `json:"done_at"`
	Version          int32      `json:"version" doc:"1 when the task is made; one more with each change of its status or account manager (SPEC §3)"`
}

// greetingOut shapes a task for a caller reading locale (SPEC §7
// "Language": its title is worded for the reader, like its notice).
func greetingOut(locale string) func(kam.Greeting) Greeting {
	return func(g kam.Greeting) Greeting {
		return Greeting{ID: g.ID.String(), CustomerID: g.CustomerID.String(), Occasion: g.Occasion, On: g.OccasionOn.Format(time.DateOnly),
			KeyPersonID: uuidString(g.KeyPersonID), HolidayID: uuidString(g.HolidayID),
			Title: activities.GreetingTitle(g.Occasion, g.CustomerName, g.Subject).Render(locale), Gift: g.Gift,
			AccountManagerID: uuidString(g.AccountManagerID), Status: g.Status, DoneAt: g.DoneAt, Version: g.Version}
	}
}

func (s *Server) greetingRoutes() {
	huma.Register(s.api, created(op("create-holiday", http.MethodPost, "/v1/holidays", "Add a holiday to the company calendar", "service")), s.createHoliday)
	huma.Register(s.api, op("list-holidays", http.MethodGet, "/v1/holidays", "The company calendar", "service"), s.listHolidays)
	del := op("delete-holiday", http.MethodDelete, "/v1/holidays/{id}", "Remove a holiday", "service")
	del.DefaultStatus = http.StatusNoContent
	huma.Register(s.api, del, s.deleteHoliday)
	huma.Register(s.api, op("list-greetings", http.MethodGet, "/v1/greetings", "Greeting tasks for a day (Art. 19)", "service"), s.listGreetings)
	huma.Register(s.api, op("complete-greeting", http.MethodPost, "/v1/greetings/{id}/done", "Mark a greeting task done", "service"), s.completeGreeting)
}

// greetNow makes the greeting tasks an addition brings inside the lead
// window at once, rather than at the next daily sweep.
//
// The tasks it makes are changes of their accounts that this request set
// off: registered as its own, in the sweep's transaction (Art. 9).
func (s *Server) greetNow(ctx context.Context, customer, holiday *uuid.UUID) {
	ctx = store.WithActor(ctx, accessOf(ctx, kam.AccessUpdate, nil, greetingSections))
	if _, err := s.store.SweepGreetings(ctx, s.today(), kam.LeadDays(s.procs.Settings.GreetingLead), customer, holiday); err != nil {
		s.log.Warn("greeting sweep", "error", err)
	}
}

func (s *Server) createHoliday(ctx context.Context, in *struct{ Body HolidayCreate }) (*struct{ Body Holiday }, error) {
	if !can(callerOf(ctx).Role, capSetPolicies) {
		return nil, forbidden("the company calendar is kept by the admin and the KA Department")
	}
	on, err := optDate("body.on", &in.Body.On)
	if err != nil {
		return nil, err
	}
	h, err := s.store.CreateHoliday(ctx, in.Body.Name, *on)
	if err != nil {
		if errors.As(err, new(*kam.Error)) {
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
	arg := kam.HolidayFilter{Limit: int32(in.Limit + 1)}
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
	rows, err := s.store.ListHolidays(ctx, arg)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	out := pageOf(rows, in.Limit, func(h kam.Holiday) Holiday {
		return Holiday{ID: h.ID.String(), Name: h.Name, On: h.OnDate.Format(time.DateOnly)}
	}, func(h kam.Holiday) string { return encodeCursor("holidays", dateText(h.OnDate), h.Name, h.ID.String()) })
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
	n, err := s.store.DeleteHoliday(ctx, id)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	if n == 0 {
		return nil, notFound()
	}
	return nil, nil
}

func (s *Server) listGreetings(ctx context.Context, in *struct {
	On     string `query:"on" format:"date" doc:"Default: today in the company time zone"`
	Status string `query:"status" enum:"open,done,cancelled" doc:"Only tasks of this status. Default: open and done; a cancelled task (its key person removed or their birthday corrected) is no greeting and is listed only when asked for"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Greeting] }, error) {
	// A greeting task shows a key person's birthday: archive data (Art. 9).
	r := archiveRead{need: capGreetings, sections: greetingSections, action: kam.AccessList,
		refusal: "greeting tasks are the account managers' and the KA Department's"}
	out, err := readList(s, ctx, r, func(ctx context.Context, scope store.Scope) (Page[Greeting], []uuid.UUID, error) {
		f, err := s.greetingQuery(in.On, in.Status, in.Cursor, in.Limit)
		if err != nil {
			return Page[Greeting]{}, nil, err
		}
		rows, err := s.store.ListGreetingsPage(ctx, scope, f)
		if err != nil {
			return Page[Greeting]{}, nil, err
		}
		out := pageOf(rows, in.Limit, greetingOut(localeOf(ctx)), greetingCursor)
		return out, accountsOf(rows[:len(out.Items)], func(g kam.Greeting) uuid.UUID { return g.CustomerID }), nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Greeting] }{Body: out}, nil
}

// greetingQuery reads a greeting list's day (today by default), status
// (all but cancelled by default) and cursor.
func (s *Server) greetingQuery(on, status, cursor string, limit int) (kam.GreetingFilter, error) {
	day := s.today()
	if on != "" {
		d, err := optDate("query.on", &on)
		if err != nil {
			return kam.GreetingFilter{}, err
		}
		day = *d
	}
	arg := kam.GreetingFilter{On: day, Limit: int32(limit + 1)}
	if status != "" {
		arg.Status = &status
	}
	var occasion string
	var customer, gid uuid.UUID
	if ok, err := decodeCursor(cursor, "greetings", textKey(&occasion), uuidKey(&customer), uuidKey(&gid)); err != nil {
		return arg, err
	} else if ok {
		arg.AfterOccasion, arg.AfterCustomer, arg.AfterID = &occasion, &customer, &gid
	}
	return arg, nil
}

func greetingCursor(g kam.Greeting) string {
	return encodeCursor("greetings", g.Occasion, g.CustomerID.String(), g.ID.String())
}

func (s *Server) completeGreeting(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*struct{ Body Greeting }, error) {
	p := callerOf(ctx)
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	if !can(p.Role, capGreetings) {
		return nil, s.denyRecord(ctx, id, greetingSections, notFound())
	}
	// The task names its account: the store puts it into the register entry.
	g, err := archiveWrite(s, ctx, nil, greetingSections, func(ctx context.Context) (kam.Greeting, error) {
		return s.store.CompleteGreeting(ctx, scopeOf(p), id)
	})
	if errors.Is(err, kam.ErrNotFound) {
		return nil, s.denyRecord(ctx, id, greetingSections, notFound())
	}
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Greeting }{Body: greetingOut(localeOf(ctx))(g)}, nil
}
