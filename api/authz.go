package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// capability is one thing a role may do (SPEC §2).
type capability int

const (
	capReadArchive   capability = iota + 1 // profile, contacts, key persons, history
	capCreateArchive                       // open a new account's archive
	capEditArchive                         // change archive fields, add contacts and key persons
	capAssign                              // tier, account manager and status (Art. 3, 4)
	capReadCredit                          // credit grade (Art. 7.7)
	capEditCredit
	capManageStaff // staff and tokens
	capListStaff
	capReadRegister    // the access register (Art. 9)
	capReadPolicies    // discount policies (Art. 11: confidential)
	capSetPolicies     // change discount policies (Art. 5.5)
	capSeeDiscounts    // every discount request (account managers see their own)
	capRequestDiscount // submit a discount request
	capDecideDiscount  // decide a stage (the run checks which stage is whose)
	capReadGrants      // an account's discount standard (Art. 7.8)
	capSeeFilings      // filings with the GM (Art. 12)
	capLedger          // record charges and payments
	capReadTickets     // hotline tickets and their handling records (Art. 7.6, 16)
	capHandleTickets   // open tickets and record their handling
	capRecordVisits    // record visits (Art. 20)
	capGreetings       // greeting tasks (Art. 19)
	capRecordSales     // record product use (Art. 7.5)
	capSurvey          // record satisfaction (Art. 8.2)
	capSeeInspections  // discount inspections (Art. 14)
	capReports         // analysis reports (Art. 8, 22); account managers see their accounts only
	capBudgets         // set KA budgets (Art. 21)
	capCosts           // record costs of serving an account
	capEvents          // organise symposiums, customer events, training (Art. 5.4, 5.7)
	capReviewTiers     // run tier reviews and decide their proposals (Art. 2, 3)
	capSeeTierReviews  // read tier reviews: accounts' revenue and proposed grades
	capHandOver        // hand over a manager's accounts to another (Art. 4, 20; SPEC §7)
	capDelegate        // delegate one's own approvals to a deputy (SPEC §7)
	capSeeDelegations  // every delegation (others see those they are party to)
	capRevokeGrants    // revoke a grant (kam.MayRevoke says whose grant is whose)
	capReverseLedger   // correct a charge or payment with its reversal (SPEC §7 "Ledger")
	capReadArrears     // the arrears overview across accounts (Art. 10, 13)
)

// grants is the one table of who may do what. Row scope (an account manager
// sees only their accounts) is applied separately, inside the SQL.
var grants = map[string][]capability{
	kam.RoleAdmin: {capManageStaff, capListStaff, capReadPolicies, capSetPolicies, capHandOver, capSeeDelegations},
	kam.RoleGeneralManager: {capReadArchive, capReadCredit, capListStaff, capReadPolicies,
		capSeeDiscounts, capDecideDiscount, capReadGrants, capSeeFilings, capReadTickets, capGreetings, capSeeInspections, capReports,
		capSeeTierReviews, capDelegate, capSeeDelegations, capRevokeGrants, capReadArrears},
	kam.RoleKAManager: {capReadArchive, capCreateArchive, capEditArchive, capAssign, capReadCredit, capEditCredit, capListStaff,
		capReadPolicies, capSetPolicies, capSeeDiscounts, capRequestDiscount, capDecideDiscount, capReadGrants, capSeeFilings,
		capReadTickets, capHandleTickets, capRecordVisits, capGreetings, capRecordSales, capSurvey, capReports,
		capBudgets, capCosts, capEvents, capReviewTiers, capSeeTierReviews, capHandOver, capDelegate, capRevokeGrants, capReadArrears},
	kam.RoleAccountManager: {capReadArchive, capEditArchive, capReadCredit, capReadPolicies, capRequestDiscount, capReadGrants,
		capReadTickets, capHandleTickets, capRecordVisits, capGreetings, capRecordSales, capSurvey, capReports, capCosts},
	kam.RoleDataClerk:    {capReadArchive, capCreateArchive, capEditArchive, capRecordSales},
	kam.RoleServiceAgent: {capReadArchive, capReadTickets, capHandleTickets, capSurvey},
	kam.RoleFinance: {capReadArchive, capReadCredit, capEditCredit, capLedger, capReverseLedger, capReadArrears, capReadPolicies, capSeeDiscounts,
		capReadGrants, capReports, capBudgets, capCosts},
	kam.RoleAuditor: {capReadArchive, capReadCredit, capReadRegister, capReadPolicies, capSeeDiscounts, capReadGrants, capSeeFilings,
		capReadTickets, capSeeInspections, capReports, capSeeTierReviews, capSeeDelegations, capReadArrears},
}

// taskScopes is what waits on each role in GET /v1/me/tasks (SPEC §2, §7
// "Approvals and work"): the GM decides escalated and second stages and
// acknowledges filings (Art. 12); the KA manager decides first stages and
// takes the tickets a breach escalated to them (Art. 16); an account
// manager keeps their own accounts: tickets, visits, greetings, the archive
// and overdue statements (Art. 7, 13, 19, 20); data clerks keep every
// archive (Art. 9); the hotline is every open ticket (Art. 16); finance
// chases every overdue statement (Art. 13). The admin and the auditor are
// given no work here.
var taskScopes = map[string]kam.TaskScope{
	kam.RoleGeneralManager: {DecideAs: kam.RoleGeneralManager, Filings: true},
	kam.RoleKAManager:      {DecideAs: kam.RoleKAManager, Tickets: kam.TasksEscalated},
	kam.RoleAccountManager: {Tickets: kam.TasksMine, Visits: true, Greetings: true, Archives: kam.TasksMine, Statements: kam.TasksMine},
	kam.RoleDataClerk:      {Archives: kam.TasksAll},
	kam.RoleServiceAgent:   {Tickets: kam.TasksAll},
	kam.RoleFinance:        {Statements: kam.TasksAll},
}

// taskScopeOf is the work that waits on a role, shown as far as the role may
// see: without credit access, an archive's missing credit is not its gap.
func taskScopeOf(role string) kam.TaskScope {
	sc := taskScopes[role]
	sc.HideCredit = !can(role, capReadCredit)
	return sc
}

func can(role string, c capability) bool {
	for _, g := range grants[role] {
		if g == c {
			return true
		}
	}
	return false
}

// scopeOf is the row scope of a caller: account managers see only the
// accounts assigned to them (Art. 9, 20).
func scopeOf(p principal) store.Scope {
	if p.Role == kam.RoleAccountManager {
		id := p.ID
		return store.Scope{ManagerID: &id}
	}
	return store.Scope{}
}

// register writes one access-register entry for the current request. An
// access that cannot be registered does not happen (Art. 9), so its error
// fails the request. Reads and refusals register here, before anything is
// shown; changes register through archiveWrite or processWrite (writes.go).
func (s *Server) register(ctx context.Context, action string, customers []uuid.UUID, sections []string) error {
	if err := s.store.Register(ctx, accessOf(ctx, action, customers, sections)); err != nil {
		return s.registerFailed(err)
	}
	return nil
}

// accessOf is the register entry of the current request.
func accessOf(ctx context.Context, action string, customers []uuid.UUID, sections []string) store.Access {
	p, m := callerOf(ctx), metaOf(ctx)
	role := p.Role
	var staffID *uuid.UUID
	if p.ID != uuid.Nil {
		staffID = &p.ID
	}
	return store.Access{
		StaffID: staffID, Role: &role, CustomerIDs: customers, Action: action, Sections: sections,
		RequestID: m.RequestID, Purpose: m.Purpose, Route: m.route(),
	}
}

func (s *Server) registerFailed(err error) error {
	s.log.Error("access register", "error", err)
	return refusal(kam.Unavailable("the access register cannot be written; nothing was shown or changed"))
}

// gateAccount authorizes an archive operation on one account. A caller who
// may not see the account gets 404 (no existence leak); one who sees it but
// may not act gets 403. Either way the attempt is registered as denied.
func (s *Server) gateAccount(ctx context.Context, id uuid.UUID, need capability, sections []string) (store.Scope, error) {
	p := callerOf(ctx)
	scope := scopeOf(p)
	if !can(p.Role, capReadArchive) {
		return scope, s.deny(ctx, id, sections, notFound())
	}
	if need == capReadArchive || can(p.Role, need) {
		return scope, nil
	}
	if err := s.store.Visible(ctx, scope, id); err != nil {
		return scope, s.deny(ctx, id, sections, problemFor(s.log, err))
	}
	return scope, s.deny(ctx, id, sections, forbidden("your role may not do this on an account"))
}

// gateVisible is gateAccount for an operation on the account itself: the
// account must also be in the caller's scope, or the attempt is registered
// as denied and answered 404 (no existence leak, SPEC §2).
func (s *Server) gateVisible(ctx context.Context, id uuid.UUID, need capability, sections []string) (store.Scope, error) {
	scope, err := s.gateAccount(ctx, id, need, sections)
	if err != nil {
		return scope, err
	}
	if err := s.store.Visible(ctx, scope, id); err != nil {
		return scope, s.archiveErr(ctx, id, sections, err)
	}
	return scope, nil
}

// deny registers a refused attempt and returns the refusal as a problem.
func (s *Server) deny(ctx context.Context, id uuid.UUID, sections []string, why error) error {
	var ids []uuid.UUID
	if id != uuid.Nil {
		ids = []uuid.UUID{id}
	}
	if err := s.register(ctx, kam.AccessDenied, ids, sections); err != nil {
		return err
	}
	return problemFor(s.log, why)
}

// denyRecord is deny for an attempt on a record by its id (a ticket,
// discount request, grant, filing or greeting task): registered against the
// account the record belongs to, though the caller may not see it, so that
// the register shows who tried which account (SPEC §5).
//
// A record of an account the caller may see is no secret: a refusal that
// would hide it (404) is 403 then, as for any action the caller may not take
// on an account they see (SPEC §2). Its account out of sight, it stays 404.
func (s *Server) denyRecord(ctx context.Context, id uuid.UUID, sections []string, why error) error {
	owner, err := s.store.AccountOfRecord(ctx, id)
	if err != nil {
		s.log.Warn("refused attempt registered without its account", "record", id, "error", err)
	}
	if pr, ok := why.(*Problem); ok && pr.Status == http.StatusNotFound && owner != uuid.Nil && s.seesAccount(ctx, owner) {
		why = forbidden("your role may not see or act on this record of the account")
	}
	return s.deny(ctx, owner, sections, why)
}

// seesAccount tells whether the caller may read the account's archive.
func (s *Server) seesAccount(ctx context.Context, id uuid.UUID) bool {
	p := callerOf(ctx)
	return can(p.Role, capReadArchive) && s.store.Visible(ctx, scopeOf(p), id) == nil
}

// archiveErr maps a store error on an archive route; a not-found there is an
// attempt on an account the caller cannot see, and is registered as denied.
func (s *Server) archiveErr(ctx context.Context, id uuid.UUID, sections []string, err error) error {
	if errors.Is(err, kam.ErrNotFound) {
		return s.deny(ctx, id, sections, notFound())
	}
	return problemFor(s.log, err)
}

// gateListFilter refuses a list filtered by an account the caller may not
// see: the filter names the account as a read of it would, so it is 404 and
// registered as denied, never an empty page that says nothing (SPEC §2, §5).
func (s *Server) gateListFilter(ctx context.Context, customerID string, sections []string) error {
	if customerID == "" {
		return nil
	}
	id, err := parseUUID("query.customer_id", customerID)
	if err != nil {
		return err
	}
	if s.seesAccount(ctx, id) {
		return nil
	}
	return s.deny(ctx, id, sections, notFound())
}
