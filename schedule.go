package kam

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule errors. A malformed spec is a validation failure of its field; a
// well-formed one that cannot be kept is invalid_schedule (SPEC §7).
var (
	// ErrMalformedSchedule: not a five-field cron spec, a descriptor such as
	// @monthly, or @every <duration>.
	ErrMalformedSchedule = errors.New("not a cron spec, descriptor or @every duration")
	// ErrInvalidSchedule: the spec parses but never fires within five
	// years, or fires more often than once a second.
	ErrInvalidSchedule = errors.New("invalid schedule")
)

// ScheduleHorizon is how soon a schedule must fire (SPEC §7: within 5
// years). A spec that does not is refused at input, and a run that meets one
// in old data stops instead of computing a close that never comes.
const ScheduleHorizon = 5 // years

// minEvery is the shortest @every cadence (cron rounds anything shorter up
// to a second, so a shorter one would silently mean something else).
const minEvery = time.Second

const everyPrefix = "@every "

// specParser reads what SPEC allows for a settlement cycle or a visit
// cadence: standard five fields (minute … day of week) or a descriptor.
var specParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is a parsed settlement cycle or visit cadence.
type Schedule struct {
	spec  string
	sched cron.Schedule
}

// String is the spec as given.
func (s Schedule) String() string { return s.spec }

// ParseSchedule reads a cron spec, a descriptor or @every <duration> (at
// least one second) and checks it fires within ScheduleHorizon after now.
// This is the rule for input (SPEC §7).
func ParseSchedule(spec string, now time.Time) (Schedule, error) {
	if d, ok := strings.CutPrefix(strings.TrimSpace(spec), everyPrefix); ok {
		every, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return Schedule{}, fmt.Errorf("%w: %v", ErrMalformedSchedule, err)
		}
		if every < minEvery {
			return Schedule{}, fmt.Errorf("%w: an @every cadence must be at least %s", ErrInvalidSchedule, minEvery)
		}
	}
	s, err := ParseStoredSchedule(spec)
	if err != nil {
		return Schedule{}, err
	}
	if _, err := s.Next(now, now.Location()); err != nil {
		return Schedule{}, err
	}
	return s, nil
}

// ParseStoredSchedule reads a spec already on record: the syntax only, as it
// was accepted before the five-year rule, so a run reading old data computes
// what it always did until Next refuses. The company time zone applies,
// never one written into the spec: a TZ= prefix is refused (cron's parser
// panics on a malformed one).
func ParseStoredSchedule(spec string) (Schedule, error) {
	trimmed := strings.TrimSpace(spec)
	if strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ=") {
		return Schedule{}, fmt.Errorf("%w: the company time zone applies; no TZ= prefix", ErrMalformedSchedule)
	}
	sched, err := specParser.Parse(trimmed)
	if err != nil {
		return Schedule{}, fmt.Errorf("%w: %v", ErrMalformedSchedule, err)
	}
	return Schedule{spec: spec, sched: sched}, nil
}

// Next is the first firing strictly after `after`, read in loc. It never
// returns the zero time or a time not after `after`: a schedule that does not
// fire within ScheduleHorizon (30 February, or an @every longer than that) is
// ErrInvalidSchedule, so a caller can stop instead of looping on year 1.
func (s Schedule) Next(after time.Time, loc *time.Location) (time.Time, error) {
	if s.sched == nil {
		return time.Time{}, fmt.Errorf("%w: empty schedule", ErrInvalidSchedule)
	}
	if loc == nil {
		loc = time.UTC
	}
	horizon := after.AddDate(ScheduleHorizon, 0, 0)
	from := after.In(loc)
	// cron's day-by-day search can land on or before its start around a
	// daylight-saving change; step past it rather than hand back the past.
	for range 3 {
		next := s.sched.Next(from)
		switch {
		case next.IsZero() || next.After(horizon):
			return time.Time{}, fmt.Errorf("%w: %q does not fire within %d years after %s", ErrInvalidSchedule, s.spec, ScheduleHorizon, after.Format(time.DateOnly))
		case next.After(after):
			return next, nil
		}
		from = from.Add(time.Second)
	}
	return time.Time{}, fmt.Errorf("%w: %q does not move past %s", ErrInvalidSchedule, s.spec, after.Format(time.RFC3339))
}
