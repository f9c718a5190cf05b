// Package kam is the domain of key account management, free of storage,
// transport and process machinery: it imports no other kam package, so the
// API, the store, the activities and the workflows share its words and rules.
//
// It owns the staff roles (SPEC §2), the archive sections and access-register
// actions (Art. 7, 9), the states of discounts, credit and tickets, the
// domain error with its kinds (the API maps each kind to one HTTP status), and
// the pure rules of the regulation: archive completeness (MissingSections)
// and the archive of a past day rebuilt from its history (ArchiveRecord.AsOf,
// Art. 7), discount routing (Route, Art. 12), ticket priority (Art. 17),
// greeting lead days (Art. 19), the schedule rule for settlement cycles
// (Art. 13) and visit cadences (Art. 20), and the tier grade and review
// period of a tier review (Grade, ReviewPeriod, Art. 2, 3).
package kam
