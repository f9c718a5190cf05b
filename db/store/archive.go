package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
)

// factsOf turns the completeness facts of a query into the domain's.
func factsOf(contacts, heads, handlers int32, hasCredit bool) kam.ArchiveFacts {
	return kam.ArchiveFacts{Contacts: int(contacts), Heads: int(heads), Handlers: int(handlers), HasCredit: hasCredit}
}

// ArchiveAsOf rebuilds, within the caller's scope, an account's archive as
// it stood just before until, with what it then lacked and its credit grade
// then, from its recorded history (kam.ArchiveRecord).
// An account that did not exist yet is kam.ErrNotFound. The record is read
// in one repeatable-read snapshot, so a change committed meanwhile cannot
// tear it.
func (s *Store) ArchiveAsOf(ctx context.Context, scope Scope, id uuid.UUID, until time.Time) (Archive, error) {
	var r kam.ArchiveRecord
	err := s.readTx(ctx, func(q *dbq.Queries) error {
		c, err := q.GetCustomer(ctx, dbq.GetCustomerParams{ID: id, ManagerID: scope.ManagerID})
		if err != nil {
			return err
		}
		r.Customer = kam.Customer(c)
		if !r.Customer.CreatedAt.Before(until) {
			// Not yet opened then: nothing to rebuild, so nothing is read.
			return kam.ErrNotFound
		}
		h, err := q.ArchiveRecord(ctx, id)
		if err != nil {
			return err
		}
		r.History = mapRows(h, func(h dbq.CustomerHistory) kam.HistoryEntry {
			return kam.HistoryEntry{ID: h.ID, CustomerID: h.CustomerID, StaffID: h.StaffID, At: h.At, Field: h.Field, OldValue: h.OldValue, NewValue: h.NewValue}
		})
		contacts, err := q.AllContacts(ctx, id)
		if err != nil {
			return err
		}
		r.Contacts = mapRows(contacts, contactOf)
		persons, err := q.AllKeyPersons(ctx, id)
		r.KeyPersons = mapRows(persons, keyPersonOf)
		return err
	})
	if err != nil {
		return Archive{}, err
	}
	past, ok := r.AsOf(until)
	if !ok {
		return Archive{}, kam.ErrNotFound
	}
	return Archive{Customer: past.Customer, Missing: kam.MissingSections(past.Customer, past.Facts), CreditLevel: past.CreditLevel}, nil
}

// nullDecimal wraps an optional decimal for sqlc.
func nullDecimal(d *decimal.Decimal) decimal.NullDecimal {
	if d == nil {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: *d, Valid: true}
}
