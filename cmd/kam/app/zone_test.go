package app_test

import (
	"context"
	"testing"
	"time"

	"kam/workflows"
)

// The app's connections speak the company's zone (KAM_TIMEZONE), so SQL's
// days (reports, spans of account managers) are the company's days.
func TestConnectionsSpeakTheCompanysZone(t *testing.T) {
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	cfg := config(t, workflows.DefaultSettings())
	cfg.Timezone = zone
	r := start(t, cfg, true)
	defer r.Stop()
	var got string
	if err := r.Store.Pool.QueryRow(context.Background(), "SHOW TimeZone").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "Asia/Shanghai" {
		t.Fatalf("the app's connections are in %q, want Asia/Shanghai", got)
	}
}
