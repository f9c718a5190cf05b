package workflows

import (
	"go.temporal.io/sdk/worker"

	"kam/activities"
)

// Register puts every workflow and the activities on a worker.
func Register(w worker.Registry, a *activities.Activities) {
	RegisterWorkflows(w)
	w.RegisterActivity(a)
}

// RegisterWorkflows registers every workflow of kam: with a worker, or with
// a replayer, which must know the same ones.
func RegisterWorkflows(w worker.WorkflowRegistry) {
	w.RegisterWorkflow(AccountOnboarding)
	w.RegisterWorkflow(DiscountApproval)
	w.RegisterWorkflow(CreditSettlement)
	w.RegisterWorkflow(TicketSLA)
	w.RegisterWorkflow(VisitPlan)
	w.RegisterWorkflow(GreetingSweep)
	w.RegisterWorkflow(DiscountInspection)
	w.RegisterWorkflow(Reconcile)
	w.RegisterWorkflow(TierReview)
	w.RegisterWorkflow(StaffHandover)
}
