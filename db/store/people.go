package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
	"kam/i18n"
)

// ContactInput is a contact person of an account (Art. 7.2).
type ContactInput struct {
	Name                string
	Title, Phone, Email *string
}

// KeyPersonInput is a key person (Art. 7.3): the head or the business handler.
type KeyPersonInput struct {
	Name, Role          string
	Title, Phone, Email *string
	Birthday            *time.Time
}

// AddContact records a contact on an account within the caller's scope,
// with its history row, in one transaction.
func (s *Store) AddContact(ctx context.Context, scope Scope, customerID uuid.UUID, in ContactInput, by uuid.UUID) (kam.Contact, error) {
	var out dbq.CustomerContact
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
			return err
		}
		var err error
		out, err = q.CreateContact(ctx, dbq.CreateContactParams{ID: NewID(), CustomerID: customerID, Name: in.Name, Title: in.Title, Phone: in.Phone, Email: in.Email})
		if err != nil {
			return err
		}
		return q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: customerID, StaffID: &by, Field: kam.HistoryContacts, NewValue: &in.Name})
	})
	if err != nil {
		return kam.Contact{}, err
	}
	return contactOf(out), nil
}

// AddKeyPerson records a key person, with its history row, in one transaction.
func (s *Store) AddKeyPerson(ctx context.Context, scope Scope, customerID uuid.UUID, in KeyPersonInput, by uuid.UUID) (kam.KeyPerson, error) {
	var out dbq.KeyPerson
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if _, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
			return err
		}
		var err error
		out, err = q.CreateKeyPerson(ctx, dbq.CreateKeyPersonParams{ID: NewID(), CustomerID: customerID, Name: in.Name, Role: in.Role, Title: in.Title, Phone: in.Phone, Email: in.Email, Birthday: in.Birthday})
		if err != nil {
			return err
		}
		v := personLabel(in.Role, in.Name)
		return q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: customerID, StaffID: &by, Field: kam.HistoryKeyPersons, NewValue: &v})
	})
	if err != nil {
		return kam.KeyPerson{}, err
	}
	return keyPersonOf(out), nil
}

// PageAfter is where a page of an account's contacts or key persons starts:
// after the row created at At with id ID (both nil: the first page).
type PageAfter struct {
	At *time.Time
	ID *uuid.UUID
}

// ListContacts, ListKeyPersons and ListHistory read an account's sub-records
// within scope, a page at a time (limit rows; the caller asks for one more
// to know whether another page follows).
func (s *Store) ListContacts(ctx context.Context, scope Scope, customerID uuid.UUID, after PageAfter, limit int32) ([]kam.Contact, error) {
	if _, err := s.q.GetCustomer(ctx, dbq.GetCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
		return nil, interpret(err)
	}
	rows, err := s.q.ListContacts(ctx, dbq.ListContactsParams{CustomerID: customerID, AfterAt: after.At, AfterID: after.ID, Lim: limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, contactOf), nil
}

func (s *Store) ListKeyPersons(ctx context.Context, scope Scope, customerID uuid.UUID, after PageAfter, limit int32) ([]kam.KeyPerson, error) {
	if _, err := s.q.GetCustomer(ctx, dbq.GetCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
		return nil, interpret(err)
	}
	rows, err := s.q.ListKeyPersons(ctx, dbq.ListKeyPersonsParams{CustomerID: customerID, AfterAt: after.At, AfterID: after.ID, Lim: limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, keyPersonOf), nil
}

// History fields by the confidential section they belong to, as SQL LIKE
// patterns: whatever writes a credit or discount change into the history
// names its field so that one of these matches it.
var (
	// Art. 7.7, 13: the credit grade and agreement, and the ledger.
	// kam.HistoryCredit + "%" covers every kam.CreditField and the older
	// single "credit" rows.
	CreditHistoryFields = []string{kam.HistoryCredit + "%", "arrears%", "settlement%", "payment_term%", "terms", "agreement%", "statement%", "charge%", "payment%"}
	// Art. 11: discount requests, grants and the account's discount standard.
	DiscountHistoryFields = []string{"discount%", "grant%", "rebate%"}
)

// HiddenHistory is what a caller's history leaves out: credit terms for one
// who may not see credit, discounts for one who may not see them (Art. 9, 11).
func HiddenHistory(seesCredit, seesDiscounts bool) []string {
	hidden := []string{}
	if !seesCredit {
		hidden = append(hidden, CreditHistoryFields...)
	}
	if !seesDiscounts {
		hidden = append(hidden, DiscountHistoryFields...)
	}
	return hidden
}

// ListHistory reads an account's changes without the hidden fields (LIKE
// patterns, see HiddenHistory), filtered in the query so a page is never short.
func (s *Store) ListHistory(ctx context.Context, scope Scope, customerID uuid.UUID, hidden []string, after *int64, limit int32) ([]kam.HistoryEntry, error) {
	if _, err := s.q.GetCustomer(ctx, dbq.GetCustomerParams{ID: customerID, ManagerID: scope.ManagerID}); err != nil {
		return nil, interpret(err)
	}
	if hidden == nil {
		hidden = []string{}
	}
	rows, err := s.q.ListHistory(ctx, dbq.ListHistoryParams{CustomerID: customerID, After: after, Hidden: hidden, Lim: limit})
	if err != nil {
		return nil, interpret(err)
	}
	return mapRows(rows, historyOf), nil
}

func contactOf(c dbq.CustomerContact) kam.Contact {
	return kam.Contact{ID: c.ID, CustomerID: c.CustomerID, Name: c.Name, Title: c.Title, Phone: c.Phone, Email: c.Email,
		CreatedAt: c.CreatedAt, Version: c.Version, UpdatedAt: c.UpdatedAt, RemovedAt: c.RemovedAt}
}

func keyPersonOf(k dbq.KeyPerson) kam.KeyPerson {
	return kam.KeyPerson{ID: k.ID, CustomerID: k.CustomerID, Name: k.Name, Role: k.Role, Title: k.Title,
		Phone: k.Phone, Email: k.Email, Birthday: k.Birthday, CreatedAt: k.CreatedAt, Version: k.Version,
		UpdatedAt: k.UpdatedAt, RemovedAt: k.RemovedAt}
}

// personLabel is how the history names a key person added or removed.
func personLabel(role, name string) string { return role + ": " + name }

func historyOf(h dbq.ListHistoryRow) kam.HistoryEntry {
	return kam.HistoryEntry{ID: h.ID, CustomerID: h.CustomerID, StaffID: h.StaffID, StaffName: h.StaffName,
		At: h.At, Field: h.Field, OldValue: h.OldValue, NewValue: h.NewValue}
}

// mapRows turns sqlc rows into the domain type the store answers in.
func mapRows[R, T any](rows []R, of func(R) T) []T {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		out = append(out, of(r))
	}
	return out
}

// ContactPatch changes a contact person; nil leaves a field as it is and an
// empty string clears an optional one.
type ContactPatch struct {
	Name, Title, Phone, Email *string
}

// KeyPersonPatch changes a key person like ContactPatch; ClearBirthday
// removes the birthday.
type KeyPersonPatch struct {
	Name, Role, Title, Phone, Email *string
	Birthday                        *time.Time
	ClearBirthday                   bool
}

// personChanges collects the changed fields of one contact or key person,
// each under its history name (kam.PersonField).
type personChanges struct {
	section string
	id      uuid.UUID
	list    []Change
}

func (pc *personChanges) add(field string, old, new *string) {
	pc.list = append(pc.list, Change{Field: kam.PersonField(pc.section, pc.id, field), Old: old, New: new})
}

// req sets a required text field.
func (pc *personChanges) req(field string, dst *string, v *string) {
	if v != nil && *v != *dst {
		old := *dst
		pc.add(field, &old, v)
		*dst = *v
	}
}

// opt sets an optional text field; "" clears it.
func (pc *personChanges) opt(field string, dst **string, v *string) {
	if v == nil {
		return
	}
	var nv *string
	if *v != "" {
		nv = v
	}
	if !eqStr(*dst, nv) {
		pc.add(field, *dst, nv)
		*dst = nv
	}
}

// personEdits are changes to contacts and key persons already on an
// archive, made the one way a PATCH and an import both make them: the row
// with a new version, a history row per changed field under the person's
// own field name (kam.PersonField), and the open birthday tasks a moved or
// cleared birthday no longer falls on cancelled (Art. 19). They are written
// together, so an import of many people costs a few round trips.
type personEdits struct {
	contacts  []dbq.UpdateContactsParams
	persons   []dbq.UpdateKeyPersonsParams
	birthdays []dbq.CancelBirthdayGreetingsParams
	history   []dbq.CopyHistoryParams
}

// contact applies p to c, as read under the account's lock, and queues the
// change; false when nothing changes.
func (e *personEdits) contact(c dbq.CustomerContact, p ContactPatch, by uuid.UUID) bool {
	pc := personChanges{section: kam.HistoryContacts, id: c.ID}
	pc.req("name", &c.Name, p.Name)
	pc.opt("title", &c.Title, p.Title)
	pc.opt("phone", &c.Phone, p.Phone)
	pc.opt("email", &c.Email, p.Email)
	if len(pc.list) == 0 {
		return false
	}
	e.contacts = append(e.contacts, dbq.UpdateContactsParams{ID: c.ID, Name: c.Name, Title: c.Title, Phone: c.Phone, Email: c.Email})
	e.changes(c.CustomerID, by, pc.list)
	return true
}

// keyPerson is contact for a key person.
func (e *personEdits) keyPerson(k dbq.KeyPerson, p KeyPersonPatch, by uuid.UUID) bool {
	before := dateStr(k.Birthday)
	pc := applyKeyPerson(&k, p)
	if len(pc.list) == 0 {
		return false
	}
	e.persons = append(e.persons, dbq.UpdateKeyPersonsParams{ID: k.ID, Name: k.Name, Role: k.Role, Title: k.Title,
		Phone: k.Phone, Email: k.Email, Birthday: k.Birthday})
	if !eqStr(before, dateStr(k.Birthday)) {
		e.birthdays = append(e.birthdays, dbq.CancelBirthdayGreetingsParams{KeyPersonID: &k.ID, Birthday: k.Birthday})
	}
	e.changes(k.CustomerID, by, pc.list)
	return true
}

// movedBirthdays tells that a birthday changed: the caller sweeps for the
// new day's task.
func (e *personEdits) movedBirthdays() bool { return len(e.birthdays) > 0 }

func (e *personEdits) changes(customerID, by uuid.UUID, list []Change) {
	for _, ch := range list {
		e.note(customerID, by, ch.Field, ch.Old, ch.New)
	}
}

// note queues a history row.
func (e *personEdits) note(customerID, by uuid.UUID, field string, old, new *string) {
	e.history = append(e.history, dbq.CopyHistoryParams{CustomerID: customerID, StaffID: &by, Field: field, OldValue: old, NewValue: new})
}

// write writes what is queued and answers the changed rows in the order
// they were queued. The caller holds the accounts' locks.
func (e *personEdits) write(ctx context.Context, q *dbq.Queries) ([]dbq.CustomerContact, []dbq.KeyPerson, error) {
	contacts, err := batchRows(len(e.contacts), q.UpdateContacts(ctx, e.contacts).QueryRow)
	if err != nil {
		return nil, nil, err
	}
	persons, err := batchRows(len(e.persons), q.UpdateKeyPersons(ctx, e.persons).QueryRow)
	if err != nil {
		return nil, nil, err
	}
	if err := batchErr(len(e.birthdays), q.CancelBirthdayGreetings(ctx, e.birthdays).Exec); err != nil {
		return nil, nil, err
	}
	return contacts, persons, copyHistory(ctx, q, e.history)
}

// batchRows runs a sqlc batch's QueryRow and answers its rows, or its first
// error.
func batchRows[R any](n int, query func(func(int, R, error))) ([]R, error) {
	out := make([]R, n)
	if n == 0 {
		return out, nil
	}
	var first error
	query(func(i int, r R, err error) {
		if err != nil && first == nil {
			first = err
		}
		out[i] = r
	})
	return out, first
}

// checkVersion holds a change to the version the caller read (If-Match).
func checkVersion(what string, have int32, ifMatch *int32) error {
	if ifMatch != nil && *ifMatch != have {
		return kam.Errorf(kam.KindPrecondition, "version_conflict", "the %s is at version %d, not %d", what, have, *ifMatch).
			With(string(i18n.VersionConflictDetail), have, *ifMatch)
	}
	return nil
}

// lockAccount locks an account within the caller's scope; an account out of
// scope is kam.ErrNotFound (no existence leak).
func lockAccount(ctx context.Context, q *dbq.Queries, scope Scope, id uuid.UUID) error {
	_, err := q.LockCustomer(ctx, dbq.LockCustomerParams{ID: id, ManagerID: scope.ManagerID})
	return err
}

// UpdateContact changes a contact of an account within scope, each changed
// field with its history row, in one transaction (Art. 7.2). A contact that
// is not this account's, or was removed, is kam.ErrNotFound.
func (s *Store) UpdateContact(ctx context.Context, scope Scope, customerID, id uuid.UUID, ifMatch *int32, p ContactPatch, by uuid.UUID) (kam.Contact, error) {
	var out dbq.CustomerContact
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if err := lockAccount(ctx, q, scope, customerID); err != nil {
			return err
		}
		c, err := q.LockContact(ctx, dbq.LockContactParams{ID: id, CustomerID: customerID})
		if err != nil {
			return err
		}
		if err := checkVersion("contact", c.Version, ifMatch); err != nil {
			return err
		}
		var e personEdits
		if out = c; !e.contact(c, p, by) {
			return nil
		}
		done, _, err := e.write(ctx, q)
		if err == nil {
			out = done[0]
		}
		return err
	})
	return contactOf(out), err
}

// RemoveContact takes a contact off an account's archive, with its history
// row, in one transaction. The row stays (removed_at) for the history.
func (s *Store) RemoveContact(ctx context.Context, scope Scope, customerID, id uuid.UUID, ifMatch *int32, by uuid.UUID) error {
	return s.inTx(ctx, func(q *dbq.Queries) error {
		if err := lockAccount(ctx, q, scope, customerID); err != nil {
			return err
		}
		c, err := q.LockContact(ctx, dbq.LockContactParams{ID: id, CustomerID: customerID})
		if err != nil {
			return err
		}
		if err := checkVersion("contact", c.Version, ifMatch); err != nil {
			return err
		}
		if _, err := q.RemoveContact(ctx, id); err != nil {
			return err
		}
		return q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: customerID, StaffID: &by, Field: kam.HistoryContacts, OldValue: &c.Name})
	})
}

// UpdateKeyPerson changes a key person like UpdateContact (Art. 7.3). A
// changed or cleared birthday cancels the open birthday tasks it no longer
// falls on (Art. 19); the caller sweeps for the new one.
func (s *Store) UpdateKeyPerson(ctx context.Context, scope Scope, customerID, id uuid.UUID, ifMatch *int32, p KeyPersonPatch, by uuid.UUID) (kam.KeyPerson, error) {
	var out dbq.KeyPerson
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		if err := lockAccount(ctx, q, scope, customerID); err != nil {
			return err
		}
		k, err := q.LockKeyPerson(ctx, dbq.LockKeyPersonParams{ID: id, CustomerID: customerID})
		if err != nil {
			return err
		}
		if err := checkVersion("key person", k.Version, ifMatch); err != nil {
			return err
		}
		var e personEdits
		if out = k; !e.keyPerson(k, p, by) {
			return nil
		}
		_, done, err := e.write(ctx, q)
		if err == nil {
			out = done[0]
		}
		return err
	})
	return keyPersonOf(out), err
}

// applyKeyPerson writes a patch into k and returns what changed.
func applyKeyPerson(k *dbq.KeyPerson, p KeyPersonPatch) personChanges {
	pc := personChanges{section: kam.HistoryKeyPersons, id: k.ID}
	pc.req("name", &k.Name, p.Name)
	pc.req("role", &k.Role, p.Role)
	pc.opt("title", &k.Title, p.Title)
	pc.opt("phone", &k.Phone, p.Phone)
	pc.opt("email", &k.Email, p.Email)
	next := k.Birthday
	if p.ClearBirthday {
		next = nil
	} else if p.Birthday != nil {
		next = p.Birthday
	}
	if !eqStr(dateStr(k.Birthday), dateStr(next)) {
		pc.add("birthday", dateStr(k.Birthday), dateStr(next))
		k.Birthday = next
	}
	return pc
}

// RemoveKeyPerson takes a key person off an account's archive, with its
// history row, and cancels their open greeting tasks, in one transaction:
// a removed key person is greeted no more (Art. 19). The row stays
// (removed_at) for the history, visits and events that name them.
func (s *Store) RemoveKeyPerson(ctx context.Context, scope Scope, customerID, id uuid.UUID, ifMatch *int32, by uuid.UUID) error {
	return s.inTx(ctx, func(q *dbq.Queries) error {
		if err := lockAccount(ctx, q, scope, customerID); err != nil {
			return err
		}
		k, err := q.LockKeyPerson(ctx, dbq.LockKeyPersonParams{ID: id, CustomerID: customerID})
		if err != nil {
			return err
		}
		if err := checkVersion("key person", k.Version, ifMatch); err != nil {
			return err
		}
		if _, err := q.RemoveKeyPerson(ctx, id); err != nil {
			return err
		}
		if err := batchErr(1, q.CancelBirthdayGreetings(ctx, []dbq.CancelBirthdayGreetingsParams{{KeyPersonID: &id}}).Exec); err != nil {
			return err
		}
		old := personLabel(k.Role, k.Name)
		return q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: customerID, StaffID: &by, Field: kam.HistoryKeyPersons, OldValue: &old})
	})
}
