package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam/db/store"
)

// The webhook copy is queued with the inbox entries and, like them, once
// per event however often the delivery is retried.
func TestDeliverQueuesOneWebhookPerEvent(t *testing.T) {
	ctx := context.Background()
	a := newManager(t)
	n := store.Notification{EventKey: "hook/" + uuid.NewString(), Kind: "test", Title: "t", Webhook: []byte(`{"n":1}`)}
	for range 3 {
		if _, err := st.Deliver(ctx, []uuid.UUID{a}, n); err != nil {
			t.Fatal(err)
		}
	}
	d, err := st.Queries().WebhookDeliveryByEventKey(ctx, n.EventKey)
	if err != nil || string(d.Payload) != `{"n": 1}` || d.Attempts != 0 {
		t.Fatalf("queued = %+v, %v", d, err)
	}
	// Without a payload nothing is queued.
	plain := store.Notification{EventKey: "plain/" + uuid.NewString(), Kind: "test", Title: "t"}
	if _, err := st.Deliver(ctx, []uuid.UUID{a}, plain); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Queries().WebhookDeliveryByEventKey(ctx, plain.EventKey); err == nil {
		t.Fatal("a notice without a webhook payload was queued")
	}
}

// Two deliverers claiming at once never take the same delivery.
func TestClaimWebhooksSkipsLockedRows(t *testing.T) {
	ctx := context.Background()
	a := newManager(t)
	mine := map[uuid.UUID]bool{}
	for range 20 {
		n := store.Notification{EventKey: "claim/" + uuid.NewString(), Kind: "test", Title: "t", Webhook: []byte(`{}`)}
		if _, err := st.Deliver(ctx, []uuid.UUID{a}, n); err != nil {
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
