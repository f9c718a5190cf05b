package workflows

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Settings are the process durations of SPEC §4, each overridable by
// environment so tests and demos can run a whole cycle in seconds.
type Settings struct {
	OnboardingRemindEvery   time.Duration
	OnboardingEscalateAfter time.Duration
}

// DefaultSettings are the production values.
func DefaultSettings() Settings {
	return Settings{
		OnboardingRemindEvery:   24 * time.Hour,
		OnboardingEscalateAfter: 72 * time.Hour,
	}
}

// Processes is how the API starts and steers workflows.
type Processes struct {
	Client   client.Client
	Settings Settings
}

// StartOnboarding starts an account's onboarding run. Starting it again while
// it runs, or after it finished, changes nothing.
func (p *Processes) StartOnboarding(ctx context.Context, customerID uuid.UUID) error {
	_, err := p.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       OnboardingWorkflowID(customerID),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, AccountOnboarding, OnboardingInput{
		CustomerID:    customerID,
		RemindEvery:   p.Settings.OnboardingRemindEvery,
		EscalateAfter: p.Settings.OnboardingEscalateAfter,
	})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) || temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return nil
	}
	return err
}

// ArchiveChanged tells a running onboarding to re-check the archive. An
// onboarding that has already finished has nothing to re-check.
func (p *Processes) ArchiveChanged(ctx context.Context, customerID uuid.UUID) error {
	err := p.Client.SignalWorkflow(ctx, OnboardingWorkflowID(customerID), "", SignalArchiveChanged, nil)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

// Ping tells whether the Temporal frontend answers.
func (p *Processes) Ping(ctx context.Context) error {
	_, err := p.Client.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}
