package workflows

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"kam"
	"kam/activities"
	"kam/i18n"
)

// SignalTicketEvent carries a handling record to the ticket's SLA run.
const SignalTicketEvent = "ticket-event"

// TicketWorkflowID is stable per ticket.
func TicketWorkflowID(ticketID uuid.UUID) string { return "ticket-sla/" + ticketID.String() }

// TicketInput starts a ticket's SLA run.
type TicketInput struct {
	TicketID   uuid.UUID
	CustomerID uuid.UUID
	// TopTier: a resolution breach also goes to the General Manager.
	TopTier   bool
	RespondBy time.Time
	ResolveBy time.Time
	// Responded and Reopened carry a ticket's past into a run started again
	// by a reopen after close (the earlier run has ended).
	Responded bool
	Reopened  int
	// Resolved and the breach flags carry the rest of a ticket's state
	// across continue-as-new (versionTicketContinues): the targets of
	// Art. 16, 17 outlive the run, and a breach already escalated is not
	// escalated again by the next run.
	Resolved                             bool
	ResponseBreached, ResolutionBreached bool
	// Timezone is the company's, in which notices name their instants (a
	// run started before it was given words them in UTC).
	Timezone string
}

// TicketSignal is one handling record, as the run needs it.
type TicketSignal struct {
	Type      string
	ResolveBy time.Time // the new target, on reopen
}

// TicketState is what the run reports.
type TicketState struct {
	Responded, Resolved, Closed          bool
	ResponseBreached, ResolutionBreached bool
	Reopened                             int
}

// TicketSLA keeps a hotline ticket's promises (Art. 16, 17): a first response
// within the tier's response time and a resolution within its resolution
// time. A missed target escalates to the KA manager, and a missed resolution
// on a top-tier account to the General Manager too.
func TicketSLA(ctx workflow.Context, in TicketInput) (TicketState, error) {
	// Only a run that continued as new sets these (old inputs hold false).
	st := TicketState{Responded: in.Responded, Reopened: in.Reopened,
		Resolved: in.Resolved, ResponseBreached: in.ResponseBreached, ResolutionBreached: in.ResolutionBreached}
	events := workflow.GetSignalChannel(ctx, SignalTicketEvent)
	for turns := 0; !st.Closed; turns++ {
		if (turns >= ticketTurnsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()) &&
			workflow.GetVersion(ctx, versionTicketContinues, workflow.DefaultVersion, 1) == 1 {
			// Resolve and reopen may alternate without end (each a
			// signal): the run continues as new long before Temporal's
			// signal and history limits would refuse further reopens. The
			// records pending now would be lost with this run: apply them.
			var sig TicketSignal
			for events.ReceiveAsync(&sig) {
				applyTicketSignal(&st, &in, sig)
				sig = TicketSignal{}
			}
			if st.Closed {
				break
			}
			in.Responded, in.Resolved, in.Reopened = st.Responded, st.Resolved, st.Reopened
			in.ResponseBreached, in.ResolutionBreached = st.ResponseBreached, st.ResolutionBreached
			return st, workflow.NewContinueAsNewError(ctx, TicketSLA, in)
		}
		now := workflow.Now(ctx)
		timerCtx, cancel := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		var fired string
		if !st.Responded && !st.ResponseBreached {
			sel.AddFuture(workflow.NewTimer(timerCtx, max(in.RespondBy.Sub(now), time.Millisecond)), func(workflow.Future) { fired = "response" })
		}
		if !st.Resolved && !st.ResolutionBreached {
			sel.AddFuture(workflow.NewTimer(timerCtx, max(in.ResolveBy.Sub(now), time.Millisecond)), func(workflow.Future) { fired = "resolution" })
		}
		var sig TicketSignal
		sel.AddReceive(events, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &sig) })
		sel.Select(ctx)
		cancel()

		switch fired {
		case "response":
			st.ResponseBreached = true
			if err := breach(ctx, in, activities.TicketBreach{TicketID: in.TicketID, Response: true, Note: "no response by " + in.RespondBy.UTC().Format(time.RFC3339)},
				"response_breached", breachWords{i18n.TicketResponseBreachedTitle, i18n.TicketResponseBreachedBody, in.RespondBy}, []string{kam.RoleKAManager}); err != nil {
				return st, err
			}
			continue
		case "resolution":
			st.ResolutionBreached = true
			roles := []string{kam.RoleKAManager}
			if in.TopTier {
				roles = append(roles, kam.RoleGeneralManager)
			}
			if err := breach(ctx, in, activities.TicketBreach{TicketID: in.TicketID, Resolution: true, Note: "not resolved by " + in.ResolveBy.UTC().Format(time.RFC3339)},
				fmt.Sprintf("resolution_breached/%d", st.Reopened), breachWords{i18n.TicketResolutionBreachedTitle, i18n.TicketResolutionBreachedBody, in.ResolveBy}, roles); err != nil {
				return st, err
			}
			continue
		}
		applyTicketSignal(&st, &in, sig)
	}
	return st, nil
}

// ticketTurnsPerRun bounds one run's history: a turn (a signal or a timer)
// costs about eight events, so a run stays near 2,000 events and far below
// Temporal's 10,000 signals per run. Changing it changes where open runs
// continue: that needs a version of its own.
const ticketTurnsPerRun = 250

// versionTicketContinues: the run continues as new after ticketTurnsPerRun
// turns or when Temporal suggests it, carrying the ticket's state in
// TicketInput; before, it never did, and ~5,000 resolve/reopen cycles
// brought it to the signal limit. Asked only when a run first reaches that
// point, not at its start: a run open since before this change takes it too
// unless its history had already passed that point (then it keeps its old
// course, as its history says).
const versionTicketContinues = "ticket-continues"

// applyTicketSignal takes one handling record into the run's state.
func applyTicketSignal(st *TicketState, in *TicketInput, sig TicketSignal) {
	switch sig.Type {
	case "acknowledge":
		st.Responded = true
	case "resolve":
		st.Responded, st.Resolved = true, true
	case "reopen":
		st.Resolved, st.ResolutionBreached = false, false
		st.Reopened++
		in.ResolveBy = sig.ResolveBy
	case "close":
		st.Closed = true
	}
}

// versionBreachRereads: the breach step escalates only what the re-read
// ticket still owes; before, a lost resolve signal still escalated.
const versionBreachRereads = "breach-rereads-ticket"

// breach records a missed target and escalates it, unless the ticket, read
// again, was answered or resolved meanwhile (its signal lost or late).
// breachWords name a breach notice's title and body and the target missed.
type breachWords struct {
	title, body i18n.Key
	by          time.Time
}

func breach(ctx workflow.Context, in TicketInput, b activities.TicketBreach, key string, words breachWords, roles []string) error {
	rereads := workflow.GetVersion(ctx, versionBreachRereads, workflow.DefaultVersion, 1) == 1
	owed := true
	if err := workflow.ExecuteActivity(withActivity(ctx), act.MarkTicketBreach, b).Get(ctx, &owed); err != nil {
		return err
	}
	if rereads && !owed {
		return nil
	}
	// Art. 16: the escalation goes to the KA manager (and the GM); the
	// account's manager, responsible for the account, hears of it too.
	return notify(ctx, activities.Notice{
		EventKey: TicketWorkflowID(in.TicketID) + "/" + key, Kind: "ticket_escalated", TitleMsg: i18n.M(words.title),
		BodyMsg: i18n.M(words.body, i18n.At(words.by.In(zoneOr(in.Timezone)))), CustomerID: &in.CustomerID, Roles: roles, ToAccountManager: true,
	})
}
