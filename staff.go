package kam

import (
	"time"

	"github.com/google/uuid"
)

// Staff is a member of staff as the store keeps it.
type Staff struct {
	ID        uuid.UUID
	Name      string
	Email     *string
	Role      string
	Active    bool
	CreatedAt time.Time
	Locale    string
	Version   int32
}

// TokenInfo is what may be shown of an API token: never the secret, never
// its hash.
type TokenInfo struct {
	ID         uuid.UUID
	StaffID    uuid.UUID
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}
