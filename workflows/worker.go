package workflows

import (
	"go.temporal.io/sdk/worker"

	"kam/activities"
)

// Register puts every workflow and the activities on a worker.
func Register(w worker.Registry, a *activities.Activities) {
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
	w.RegisterActivity(a)
}
