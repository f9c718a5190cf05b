package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
)

// Imports (SPEC §7 "Archive upkeep"): a file's rows are checked against the
// record in one transaction, then written in batches (COPY for new rows, one
// pipelined batch for changed ones, COPY for their history), so 1,000 rows
// cost a handful of round trips. A row error anywhere rolls the whole import
// back; so does a dry run, after doing every write, so that it checks exactly
// what a real run would.

// CustomerImport is one data row of a customer import: its spreadsheet row
// and the fields it sets (Code and Name always; a nil field is left as it is
// on an existing account).
type CustomerImport struct {
	Row   int
	Patch CustomerPatch
}

// ContactImport is one data row of a contact import: the account's code and
// the contact, matched on the account by name.
type ContactImport struct {
	Row  int
	Code string
	ContactInput
}

// KeyPersonImport is one data row of a key-person import: the account's code
// and the key person, matched on the account by name and role.
type KeyPersonImport struct {
	Row  int
	Code string
	KeyPersonInput
}

// ImportResult is what an import did (or, dry, would do).
type ImportResult struct {
	Created, Updated, Unchanged int
	// Opened are the accounts a customer import opened; Changes what it
	// changed on existing ones, by account.
	Opened  []kam.Customer
	Changes map[uuid.UUID][]Change
	// Accounts are all the accounts whose archive the import changed, in
	// the order of the file.
	Accounts []uuid.UUID
	// Birthdays: a key-person import set a birthday (greetings, Art. 19).
	Birthdays bool
	// Moved are the pending discount requests a reassignment handed from
	// an account's former manager to its new one, whose runs are to be told.
	Moved []MovedRequest
}

// errDryRun rolls back an import that was only checked.
var errDryRun = errors.New("import: dry run")

// importTx runs an import in one transaction: plan checks the rows and
// answers their errors, write writes them. Row errors answer
// *kam.ImportRejected with nothing written; a dry run does every write and
// then rolls back. The register entry pending in ctx names res.Accounts.
func (s *Store) importTx(ctx context.Context, dryRun bool, res *ImportResult, plan func(q *dbq.Queries) (*rowErrs, error), write func(q *dbq.Queries) error) error {
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		errs, err := plan(q)
		if err != nil {
			return err
		}
		if errs.total > 0 {
			return errs.rejection(dryRun)
		}
		if err := write(q); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		SetAccessCustomers(ctx, res.Accounts...)
		return nil
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

// rowErrs collects row errors in row order: the first kam.MaxImportErrors
// are kept, all are counted.
type rowErrs struct {
	list    []kam.ImportError
	total   int
	outside []uuid.UUID
}

func (e *rowErrs) add(row int, field, code, format string, args ...any) {
	e.total++
	if len(e.list) < kam.MaxImportErrors {
		e.list = append(e.list, kam.ImportError{Row: row, Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
	}
}

// refuse adds a domain rule's refusal of a row (a *kam.Error), on the
// rule's field.
func (e *rowErrs) refuse(row int, err error) {
	var de *kam.Error
	if !errors.As(err, &de) {
		de = kam.Invalid("", "%s", err.Error())
	}
	e.add(row, de.Field, de.Code, "%s", de.Message)
}

func (e *rowErrs) rejection(dryRun bool) *kam.ImportRejected {
	return &kam.ImportRejected{DryRun: dryRun, Errors: e.list, Total: e.total, Outside: e.outside}
}

// ImportCustomers creates the accounts whose code is new and updates the
// others (idempotent by code: a second run of the same file changes
// nothing). Every created or changed account gets its history rows; an
// account's status changes only through the churn register.
func (s *Store) ImportCustomers(ctx context.Context, rows []CustomerImport, by uuid.UUID, dryRun bool) (ImportResult, error) {
	p := customerPlan{zone: s.zone}
	err := s.importTx(ctx, dryRun, &p.res,
		func(q *dbq.Queries) (*rowErrs, error) { return p.check(ctx, q, rows, by) },
		func(q *dbq.Queries) error { return p.write(ctx, q) })
	return p.res, err
}

// customerPlan is a customer import checked against the record.
type customerPlan struct {
	zone    *time.Location // the company's, for the day a new account is opened on
	res     ImportResult
	inserts []dbq.CopyCustomersParams
	updates []dbq.ImportUpdateCustomersParams
	// reassigned: updated accounts whose manager changed; what follows the
	// manager goes with them (followReassignments).
	reassigned []reassignment
	history    []dbq.CopyHistoryParams
}

// importFacts is what a customer import's rows are checked against.
type importFacts struct {
	existing map[string]dbq.Customer
	tiers    map[string]bool
	managers map[uuid.UUID]bool
	today    time.Time
}

func loadImportFacts(ctx context.Context, q *dbq.Queries, rows []CustomerImport, zone *time.Location) (importFacts, error) {
	f := importFacts{existing: map[string]dbq.Customer{}, tiers: map[string]bool{}, managers: map[uuid.UUID]bool{}}
	codes := make([]string, 0, len(rows))
	var mgrs []uuid.UUID
	for _, r := range rows {
		codes = append(codes, *r.Patch.Code)
		if r.Patch.AccountManagerID != nil {
			mgrs = append(mgrs, *r.Patch.AccountManagerID)
		}
	}
	found, err := q.LockCustomersByCode(ctx, codes)
	if err != nil {
		return f, err
	}
	for _, c := range found {
		f.existing[c.Code] = c
	}
	tiers, err := q.ImportTierCodes(ctx)
	if err != nil {
		return f, err
	}
	for _, t := range tiers {
		f.tiers[t] = true
	}
	active, err := q.ShareLockActiveManagers(ctx, mgrs)
	if err != nil {
		return f, err
	}
	for _, id := range active {
		f.managers[id] = true
	}
	f.today, err = q.ImportToday(ctx, tzName(zone))
	return f, err
}

func (p *customerPlan) check(ctx context.Context, q *dbq.Queries, rows []CustomerImport, by uuid.UUID) (*rowErrs, error) {
	f, err := loadImportFacts(ctx, q, rows, p.zone)
	if err != nil {
		return nil, err
	}
	errs := &rowErrs{}
	p.res.Changes = map[uuid.UUID][]Change{}
	first := map[string]int{}
	for _, r := range rows {
		code := *r.Patch.Code
		if row, dup := first[code]; dup {
			errs.add(r.Row, "code", "duplicate_row", "code %s is already on row %d", code, row)
			continue
		}
		first[code] = r.Row
		if !f.rowOK(errs, r) {
			continue
		}
		if c, ok := f.existing[code]; ok {
			p.update(errs, r, c, by)
		} else {
			p.create(errs, r, f.today, by)
		}
	}
	return errs, nil
}

// rowOK checks what the record decides about a row: its tier exists, its
// manager is an active account manager.
func (f importFacts) rowOK(errs *rowErrs, r CustomerImport) bool {
	ok := true
	if t := r.Patch.Tier; t != nil && !f.tiers[*t] {
		errs.add(r.Row, "tier", "unknown_tier", "no tier %s", *t)
		ok = false
	}
	if m := r.Patch.AccountManagerID; m != nil && !f.managers[*m] {
		errs.add(r.Row, "account_manager_id", "unknown_manager", "not an active account manager")
		ok = false
	}
	return ok
}

func (p *customerPlan) update(errs *rowErrs, r CustomerImport, c dbq.Customer, by uuid.UUID) {
	if err := kam.StatusKept(c.Status, r.Patch.Status); err != nil {
		errs.refuse(r.Row, err)
		return
	}
	former := c.AccountManagerID
	changes := apply(&c, r.Patch)
	if len(changes) == 0 {
		p.res.Unchanged++
		return
	}
	p.res.Updated++
	p.res.Changes[c.ID] = changes
	p.res.Accounts = append(p.res.Accounts, c.ID)
	p.updates = append(p.updates, dbq.ImportUpdateCustomersParams{
		ID: c.ID, Code: c.Code, Name: c.Name, Nature: c.Nature, Industry: c.Industry,
		ProductCategory: c.ProductCategory, Tier: c.Tier, ServiceMode: c.ServiceMode,
		LegalRepresentative: c.LegalRepresentative, CompanySize: c.CompanySize,
		MainProducts: c.MainProducts, AnnualOutputValue: c.AnnualOutputValue,
		Credibility: c.Credibility, ProfitStatus: c.ProfitStatus, Status: c.Status,
		AccountManagerID: c.AccountManagerID, FoundedOn: c.FoundedOn, Address: c.Address,
		Postcode: c.Postcode, Phone: c.Phone, Fax: c.Fax, Email: c.Email, OpenedOn: c.OpenedOn,
	})
	p.addHistory(c.ID, changes, by, true)
	if reassigns(changes) {
		p.reassigned = append(p.reassigned, reassignment{Customer: c.ID, From: former, To: c.AccountManagerID})
	}
}

func (p *customerPlan) create(errs *rowErrs, r CustomerImport, today time.Time, by uuid.UUID) {
	if err := kam.StatusKept(kam.CustomerActive, r.Patch.Status); err != nil {
		errs.refuse(r.Row, err)
		return
	}
	now := time.Now()
	c := dbq.Customer{ID: NewID(), Tier: "B", ServiceMode: "account_manager", Status: kam.CustomerActive, OpenedOn: today,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	changes := apply(&c, r.Patch)
	p.res.Created++
	p.res.Opened = append(p.res.Opened, kam.Customer(c))
	p.res.Accounts = append(p.res.Accounts, c.ID)
	p.inserts = append(p.inserts, dbq.CopyCustomersParams{
		ID: c.ID, Code: c.Code, Name: c.Name, Nature: c.Nature, Industry: c.Industry,
		ProductCategory: c.ProductCategory, Tier: c.Tier, ServiceMode: c.ServiceMode,
		LegalRepresentative: c.LegalRepresentative, CompanySize: c.CompanySize,
		MainProducts: c.MainProducts, AnnualOutputValue: c.AnnualOutputValue,
		Credibility: c.Credibility, ProfitStatus: c.ProfitStatus, Status: c.Status,
		AccountManagerID: c.AccountManagerID, FoundedOn: c.FoundedOn, Address: c.Address,
		Postcode: c.Postcode, Phone: c.Phone, Fax: c.Fax, Email: c.Email, OpenedOn: c.OpenedOn,
	})
	// At creation every given field is new: no old value (as CreateCustomer).
	p.addHistory(c.ID, changes, by, false)
}

func (p *customerPlan) addHistory(id uuid.UUID, changes []Change, by uuid.UUID, withOld bool) {
	for _, ch := range changes {
		h := dbq.CopyHistoryParams{CustomerID: id, StaffID: &by, Field: ch.Field, NewValue: ch.New}
		if withOld {
			h.OldValue = ch.Old
		}
		p.history = append(p.history, h)
	}
}

func (p *customerPlan) write(ctx context.Context, q *dbq.Queries) error {
	if len(p.inserts) > 0 {
		if _, err := q.CopyCustomers(ctx, p.inserts); err != nil {
			return err
		}
	}
	if err := batchErr(len(p.updates), q.ImportUpdateCustomers(ctx, p.updates).Exec); err != nil {
		return err
	}
	moved, err := followReassignments(ctx, q, p.reassigned)
	if err != nil {
		return err
	}
	p.res.Moved = moved
	return copyHistory(ctx, q, p.history)
}

func copyHistory(ctx context.Context, q *dbq.Queries, rows []dbq.CopyHistoryParams) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := q.CopyHistory(ctx, rows)
	return err
}

// batchErr runs a sqlc batch's Exec and answers its first error.
func batchErr(n int, exec func(func(int, error))) error {
	if n == 0 {
		return nil
	}
	var first error
	exec(func(_ int, err error) {
		if err != nil && first == nil {
			first = err
		}
	})
	return first
}

// importAccounts locks the accounts a contact or key-person import names and
// answers them by code; an account outside the caller's scope is left out
// (the row is refused as naming no account) and listed in errs.outside.
func importAccounts(ctx context.Context, q *dbq.Queries, scope Scope, codes []string, errs *rowErrs) (map[string]uuid.UUID, error) {
	found, err := q.LockCustomersByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	out := map[string]uuid.UUID{}
	for _, c := range found {
		if scope.ManagerID != nil && (c.AccountManagerID == nil || *c.AccountManagerID != *scope.ManagerID) {
			errs.outside = append(errs.outside, c.ID)
			continue
		}
		out[c.Code] = c.ID
	}
	return out, nil
}

// ImportContacts adds the contacts that are new on their account and updates
// the others (matched by account and name: a second run changes nothing).
// An empty optional field is left as it is.
func (s *Store) ImportContacts(ctx context.Context, scope Scope, rows []ContactImport, by uuid.UUID, dryRun bool) (ImportResult, error) {
	var p personPlan
	err := s.importTx(ctx, dryRun, &p.res,
		func(q *dbq.Queries) (*rowErrs, error) { return p.checkContacts(ctx, q, scope, rows, by) },
		func(q *dbq.Queries) error { return p.write(ctx, q) })
	return p.res, err
}

// ImportKeyPersons is ImportContacts for key persons, matched by account,
// name and role (Art. 7.3: the head and the handler are distinct posts).
func (s *Store) ImportKeyPersons(ctx context.Context, scope Scope, rows []KeyPersonImport, by uuid.UUID, dryRun bool) (ImportResult, error) {
	var p personPlan
	err := s.importTx(ctx, dryRun, &p.res,
		func(q *dbq.Queries) (*rowErrs, error) { return p.checkKeyPersons(ctx, q, scope, rows, by) },
		func(q *dbq.Queries) error { return p.write(ctx, q) })
	return p.res, err
}

// personPlan is a contact or key-person import checked against the record.
// A person already on file changes as a PATCH changes them (personEdits).
type personPlan struct {
	res      ImportResult
	touched  map[uuid.UUID]bool
	contacts []dbq.CopyContactsParams
	persons  []dbq.CopyKeyPersonsParams
	edits    personEdits
}

func (p *personPlan) touch(id uuid.UUID) {
	if p.touched == nil {
		p.touched = map[uuid.UUID]bool{}
	}
	if !p.touched[id] {
		p.touched[id] = true
		p.res.Accounts = append(p.res.Accounts, id)
	}
}

// personKey finds a row's account and its match among the existing rows.
type personKey struct {
	account uuid.UUID
	name    string
	role    string
}

func (p *personPlan) checkContacts(ctx context.Context, q *dbq.Queries, scope Scope, rows []ContactImport, by uuid.UUID) (*rowErrs, error) {
	errs := &rowErrs{}
	accounts, err := importAccounts(ctx, q, scope, codesOf(rows, func(r ContactImport) string { return r.Code }), errs)
	if err != nil {
		return nil, err
	}
	existing, err := q.ImportContactsOf(ctx, mapValues(accounts))
	if err != nil {
		return nil, err
	}
	byKey := map[personKey][]dbq.CustomerContact{}
	for _, c := range existing {
		k := personKey{account: c.CustomerID, name: c.Name}
		byKey[k] = append(byKey[k], c)
	}
	first := map[personKey]int{}
	for _, r := range rows {
		id, ok := accounts[r.Code]
		if !ok {
			errs.add(r.Row, "code", "unknown_account", "no account with code %s", r.Code)
			continue
		}
		k := personKey{account: id, name: r.Name}
		if !firstRow(errs, first, k, r.Row) {
			continue
		}
		switch m := byKey[k]; len(m) {
		case 0:
			p.newContact(id, r.ContactInput, by)
		case 1:
			p.updateContact(m[0], r.ContactInput, by)
		default:
			errs.add(r.Row, "name", "ambiguous_match", "the account has %d contacts named %s", len(m), r.Name)
		}
	}
	return errs, nil
}

// firstRow refuses a row that repeats an earlier row's match key.
func firstRow(errs *rowErrs, first map[personKey]int, k personKey, row int) bool {
	if at, dup := first[k]; dup {
		errs.add(row, "name", "duplicate_row", "the same person is already on row %d", at)
		return false
	}
	first[k] = row
	return true
}

func (p *personPlan) newContact(account uuid.UUID, in ContactInput, by uuid.UUID) {
	p.res.Created++
	p.touch(account)
	p.contacts = append(p.contacts, dbq.CopyContactsParams{ID: NewID(), CustomerID: account, Name: in.Name, Title: in.Title, Phone: in.Phone, Email: in.Email})
	name := in.Name
	p.edits.note(account, by, kam.HistoryContacts, nil, &name) // as AddContact
}

// updateContact changes a matched contact: an empty cell is absent from in
// (nil), so an import sets fields and never clears one.
func (p *personPlan) updateContact(c dbq.CustomerContact, in ContactInput, by uuid.UUID) {
	if !p.edits.contact(c, ContactPatch{Title: in.Title, Phone: in.Phone, Email: in.Email}, by) {
		p.res.Unchanged++
		return
	}
	p.res.Updated++
	p.touch(c.CustomerID)
}

func (p *personPlan) checkKeyPersons(ctx context.Context, q *dbq.Queries, scope Scope, rows []KeyPersonImport, by uuid.UUID) (*rowErrs, error) {
	errs := &rowErrs{}
	accounts, err := importAccounts(ctx, q, scope, codesOf(rows, func(r KeyPersonImport) string { return r.Code }), errs)
	if err != nil {
		return nil, err
	}
	existing, err := q.ImportKeyPersonsOf(ctx, mapValues(accounts))
	if err != nil {
		return nil, err
	}
	byKey := map[personKey][]dbq.KeyPerson{}
	for _, k := range existing {
		key := personKey{account: k.CustomerID, name: k.Name, role: k.Role}
		byKey[key] = append(byKey[key], k)
	}
	first := map[personKey]int{}
	for _, r := range rows {
		id, ok := accounts[r.Code]
		if !ok {
			errs.add(r.Row, "code", "unknown_account", "no account with code %s", r.Code)
			continue
		}
		k := personKey{account: id, name: r.Name, role: r.Role}
		if !firstRow(errs, first, k, r.Row) {
			continue
		}
		switch m := byKey[k]; len(m) {
		case 0:
			p.newKeyPerson(id, r.KeyPersonInput, by)
		case 1:
			p.updateKeyPerson(m[0], r.KeyPersonInput, by)
		default:
			errs.add(r.Row, "name", "ambiguous_match", "the account has %d key persons named %s as %s", len(m), r.Name, r.Role)
		}
	}
	return errs, nil
}

func (p *personPlan) newKeyPerson(account uuid.UUID, in KeyPersonInput, by uuid.UUID) {
	p.res.Created++
	p.touch(account)
	p.res.Birthdays = p.res.Birthdays || in.Birthday != nil
	p.persons = append(p.persons, dbq.CopyKeyPersonsParams{ID: NewID(), CustomerID: account, Name: in.Name, Role: in.Role,
		Title: in.Title, Phone: in.Phone, Email: in.Email, Birthday: in.Birthday})
	v := personLabel(in.Role, in.Name)
	p.edits.note(account, by, kam.HistoryKeyPersons, nil, &v) // as AddKeyPerson
}

// updateKeyPerson is updateContact for a matched key person (name and role
// are what matched, so they stay).
func (p *personPlan) updateKeyPerson(k dbq.KeyPerson, in KeyPersonInput, by uuid.UUID) {
	if !p.edits.keyPerson(k, KeyPersonPatch{Title: in.Title, Phone: in.Phone, Email: in.Email, Birthday: in.Birthday}, by) {
		p.res.Unchanged++
		return
	}
	p.res.Updated++
	p.res.Birthdays = p.res.Birthdays || p.edits.movedBirthdays()
	p.touch(k.CustomerID)
}

func (p *personPlan) write(ctx context.Context, q *dbq.Queries) error {
	if len(p.contacts) > 0 {
		if _, err := q.CopyContacts(ctx, p.contacts); err != nil {
			return err
		}
	}
	if len(p.persons) > 0 {
		if _, err := q.CopyKeyPersons(ctx, p.persons); err != nil {
			return err
		}
	}
	_, _, err := p.edits.write(ctx, q)
	return err
}

func codesOf[R any](rows []R, code func(R) string) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, code(r))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func mapValues(m map[string]uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
