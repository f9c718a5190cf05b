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
// then, from its recorded history (kam.Rewind, given only the changes that
// decide it).
// An account that did not exist yet is kam.ErrNotFound. The record is read
// in one repeatable-read snapshot, so a change committed meanwhile cannot
// tear it.
func (s *Store) ArchiveAsOf(ctx context.Context, scope Scope, id uuid.UUID, until time.Time) (Archive, error) {
	var past kam.PastArchive
	err := s.readTx(ctx, func(q *dbq.Queries) error {
		c, err := q.GetCustomer(ctx, dbq.GetCustomerParams{ID: id, ManagerID: scope.ManagerID})
		if err != nil {
			return err
		}
		w, ok := kam.NewRewind(kam.Customer(c), until)
		if !ok {
			// Not yet opened then: nothing to rebuild, so nothing is read.
			return kam.ErrNotFound
		}
		// Only the changes that decide the result, in the transaction's
		// one snapshot: what is read and held is a row or two per field,
		// however long the history.
		fields := kam.ProfileFields()
		rows, err := q.ArchiveRewindRows(ctx, dbq.ArchiveRewindRowsParams{CustomerID: id, Until: until,
			ProfileFields: fields, RoleFields: kam.RoleFieldPattern, GradeFields: kam.CreditGradeFields})
		if err != nil {
			return err
		}
		for _, h := range rows {
			w.Add(kam.HistoryEntry{ID: h.ID, CustomerID: h.CustomerID, StaffID: h.StaffID, At: h.At, Field: h.Field, OldValue: h.OldValue, NewValue: h.NewValue})
		}
		saves, err := q.ArchiveSavesSince(ctx, dbq.ArchiveSavesSinceParams{CustomerID: id, Until: until, ProfileFields: fields})
		if err != nil {
			return err
		}
		w.Saves(int(saves))
		contacts, err := q.AllContacts(ctx, id)
		if err != nil {
			return err
		}
		persons, err := q.AllKeyPersons(ctx, id)
		if err != nil {
			return err
		}
		past = w.Past(mapRows(contacts, contactOf), mapRows(persons, keyPersonOf))
		return nil
	})
	if err != nil {
		return Archive{}, err
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
