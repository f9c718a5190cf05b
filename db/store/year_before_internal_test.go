package store

import (
	"testing"
	"time"
)

// The same period a year before: 29 February is 28 February, so a February
// and the March after it compare with days that do not overlap.
func TestYearBefore(t *testing.T) {
	for day, want := range map[string]string{
		"2024-02-29": "2023-02-28",
		"2024-03-01": "2023-03-01",
		"2024-02-28": "2023-02-28",
		"2025-02-28": "2024-02-28",
		"2026-12-31": "2025-12-31",
	} {
		d, _ := time.Parse(time.DateOnly, day)
		if got := yearBefore(d).Format(time.DateOnly); got != want {
			t.Errorf("yearBefore(%s) = %s, want %s", day, got, want)
		}
	}
}
