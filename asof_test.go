package kam

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

func strp(s string) *string { return &s }

// Art. 7.2: the archive of a past day is today's with every later change
// undone, newest first; people count as they were on the archive then.
func TestArchiveAsOfUndoesLaterChanges(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 1, d, 12, 0, 0, 0, time.UTC) }
	m1, m2, head := uuid.New(), uuid.New(), uuid.New()
	removed := day(20)
	r := ArchiveRecord{
		Customer: Customer{Name: "Now", Tier: "S", Status: "active", AccountManagerID: &m2, Version: 3, CreatedAt: day(1), UpdatedAt: day(15)},
		History: []HistoryEntry{
			{At: day(1), Field: "name", NewValue: strp("Then")},
			{At: day(1), Field: "tier", NewValue: strp("A")},
			{At: day(1), Field: "account_manager_id", NewValue: strp(m1.String())},
			{At: day(2), Field: HistoryKeyPersons, NewValue: strp("head: Zhao")},
			{At: day(3), Field: HistoryCredit, NewValue: strp("A / 1000.00 / @monthly / active")},
			{At: day(10), Field: "tier", OldValue: strp("A"), NewValue: strp("S")},
			{At: day(10), Field: "name", OldValue: strp("Then"), NewValue: strp("Now")},
			{At: day(12), Field: PersonField(HistoryKeyPersons, head, "role"), OldValue: strp("head"), NewValue: strp("handler")},
			// Since the terms are kept field by field (day 3's row is of before).
			{At: day(14), Field: CreditField("credit_level"), OldValue: strp("A"), NewValue: strp("B")},
			{At: day(14), Field: CreditField("arrears_limit"), OldValue: strp("1000.00"), NewValue: strp("2000.00")},
			{At: day(15), Field: "account_manager_id", OldValue: strp(m1.String()), NewValue: strp(m2.String())},
		},
		Contacts:   []Contact{{CreatedAt: day(2), RemovedAt: &removed}},
		KeyPersons: []KeyPerson{{ID: head, Role: "handler", CreatedAt: day(2)}, {ID: uuid.New(), Role: "handler", CreatedAt: day(2)}},
	}
	if _, ok := r.AsOf(day(1)); ok {
		t.Fatal("an archive before its creation")
	}
	for _, c := range []struct {
		until                       time.Time
		name, tier, manager, credit string
		version                     int32
		facts                       ArchiveFacts
	}{
		{day(2), "Then", "A", m1.String(), "<nil>", 1, ArchiveFacts{}},
		{day(11), "Now", "S", m1.String(), "A", 2, ArchiveFacts{Contacts: 1, Heads: 1, Handlers: 1, HasCredit: true}},
		{day(13), "Now", "S", m1.String(), "A", 2, ArchiveFacts{Contacts: 1, Handlers: 2, HasCredit: true}},
		{day(21), "Now", "S", m2.String(), "B", 3, ArchiveFacts{Handlers: 2, HasCredit: true}},
	} {
		p, ok := r.AsOf(c.until)
		credit := "<nil>"
		if p.CreditLevel != nil {
			credit = *p.CreditLevel
		}
		if !ok || p.Customer.Name != c.name || p.Customer.Tier != c.tier || p.Customer.AccountManagerID.String() != c.manager ||
			credit != c.credit || p.Customer.Version != c.version || p.Facts != c.facts {
			t.Errorf("until %s: %+v %s %+v", c.until, p.Customer, credit, p.Facts)
		}
	}
	if got := fmt.Sprint(MissingSections(r.Customer, ArchiveFacts{Handlers: 2, HasCredit: true})); got != "[basics contact key_persons]" {
		t.Errorf("missing = %s", got)
	}
}
