package store

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
	"kam/i18n"
)

// Scope limits what a caller sees: an account manager only the accounts
// assigned to them (Art. 9). The zero Scope sees every account.
type Scope struct {
	ManagerID *uuid.UUID
}

// CustomerPatch carries the archive fields a caller sets; nil leaves a field
// as it is, and an empty string clears an optional text field.
type CustomerPatch struct {
	Code, Name, Nature, Industry, ProductCategory, Tier, ServiceMode *string
	LegalRepresentative, CompanySize, MainProducts, Credibility      *string
	ProfitStatus, Status, Address, Postcode, Phone, Fax, Email       *string
	AnnualOutputValue                                                *decimal.Decimal
	AccountManagerID                                                 *uuid.UUID
	FoundedOn                                                        *time.Time
	// OpenedOn moves the day the account was opened (imports only).
	OpenedOn *time.Time
	// Clear names optional fields to empty (JSON merge-patch null):
	// annual_output_value, account_manager_id, founded_on.
	Clear []string
}

// Change is one field's change, as written to the history.
type Change struct {
	Field    string
	Old, New *string
}

// Archive is an account with what its archive still lacks, and its credit
// grade (nil without credit terms; the API shows it only to those who may
// see credit, Art. 7.7, 9).
type Archive struct {
	Customer    kam.Customer
	Missing     []string
	CreditLevel *string
}

// CreateCustomer stores a new archive and its first history row in one
// transaction. A register entry pending in ctx (WithAccess) is written in it
// with the new account's id: an archive whose opening cannot be registered is
// not opened (Art. 9).
func (s *Store) CreateCustomer(ctx context.Context, p CustomerPatch, by uuid.UUID) (kam.Customer, error) {
	if err := kam.StatusKept(kam.CustomerActive, p.Status); err != nil {
		return kam.Customer{}, err
	}
	c := dbq.Customer{ID: NewID(), Tier: "B", ServiceMode: "account_manager", Status: kam.CustomerActive}
	changes := apply(&c, p)
	var out dbq.Customer
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if err := checkManager(ctx, q, c.AccountManagerID); err != nil {
			return err
		}
		var err error
		out, err = q.CreateCustomer(ctx, dbq.CreateCustomerParams{
			ID: c.ID, Code: c.Code, Name: c.Name, Nature: c.Nature, Industry: c.Industry,
			ProductCategory: c.ProductCategory, Tier: c.Tier, ServiceMode: c.ServiceMode,
			LegalRepresentative: c.LegalRepresentative, CompanySize: c.CompanySize,
			MainProducts: c.MainProducts, AnnualOutputValue: c.AnnualOutputValue,
			Credibility: c.Credibility, ProfitStatus: c.ProfitStatus, Status: c.Status,
			AccountManagerID: c.AccountManagerID, FoundedOn: c.FoundedOn, Address: c.Address,
			Postcode: c.Postcode, Phone: c.Phone, Fax: c.Fax, Email: c.Email, Tz: tzName(s.zone),
		})
		if err != nil {
			return err
		}
		// At creation every given field is new: there is no old value.
		for _, ch := range changes {
			if err := q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: out.ID, StaffID: &by, Field: ch.Field, NewValue: ch.New}); err != nil {
				return err
			}
		}
		SetAccessCustomers(ctx, out.ID)
		return nil
	})
	return kam.Customer(out), err
}

// UpdateCustomer applies a patch under a row lock. ifMatch, when given, must
// equal the current version (optimistic concurrency); every changed field is
// written to the history in the same transaction.
//
// A reassignment (account_manager_id to another account manager) hands the
// account's open greeting tasks to the new manager, and the pending discount
// requests the former manager asked for on it, which it answers for the
// caller to tell their runs (followReassignments): neither is stranded with
// someone who may no longer see the account (Art. 11, 19).
func (s *Store) UpdateCustomer(ctx context.Context, scope Scope, id uuid.UUID, ifMatch *int32, p CustomerPatch, by uuid.UUID) (kam.Customer, []Change, []MovedRequest, error) {
	var out dbq.Customer
	var changes []Change
	var moved []MovedRequest
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		c, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: id, ManagerID: scope.ManagerID})
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != c.Version {
			return kam.Errorf(kam.KindPrecondition, "version_conflict", "the account is at version %d, not %d", c.Version, *ifMatch).
				With(string(i18n.VersionConflictDetail), c.Version, *ifMatch)
		}
		if err := kam.StatusKept(c.Status, p.Status); err != nil {
			return err
		}
		former := c.AccountManagerID
		changes = apply(&c, p)
		if len(changes) == 0 {
			out = c
			return nil
		}
		if p.AccountManagerID != nil {
			if err := checkManager(ctx, q, c.AccountManagerID); err != nil {
				return err
			}
		}
		if out, err = saveCustomer(ctx, q, c, changes, by); err != nil || !reassigns(changes) {
			return err
		}
		moved, err = followReassignments(ctx, q, []reassignment{{Customer: c.ID, From: former, To: out.AccountManagerID}})
		return err
	})
	return kam.Customer(out), changes, moved, err
}

// MovedRequest is a pending discount request a reassignment handed from the
// account's former manager to its new one.
type MovedRequest struct {
	ID, From, To uuid.UUID
}

// reassignment is an account whose manager changed from From to To (either
// may be none).
type reassignment struct {
	Customer uuid.UUID
	From, To *uuid.UUID
}

// reassigns tells whether changes set or cleared the account manager.
func reassigns(changes []Change) bool {
	return slices.ContainsFunc(changes, func(ch Change) bool { return ch.Field == "account_manager_id" })
}

// followReassignments hands what follows an account's manager to the new
// one, as a handover does (which moves and counts them itself): its open
// greeting tasks (Art. 19), and the pending discount requests the former
// manager asked for on it (Art. 11, 12), which it answers for their runs to
// be told.
func followReassignments(ctx context.Context, q *dbq.Queries, rs []reassignment) ([]MovedRequest, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	accounts := make([]uuid.UUID, len(rs))
	for i, r := range rs {
		accounts[i] = r.Customer
	}
	if err := q.FollowAccountManager(ctx, accounts); err != nil {
		return nil, err
	}
	var moved []MovedRequest
	for _, r := range rs {
		if r.From == nil || r.To == nil || *r.From == *r.To {
			continue
		}
		rows, err := q.MovePendingRequests(ctx, dbq.MovePendingRequestsParams{CustomerIds: []uuid.UUID{r.Customer}, FromStaffID: *r.From, ToStaffID: *r.To})
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			moved = append(moved, MovedRequest{ID: row.ID, From: *r.From, To: *r.To})
		}
	}
	return moved, nil
}

// checkManager makes sure an assignment names an active account manager.
// The manager's row stays share-locked until commit, so a deactivation
// running at the same time waits and then finds this assignment.
func checkManager(ctx context.Context, q *dbq.Queries, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	st, err := q.ShareLockStaff(ctx, *id)
	if err != nil {
		return kam.Invalid("account_manager_id", "no such staff member")
	}
	if st.Role != kam.RoleAccountManager || !st.Active {
		return kam.Invalid("account_manager_id", "staff member %s is not an active account manager", id)
	}
	return nil
}

// GetArchive reads one account within the caller's scope.
func (s *Store) GetArchive(ctx context.Context, scope Scope, id uuid.UUID) (Archive, error) {
	r, err := s.q.GetArchive(ctx, dbq.GetArchiveParams{ID: id, ManagerID: scope.ManagerID})
	if err != nil {
		return Archive{}, interpret(err)
	}
	cust := kam.Customer(r.Customer)
	return Archive{Customer: cust, Missing: kam.MissingSections(cust, factsOf(r.Contacts, r.Heads, r.Handlers, r.HasCredit)), CreditLevel: r.CreditLevel}, nil
}

// CustomerFilter narrows a list of accounts.
type CustomerFilter struct {
	Tier, Industry, Status, Q *string
	AccountManagerID          *uuid.UUID
	After                     *uuid.UUID
	Limit                     int32
}

// ListCustomers lists accounts within the caller's scope, in id order.
func (s *Store) ListCustomers(ctx context.Context, scope Scope, f CustomerFilter) ([]Archive, error) {
	var q *string
	if f.Q != nil {
		e := likeEscape(*f.Q)
		q = &e
	}
	rows, err := s.q.ListCustomers(ctx, dbq.ListCustomersParams{
		ManagerID: scope.ManagerID, After: f.After, Tier: f.Tier, Industry: f.Industry,
		Status: f.Status, AccountManagerID: f.AccountManagerID, Q: q, Lim: f.Limit,
	})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]Archive, len(rows))
	for i, r := range rows {
		c := kam.Customer(r.Customer)
		out[i] = Archive{Customer: c, Missing: kam.MissingSections(c, factsOf(r.Contacts, r.Heads, r.Handlers, r.HasCredit)), CreditLevel: r.CreditLevel}
	}
	return out, nil
}

// likeEscape makes a search term literal inside ILIKE.
func likeEscape(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}

// ActiveCustomerIDs pages through active accounts in id order.
func (s *Store) ActiveCustomerIDs(ctx context.Context, after *uuid.UUID, limit int32) ([]uuid.UUID, error) {
	ids, err := s.q.ActiveCustomerIDs(ctx, dbq.ActiveCustomerIDsParams{After: after, Lim: limit})
	return ids, interpret(err)
}

// saveCustomer writes a changed customer row and its history rows.
func saveCustomer(ctx context.Context, q *dbq.Queries, c dbq.Customer, changes []Change, by uuid.UUID) (dbq.Customer, error) {
	out, err := q.UpdateCustomer(ctx, dbq.UpdateCustomerParams{
		ID: c.ID, Code: c.Code, Name: c.Name, Nature: c.Nature, Industry: c.Industry,
		ProductCategory: c.ProductCategory, Tier: c.Tier, ServiceMode: c.ServiceMode,
		LegalRepresentative: c.LegalRepresentative, CompanySize: c.CompanySize,
		MainProducts: c.MainProducts, AnnualOutputValue: c.AnnualOutputValue,
		Credibility: c.Credibility, ProfitStatus: c.ProfitStatus, Status: c.Status,
		AccountManagerID: c.AccountManagerID, FoundedOn: c.FoundedOn, Address: c.Address,
		Postcode: c.Postcode, Phone: c.Phone, Fax: c.Fax, Email: c.Email, OpenedOn: c.OpenedOn,
	})
	if err != nil {
		return out, err
	}
	for _, ch := range changes {
		if err := q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: c.ID, StaffID: &by, Field: ch.Field, OldValue: ch.Old, NewValue: ch.New}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Visible tells whether an account exists within the caller's scope
// (kam.ErrNotFound if not), without reading what GetArchive derives.
func (s *Store) Visible(ctx context.Context, scope Scope, id uuid.UUID) error {
	_, err := s.q.GetCustomer(ctx, dbq.GetCustomerParams{ID: id, ManagerID: scope.ManagerID})
	return interpret(err)
}
