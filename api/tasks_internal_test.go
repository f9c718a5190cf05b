package api

import (
	"testing"

	"kam"
)

// The work GET /v1/me/tasks hands a role is work the grants table lets that
// role do (SPEC §2): a task never points a caller at something they would
// be refused. Art. 4, 9, 12.
func TestTaskScopesFollowTheGrants(t *testing.T) {
	for _, role := range kam.Roles {
		sc := taskScopes[role]
		need := map[string]capability{}
		if sc.DecideAs != "" {
			need["discount_decision"] = capDecideDiscount
			if sc.DecideAs != role {
				t.Errorf("%s decides as %s", role, sc.DecideAs)
			}
		}
		if sc.Filings {
			need["filing_acknowledgement"] = capSeeFilings
			if role != kam.RoleGeneralManager {
				t.Errorf("%s is given filings: only the GM acknowledges them", role)
			}
		}
		if sc.Tickets != kam.TasksNone {
			need["ticket"] = capHandleTickets
		}
		if sc.Visits {
			need["visit_due"] = capRecordVisits
		}
		if sc.Greetings {
			need["greeting"] = capGreetings
		}
		if sc.Archives != kam.TasksNone {
			need["archive_incomplete"] = capEditArchive
		}
		if sc.Statements != kam.TasksNone {
			need["statement_overdue"] = capReadCredit
		}
		for kind, c := range need {
			if !can(role, c) {
				t.Errorf("%s is given %s tasks but may not act on them", role, kind)
			}
		}
		// Only an account manager's work is limited to "their" accounts.
		mine := sc.Tickets == kam.TasksMine || sc.Visits || sc.Greetings || sc.Archives == kam.TasksMine || sc.Statements == kam.TasksMine
		if mine != (role == kam.RoleAccountManager) {
			t.Errorf("%s: accounts of their own = %v", role, mine)
		}
	}
	for _, kind := range kam.TaskKinds {
		if len(taskSections[kind]) == 0 {
			t.Errorf("kind %s registers no section", kind)
		}
	}
}
