// Package kam is the domain of key account management, free of storage,
// transport and process machinery: it imports no other kam package, so the
// API, the store, the activities and the workflows can all share its rules.
//
// It is meant to own the staff roles, the domain errors and the pure rules
// of the regulation (what a value may be, what follows from a date). Today it
// holds one of them: the schedule rule for settlement cycles (Art. 13) and
// visit cadences (Art. 20), see ParseSchedule.
package kam
