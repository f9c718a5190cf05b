package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// Runs starts a row's run by its deterministic workflow ID; starting a run
// that already exists changes nothing. workflows.Processes is the one
// implementation; the interface keeps activities from importing workflows.
type Runs interface {
	StartOnboarding(ctx context.Context, customerID uuid.UUID) error
	StartVisitPlan(ctx context.Context, customerID uuid.UUID) error
	StartSettlement(ctx context.Context, customerID uuid.UUID) error
	// LedgerChanged tells a settlement run to re-read its agreement.
	LedgerChanged(ctx context.Context, customerID uuid.UUID) error
}

// Run kinds the reconciler starts.
const (
	RunOnboarding = "onboarding"
	RunVisitPlan  = "visit_plan"
	RunSettlement = "settlement"
)

// ReconcilePage is one page of a reconcile listing, keyset by id.
type ReconcilePage struct {
	After *uuid.UUID
	Limit int32
}

// AccountFacts is what the reconciler needs to know of an active account.
type AccountFacts struct {
	ID       uuid.UUID
	Complete bool // every Art. 7 section is filled
}

// AccountPage is a page of active accounts; Last and More are the listing's,
// so an account deleted since the listing does not end the sweep early.
type AccountPage struct {
	Accounts []AccountFacts
	Last     *uuid.UUID
	More     bool
}

// ListActiveAccounts lists a page of active accounts with whether their
// archive is complete.
func (a *Activities) ListActiveAccounts(ctx context.Context, p ReconcilePage) (AccountPage, error) {
	ids, err := a.Store.ActiveCustomerIDs(ctx, p.After, p.Limit)
	if err != nil {
		return AccountPage{}, err
	}
	page := AccountPage{Accounts: make([]AccountFacts, 0, len(ids)), More: len(ids) == int(p.Limit)}
	if len(ids) > 0 {
		page.Last = &ids[len(ids)-1]
	}
	for _, id := range ids {
		ar, err := a.Store.GetArchive(ctx, store.Scope{}, id)
		if errors.Is(err, kam.ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return AccountPage{}, err
		}
		page.Accounts = append(page.Accounts, AccountFacts{ID: id, Complete: len(ar.Missing) == 0})
	}
	return page, nil
}

// ListOpenAgreements lists a page of the accounts whose credit agreement is open.
func (a *Activities) ListOpenAgreements(ctx context.Context, p ReconcilePage) ([]uuid.UUID, error) {
	return a.Store.OpenAgreements(ctx, p.After, p.Limit)
}

// RunNeed is one run a committed row must have.
type RunNeed struct {
	Kind       string
	CustomerID uuid.UUID
}

// EnsureRuns starts each needed run; one that exists is kept as it is. It
// tries every need and fails (to be retried) if any start failed, so one
// unreachable start holds up none of the others.
func (a *Activities) EnsureRuns(ctx context.Context, needs []RunNeed) error {
	var errs []error
	for _, n := range needs {
		if err := a.startRun(ctx, n); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", n.Kind, n.CustomerID, err))
		}
	}
	return errors.Join(errs...)
}

func (a *Activities) startRun(ctx context.Context, n RunNeed) error {
	if a.Runs == nil {
		return errors.New("no run starter wired")
	}
	switch n.Kind {
	case RunOnboarding:
		// The need was read a page ago. An onboarding that ended is started
		// again (Art. 7.2), so a need gone stale meanwhile (the archive
		// completed, the account closed) would open a run for nothing: ask
		// the archive once more, right before the start.
		st, err := a.CheckArchive(ctx, n.CustomerID)
		if err != nil || !st.Open() {
			return err
		}
		return a.Runs.StartOnboarding(ctx, n.CustomerID)
	case RunVisitPlan:
		return a.Runs.StartVisitPlan(ctx, n.CustomerID)
	case RunSettlement:
		return a.Runs.StartSettlement(ctx, n.CustomerID)
	}
	return fmt.Errorf("unknown run kind %q", n.Kind)
}

// adriftGrace: a statement open this long past its due time was missed by
// its run, which marks it overdue at that time; shorter would signal runs
// about to do it themselves.
const adriftGrace = time.Minute

// adriftPerSweep bounds one sweep's signals; the next sweep takes the rest.
const adriftPerSweep = 1000

// NudgeSettlements signals the settlement run of every agreement whose record
// shows the run missed a change (Store.SettlementsAdrift): the API signals a
// run after its write commits, so a crash or an unreachable Temporal in
// between lost the signal, and the run would only notice at its next timer,
// which after the last dunning step is the next cycle close. Credit stays
// stopped only while a statement is overdue (Art. 13). It returns how many
// runs it signalled; a run that is gone is the agreements phase's to start.
func (a *Activities) NudgeSettlements(ctx context.Context) (int, error) {
	if a.Runs == nil {
		return 0, errors.New("no run starter wired")
	}
	ids, err := a.Store.SettlementsAdrift(ctx, adriftGrace, adriftPerSweep)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, id := range ids {
		if err := a.Runs.LedgerChanged(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("settlement %s: %w", id, err))
		}
	}
	return len(ids) - len(errs), errors.Join(errs...)
}
