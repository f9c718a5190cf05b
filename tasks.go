package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Task kinds of GET /v1/me/tasks (SPEC §7 "Approvals and work"). They
// differ in their first letter, so every collation orders them alike.
const (
	TaskArchiveIncomplete     = "archive_incomplete"     // Art. 7: an archive the caller keeps is incomplete
	TaskDiscountDecision      = "discount_decision"      // Art. 11, 12: a stage the caller may decide
	TaskFilingAcknowledgement = "filing_acknowledgement" // Art. 12: a standard discount filed with the GM
	TaskGreeting              = "greeting"               // Art. 19: an open greeting task
	TaskStatementOverdue      = "statement_overdue"      // Art. 13: a statement unpaid at its due date
	TaskTicket                = "ticket"                 // Art. 16, 17: a ticket waiting in the caller's queue
	TaskVisitDue              = "visit_due"              // Art. 20: a planned visit
)

// TaskKinds lists every kind, in the order tasks with the same due time
// are listed.
var TaskKinds = []string{TaskArchiveIncomplete, TaskDiscountDecision, TaskFilingAcknowledgement,
	TaskGreeting, TaskStatementOverdue, TaskTicket, TaskVisitDue}

// Which accounts a kind of task covers for a caller.
const (
	TasksNone      = ""          // none: the kind is not the caller's
	TasksMine      = "mine"      // the accounts assigned to the caller
	TasksAll       = "all"       // every account
	TasksEscalated = "escalated" // tickets: only the escalated ones (the KA manager's)
)

// TaskScope says which tasks wait on a caller: what a role is given to do
// (SPEC §2), and over which accounts.
type TaskScope struct {
	// DecideAs is the role whose discount stages the caller decides
	// (Decider), or "" for none; their own requests are never among them.
	DecideAs   string
	Filings    bool   // unacknowledged filings (the GM's)
	Tickets    string // TasksAll, TasksEscalated, TasksMine or TasksNone
	Visits     bool   // planned visits of the caller's accounts
	Greetings  bool   // open greeting tasks of the caller's accounts
	Archives   string // incomplete archives: TasksAll, TasksMine or TasksNone
	Statements string // overdue statements: TasksAll, TasksMine or TasksNone
	// HideCredit leaves the credit section out of an archive's gaps: a
	// caller who may not see credit learns nothing of it (Art. 9), and an
	// archive lacking only its credit agreement is not theirs to complete.
	HideCredit bool
}

// Empty tells whether nothing at all can wait on the caller.
func (s TaskScope) Empty() bool { return s == TaskScope{} }

// TaskKey is where a task list resumes: after this due time, kind and id.
type TaskKey struct {
	DueAt time.Time
	Kind  string
	ID    uuid.UUID
}

// TaskQuery selects one page of what waits on a member of staff.
type TaskQuery struct {
	StaffID uuid.UUID
	Scope   TaskScope
	After   *TaskKey
	Lim     int32
	// ArchiveGrace is how long after an account is opened its archive is
	// due complete (KAM_ONBOARDING_ESCALATE_AFTER: the KA manager is told then).
	ArchiveGrace time.Duration
	// Timezone is the company's: a greeting is due at the start of its day there.
	Timezone *time.Location
}

// Task is one thing waiting on a member of staff.
type Task struct {
	Kind string
	// DueAt: a decision's deadline (escalation or expiry), a filing's time,
	// a ticket's respond_by (open) or resolve_by (acknowledged), a visit's
	// due time, the start of a greeting's day, an archive's opening plus
	// ArchiveGrace, a statement's due time.
	DueAt        time.Time
	ID           uuid.UUID // the request, filing, ticket, visit, greeting, account or statement
	CustomerID   uuid.UUID
	CustomerName string
	// Subject: a request's or filing's product category, a ticket's
	// subject, a greeting's subject (Greeting.Subject).
	Subject string
	// State: a request's route, a ticket's status, a greeting's occasion.
	State       string
	Rate        *decimal.Decimal // a request's or filing's rate
	Missing     []string         // the sections an incomplete archive lacks (Art. 7)
	Outstanding *decimal.Decimal // what is still owed on an overdue statement
}
