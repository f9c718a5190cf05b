package activities_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"kam/activities"
	"kam/workflows"
)

// An SLA run whose ticket never came to exist (the ticket's transaction,
// which started the run, did not commit) ends at its first breach, after a
// grace for a commit still on its way, instead of retrying for ever.
func TestOrphanTicketRunEnds(t *testing.T) {
	s := newStore(t)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.RegisterWorkflow(workflows.TicketSLA)
	env.RegisterActivity(&activities.Activities{Store: s})
	now := env.Now()
	env.ExecuteWorkflow(workflows.TicketSLA, workflows.TicketInput{TicketID: uuid.New(), CustomerID: uuid.New(),
		RespondBy: now.Add(time.Hour), ResolveBy: now.Add(8 * time.Hour)})
	if !env.IsWorkflowCompleted() {
		t.Fatal("the orphan run did not end")
	}
	var app *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != activities.ErrTicketGone {
		t.Fatalf("orphan run ended with %v, want %s", err, activities.ErrTicketGone)
	}
}
