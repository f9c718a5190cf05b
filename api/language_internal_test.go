package api

import "testing"

// KAM_DEFAULT_LOCALE is the locale of a request that names none kam speaks
// and has no caller; Accept-Language comes before the caller's own.
func TestRequestLocale(t *testing.T) {
	for _, c := range []struct {
		l    language
		want string
	}{
		{language{Default: "en"}, "en"},
		{language{Default: "zh-CN"}, "zh-CN"},
		{language{Default: ""}, "zh-CN"},
		{language{Default: "en", Staff: "zh-CN"}, "zh-CN"},
		{language{Default: "zh-CN", Staff: "en"}, "en"},
		{language{Default: "zh-CN", Staff: "en", Accept: "zh-CN"}, "zh-CN"},
		{language{Default: "en", Staff: "en", Accept: "zh-CN"}, "zh-CN"},
	} {
		if got := c.l.locale(); got != c.want {
			t.Errorf("%+v: %s, want %s", c.l, got, c.want)
		}
	}
}
