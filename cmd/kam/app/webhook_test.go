package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam/cmd/kam/app"
	"kam/workflows"
)

// SPEC §7: delivery never delays a process. With a receiver that never
// answers, an onboarding run still reminds and then escalates on time: its
// notices land in the inbox while the deliverer waits on the receiver alone.
// (Before, Notify posted in the activity and outlived its timeout, so the run
// never got past its first reminder.)
func TestHangingWebhookDoesNotDelayProcesses(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hs.Close)
	t.Cleanup(func() { close(release) })
	settings := workflows.DefaultSettings()
	settings.OnboardingRemindEvery, settings.OnboardingEscalateAfter = time.Second, 3*time.Second
	cfg := config(t, settings)
	cfg.WebhookURL, cfg.WebhookSecret = hs.URL, "hook-secret"
	r := start(t, cfg, true)
	defer r.Stop()
	c := client{t: t, base: r.URL}
	_, clerk := c.staff("data_clerk")
	_, ka := c.staff("ka_manager")

	cust := c.do("POST", "/v1/customers", ka, map[string]any{"code": "HANG-" + uuid.NewString()[:8], "name": "Hanging Hook Ltd"}, 201)
	var reminded, escalated int
	defer func() {
		if t.Failed() {
			t.Logf("seen: %d reminders to the clerk, %d escalations to the ka_manager; the run: %s", reminded, escalated, onboardingState(r, cust["id"].(string)))
		}
	}()
	eventually(t, 60*time.Second, "reminders and the escalation despite a hanging webhook", func() bool {
		reminded, escalated = c.inbox(clerk, "archive_incomplete", cust["id"].(string)), c.inbox(ka, "archive_escalated", cust["id"].(string))
		return reminded >= 2 && escalated == 1
	})
	eventually(t, 10*time.Second, "the deliverer to try the receiver", func() bool { return hits.Load() > 0 })

	res, err := http.Get(r.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), "kam_webhook_dead_total") {
		t.Fatal("/metrics has no kam_webhook_dead_total")
	}
}

// onboardingState describes an account's onboarding run as its query answers, for a failure message.
func onboardingState(r *app.Running, customerID string) string {
	id, err := uuid.Parse(customerID)
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := r.Temporal.QueryWorkflow(ctx, workflows.OnboardingWorkflowID(id), "", workflows.QueryOnboarding)
	if err != nil {
		return "query: " + err.Error()
	}
	var st workflows.OnboardingState
	if err := v.Get(&st); err != nil {
		return "query answer: " + err.Error()
	}
	return fmt.Sprintf("%+v", st)
}

// SPEC §7: a webhook URL without a secret refuses to start, as do a
// malformed whsec_ secret and a bad attempt bound.
func TestWebhookConfigRefused(t *testing.T) {
	cases := []struct {
		url, secret, attempts, want string
	}{
		{"https://hooks.example/kam", "", "", "KAM_NOTIFY_WEBHOOK_SECRET"},
		{"https://hooks.example/kam", "whsec_%%%", "", "KAM_NOTIFY_WEBHOOK_SECRET"},
		{"hooks.example/kam", "s3cret", "", "KAM_NOTIFY_WEBHOOK_URL"},
		{"", "", "0", "KAM_WEBHOOK_MAX_ATTEMPTS"},
		{"", "", "many", "KAM_WEBHOOK_MAX_ATTEMPTS"},
	}
	for _, tc := range cases {
		t.Setenv("KAM_NOTIFY_WEBHOOK_URL", tc.url)
		t.Setenv("KAM_NOTIFY_WEBHOOK_SECRET", tc.secret)
		t.Setenv("KAM_WEBHOOK_MAX_ATTEMPTS", tc.attempts)
		if _, err := app.FromEnv(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc, err, tc.want)
		}
	}
	t.Setenv("KAM_NOTIFY_WEBHOOK_URL", "https://hooks.example/kam")
	t.Setenv("KAM_NOTIFY_WEBHOOK_SECRET", "whsec_c2VjcmV0")
	t.Setenv("KAM_WEBHOOK_MAX_ATTEMPTS", "")
	cfg, err := app.FromEnv()
	if err != nil || cfg.WebhookMaxAttempts != 8 {
		t.Fatalf("a good webhook config: %+v, %v", cfg.WebhookMaxAttempts, err)
	}
}
