package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"kam/i18n"
)

// language is what a request's problems are worded in (SPEC §7 "Language"):
// a locale kam speaks named by Accept-Language (zh, zh-CN, zh-Hans: zh-CN;
// en*: en), else the caller's own locale, else KAM_DEFAULT_LOCALE. The
// caller is known only after authentication, which fills Staff in.
type language struct {
	Accept  string // from Accept-Language; "" when it names none kam speaks
	Staff   string // the authenticated caller's locale
	Default string
}

const languageKey ctxKey = 100

// locale is the request's locale.
func (l *language) locale() string {
	return i18n.Pick(l.Default, l.Accept, l.Staff)
}

// localeOf is the locale of the request ctx belongs to; outside a request,
// the default.
func localeOf(ctx context.Context) string {
	if l, ok := ctx.Value(languageKey).(*language); ok {
		return l.locale()
	}
	return i18n.ZhCN
}

// withLanguage notes the request's language preferences for its problems.
func (s *Server) withLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := &language{Accept: i18n.FromAcceptLanguage(r.Header.Get("Accept-Language")), Default: s.store.DefaultLocale()}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), languageKey, l)))
	})
}

// noteCallerLocale records the authenticated caller's locale.
func noteCallerLocale(ctx context.Context, locale string) {
	if l, ok := ctx.Value(languageKey).(*language); ok {
		l.Staff = locale
	}
}

// localizeProblems is the huma transformer that words every problem huma
// writes in the request's locale.
func localizeProblems(ctx huma.Context, _ string, v any) (any, error) {
	locale := localeOf(ctx.Context())
	switch p := v.(type) {
	case *Problem:
		return p.in(locale), nil
	case *ImportProblem:
		return p.in(locale), nil
	}
	return v, nil
}

// in is a copy of p with its detail in locale: its own message when it has
// one; otherwise, in English, the words the refusal came with, and in any
// other locale the words of its code (and the English words when the code
// has none in the catalogs).
func (p *Problem) in(locale string) *Problem {
	c := *p
	switch {
	case !p.words.IsZero():
		c.Detail = p.words.Render(locale)
	case locale == i18n.En && p.Detail != "":
	case i18n.Has(i18n.ProblemKey(p.Code)):
		c.Detail = i18n.Render(locale, i18n.ProblemKey(p.Code))
	}
	if p.more > 0 {
		c.Detail += i18n.Render(locale, i18n.DroppedFields, p.more)
	}
	if locale != i18n.En && len(p.Errors) > 0 {
		c.Errors = make([]FieldError, len(p.Errors))
		for i, e := range p.Errors {
			e.Message = fieldMessage(locale, e.Message)
			c.Errors[i] = e
		}
	}
	c.words, c.more = i18n.Message{}, 0
	return &c
}

// in is a copy of p with its detail in locale.
func (p *ImportProblem) in(locale string) *ImportProblem {
	c := *p
	if !p.words.IsZero() {
		c.Detail = p.words.Render(locale)
	}
	c.words = i18n.Message{}
	return &c
}
