package kam

import (
	"errors"
	"testing"
	"time"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func TestParseScheduleAcceptsSpecAllows(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	for _, spec := range []string{"0 0 1 * *", "@monthly", "@every 240h", "@every 1s", "0 9 * * 1", "0 0 29 2 *"} {
		if _, err := ParseSchedule(spec, now); err != nil {
			t.Errorf("%q: %v", spec, err)
		}
	}
}

func TestParseScheduleRefuses(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	for spec, want := range map[string]error{
		"0 0 30 2 *":            ErrInvalidSchedule, // 30 February never comes
		"0 0 31 4,6,9 *":        ErrInvalidSchedule,
		"@every 500ms":          ErrInvalidSchedule, // cron would round it up to a second
		"@every 0s":             ErrInvalidSchedule,
		"@every -1s":            ErrInvalidSchedule,
		"@every 50000h":         ErrInvalidSchedule, // beyond five years
		"when it rains":         ErrMalformedSchedule,
		"99 99 99 99 99":        ErrMalformedSchedule,
		"TZ=UTC":                ErrMalformedSchedule, // cron's parser panics on this one
		"CRON_TZ=UTC 0 0 * * *": ErrMalformedSchedule,
		"@every soon":           ErrMalformedSchedule,
		"":                      ErrMalformedSchedule,
		"0 0 1 * * *":           ErrMalformedSchedule, // six fields
	} {
		if _, err := ParseSchedule(spec, now); !errors.Is(err, want) {
			t.Errorf("%q: err %v, want %v", spec, err, want)
		}
	}
}

func TestNextIsStrictlyLaterAndNeverZero(t *testing.T) {
	after := time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC) // 1 February 00:00 in Shanghai
	s, err := ParseSchedule("0 0 1 * *", after)
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.Next(after, shanghai)
	if err != nil || !next.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, shanghai)) {
		t.Fatalf("next %v, %v", next, err)
	}
	every, _ := ParseSchedule("@every 1s", after)
	t1 := after.Add(900 * time.Millisecond)
	if n, err := every.Next(t1, shanghai); err != nil || !n.After(t1) {
		t.Fatalf("@every next %v after %v: %v", n, t1, err)
	}
}

// A spec stored before validation existed: Next refuses, rather than
// answering the zero time a caller would treat as a close in year 1.
func TestNextOnImpossibleSpecFromOldData(t *testing.T) {
	s, err := ParseStoredSchedule("0 0 30 2 *")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), shanghai); !errors.Is(err, ErrInvalidSchedule) || !n.IsZero() {
		t.Fatalf("next %v, err %v", n, err)
	}
	if _, err := (Schedule{}).Next(time.Now(), nil); !errors.Is(err, ErrInvalidSchedule) {
		t.Fatalf("zero schedule: %v", err)
	}
}

// 29 February near 2100 (not a leap year) is more than five years away.
func TestNextBeyondHorizon(t *testing.T) {
	s, err := ParseSchedule("0 0 29 2 *", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(time.Date(2096, 3, 1, 0, 0, 0, 0, time.UTC), time.UTC); !errors.Is(err, ErrInvalidSchedule) {
		t.Fatalf("err %v", err)
	}
}

// Art. 12: a grant runs to the end of its last day in the company's time zone.
func TestGrantEndsAtEndOfDayInCompanyTime(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	got := GrantEndsAt(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), sh)
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, sh); !got.Equal(want) {
		t.Fatalf("ends %v, want %v", got, want)
	}
	if got := GrantEndsAt(time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), nil); !got.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("without a zone: %v", got)
	}
}
