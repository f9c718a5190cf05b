package activities

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// Sign is the X-Kam-Signature of a webhook body: HMAC-SHA256 with the shared secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// postWebhook copies a notice to the webhook, retrying a few times. The inbox
// is the record; a receiver that stays down must not hold a workflow up, so a
// final failure is logged, not returned. Receivers de-duplicate on
// X-Kam-Event-Key, since a retried activity may post again.
func (a *Activities) postWebhook(ctx context.Context, n Notice, recipients []uuid.UUID) {
	body, _ := json.Marshal(map[string]any{
		"event_key": n.EventKey, "kind": n.Kind, "title": n.Title, "body": n.Body,
		"customer_id": n.CustomerID, "recipients": recipients,
	})
	client := a.Webhook.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	backoff := 200 * time.Millisecond
	var last error
	for attempt := 1; attempt <= 4; attempt++ {
		last = a.post(ctx, client, body, n.EventKey)
		if last == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff *= 3
	}
	if a.Log != nil {
		a.Log.Warn("webhook delivery failed", "event_key", n.EventKey, "error", last)
	}
}

func (a *Activities) post(ctx context.Context, client *http.Client, body []byte, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Kam-Event-Key", key)
	req.Header.Set("X-Kam-Signature", Sign(a.Webhook.Secret, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
