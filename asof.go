package kam

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// History field names of the archive's people (Art. 7.2, 7.3). Adding or
// removing a contact is recorded under "contacts" (new or old value: the
// name), a key person under "key_persons" ("role: name"); a change of one of
// their fields under "<section>.<id>.<field>", so the history says whose
// field changed.
const (
	HistoryContacts   = "contacts"
	HistoryKeyPersons = "key_persons"
)

// PersonField is the history field of one field of a contact or key person.
func PersonField(section string, id uuid.UUID, field string) string {
	return section + "." + id.String() + "." + field
}

// HistoryCredit is the section of the credit agreement's history rows
// (Art. 7.7, 13). Rows written before they were kept field by field carry
// this name alone, all the terms in one new value that begins with the
// credit grade, then " / ".
const HistoryCredit = "credit"

// CreditField is the history field of one field of the credit agreement:
// "credit.<field>", the agreement's own field names under the one prefix by
// which its rows are hidden from whoever may not see credit.
func CreditField(field string) string { return HistoryCredit + "." + field }

// ArchiveRecord is what an archive's past is rebuilt from: the account as it
// is now, every recorded change oldest first, and every contact and key
// person it ever had, removed ones included.
type ArchiveRecord struct {
	Customer   Customer
	History    []HistoryEntry
	Contacts   []Contact
	KeyPersons []KeyPerson
}

// PastArchive is an archive as it stood at a past moment.
type PastArchive struct {
	Customer    Customer
	Facts       ArchiveFacts
	CreditLevel *string // the credit grade then; nil without credit terms
}

// AsOf rebuilds the archive as it stood just before until (Art. 7.2: the
// archive is kept up to date, and its history tells what it said on any
// day): the profile by undoing, newest first, every change recorded from
// until on; the contacts and key persons on the archive then, each key
// person in the role they had; the credit grade of the last credit change
// before until. ok is false when the account did not exist yet.
func (r ArchiveRecord) AsOf(until time.Time) (past PastArchive, ok bool) {
	if !r.Customer.CreatedAt.Before(until) {
		return PastArchive{}, false
	}
	c := r.Customer
	roles := map[uuid.UUID]string{} // a key person's role then, where it changed since
	saves := map[time.Time]bool{}   // one version per transaction, and a transaction's rows share their time
	c.UpdatedAt = c.CreatedAt
	for i := len(r.History) - 1; i >= 0; i-- {
		h := r.History[i]
		set, isProfile := profileFields[h.Field]
		if !h.At.Before(until) {
			if isProfile {
				set(&c, h.OldValue)
				saves[h.At] = true
			} else if id, ok := personRoleField(h.Field); ok {
				roles[id] = deref(h.OldValue)
			}
			continue
		}
		if isProfile && h.At.After(c.UpdatedAt) {
			c.UpdatedAt = h.At
		}
	}
	c.Version = max(1, c.Version-int32(len(saves)))
	past = PastArchive{Customer: c, CreditLevel: creditLevelBefore(r.History, until)}
	past.Facts.HasCredit = past.CreditLevel != nil
	for _, p := range r.Contacts {
		if onArchive(p.CreatedAt, p.RemovedAt, until) {
			past.Facts.Contacts++
		}
	}
	for _, k := range r.KeyPersons {
		if !onArchive(k.CreatedAt, k.RemovedAt, until) {
			continue
		}
		role := k.Role
		if then, changed := roles[k.ID]; changed {
			role = then
		}
		switch role {
		case "head":
			past.Facts.Heads++
		case "handler":
			past.Facts.Handlers++
		}
	}
	return past, true
}

// onArchive tells whether a person added at created and removed at removed
// (nil: still there) was on the archive just before until.
func onArchive(created time.Time, removed *time.Time, until time.Time) bool {
	return created.Before(until) && (removed == nil || !removed.Before(until))
}

// creditLevelBefore is the credit grade the last change of it before until
// set; nil when there was none.
func creditLevelBefore(history []HistoryEntry, until time.Time) *string {
	for i := len(history) - 1; i >= 0; i-- {
		h := history[i]
		if h.NewValue == nil || !h.At.Before(until) {
			continue
		}
		switch h.Field {
		case CreditField("credit_level"):
			return h.NewValue
		case HistoryCredit:
			level, _, _ := strings.Cut(*h.NewValue, " / ")
			return &level
		}
	}
	return nil
}

// personRoleField reads the key person named by a "key_persons.<id>.role" field.
func personRoleField(field string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(field, HistoryKeyPersons+".")
	if !ok {
		return uuid.Nil, false
	}
	id, f, ok := strings.Cut(rest, ".")
	if !ok || f != "role" {
		return uuid.Nil, false
	}
	u, err := uuid.Parse(id)
	return u, err == nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// profileFields sets each profile field from its history text (the store
// writes decimals with two places, ids and dates in their canonical form).
var profileFields = map[string]func(c *Customer, v *string){
	"code":                 func(c *Customer, v *string) { c.Code = deref(v) },
	"name":                 func(c *Customer, v *string) { c.Name = deref(v) },
	"nature":               func(c *Customer, v *string) { c.Nature = v },
	"industry":             func(c *Customer, v *string) { c.Industry = v },
	"product_category":     func(c *Customer, v *string) { c.ProductCategory = v },
	"tier":                 func(c *Customer, v *string) { c.Tier = deref(v) },
	"service_mode":         func(c *Customer, v *string) { c.ServiceMode = deref(v) },
	"legal_representative": func(c *Customer, v *string) { c.LegalRepresentative = v },
	"company_size":         func(c *Customer, v *string) { c.CompanySize = v },
	"main_products":        func(c *Customer, v *string) { c.MainProducts = v },
	"annual_output_value":  func(c *Customer, v *string) { c.AnnualOutputValue = decimalOf(v) },
	"credibility":          func(c *Customer, v *string) { c.Credibility = v },
	"profit_status":        func(c *Customer, v *string) { c.ProfitStatus = v },
	"status":               func(c *Customer, v *string) { c.Status = deref(v) },
	"account_manager_id":   func(c *Customer, v *string) { c.AccountManagerID = uuidOf(v) },
	"founded_on":           func(c *Customer, v *string) { c.FoundedOn = dateOf(v) },
	"address":              func(c *Customer, v *string) { c.Address = v },
	"postcode":             func(c *Customer, v *string) { c.Postcode = v },
	"phone":                func(c *Customer, v *string) { c.Phone = v },
	"fax":                  func(c *Customer, v *string) { c.Fax = v },
	"email":                func(c *Customer, v *string) { c.Email = v },
}

func decimalOf(v *string) decimal.NullDecimal {
	if v == nil {
		return decimal.NullDecimal{}
	}
	d, err := decimal.NewFromString(*v)
	return decimal.NullDecimal{Decimal: d, Valid: err == nil}
}

func uuidOf(v *string) *uuid.UUID {
	if v == nil {
		return nil
	}
	id, err := uuid.Parse(*v)
	if err != nil {
		return nil
	}
	return &id
}

func dateOf(v *string) *time.Time {
	if v == nil {
		return nil
	}
	t, err := time.Parse(time.DateOnly, *v)
	if err != nil {
		return nil
	}
	return &t
}
