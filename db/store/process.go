package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// RoleSystem is the staff_role of a register row written for a change that a
// long-running process made on its own (no member of staff asked for it).
const RoleSystem = "system"

// Process names the run of a long-running process (a Temporal workflow) that
// changes accounts on its own: a settlement run suspending credit (Art. 13),
// a grant reaching its valid_to (Art. 7.8), a visit missed (Art. 20).
type Process struct {
	Workflow string // workflow type
	ID       string // workflow id
	Run      string // run id
	Step     string // activity type
}

type processKey struct{}

// WithProcess tells the store which process run the writes under ctx belong
// to, so that their register rows say so.
func WithProcess(ctx context.Context, p Process) context.Context {
	return context.WithValue(ctx, processKey{}, p)
}

// processAccess is the `update` entry of a change a process made on its own
// (Art. 9, SPEC §5: every change is registered, whoever made it): no staff
// id, role "system", the run as request id and the workflow and step as
// route, purpose the rule it carried out.
func processAccess(ctx context.Context, customers []uuid.UUID, sections []string, purpose string) Access {
	p, _ := ctx.Value(processKey{}).(Process)
	role := RoleSystem
	route := "process"
	if p.Workflow != "" {
		route = "workflow " + p.Workflow
		if p.Step != "" {
			route += " " + p.Step
		}
	}
	var request string
	if p.ID != "" {
		request = p.ID + "/" + p.Run
	}
	return Access{Role: &role, CustomerIDs: customers, Action: kam.AccessUpdate, Sections: sections,
		RequestID: request, Purpose: purpose, Route: route}
}

// registerProcessChange writes the register row of a change a process made,
// in the change's own transaction: the change and its row commit together,
// and a retry that changes nothing writes none (Art. 9).
func registerProcessChange(ctx context.Context, q *dbq.Queries, customer uuid.UUID, sections []string, purpose string) error {
	if err := appendAccess(ctx, q, processAccess(ctx, []uuid.UUID{customer}, sections, purpose)); err != nil {
		return fmt.Errorf("access register: %v: %w", err, ErrUnregistered)
	}
	return nil
}
