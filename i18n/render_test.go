package i18n

import "testing"

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
			"staff member x is no longer an active account manager; moved before it stopped: 1 accounts, 0 pending discount requests and 2 greeting tasks"},
	} {
		if got := Render(c.locale, c.key, c.args...); got != c.want {
			t.Errorf("Render(%s, %s) = %q, want %q", c.locale, c.key, got, c.want)
		}
	}
}
