package app_test

import (
	"strings"
	"testing"

	"kam/cmd/kam/app"
	"kam/workflows"
)

// KAM_TIER_REVIEW_CRON (Art. 2, 3: the periodic tier review): quarterly by
// default; a cron spec or descriptor that fires within five years; @every,
// which Temporal's Schedules read otherwise, is refused with the rest.
func TestTierReviewCronFromEnv(t *testing.T) {
	cfg, err := app.FromEnv()
	if err != nil || cfg.Settings.TierReviewCron != workflows.DefaultTierReviewCron {
		t.Fatalf("default: %v %q", err, cfg.Settings.TierReviewCron)
	}
	t.Setenv("KAM_TIER_REVIEW_CRON", "@monthly")
	if cfg, err = app.FromEnv(); err != nil || cfg.Settings.TierReviewCron != "@monthly" {
		t.Fatalf("@monthly: %v %q", err, cfg.Settings.TierReviewCron)
	}
	for _, bad := range []string{"@every 1h", "0 0 30 2 *", "fortnightly", "TZ=UTC 0 6 1 * *"} {
		t.Setenv("KAM_TIER_REVIEW_CRON", bad)
		if _, err := app.FromEnv(); err == nil || !strings.Contains(err.Error(), "KAM_TIER_REVIEW_CRON") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
