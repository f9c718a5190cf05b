package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"kam"
	"kam/activities"
	"kam/db/store"
)

// account is an account of tier S (every occasion greeted) managed by am,
// with a head whose birthday is today.
func account(t *testing.T, s *store.Store, am uuid.UUID, name string) (customer, head uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	tier, code := "S", "N-"+uuid.NewString()[:8]
	c, err := s.CreateCustomer(ctx, store.CustomerPatch{Code: &code, Name: &name, Tier: &tier, AccountManagerID: &am}, am)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC()
	birthday := time.Date(1970, today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	k, err := s.AddKeyPerson(ctx, store.Scope{}, c.ID, store.KeyPersonInput{Name: "Zhao Min", Role: "head", Birthday: &birthday}, am)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, k.ID
}

func staffIn(t *testing.T, s *store.Store, role, locale string) uuid.UUID {
	t.Helper()
	m, err := s.AddStaff(context.Background(), store.NewStaff{Name: role + " " + uuid.NewString()[:8], Role: role, Locale: locale})
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// birthdayTask sweeps customer's greetings of today (announcing none) and
// answers its birthday task.
func birthdayTask(t *testing.T, s *store.Store, customer uuid.UUID) kam.Greeting {
	t.Helper()
	ctx, today := context.Background(), time.Now().UTC()
	if _, err := s.SweepGreetings(ctx, today, 0, &customer, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := s.ListGreetingsPage(ctx, store.Scope{}, kam.GreetingFilter{On: today, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rows {
		if g.CustomerID == customer && g.Occasion == "birthday" {
			return g
		}
	}
	t.Fatalf("no birthday task among %+v", rows)
	return kam.Greeting{}
}

// inboxEntry is recipient's entry of the notice with eventKey.
func inboxEntry(t *testing.T, s *store.Store, recipient uuid.UUID, eventKey string) kam.Notification {
	t.Helper()
	rows, err := s.Inbox(context.Background(), kam.InboxQuery{RecipientID: recipient, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range rows {
		if n.EventKey == eventKey {
			return n
		}
	}
	t.Fatalf("no %s in the inbox of %s", eventKey, recipient)
	return kam.Notification{}
}

func startHandover(t *testing.T, s *store.Store, by, from, to uuid.UUID) kam.Handover {
	t.Helper()
	role := kam.RoleKAManager
	h, err := s.StartHandover(context.Background(), from, to, "to", store.HandoverStart{
		Access: store.Access{StaffID: &by, Role: &role, Action: kam.AccessUpdate, RequestID: "handover-" + uuid.NewString(),
			Route: "POST /v1/staff/{id}/handover", Purpose: "activities test"},
		Start: func(kam.Handover) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// SPEC §6: every notification is also POSTed to the webhook. The greeting
// sweep's notice and those a handover re-sends to the new manager (a
// greeting task, a visit already announced) are queued like any other.
func TestEveryNoticePathQueuesItsWebhookCopy(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := webhooked(s)

	am := staffMember(t, s)
	greeted, _ := account(t, s, am, "Greeted Co")
	if _, err := a.SweepGreetings(ctx, activities.GreetingSweep{Today: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	g := birthdayTask(t, s, greeted)
	queued(t, s, "greeting/"+g.ID.String())

	// A handover's follow-ups: a task and a visit nobody was told of yet.
	ka, from, to := staffIn(t, s, kam.RoleKAManager, ""), staffMember(t, s), staffMember(t, s)
	moved, _ := account(t, s, from, "Moved Co")
	task := birthdayTask(t, s, moved)
	due := time.Now().Add(time.Hour).Truncate(time.Second)
	if _, err := s.PlanVisit(ctx, moved, due); err != nil {
		t.Fatal(err)
	}
	h := startHandover(t, s, ka, from, to)
	if _, err := a.MoveHandoverBatch(ctx, activities.HandoverBatchInput{HandoverID: h.ID, To: to, Limit: 10,
		VisitLead: 72 * time.Hour, Timezone: "Asia/Shanghai"}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"greeting/" + task.ID.String(), activities.VisitNoticeKey(moved, due, "lead")} {
		inboxEntry(t, s, to, key)
		queued(t, s, key)
	}
}

// SPEC §7 "Language": a greeting task's notice reads in its recipient's
// locale, title included, whether the sweep or a handover sends it.
func TestGreetingNoticeInEachRecipientsLocale(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := &activities.Activities{Store: s}
	ka := staffIn(t, s, kam.RoleKAManager, "en")
	en, zh := staffIn(t, s, kam.RoleAccountManager, "en"), staffIn(t, s, kam.RoleAccountManager, "zh-CN")
	c, _ := account(t, s, en, "Acme")
	if _, err := a.SweepGreetings(ctx, activities.GreetingSweep{Today: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	g := birthdayTask(t, s, c)
	key := "greeting/" + g.ID.String()
	day := g.OccasionOn.Format(time.DateOnly)
	if n := inboxEntry(t, s, en, key); n.Title != "Birthday of Zhao Min (Acme)" || !strings.HasPrefix(n.Body, "On "+day) {
		t.Errorf("en: %q / %q", n.Title, n.Body)
	}

	h := startHandover(t, s, ka, en, zh)
	if _, err := a.MoveHandoverBatch(ctx, activities.HandoverBatchInput{HandoverID: h.ID, To: zh, Limit: 10, Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	if n := inboxEntry(t, s, zh, key); n.Title != "Zhao Min（Acme）生日" || !strings.HasPrefix(n.Body, "日期："+day) {
		t.Errorf("zh-CN: %q / %q", n.Title, n.Body)
	}
}

// SPEC §7 "Language": why a handover stopped reads in the requester's
// locale, like the rest of the notice.
func TestHandoverFailureInTheRequestersLocale(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := &activities.Activities{Store: s}
	for _, c := range []struct{ locale, want, not string }{
		{"zh-CN", "不再是在职的客户经理", "no longer"},
		{"en", "is no longer an active account manager", "客户经理"},
	} {
		ka := staffIn(t, s, kam.RoleKAManager, c.locale)
		from, to := staffMember(t, s), staffMember(t, s)
		account(t, s, from, "Left Co")
		h := startHandover(t, s, ka, from, to)
		if _, err := s.Pool.Exec(ctx, "UPDATE staff SET active = false WHERE id = $1", to); err != nil {
			t.Fatal(err)
		}
		_, err := a.MoveHandoverBatch(ctx, activities.HandoverBatchInput{HandoverID: h.ID, To: to, Limit: 10, Timezone: "UTC"})
		if err == nil {
			t.Fatal("a batch to an inactive receiver moved")
		}
		// The run ends the handover with the refusal's message (workflows.StaffHandover).
		if _, err := a.FinishHandover(ctx, activities.HandoverEnd{HandoverID: h.ID, Status: kam.HandoverFailed, Reason: refusalMessage(err)}); err != nil {
			t.Fatal(err)
		}
		n := inboxEntry(t, s, ka, "staff-handover/"+h.ID.String()+"/failed")
		if !strings.Contains(n.Body, c.want) || strings.Contains(n.Body, c.not) {
			t.Errorf("%s: %q / %q", c.locale, n.Title, n.Body)
		}
	}
}

// webhooked is the activities of a kam with a webhook configured.
func webhooked(s *store.Store) *activities.Activities {
	s.QueueWebhookCopies(true)
	return &activities.Activities{Store: s}
}

func refusalMessage(err error) string {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != activities.ErrHandoverRefused {
		return err.Error()
	}
	return app.Message()
}
