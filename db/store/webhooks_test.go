package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam/db/store"
)

// withWebhook is a store over the tests' pool that queues webhook copies
// (KAM_NOTIFY_WEBHOOK_URL set); st queues none.
func withWebhook() *store.Store {
	s := store.New(pool)
	s.QueueWebhookCopies(true)
	return s
}

// The webhook copy is queued with the inbox entries and, like them, once
// per event however often the delivery is retried; its words are the
// notice's in the default locale. Without a webhook nothing is queued.
func TestDeliverQueuesOneWebhookPerEvent(t *testing.T) {
	ctx := context.Background()
	a := newManager(t)
	hooked := withWebhook()
	n := store.Notification{EventKey: "hook/" + uuid.NewString(), Kind: "test", Title: "t",
		Render: func(locale string) (string, string) { return "title in " + locale, "body" }}
	for range 3 {
		if _, err := hooked.Deliver(ctx, []uuid.UUID{a}, n); err != nil {
			t.Fatal(err)
		}
	}
	d, err := st.Queries().WebhookDeliveryByEventKey(ctx, n.EventKey)
	if err != nil || d.Attempts != 0 {
		t.Fatalf("queued = %+v, %v", d, err)
	}
	var payload map[string]any
	if err := json.Unmarshal(d.Payload, &payload); err != nil || payload["event_key"] != n.EventKey ||
		payload["title"] != "title in "+hooked.DefaultLocale() || payload["locale"] != hooked.DefaultLocale() {
		t.Fatalf("payload = %s (%v)", d.Payload, err)
	}
	plain := store.Notification{EventKey: "plain/" + uuid.NewString(), Kind: "test", Title: "t"}
	if _, err := st.Deliver(ctx, []uuid.UUID{a}, plain); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Queries().WebhookDeliveryByEventKey(ctx, plain.EventKey); err == nil {
		t.Fatal("a notice was queued for a webhook nobody configured")
	}
}

// Two deliverers claiming at once never take the same delivery.
func TestClaimWebhooksSkipsLockedRows(t *testing.T) {
	ctx := context.Background()
	a := newManager(t)
	mine := map[uuid.UUID]bool{}
	hooked := withWebhook()
	for range 20 {
		n := store.Notification{EventKey: "claim/" + uuid.NewString(), Kind: "test", Title: "t"}
		if _, err := hooked.Deliver(ctx, []uuid.UUID{a}, n); err != nil {
			t.Fatal(err)
		}
		d, err := st.Queries().WebhookDeliveryByEventKey(ctx, n.EventKey)
		if err != nil {
			t.Fatal(err)
		}
		mine[d.ID] = true
	}
	var mu sync.Mutex
	seen := map[uuid.UUID]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := st.ClaimWebhooks(ctx, 3, 8, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for id := range mine {
		if seen[id] != 1 {
			t.Fatalf("delivery %s claimed %d times", id, seen[id])
		}
	}
}
