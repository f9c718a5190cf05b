package i18n

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRenderPlural(t *testing.T) {
	for _, c := range []struct {
		locale string
		key    Key
		args   []any
		want   string
	}{
		{En, InspectionDoneBody, []any{1, 5, "x"}, "1 finding in a sample of 5 grants; see /v1/inspections/x"},
		{En, InspectionDoneBody, []any{float64(3), 5, "x"}, "3 findings in a sample of 5 grants; see /v1/inspections/x"},
		{ZhCN, InspectionDoneBody, []any{3, 5, "x"}, "抽查 5 项优惠，发现 3 个问题；详见 /v1/inspections/x"},
		{ZhCN, VisitDueTitle, nil, "走访到期"},
		{"fr", VisitDueTitle, nil, "走访到期"},
		{En, Key("A literal title"), nil, "A literal title"},
		{En, ProblemKey("not_found"), nil, "no such resource"},
		// A message inside a message is worded in the same locale.
		{ZhCN, HandoverFailedBody, []any{M(HandoverReceiverGone, "x"), 1, 0, 2}, "员工 x 已不再是在职的客户经理；中止前已移交：1 个客户、0 项待审批的优惠申请、2 项慰问任务"},
		{En, HandoverFailedBody, []any{M(HandoverReceiverGone, "x"), 1, 0, 2},
			"staff member x is no longer an active account manager; moved before it stopped: accounts 1, pending discount requests 0, greeting tasks 2"},
	} {
		if got := Render(c.locale, c.key, c.args...); got != c.want {
			t.Errorf("Render(%s, %s) = %q, want %q", c.locale, c.key, got, c.want)
		}
	}
}

// Instants and lengths of time in a notice read as words in each locale,
// also after the JSON trip a workflow's payload makes.
func TestRenderInstantsAndLengths(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	due := time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai)
	for _, c := range []struct {
		locale string
		key    Key
		arg    Arg
		want   string
	}{
		{En, GrantExpiringBody, At(due), "Ends 2026-12-01 09:00 (UTC+08:00)"},
		{ZhCN, GrantExpiringBody, At(due), "于 2026-12-01 09:00（UTC+08:00） 截止"},
		{En, GrantExpiringBody, At(due.UTC().Add(5 * time.Second)), "Ends 2026-12-01 01:00:05 (UTC)"},
		{En, DiscountExpiredBody, For(72 * time.Hour), "No decision within 3 days of reaching the General Manager"},
		{ZhCN, DiscountExpiredBody, For(72 * time.Hour), "上报总经理后 3 天 内未作决定"},
		{En, DiscountEscalatedBody, For(25*time.Hour + 30*time.Minute), "The KA Department did not decide within 1 day 1 hour 30 minutes; the General Manager may now decide"},
		{ZhCN, DiscountEscalatedBody, For(90 * time.Minute), "大客户部未在 1 小时 30 分钟 内审批；现可由总经理审批"},
		{En, DiscountExpiredBody, For(3 * time.Second), "No decision within 3 seconds of reaching the General Manager"},
		{En, DiscountExpiredBody, For(1 * time.Second), "No decision within 1 second of reaching the General Manager"},
		{En, DiscountExpiredBody, For(300 * time.Millisecond), "No decision within 300 ms of reaching the General Manager"},
	} {
		if got := Render(c.locale, c.key, c.arg); got != c.want {
			t.Errorf("Render(%s, %s, %+v) = %q, want %q", c.locale, c.key, c.arg, got, c.want)
		}
		raw, err := json.Marshal(M(c.key, c.arg))
		if err != nil {
			t.Fatal(err)
		}
		var back Message
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.Render(c.locale); got != c.want {
			t.Errorf("after JSON, Render(%s, %s) = %q, want %q", c.locale, c.key, got, c.want)
		}
	}
	// A map that is not an Arg stays as it came; so does an instant that
	// does not parse.
	if got := Render(En, GrantExpiringBody, Arg{At: "soon"}); got != "Ends soon" {
		t.Errorf("an unparsed instant: %q", got)
	}
	if got := Render(En, GrantExpiringBody, map[string]any{"by": "y"}); got != "Ends map[by:y]" {
		t.Errorf("a map that is not an Arg: %q", got)
	}
	if got := Render(En, GrantExpiringBody, map[string]any{"at": "2026-12-01T09:00:00Z", "by": "y"}); strings.Contains(got, "(UTC)") {
		t.Errorf("a map with more than an instant was worded as one: %q", got)
	}
}
