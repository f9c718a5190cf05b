package app_test

import (
	"strings"
	"testing"
	"time"

	"kam/cmd/kam/app"
)

// KAM_STAFF_MAX_REQUESTS, KAM_STAFF_MAX_HEAVY, KAM_MAX_HEAVY and
// KAM_HEAVY_WAIT: unset takes api.DefaultLimits (zero fields), 0 lifts a
// limit (a negative field), anything else but a whole number is refused.
func TestLimitsFromEnv(t *testing.T) {
	cfg, err := app.FromEnv()
	if err != nil || cfg.Limits.PerStaff != 0 || cfg.Limits.HeavyPerStaff != 0 || cfg.Limits.Heavy != 0 {
		t.Fatalf("default: %v %+v", err, cfg.Limits)
	}
	t.Setenv("KAM_STAFF_MAX_REQUESTS", "64")
	t.Setenv("KAM_STAFF_MAX_HEAVY", "0")
	t.Setenv("KAM_MAX_HEAVY", "8")
	t.Setenv("KAM_HEAVY_WAIT", "3s")
	cfg, err = app.FromEnv()
	if err != nil || cfg.Limits.PerStaff != 64 || cfg.Limits.HeavyPerStaff != -1 || cfg.Limits.Heavy != 8 || cfg.Limits.HeavyWait != 3*time.Second {
		t.Fatalf("set: %v %+v", err, cfg.Limits)
	}
	for _, bad := range []string{"-1", "many", "1.5"} {
		t.Setenv("KAM_MAX_HEAVY", bad)
		if _, err := app.FromEnv(); err == nil || !strings.Contains(err.Error(), "KAM_MAX_HEAVY") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
