package activities

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
	"kam/i18n"
)

// VisitPlanFacts is what a visit plan needs to know of its account.
type VisitPlanFacts struct {
	Active  bool
	Cadence string
}

// LoadVisitPlan reads the account's status and its tier's visit cadence.
func (a *Activities) LoadVisitPlan(ctx context.Context, customerID uuid.UUID) (VisitPlanFacts, error) {
	status, cadence, err := a.Store.VisitPlanFacts(ctx, customerID)
	if errors.Is(err, kam.ErrNotFound) {
		return VisitPlanFacts{}, nil
	} else if err != nil {
		return VisitPlanFacts{}, err
	}
	return VisitPlanFacts{Active: status == "active", Cadence: cadence}, nil
}

// PlanVisit puts the next planned visit on the account; idempotent per due time.
func (a *Activities) PlanVisit(ctx context.Context, customerID uuid.UUID, due time.Time) (uuid.UUID, error) {
	return a.Store.PlanVisit(asProcess(ctx), customerID, due)
}

// VisitStatus reads a planned visit's status.
func (a *Activities) VisitStatus(ctx context.Context, visitID uuid.UUID) (string, error) {
	return a.Store.VisitStatus(ctx, visitID)
}

// MarkVisitMissed marks a still-planned visit missed and tells whether it did.
func (a *Activities) MarkVisitMissed(ctx context.Context, visitID uuid.UUID) (bool, error) {
	return a.Store.MarkVisitMissed(asProcess(ctx), visitID)
}

// CancelVisit withdraws a planned visit (rescheduled, or the account left).
func (a *Activities) CancelVisit(ctx context.Context, visitID uuid.UUID) error {
	return a.Store.CancelVisit(asProcess(ctx), visitID)
}

// GreetingSweep asks for the greeting tasks of one day.
type GreetingSweep struct {
	Today    time.Time
	LeadDays int32
}

// SweepGreetings makes the day's greeting tasks (Art. 19) and tells each
// task's account manager once. A re-run adds nothing.
func (a *Activities) SweepGreetings(ctx context.Context, g GreetingSweep) (int, error) {
	rows, err := a.Store.SweepGreetings(asProcess(ctx), g.Today, g.LeadDays, nil, nil)
	if err != nil {
		return 0, err
	}
	return len(rows), a.AnnounceGreetings(ctx, g)
}

// AnnounceGreetings tells account managers of their open tasks in the window;
// the event key per task keeps it to one notice each, across re-runs.
func (a *Activities) AnnounceGreetings(ctx context.Context, g GreetingSweep) error {
	for d := int32(0); d <= g.LeadDays; d++ {
		day := g.Today.AddDate(0, 0, int(d))
		rows, err := a.Store.GreetingsOn(ctx, day)
		if err != nil {
			return err
		}
		for _, t := range rows {
			if t.AccountManagerID == nil || t.Status != "open" {
				continue
			}
			if _, err := a.Store.Deliver(ctx, []uuid.UUID{*t.AccountManagerID}, greetingNotice(t)); err != nil {
				return err
			}
		}
	}
	return nil
}

// greetingNotice is the one notice of a greeting task; its event key makes
// it one per task and recipient, however often it is sent.
func greetingNotice(t kam.GreetingTask) store.Notification {
	body := i18n.M(i18n.GreetingBody, t.OccasionOn.Format(time.DateOnly))
	if t.Gift {
		body.Key = i18n.GreetingGiftBody
	}
	n := Notice{TitleMsg: GreetingTitle(t.Occasion, t.CustomerName, t.Subject), BodyMsg: body}
	return store.Notification{EventKey: "greeting/" + t.ID.String(), Kind: "greeting_task", Render: n.Words, CustomerID: &t.CustomerID}
}

// GreetingTitle is the title of a greeting task of occasion for account,
// greeting subject (kam.Greeting), wherever it is shown: its notice, the
// greeting list, the caller's tasks. An occasion without words of its own
// reads as its subject.
func GreetingTitle(occasion, account, subject string) i18n.Message {
	switch occasion {
	case "birthday":
		return i18n.M(i18n.GreetingBirthdayTitle, account, subject)
	case "anniversary":
		return i18n.M(i18n.GreetingAnniversaryTitle, account, subject)
	case "holiday":
		return i18n.M(i18n.GreetingHolidayTitle, account, subject)
	}
	return i18n.Message{Key: i18n.Key(subject)}
}

// VisitNoticeKey is the event key of a visit plan's notice (what: lead,
// missed) about the visit due at due: the same whoever sends it.
func VisitNoticeKey(customerID uuid.UUID, due time.Time, what string) string {
	return "visit-plan/" + customerID.String() + "/" + due.UTC().Format(time.RFC3339) + "/" + what
}
