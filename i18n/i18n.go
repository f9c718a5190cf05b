// Package i18n owns kam's words in the staff's languages (SPEC §7
// "Language"): the message keys, the zh-CN and en catalogs (golang.org/x/text
// message catalogs, plural rules through plural.Selectf where a count
// appears) and Render. Codes and field names stay English; only the text a
// person reads is rendered: notification titles and bodies, problem details.
// The terms are the regulation's own (大客户, 客户档案, 优惠, 备案, 信用, 走访…).
//
// It imports no other kam package.
package i18n

import (
	"math"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The locales kam speaks (a staff member's locale, KAM_DEFAULT_LOCALE).
const (
	ZhCN = "zh-CN"
	En   = "en"
)

// Locales lists every locale kam renders.
var Locales = []string{ZhCN, En}

// Key names one message of the catalogs.
type Key string

// Message is a key and its arguments, rendered in the reader's locale when
// the reader is known (a notice per recipient, a problem per caller). It
// travels in workflow payloads as JSON: numbers come back as float64, which
// Render turns back into integers. An argument that is itself a Message is
// rendered in the same locale (a reason inside a notice's body); it does not
// survive a workflow payload, so only activities and handlers nest them.
type Message struct {
	Key  Key   `json:",omitempty"`
	Args []any `json:",omitempty"`
}

// M is the message key with args.
func M(key Key, args ...any) Message { return Message{Key: key, Args: args} }

// IsZero tells whether m names no message.
func (m Message) IsZero() bool { return m.Key == "" }

// Render is m in locale; see Render.
func (m Message) Render(locale string) string { return Render(locale, m.Key, m.Args...) }

var (
	tags = map[string]language.Tag{ZhCN: language.MustParse(ZhCN), En: language.English}
	cat  = build()
	// printers, one per locale, built once.
	printers = map[string]*message.Printer{
		ZhCN: message.NewPrinter(tags[ZhCN], message.Catalog(cat)),
		En:   message.NewPrinter(tags[En], message.Catalog(cat)),
	}
)

func build() *catalog.Builder {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for locale, entries := range catalogs {
		for k, m := range entries {
			if err := b.Set(tags[locale], string(k), m); err != nil {
				panic("i18n: " + locale + " " + string(k) + ": " + err.Error())
			}
		}
	}
	return b
}

// Has tells whether key is in the catalogs.
func Has(key Key) bool {
	_, ok := catalogs[En][key]
	return ok
}

// Render is the message key in locale with args; an unknown locale is
// rendered in zh-CN's stead only if it is not English-like, see Normalize.
// A key the catalogs do not have is rendered as the literal text it is (its
// args are not applied), so a literal English title still reads as itself.
func Render(locale string, key Key, args ...any) string {
	if !Has(key) {
		return string(key)
	}
	p, ok := printers[Normalize(locale)]
	if !ok {
		p = printers[ZhCN]
	}
	return p.Sprintf(string(key), normalizeArgs(locale, args)...)
}

// normalizeArgs undoes JSON's float64 for whole numbers, so that %d and the
// plural rules see integers again after a trip through a workflow payload,
// and words a Message or an Arg (an instant, a length of time) argument in
// locale.
func normalizeArgs(locale string, args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				a = int64(v)
			}
		case Message:
			a = v.Render(locale)
		case Arg:
			a = v.words(locale)
		case map[string]any:
			if w, ok := argOf(v); ok {
				a = w.words(locale)
			}
		}
		out[i] = a
	}
	return out
}

// Normalize is the locale kam speaks for l (zh-CN or en), or "" when l names
// neither: zh, zh-CN, zh-Hans (any case) are zh-CN; en and every en-* are en.
func Normalize(l string) string {
	switch s := strings.ToLower(strings.TrimSpace(l)); {
	case s == "zh" || s == "zh-cn" || s == "zh-hans" || s == "zh-hans-cn" || s == "zh_cn":
		return ZhCN
	case s == "en" || strings.HasPrefix(s, "en-") || strings.HasPrefix(s, "en_"):
		return En
	}
	return ""
}

// FromAcceptLanguage is the first locale kam speaks among an Accept-Language
// header's languages, in the order of their quality; "" when none is.
func FromAcceptLanguage(h string) string {
	if h == "" {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil {
		return ""
	}
	for _, t := range tags {
		if l := Normalize(t.String()); l != "" {
			return l
		}
	}
	return ""
}

// Pick is the first of locales kam speaks, else fallback (itself normalized,
// else zh-CN).
func Pick(fallback string, locales ...string) string {
	for _, l := range locales {
		if n := Normalize(l); n != "" {
			return n
		}
	}
	if n := Normalize(fallback); n != "" {
		return n
	}
	return ZhCN
}
