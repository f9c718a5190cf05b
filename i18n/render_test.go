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
	} {
		if got := Render(c.locale, c.key, c.args...); got != c.want {
			t.Errorf("Render(%s, %s) = %q, want %q", c.locale, c.key, got, c.want)
		}
	}
}
