package workflows

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
	"kam/i18n"
)

// InspectionScheduleID is the Schedule that runs inspections irregularly.
const InspectionScheduleID = "discount-inspections"

// InspectionWorkflowID names one inspection run.
func InspectionWorkflowID(id uuid.UUID) string { return "discount-inspection/" + id.String() }

// InspectionInput starts an inspection; a scheduled one has no id or seed yet.
type InspectionInput struct {
	InspectionID uuid.UUID
	Trigger      string
	RequestedBy  *uuid.UUID
	SampleSize   int32
	Seed         int64
}

// DiscountInspection is Art. 14's irregular inspection of how discount
// standards are applied: it samples granted discounts (the seed is recorded,
// so the sample can be drawn again), checks the recorded sales against them,
// and tells the auditors and the accounts' managers what it found.
func DiscountInspection(ctx workflow.Context, in InspectionInput) (activities.InspectionResult, error) {
	if in.InspectionID == uuid.Nil || in.Seed == 0 {
		// Drawn once and kept in history, so a replay draws the same.
		var drawn struct {
			ID   uuid.UUID
			Seed int64
		}
		if err := workflow.SideEffect(ctx, func(workflow.Context) any {
			return struct {
				ID   uuid.UUID
				Seed int64
			}{uuid.New(), rand.Int64N(1<<53-1) + 1}
		}).Get(&drawn); err != nil {
			return activities.InspectionResult{}, err
		}
		if in.InspectionID == uuid.Nil {
			in.InspectionID = drawn.ID
		}
		if in.Seed == 0 {
			in.Seed = drawn.Seed
		}
	}
	if in.Trigger == "" {
		in.Trigger = "schedule"
	}
	var res activities.InspectionResult
	run := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 5 * time.Minute})
	if err := workflow.ExecuteActivity(run, act.RunInspection, kam.InspectionRun{
		ID: in.InspectionID, Trigger: in.Trigger, RequestedBy: in.RequestedBy, SampleSize: in.SampleSize, Seed: in.Seed,
	}).Get(ctx, &res); err != nil {
		return res, err
	}
	done := InspectionWorkflowID(in.InspectionID) + "/done"
	if workflow.GetVersion(ctx, versionInspectionYours, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		err := notify(ctx, activities.Notice{
			EventKey: done, Kind: "inspection_done",
			TitleMsg: i18n.M(i18n.InspectionDoneTitle),
			BodyMsg:  i18n.M(i18n.InspectionDoneBody, res.Findings, in.SampleSize, in.InspectionID.String()),
			Roles:    []string{kam.RoleAuditor}, StaffIDs: res.Managers,
		})
		return res, err
	}
	// The auditors read the whole inspection; an account manager is told
	// only of the findings on their own accounts (SPEC §2: no other
	// manager's accounts), without the link to an inspection they may not
	// open.
	if err := notify(ctx, activities.Notice{
		EventKey: done, Kind: "inspection_done",
		TitleMsg: i18n.M(i18n.InspectionDoneTitle),
		BodyMsg:  i18n.M(i18n.InspectionDoneBody, res.Findings, in.SampleSize, in.InspectionID.String()),
		Roles:    []string{kam.RoleAuditor},
	}); err != nil {
		return res, err
	}
	managers := slices.SortedFunc(maps.Keys(res.Yours), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	var sent []workflow.Future
	for _, m := range managers {
		sent = append(sent, workflow.ExecuteActivity(withActivity(ctx), act.Notify, activities.Notice{
			EventKey: done + "/" + m.String(), Kind: "inspection_done",
			TitleMsg: i18n.M(i18n.InspectionDoneTitle),
			BodyMsg:  i18n.M(i18n.InspectionYoursBody, res.Yours[m]),
			StaffIDs: []uuid.UUID{m},
		}))
	}
	for _, f := range sent {
		if err := f.Get(ctx, nil); err != nil {
			return res, err
		}
	}
	return res, nil
}

// versionInspectionYours: an inspection tells each account manager the
// findings on their own accounts; before, they got the auditors' notice
// with the company-wide count and a link they could not open.
const versionInspectionYours = "inspection-yours"
