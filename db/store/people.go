package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/internal/dbq"
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
		return q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: customerID, StaffID: &by, Field: "contacts", NewValue: &in.Name})
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
		v := in.Role + ": " + in.Name
		return q.InsertHistory(ctx, dbq.InsertHistoryParams{CustomerID: customerID, StaffID: &by, Field: "key_persons", NewValue: &v})
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
	CreditHistoryFields = []string{"credit%", "arrears%", "settlement%", "payment_term%", "terms", "agreement%", "statement%", "charge%", "payment%"}
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
	return kam.Contact{ID: c.ID, CustomerID: c.CustomerID, Name: c.Name, Title: c.Title, Phone: c.Phone, Email: c.Email, CreatedAt: c.CreatedAt}
}

func keyPersonOf(k dbq.KeyPerson) kam.KeyPerson {
	return kam.KeyPerson{ID: k.ID, CustomerID: k.CustomerID, Name: k.Name, Role: k.Role, Title: k.Title,
		Phone: k.Phone, Email: k.Email, Birthday: k.Birthday, CreatedAt: k.CreatedAt}
}

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
