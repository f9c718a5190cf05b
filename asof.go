package kam

import (
	"slices"
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
	w, ok := NewRewind(r.Customer, until)
	if !ok {
		return PastArchive{}, false
	}
	for i := len(r.History) - 1; i >= 0; i-- {
		w.Add(r.History[i])
	}
	return w.Past(r.Contacts, r.KeyPersons), true
}

// Rewind is AsOf taking the history one change at a time, newest first, so
// that a reader may page through a long history instead of holding it
// whole: an account with 50,000 recorded changes held 240 MB for one read.
//
// A reader may also add only the changes that decide the result, and tell
// the number of saves since until (Saves): of the changes from until on,
// the oldest of each profile field (ProfileFields) and of each key person's
// role (RoleFieldPattern); before until, the newest profile change and the
// newest change that set a credit grade (CreditGradeFields). Added newest
// first, they rebuild what the whole history does, and a database can pick
// them without sending the rest.
type Rewind struct {
	until   time.Time
	c       Customer
	roles   map[uuid.UUID]string // a key person's role then, where it changed since
	saves   map[time.Time]bool   // one version per transaction, and a transaction's rows share their time
	counted *int                 // the saves since until, when the reader counted them
	credit  *string              // the grade the last credit change before until set
	graded  bool                 // credit holds that change's grade (none may come)
}

// RoleFieldPattern matches, as SQL LIKE, the history field of a key
// person's role (PersonField(HistoryKeyPersons, id, "role")).
const RoleFieldPattern = `key\_persons.%.role`

// CreditGradeFields are the history fields that set the credit grade.
var CreditGradeFields = []string{CreditField("credit_level"), HistoryCredit}

// ProfileFields are the history fields of the archive's profile.
func ProfileFields() []string {
	out := make([]string, 0, len(profileFields))
	for f := range profileFields {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// Saves tells the rebuild how many saves of the profile (distinct times of
// its changes) were made from until on, when not every change is added.
func (w *Rewind) Saves(n int) { w.counted = &n }

// NewRewind starts rebuilding the archive now is today as it stood just
// before until; false when the account did not exist yet.
func NewRewind(now Customer, until time.Time) (*Rewind, bool) {
	if !now.CreatedAt.Before(until) {
		return nil, false
	}
	c := now
	c.UpdatedAt = c.CreatedAt
	return &Rewind{until: until, c: c, roles: map[uuid.UUID]string{}, saves: map[time.Time]bool{}}, true
}

// Add takes the next older change of the history.
func (w *Rewind) Add(h HistoryEntry) {
	set, isProfile := profileFields[h.Field]
	if !h.At.Before(w.until) {
		if isProfile {
			set(&w.c, h.OldValue)
			w.saves[h.At] = true
		} else if id, ok := personRoleField(h.Field); ok {
			w.roles[id] = deref(h.OldValue)
		}
		return
	}
	if isProfile && h.At.After(w.c.UpdatedAt) {
		w.c.UpdatedAt = h.At
	}
	if w.graded || h.NewValue == nil {
		return
	}
	switch h.Field {
	case CreditField("credit_level"):
		w.credit, w.graded = h.NewValue, true
	case HistoryCredit:
		level, _, _ := strings.Cut(*h.NewValue, " / ")
		w.credit, w.graded = &level, true
	}
}

// Past is the archive as it stood, once every change from until on has been
// added, with the contacts and key persons it ever had.
func (w *Rewind) Past(contacts []Contact, persons []KeyPerson) PastArchive {
	c := w.c
	saves := len(w.saves)
	if w.counted != nil {
		saves = *w.counted
	}
	c.Version = max(1, c.Version-int32(saves))
	past := PastArchive{Customer: c, CreditLevel: w.credit}
	past.Facts.HasCredit = past.CreditLevel != nil
	for _, p := range contacts {
		if onArchive(p.CreatedAt, p.RemovedAt, w.until) {
			past.Facts.Contacts++
		}
	}
	for _, k := range persons {
		if !onArchive(k.CreatedAt, k.RemovedAt, w.until) {
			continue
		}
		role := k.Role
		if then, changed := w.roles[k.ID]; changed {
			role = then
		}
		switch role {
		case "head":
			past.Facts.Heads++
		case "handler":
			past.Facts.Handlers++
		}
	}
	return past
}

// onArchive tells whether a person added at created and removed at removed
// (nil: still there) was on the archive just before until.
func onArchive(created time.Time, removed *time.Time, until time.Time) bool {
	return created.Before(until) && (removed == nil || !removed.Before(until))
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
