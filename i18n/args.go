package i18n

import (
	"strconv"
	"strings"
	"time"
)

// Arg is a Message argument worded by the reader's locale rather than
// printed as Go prints it: an instant (At) or a length of time (For). A
// notice read as "due 2026-12-01T09:00:00+08:00" or "within 72h0m0s" is a
// format, not a sentence. It travels through workflow payloads as a JSON
// object, which Render recognises again.
type Arg struct {
	At  string `json:"at,omitempty"`  // RFC 3339, worded in its own offset
	For string `json:"for,omitempty"` // a Go duration
}

// At is the instant t as an argument, worded in t's own zone: the
// regulation's day is the company's, and the notice names the zone.
func At(t time.Time) Arg { return Arg{At: t.Format(time.RFC3339)} }

// For is the length d as an argument.
func For(d time.Duration) Arg { return Arg{For: d.String()} }

// argOf is the Arg a JSON round trip left as a map, if v is one.
func argOf(v map[string]any) (Arg, bool) {
	if len(v) != 1 {
		return Arg{}, false
	}
	at, okAt := v["at"].(string)
	d, okFor := v["for"].(string)
	return Arg{At: at, For: d}, okAt || okFor
}

// words is a in locale; a value that does not parse is shown as it came.
func (a Arg) words(locale string) string {
	switch {
	case a.At != "":
		t, err := time.Parse(time.RFC3339, a.At)
		if err != nil {
			return a.At
		}
		return instantWords(locale, t)
	case a.For != "":
		d, err := time.ParseDuration(a.For)
		if err != nil {
			return a.For
		}
		return durationWords(locale, d)
	}
	return ""
}

// instantWords is "2026-12-01 09:00 (UTC+08:00)", seconds shown only when
// the instant has them (the shortened durations of a test, a dev setting).
func instantWords(locale string, t time.Time) string {
	layout := "2006-01-02 15:04"
	if t.Second() != 0 {
		layout += ":05"
	}
	zone := "UTC"
	if _, off := t.Zone(); off != 0 {
		zone = "UTC" + t.Format("-07:00")
	}
	if Normalize(locale) == En {
		return t.Format(layout) + " (" + zone + ")"
	}
	return t.Format(layout) + "（" + zone + "）"
}

// durationWords is d in days, hours, minutes and seconds, the zero parts
// left out ("3 days", "1 hour 30 minutes"; "3 天", "1 小时 30 分钟"); a length
// under a second is in milliseconds.
func durationWords(locale string, d time.Duration) string {
	en := Normalize(locale) == En
	if d < 0 {
		d = -d
	}
	if d < time.Second {
		ms := int64(d / time.Millisecond)
		if en {
			return strconv.FormatInt(ms, 10) + " ms"
		}
		return strconv.FormatInt(ms, 10) + " 毫秒"
	}
	units := []struct {
		size     time.Duration
		one, few string
		zh       string
	}{
		{24 * time.Hour, "day", "days", "天"},
		{time.Hour, "hour", "hours", "小时"},
		{time.Minute, "minute", "minutes", "分钟"},
		{time.Second, "second", "seconds", "秒"},
	}
	var parts []string
	for _, u := range units {
		n := int64(d / u.size)
		d -= time.Duration(n) * u.size
		if n == 0 {
			continue
		}
		num := strconv.FormatInt(n, 10)
		switch {
		case !en:
			parts = append(parts, num+" "+u.zh)
		case n == 1:
			parts = append(parts, num+" "+u.one)
		default:
			parts = append(parts, num+" "+u.few)
		}
	}
	return strings.Join(parts, " ")
}
