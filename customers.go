package kam

import (
	"time"

	"github.com/google/uuid"
)

// Contact is a contact person of an account as the store keeps it (Art. 7.2).
type Contact struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Name       string
	Title      *string
	Phone      *string
	Email      *string
	CreatedAt  time.Time
}

// KeyPerson is a key person of an account (Art. 7.3): the head or the
// business handler.
type KeyPerson struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Name       string
	Role       string
	Title      *string
	Phone      *string
	Email      *string
	Birthday   *time.Time
	CreatedAt  time.Time
}

// HistoryEntry is one recorded change of an account's archive.
type HistoryEntry struct {
	ID         int64
	CustomerID uuid.UUID
	StaffID    *uuid.UUID
	StaffName  *string
	At         time.Time
	Field      string
	OldValue   *string
	NewValue   *string
}
