package kam

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
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
	Version    int32
	UpdatedAt  time.Time
	RemovedAt  *time.Time // taken off the archive (Art. 7.2); kept for the history
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
	Version    int32
	UpdatedAt  time.Time
	RemovedAt  *time.Time // taken off the archive (Art. 7.2); kept for the history
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

// Customer is an account's archive profile (Art. 7.1) as the store keeps it.
type Customer struct {
	ID                  uuid.UUID
	Code                string
	Name                string
	Nature              *string
	Industry            *string
	ProductCategory     *string
	Tier                string
	ServiceMode         string
	LegalRepresentative *string
	CompanySize         *string
	MainProducts        *string
	AnnualOutputValue   decimal.NullDecimal
	Credibility         *string
	ProfitStatus        *string
	Status              string
	AccountManagerID    *uuid.UUID
	FoundedOn           *time.Time
	Address             *string
	Postcode            *string
	Phone               *string
	Fax                 *string
	Email               *string
	Version             int32
	CreatedAt           time.Time
	UpdatedAt           time.Time
	// OpenedOn is the day the account became a key account: the day kam
	// opened it, or the earlier day an import named (the reports count it
	// from then).
	OpenedOn time.Time
}

// Account statuses (SPEC §3).
const (
	CustomerActive  = "active"
	CustomerChurned = "churned"
)

// ErrUseChurnRegister refuses a status set by opening, editing or importing
// an account (SPEC §7): an account is lost only through the churn register
// and won back only by reactivation (Art. 8.4), so every churned account
// has its churn record.
var ErrUseChurnRegister = &Error{Kind: KindInvalid, Code: "use_churn_register", Field: "status",
	Message: "an account's status changes only through the churn register: record a lost account with POST /v1/customers/{id}/churn, a won-back one with POST /v1/customers/{id}/reactivate"}

// StatusKept is that rule for a status named by anything but the register:
// it may only repeat the account's status now (CustomerActive for an account
// being opened). nil names none.
func StatusKept(now string, named *string) error {
	if named != nil && *named != now {
		return ErrUseChurnRegister
	}
	return nil
}
