package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/store"
)

var (
	costSections   = []string{"costs"}
	budgetSections = []string{"budget"}
	eventSections  = []string{"events"}
)

// Budget is a yearly KA budget for an account or a tier (Art. 21).
type Budget struct {
	ID         string  `json:"id" format:"uuid"`
	Year       int32   `json:"year"`
	CustomerID *string `json:"customer_id" format:"uuid"`
	Tier       *string `json:"tier"`
	Amount     string  `json:"amount"`
	Version    int32   `json:"version" doc:"1 when first set; one more with each PUT that changes the amount (SPEC §3)"`
}

func budgetOut(b kam.Budget) Budget {
	return Budget{ID: b.ID.String(), Year: b.Year, CustomerID: uuidString(b.CustomerID), Tier: b.Tier, Amount: money(b.Amount), Version: b.Version}
}

type amountBody struct {
	Amount string `json:"amount" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99" doc:"Money as a decimal string"`
	// Version is the version a GET answered, accepted so that what was read
	// can be sent back; a PUT sets the whole resource and checks no version.
	Version *int32 `json:"version,omitempty" doc:"Read-only: the version a GET answered, accepted and not checked (this PUT takes no precondition)"`
}

// CostCreate is money spent on an account (Art. 21).
type CostCreate struct {
	Category   string `json:"category" enum:"visit,gift,event,travel,other"`
	Amount     string `json:"amount" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99"`
	IncurredOn string `json:"incurred_on" format:"date"`
	Note       string `json:"note,omitempty" maxLength:"2000"`
}

// Cost is a recorded cost.
type Cost struct {
	ID         string `json:"id" format:"uuid"`
	CustomerID string `json:"customer_id" format:"uuid"`
	Category   string `json:"category"`
	Amount     string `json:"amount"`
	IncurredOn string `json:"incurred_on"`
	Note       string `json:"note"`
}

func costOut(c kam.Cost) Cost {
	return Cost{ID: c.ID.String(), CustomerID: c.CustomerID.String(), Category: c.Category, Amount: money(c.Amount), IncurredOn: c.IncurredOn.Format(time.DateOnly), Note: c.Note}
}

// BudgetLine is one account's spend against its budget.
type BudgetLine struct {
	CustomerID string `json:"customer_id" format:"uuid"`
	Code       string `json:"code"`
	Tier       string `json:"tier"`
	Budget     string `json:"budget" doc:"The account's own budget; 0 when it draws on its tier's"`
	OwnBudget  bool   `json:"own_budget"`
	Spent      string `json:"spent"`
	Remaining  string `json:"remaining"`
}

// TierBudgetLine is a tier budget against what its accounts without their own spent.
type TierBudgetLine struct {
	Tier      string `json:"tier"`
	Budget    string `json:"budget"`
	Spent     string `json:"spent"`
	Remaining string `json:"remaining"`
}

// BudgetReport is Art. 21's spend against budget for a year.
type BudgetReport struct {
	Year       int32            `json:"year"`
	Accounts   []BudgetLine     `json:"accounts" doc:"A page of accounts by code (?limit=, default 200); the rest follow ?cursor=next_cursor"`
	Tiers      []TierBudgetLine `json:"tiers"`
	NextCursor *string          `json:"next_cursor" doc:"Pass as ?cursor= for the next page of accounts; null on the last page"`
}

// EventCreate is a symposium, customer event or training (Art. 5.4, 5.7, 19).
type EventCreate struct {
	Kind     string         `json:"kind" enum:"symposium,customer_event,training"`
	Title    string         `json:"title" minLength:"1" maxLength:"200"`
	HeldOn   string         `json:"held_on" format:"date"`
	Location string         `json:"location,omitempty" maxLength:"200"`
	Notes    string         `json:"notes,omitempty" maxLength:"5000"`
	Invitees []InviteeInput `json:"invitees,omitempty" maxItems:"100"`
}

// InviteeInput names an account (and optionally its key person) or a member of staff.
type InviteeInput struct {
	CustomerID  string `json:"customer_id,omitempty" format:"uuid"`
	KeyPersonID string `json:"key_person_id,omitempty" format:"uuid"`
	StaffID     string `json:"staff_id,omitempty" format:"uuid"`
}

// Event is an event with its invitees.
type Event struct {
	ID       string    `json:"id" format:"uuid"`
	Kind     string    `json:"kind"`
	Title    string    `json:"title"`
	HeldOn   string    `json:"held_on"`
	Location string    `json:"location"`
	Notes    string    `json:"notes"`
	Invitees []Invitee `json:"invitees"`
}

// Invitee is one invitation and whether they came.
type Invitee struct {
	ID          string  `json:"id" format:"uuid"`
	CustomerID  *string `json:"customer_id" format:"uuid"`
	KeyPersonID *string `json:"key_person_id" format:"uuid"`
	StaffID     *string `json:"staff_id" format:"uuid"`
	Attended    *bool   `json:"attended"`
	Version     int32   `json:"version" doc:"1 when invited; one more with each change of attended (SPEC §3)"`
}

func (s *Server) budgetRoutes() {
	huma.Register(s.api, op("put-customer-budget", http.MethodPut, "/v1/budgets/{year}/customers/{id}", "An account's yearly KA budget (Art. 21)", "budgets"), s.putCustomerBudget)
	huma.Register(s.api, op("put-tier-budget", http.MethodPut, "/v1/budgets/{year}/tiers/{code}", "A tier's yearly KA budget (Art. 21)", "budgets"), s.putTierBudget)
	huma.Register(s.api, heavyOp(op("report-budget", http.MethodGet, "/v1/reports/budget", "Spend against budget for a year (Art. 21)", "reports")), s.budgetReport)
	huma.Register(s.api, created(op("record-cost", http.MethodPost, "/v1/customers/{id}/costs", "Record a cost of serving an account", "budgets")), s.recordCost)
	huma.Register(s.api, op("list-costs", http.MethodGet, "/v1/customers/{id}/costs", "Costs of serving an account", "budgets"), s.listCosts)
	huma.Register(s.api, created(op("create-event", http.MethodPost, "/v1/events", "A symposium, customer event or staff training", "events")), s.createEvent)
	huma.Register(s.api, op("list-events", http.MethodGet, "/v1/events", "Events with their invitees", "events"), s.listEvents)
	huma.Register(s.api, op("set-attendance", http.MethodPost, "/v1/events/{id}/attendance", "Record who came", "events"), s.setAttendance)
}

func (s *Server) budgetAmount(ctx context.Context, raw string) (decimal.Decimal, error) {
	if !can(callerOf(ctx).Role, capBudgets) {
		return decimal.Zero, forbidden("budgets are set by the KA Department and finance")
	}
	return parseMoney("body.amount", raw)
}

func (s *Server) putCustomerBudget(ctx context.Context, in *struct {
	Year int32  `path:"year" minimum:"2000" maximum:"2200"`
	ID   string `path:"id" format:"uuid"`
	Body amountBody
}) (*struct{ Body Budget }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	// An account's budget is part of its record: gated and registered like the archive (Art. 9).
	if _, err := s.gateAccount(ctx, id, capBudgets, budgetSections); err != nil {
		return nil, err
	}
	amount, err := s.budgetAmount(ctx, in.Body.Amount)
	if err != nil {
		return nil, err
	}
	b, err := archiveWrite(s, ctx, []uuid.UUID{id}, budgetSections, func(ctx context.Context) (kam.Budget, error) {
		return s.store.PutCustomerBudget(ctx, in.Year, id, amount)
	})
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Budget }{Body: budgetOut(b)}, nil
}

func (s *Server) putTierBudget(ctx context.Context, in *struct {
	Year int32  `path:"year" minimum:"2000" maximum:"2200"`
	Code string `path:"code" maxLength:"16"`
	Body amountBody
}) (*struct{ Body Budget }, error) {
	amount, err := s.budgetAmount(ctx, in.Body.Amount)
	if err != nil {
		return nil, err
	}
	b, err := s.store.PutTierBudget(ctx, in.Year, in.Code, amount)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Budget }{Body: budgetOut(b)}, nil
}

// budgetReport shows accounts one by one, so it is paged like any list and
// registers each account it shows (Art. 9), as well as the report's export.
func (s *Server) budgetReport(ctx context.Context, in *struct {
	Year   int32  `query:"year" minimum:"2000" maximum:"2200" doc:"Default: this year"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"200" doc:"Accounts on this page"`
	Cursor string `query:"cursor" maxLength:"1024" doc:"next_cursor of the previous page"`
}) (*struct{ Body BudgetReport }, error) {
	var after string
	resume, err := decodeCursor(in.Cursor, "budget", textKey(&after))
	if err != nil {
		return nil, err
	}
	mgr, err := s.reportGate(ctx, "budget")
	if err != nil {
		return nil, err
	}
	year := in.Year
	if year == 0 {
		year = int32(s.today().Year())
	}
	var afterCode *string
	if resume {
		afterCode = &after
	}
	lines, err := s.store.BudgetReport(ctx, year, mgr, afterCode, int32(in.Limit+1))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	page := pageOf(lines, in.Limit, func(l kam.BudgetLine) BudgetLine {
		return BudgetLine{CustomerID: l.CustomerID.String(), Code: l.Code, Tier: l.Tier, Budget: money(l.Budget),
			OwnBudget: l.OwnBudget, Spent: money(l.Spent), Remaining: money(l.Remaining())}
	}, func(l kam.BudgetLine) string { return encodeCursor("budget", l.Code) })
	shown := make([]uuid.UUID, len(page.Items))
	for i, l := range lines[:len(page.Items)] {
		shown[i] = l.CustomerID
	}
	if err := s.registerShown(ctx, kam.AccessList, shown, budgetSections); err != nil {
		return nil, err
	}
	out := BudgetReport{Year: year, Accounts: page.Items, Tiers: []TierBudgetLine{}, NextCursor: page.NextCursor}
	if mgr == nil {
		if out.Tiers, err = s.tierBudgetLines(ctx, year); err != nil {
			return nil, err
		}
	}
	return &struct{ Body BudgetReport }{Body: out}, nil
}

// tierBudgetLines reads the year's tier budgets and what they spent.
func (s *Server) tierBudgetLines(ctx context.Context, year int32) ([]TierBudgetLine, error) {
	tiers, err := s.store.TierBudgets(ctx, year)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	lines := []TierBudgetLine{}
	for _, t := range tiers {
		lines = append(lines, TierBudgetLine{Tier: t.Tier, Budget: money(t.Budget), Spent: money(t.Spent), Remaining: money(t.Remaining())})
	}
	return lines, nil
}

func (s *Server) recordCost(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body CostCreate
}) (*struct{ Body Cost }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	amount, on, err := ledgerInput(in.Body.Amount, "incurred_on", in.Body.IncurredOn)
	if err != nil {
		return nil, err
	}
	if _, err := s.gateVisible(ctx, id, capCosts, costSections); err != nil {
		return nil, err
	}
	cost := store.CostInput{CustomerID: id, Category: in.Body.Category, Amount: amount, IncurredOn: on, Note: in.Body.Note, By: callerOf(ctx).ID}
	c, err := archiveWrite(s, ctx, []uuid.UUID{id}, costSections, func(ctx context.Context) (kam.Cost, error) {
		return s.store.RecordCost(ctx, cost)
	})
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Cost }{Body: costOut(c)}, nil
}

func (s *Server) listCosts(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"200"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Cost] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	after, err := costCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	r := archiveRead{need: capReports, sections: costSections, action: kam.AccessView}
	out, err := readAccount(s, ctx, id, r, func(ctx context.Context, _ store.Scope) (Page[Cost], error) {
		rows, err := s.store.ListCosts(ctx, id, after, int32(in.Limit+1))
		return pageOf(rows, in.Limit, costOut, func(c kam.Cost) string { return encodeCursor("costs", dateText(c.IncurredOn), c.ID.String()) }), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Cost] }{Body: out}, nil
}

// costCursor reads the (incurred_on, id) a page of costs ended at.
func costCursor(c string) (*kam.CostKey, error) {
	on, id, err := keyIDCursor(c, "costs", dateKey)
	if on == nil || err != nil {
		return nil, err
	}
	return &kam.CostKey{IncurredOn: *on, ID: *id}, nil
}

func (s *Server) createEvent(ctx context.Context, in *struct{ Body EventCreate }) (*struct{ Body Event }, error) {
	p := callerOf(ctx)
	if !can(p.Role, capEvents) {
		return nil, s.deny(ctx, uuid.Nil, eventSections, forbidden("events are organised by the KA Department"))
	}
	on, err := optDate("body.held_on", &in.Body.HeldOn)
	if err != nil {
		return nil, err
	}
	invited, accounts, err := inviteesOf(in.Body.Invitees)
	if err != nil {
		return nil, err
	}
	event := store.EventInput{Kind: in.Body.Kind, Title: in.Body.Title, HeldOn: *on, Location: in.Body.Location, Notes: in.Body.Notes, By: p.ID}
	create := func(ctx context.Context) (kam.Event, error) {
		return s.store.CreateEvent(ctx, event, invited)
	}
	var ev kam.Event
	if len(accounts) > 0 {
		// Inviting an account records something about it (Art. 5.4): a change
		// to its archive, registered with the event (Art. 9).
		ev, err = archiveWrite(s, ctx, accounts, eventSections, create)
	} else {
		ev, err = create(ctx)
	}
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return s.eventOut(ctx, ev)
}

// inviteesOf reads an event's invitees and the accounts among them, once
// each in order.
func inviteesOf(in []InviteeInput) ([]kam.Invitation, []uuid.UUID, error) {
	var out []kam.Invitation
	var accounts []uuid.UUID
	var bad fieldErrors
	for i, x := range in {
		v, err := inviteeOf("body.invitees["+itoa(i)+"]", x)
		if !bad.add(err) {
			continue
		}
		out = append(out, v)
		if c := v.CustomerID; c != nil && !slices.Contains(accounts, *c) {
			accounts = append(accounts, *c)
		}
	}
	if err := bad.err(); err != nil {
		return nil, nil, err
	}
	return out, accounts, nil
}

func inviteeOf(loc string, x InviteeInput) (kam.Invitation, error) {
	var bad fieldErrors
	c, err := optUUID(loc+".customer_id", nonEmpty(x.CustomerID))
	bad.add(err)
	k, err := optUUID(loc+".key_person_id", nonEmpty(x.KeyPersonID))
	bad.add(err)
	st, err := optUUID(loc+".staff_id", nonEmpty(x.StaffID))
	if bad.add(err) && c == nil && st == nil && x.CustomerID == "" {
		bad.field(loc, "an invitee is an account (with an optional key person) or a member of staff")
	}
	return kam.Invitation{CustomerID: c, KeyPersonID: k, StaffID: st}, bad.err()
}

func (s *Server) eventOut(ctx context.Context, ev kam.Event) (*struct{ Body Event }, error) {
	events, err := s.eventsOut(ctx, []kam.Event{ev}, nil)
	if err != nil {
		return nil, err
	}
	return &struct{ Body Event }{Body: events[0]}, nil
}

// eventsOut shapes events with their invitees; manager, when set, keeps only
// the invitees that are that account manager's accounts (or staff).
func (s *Server) eventsOut(ctx context.Context, rows []kam.Event, manager *uuid.UUID) ([]Event, error) {
	ids := make([]uuid.UUID, len(rows))
	for i, e := range rows {
		ids[i] = e.ID
	}
	inv, err := s.store.ListInvitees(ctx, ids, manager)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	by := map[uuid.UUID][]Invitee{}
	for _, i := range inv {
		by[i.EventID] = append(by[i.EventID], inviteeOut(i))
	}
	out := make([]Event, 0, len(rows))
	for _, e := range rows {
		ev := Event{ID: e.ID.String(), Kind: e.Kind, Title: e.Title, HeldOn: e.HeldOn.Format(time.DateOnly), Location: e.Location, Notes: e.Notes, Invitees: by[e.ID]}
		if ev.Invitees == nil {
			ev.Invitees = []Invitee{}
		}
		out = append(out, ev)
	}
	return out, nil
}

func inviteeOut(i kam.Invitee) Invitee {
	x := i.Invited
	return Invitee{ID: i.ID.String(), CustomerID: uuidString(x.CustomerID), KeyPersonID: uuidString(x.KeyPersonID), StaffID: uuidString(x.StaffID), Attended: i.Attended, Version: i.Version}
}

func (s *Server) listEvents(ctx context.Context, in *struct {
	From   string `query:"from" format:"date"`
	To     string `query:"to" format:"date"`
	Kind   string `query:"kind" maxLength:"20"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Event] }, error) {
	// Invitees are accounts: the list is a read of their records (Art. 9).
	r := archiveRead{need: capReports, sections: eventSections, action: kam.AccessList, refusal: "your role does not see KA events"}
	page, err := readList(s, ctx, r, func(ctx context.Context, scope store.Scope) (Page[Event], []uuid.UUID, error) {
		page, err := s.eventPage(ctx, scope, in.From, in.To, in.Kind, in.Cursor, in.Limit)
		return page, inviteeAccounts(page.Items), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Event] }{Body: page}, nil
}

// eventPage reads one page of KA events. Art. 9: an account manager sees the
// events of their own accounts, and of those invitees only their accounts;
// the scope is in the query.
func (s *Server) eventPage(ctx context.Context, scope store.Scope, rawFrom, rawTo, kind, cursor string, limit int) (Page[Event], error) {
	after, err := eventCursor(cursor)
	if err != nil {
		return Page[Event]{}, err
	}
	from, to, err := dateRange(rawFrom, rawTo)
	if err != nil {
		return Page[Event]{}, err
	}
	mgr := scope.ManagerID
	rows, err := s.store.ListEvents(ctx, kam.EventFilter{From: from, To: to, Kind: nonEmpty(kind), ManagerID: mgr, After: after, Lim: int32(limit + 1)})
	if err != nil {
		return Page[Event]{}, problemFor(s.log, err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = encodeCursor("events", dateText(last.HeldOn), last.ID.String())
	}
	events, err := s.eventsOut(ctx, rows, mgr)
	return Page[Event]{Items: events, NextCursor: nextCursor(next)}, err
}

// eventCursor reads the (held_on, id) a page of events ended at.
func eventCursor(c string) (*kam.EventKey, error) {
	on, id, err := keyIDCursor(c, "events", dateKey)
	if on == nil || err != nil {
		return nil, err
	}
	return &kam.EventKey{HeldOn: *on, ID: *id}, nil
}

// inviteeAccounts lists the accounts invited to any of events, once each.
func inviteeAccounts(events []Event) []uuid.UUID {
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, e := range events {
		for _, i := range e.Invitees {
			if i.CustomerID == nil {
				continue
			}
			id, err := uuid.Parse(*i.CustomerID)
			if err == nil && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func (s *Server) setAttendance(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		InviteeID string `json:"invitee_id" format:"uuid"`
		Attended  bool   `json:"attended"`
	}
}) (*struct{ Body Event }, error) {
	if !can(callerOf(ctx).Role, capEvents) {
		return nil, s.deny(ctx, uuid.Nil, eventSections, forbidden("events are organised by the KA Department"))
	}
	var bad fieldErrors
	id, err := parseUUID("path.id", in.ID)
	bad.add(err)
	inv, err := parseUUID("body.invitee_id", in.Body.InviteeID)
	bad.add(err)
	if err := bad.err(); err != nil {
		return nil, err
	}
	// Who came is a fact about the invited account (Art. 5.4): registered with the change.
	if _, err := archiveWrite(s, ctx, nil, eventSections, func(ctx context.Context) (kam.Invitee, error) {
		return s.store.SetAttendance(ctx, id, inv, in.Body.Attended)
	}); err != nil {
		return nil, problemFor(s.log, err)
	}
	ev, err := s.store.GetEvent(ctx, id)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return s.eventOut(ctx, ev)
}
