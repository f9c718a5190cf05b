package activities

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"kam/db/store"
)

// DefaultWebhookMaxAttempts is KAM_WEBHOOK_MAX_ATTEMPTS when unset.
const DefaultWebhookMaxAttempts = 8

// WebhookKey is the HMAC key of a KAM_NOTIFY_WEBHOOK_SECRET. A secret in the
// Standard Webhooks form "whsec_<base64>" is the key those bytes decode to, so
// a receiver's stock library verifies with the same string; any other secret
// is used as its raw bytes.
func WebhookKey(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("empty")
	}
	rest, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return nil, errors.New(`after "whsec_" must come the base64 of the key`)
	}
	return key, nil
}

// Sign is the Standard Webhooks webhook-signature of one attempt:
// "v1," and the base64 HMAC-SHA256 of "id.timestamp.body" under key.
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, timestamp)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Deliverer posts the queued webhook copies of notices (the outbox that
// Store.Deliver writes while QueueWebhookCopies is on), off every process's path: a receiver that hangs costs one request
// timeout per attempt here and nothing anywhere else. Each delivery is tried
// at most MaxAttempts times with exponential backoff, then dead-lettered.
// Several deliverers (one per worker) share the queue without taking the same
// row twice.
type Deliverer struct {
	Store  *store.Store
	URL    string
	Key    []byte
	Client *http.Client // nil: a default client (Timeout still bounds each request); redirects are never followed
	Log    *slog.Logger
	// OnDead is told of every delivery dead-lettered (the metric).
	OnDead func()

	MaxAttempts int           // 0: DefaultWebhookMaxAttempts
	Timeout     time.Duration // per request; 0: 10s
	BaseBackoff time.Duration // wait after the first failure, doubled after each; 0: 30s
	MaxBackoff  time.Duration // 0: 1h
	Poll        time.Duration // how often the queue is looked at; 0: 1s
	Batch       int           // deliveries taken at once; 0: 16
	// Now gives the webhook-timestamp; nil: time.Now.
	Now func() time.Time
}

// keepDelivered is how long a delivered copy stays in the outbox.
const keepDelivered = 30 * 24 * time.Hour

func (d *Deliverer) maxAttempts() int32 {
	if d.MaxAttempts > 0 {
		return int32(d.MaxAttempts)
	}
	return DefaultWebhookMaxAttempts
}

func orDefault(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// Backoff is the wait after the attempt-th failed attempt.
func (d *Deliverer) Backoff(attempt int32) time.Duration {
	wait, ceiling := orDefault(d.BaseBackoff, 30*time.Second), orDefault(d.MaxBackoff, time.Hour)
	for i := int32(1); i < attempt && wait < ceiling; i++ {
		wait *= 2
	}
	return min(wait, ceiling)
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	t := time.NewTicker(orDefault(d.Poll, time.Second))
	defer t.Stop()
	lastPurge := time.Time{}
	for {
		for {
			n, err := d.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				d.log().Warn("webhook deliveries", "error", err)
			}
			// A full batch means more may be due: go on at once.
			if err != nil || n < d.batch() {
				break
			}
		}
		if time.Since(lastPurge) > time.Hour {
			lastPurge = time.Now()
			if _, err := d.Store.PurgeDeliveredWebhooks(ctx, keepDelivered); err != nil && ctx.Err() == nil {
				d.log().Warn("purge delivered webhooks", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Deliverer) batch() int {
	if d.Batch > 0 {
		return d.Batch
	}
	return 16
}

func (d *Deliverer) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// RunOnce buries deliveries whose last attempt never reported, then takes
// one batch of due deliveries and posts them side by side. It returns how
// many it took.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	buried, err := d.Store.BuryAbandonedWebhooks(ctx, d.maxAttempts())
	if err != nil {
		return 0, err
	}
	for _, b := range buried {
		d.dead(b.ID, b.EventKey, b.Attempts, b.LastError)
	}
	timeout := orDefault(d.Timeout, 10*time.Second)
	// The lease outlasts the request so that no one else takes the row while
	// this attempt may still reach the receiver.
	due, err := d.Store.ClaimWebhooks(ctx, d.batch(), d.maxAttempts(), 2*timeout+10*time.Second)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, w := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.attempt(ctx, w, timeout)
		}()
	}
	wg.Wait()
	return len(due), nil
}

// attempt posts one delivery and records the outcome.
func (d *Deliverer) attempt(ctx context.Context, w store.WebhookDelivery, timeout time.Duration) {
	postErr := d.post(ctx, w, timeout)
	// The outcome is recorded even when ctx ended during the post.
	rec := context.WithoutCancel(ctx)
	if postErr == nil {
		if err := d.Store.WebhookDelivered(rec, w); err != nil {
			d.log().Warn("record webhook delivery", "webhook_id", w.ID, "error", err)
		}
		return
	}
	dead, err := d.Store.WebhookFailed(rec, w, postErr.Error(), d.Backoff(w.Attempts), d.maxAttempts())
	if err != nil {
		d.log().Warn("record webhook failure", "webhook_id", w.ID, "error", err)
		return
	}
	if dead {
		msg := postErr.Error()
		d.dead(w.ID, w.EventKey, w.Attempts, &msg)
		return
	}
	d.log().Info("webhook attempt failed", "webhook_id", w.ID, "event_key", w.EventKey,
		"attempt", w.Attempts, "retry_in", d.Backoff(w.Attempts).String(), "error", postErr)
}

func (d *Deliverer) dead(id uuid.UUID, eventKey string, attempts int32, lastErr *string) {
	reason := ""
	if lastErr != nil {
		reason = *lastErr
	}
	d.log().Warn("webhook delivery dead", "webhook_id", id, "event_key", eventKey, "attempts", attempts, "error", reason)
	if d.OnDead != nil {
		d.OnDead()
	}
}

// post sends one signed attempt; any answer but 2xx is a failure.
func (d *Deliverer) post(ctx context.Context, w store.WebhookDelivery, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(w.Payload))
	if err != nil {
		return err
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	id, ts := w.ID.String(), now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(d.Key, id, ts, w.Payload))
	resp, err := d.client().Do(req)
	if err != nil {
		// The URL stays out of the error, which is logged and kept in
		// webhook_deliveries.last_error: a receiver's URL often carries its
		// credential (a chat bot's ?access_token=, a /hook/<token> path).
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("post to the webhook: %w", ue.Err)
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fmt.Errorf("webhook answered %d, a redirect (not followed)", resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		// The code, not the receiver's reason phrase: that is its own text,
		// up to a megabyte of it.
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// client is the deliverer's HTTP client, never following a redirect: the
// signed copy goes to KAM_NOTIFY_WEBHOOK_URL only. Followed, a 307 from the
// receiver would re-post the body and its signature to any host it names,
// kam's private network included (SSRF); a redirect is a failed attempt.
func (d *Deliverer) client() *http.Client {
	c := http.Client{}
	if d.Client != nil {
		c = *d.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}
