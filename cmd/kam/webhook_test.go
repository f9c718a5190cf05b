package main

import (
	"strings"
	"testing"
)

// SPEC §7: kam dev, serve and worker refuse to start with a webhook URL but
// no secret, and say which setting is missing.
func TestWebhookURLWithoutSecretRefusesToStart(t *testing.T) {
	t.Setenv("KAM_NOTIFY_WEBHOOK_URL", "https://hooks.example/kam")
	t.Setenv("KAM_NOTIFY_WEBHOOK_SECRET", "")
	// Were the check missing, each command would fail fast here on the
	// unreachable database instead of starting.
	t.Setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	t.Setenv("KAM_HTTP_ADDR", "127.0.0.1:0")
	for _, cmd := range []string{"dev", "serve", "worker"} {
		if _, err := capture(t, cmd); err == nil || !strings.Contains(err.Error(), "KAM_NOTIFY_WEBHOOK_SECRET") {
			t.Fatalf("kam %s: %v", cmd, err)
		}
	}
}
