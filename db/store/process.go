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

type actorKey struct{}

// WithActor names the request that sets off the follow-up changes written
// under ctx (the greeting tasks a new holiday brings, say): their register
// rows are that request's, for the accounts they change.
func WithActor(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// processAccess is the `update` entry of a change a process made (Art. 9,
// SPEC §5: every change is registered, whoever made it): the request that
// set it off when there is one (WithActor); otherwise the process's own: no
// staff id, role "system", the run as request id and the workflow and step
// as route, purpose the rule it carried out.
func processAccess(ctx context.Context, customers []uuid.UUID, sections []string, purpose string) Access {
	if a, ok := ctx.Value(actorKey{}).(Access); ok {
		a.CustomerIDs, a.Sections, a.Action = customers, sections, kam.AccessUpdate
		return a
	}
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
		request = processRequestID(p.ID, p.Run)
	}
	return Access{Role: &role, CustomerIDs: customers, Action: kam.AccessUpdate, Sections: sections,
		RequestID: request, Purpose: purpose, Route: route}
}

// registerProcessChange writes the register row of a change a process made,
// in the change's own transaction: the change and its row commit together,
// and a retry that changes nothing writes none (Art. 9).
func registerProcessChange(ctx context.Context, q *dbq.Queries, customer uuid.UUID, sections []string, purpose string) error {
	return registerProcessChanges(ctx, q, []uuid.UUID{customer}, sections, purpose)
}

// registerProcessChanges is registerProcessChange for several accounts.
func registerProcessChanges(ctx context.Context, q *dbq.Queries, customers []uuid.UUID, sections []string, purpose string) error {
	if len(customers) == 0 {
		return nil
	}
	if err := appendAccess(ctx, q, processAccess(ctx, customers, sections, purpose)); err != nil {
		return fmt.Errorf("access register: %v: %w", err, ErrUnregistered)
	}
	return nil
}

// processRequestID names a run in the register's request_id, in the shape
// SPEC §7 gives a request id (kam.RequestIDOK): "<workflow id>:<run id>",
// with any other character of a workflow id (its "/") as ":".
func processRequestID(workflowID, runID string) string {
	out := []rune(workflowID + ":" + runID)
	for i, r := range out {
		if !kam.RequestIDRune(r) {
			out[i] = ':'
		}
	}
	return string(out[:min(len(out), kam.MaxRequestID)])
}
