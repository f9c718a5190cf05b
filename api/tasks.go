package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"kam"
	"kam/activities"
	"kam/i18n"
)

// Task is one thing waiting on the caller (SPEC §7 "Approvals and work").
type Task struct {
	Kind       string    `json:"kind" enum:"archive_incomplete,discount_decision,filing_acknowledgement,greeting,statement_overdue,ticket,visit_due"`
	DueAt      time.Time `json:"due_at" doc:"A decision's deadline, a filing's time, a ticket's respond_by (resolve_by once acknowledged), a visit's due time, the greeting's day, the archive's opening plus KAM_ONBOARDING_ESCALATE_AFTER, a statement's due time"`
	ID         string    `json:"id" format:"uuid" doc:"The request, filing, ticket, visit, greeting, account or statement"`
	CustomerID string    `json:"customer_id" format:"uuid"`
	Title      string    `json:"title" doc:"In the caller's locale (Accept-Language overrides it)"`
	Link       string    `json:"link" doc:"The API path to act on it"`
}

// taskSections are the archive sections each kind of task shows, registered
// for its account (Art. 9); every title names the account (basics).
var taskSections = map[string][]string{
	kam.TaskDiscountDecision:      discountSections,
	kam.TaskFilingAcknowledgement: discountSections,
	kam.TaskTicket:                ticketSections,
	kam.TaskVisitDue:              visitSections,
	kam.TaskGreeting:              greetingSections,
	kam.TaskArchiveIncomplete:     {kam.SectionBasics},
	kam.TaskStatementOverdue:      creditSections,
}

func (s *Server) taskRoutes() {
	huma.Register(s.api, op("list-my-tasks", http.MethodGet, "/v1/me/tasks", "What waits on me, soonest due first", "notifications"), s.listTasks)
}

func (s *Server) listTasks(ctx context.Context, in *struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Task] }, error) {
	p := callerOf(ctx)
	q, err := s.taskQuery(p, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	page, err := readListEach(s, ctx, kam.AccessList, func(ctx context.Context) (Page[Task], []shownAccount, error) {
		rows, err := s.store.MyTasks(ctx, q)
		if err != nil {
			return Page[Task]{}, nil, err
		}
		page := pageOf(rows, in.Limit, taskOut(p.Role, localeOf(ctx)), taskCursor)
		return page, tasksShown(rows[:len(page.Items)]), nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Task] }{Body: page}, nil
}

// taskQuery reads a task list's cursor: after a due time, kind and id.
func (s *Server) taskQuery(p principal, cursor string, limit int) (kam.TaskQuery, error) {
	set := s.procs.Settings
	q := kam.TaskQuery{StaffID: p.ID, Scope: taskScopeOf(p.Role), Lim: int32(limit + 1),
		ArchiveGrace: set.OnboardingEscalateAfter, Timezone: set.Timezone}
	var key kam.TaskKey
	if ok, err := decodeCursor(cursor, "tasks", timeKey(&key.DueAt), kindKey(&key.Kind), uuidKey(&key.ID)); err != nil {
		return q, err
	} else if ok {
		q.After = &key
	}
	return q, nil
}

func kindKey(dst *string) cursorKey {
	return func(s string) error {
		if !slices.Contains(kam.TaskKinds, s) {
			return fmt.Errorf("no task kind %q", s)
		}
		*dst = s
		return nil
	}
}

func taskCursor(t kam.Task) string {
	return encodeCursor("tasks", timeText(t.DueAt), t.Kind, t.ID.String())
}

// tasksShown is each account on a page of tasks with the sections its
// tasks show.
func tasksShown(rows []kam.Task) []shownAccount {
	var shown shownAccounts
	for _, t := range rows {
		shown.add(t.CustomerID, taskSections[t.Kind])
	}
	return shown.list
}

// taskOut shapes a task for a caller of role reading locale: its title and
// where to act.
func taskOut(role, locale string) func(kam.Task) Task {
	return func(t kam.Task) Task {
		return Task{Kind: t.Kind, DueAt: t.DueAt, ID: t.ID.String(), CustomerID: t.CustomerID.String(),
			Title: taskTitle(t).Render(locale), Link: taskLink(t, role)}
	}
}

// owedOf is what an overdue statement's task says is owed.
func owedOf(t kam.Task) string {
	if t.Outstanding == nil {
		return "?"
	}
	return money(*t.Outstanding)
}

// taskTitle is a task's title in words for any locale (SPEC §7
// "Language"): what to do, and to which account.
func taskTitle(t kam.Task) i18n.Message {
	name := t.CustomerName
	switch t.Kind {
	case kam.TaskDiscountDecision:
		if t.State == kam.RouteBeyondStandard {
			return i18n.M(i18n.TaskDecideBeyondTitle, rateOf(t), t.Subject, name)
		}
		return i18n.M(i18n.TaskDecideStandardTitle, rateOf(t), t.Subject, name)
	case kam.TaskFilingAcknowledgement:
		return i18n.M(i18n.TaskAcknowledgeTitle, rateOf(t), t.Subject, name)
	case kam.TaskTicket:
		if t.State == "open" {
			return i18n.M(i18n.TaskRespondTitle, name, t.Subject)
		}
		return i18n.M(i18n.TaskResolveTitle, name, t.Subject)
	case kam.TaskVisitDue:
		return i18n.M(i18n.TaskVisitTitle, name)
	case kam.TaskGreeting:
		// The greeting's own title names the account already.
		return activities.GreetingTitle(t.State, name, t.Subject)
	case kam.TaskArchiveIncomplete:
		return i18n.M(i18n.TaskArchiveTitle, name, strings.Join(t.Missing, ", "))
	case kam.TaskStatementOverdue:
		return i18n.M(i18n.TaskStatementTitle, owedOf(t), name)
	}
	return i18n.Message{Key: i18n.Key(name)}
}

func rateOf(t kam.Task) string {
	if t.Rate == nil {
		return "?"
	}
	return rateString(*t.Rate)
}

// taskLink is the API path where the caller acts on a task.
func taskLink(t kam.Task, role string) string {
	id, customer := t.ID.String(), t.CustomerID.String()
	switch t.Kind {
	case kam.TaskDiscountDecision:
		return "/v1/discount-requests/" + id + "/decisions"
	case kam.TaskFilingAcknowledgement:
		return "/v1/filings/" + id + "/acknowledge"
	case kam.TaskTicket:
		return "/v1/tickets/" + id + "/events"
	case kam.TaskVisitDue:
		return "/v1/customers/" + customer + "/visits"
	case kam.TaskGreeting:
		return "/v1/greetings/" + id + "/done"
	case kam.TaskArchiveIncomplete:
		return "/v1/customers/" + customer
	case kam.TaskStatementOverdue:
		if role == kam.RoleFinance {
			return "/v1/customers/" + customer + "/payments" // finance records the remittance
		}
		return "/v1/customers/" + customer + "/statements"
	}
	return "/v1/customers/" + customer
}
