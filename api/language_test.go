package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
)

// staffIn is a new member of staff of role reading kam in locale.
func staffIn(t *testing.T, role, locale string) member {
	t.Helper()
	st := must(t, call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": role + " " + uuid.NewString()[:6], "role": role, "locale": locale}), 201)
	if st.str("locale") != locale {
		t.Fatalf("locale %s, want %s", st.str("locale"), locale)
	}
	tok := must(t, call(t, "POST", "/v1/staff/"+st.str("id")+"/tokens", adminToken, nil), 201)
	return member{ID: st.str("id"), Token: tok.str("token"), Role: role}
}

// inboxOf is the title and body of the caller's notice of kind.
func inboxOf(t *testing.T, token, kind string) (title, body string, ok bool) {
	t.Helper()
	for _, it := range must(t, call(t, "GET", "/v1/me/notifications?limit=200", token, nil), 200).items() {
		if it["kind"] == kind {
			return it["title"].(string), it["body"].(string), true
		}
	}
	return "", "", false
}

// SPEC §7 "Language": the same event reads in Chinese in a zh-CN staff
// member's inbox and in English in an en one's.
func TestNoticesInEachRecipientsLocale(t *testing.T) {
	amZH := staffIn(t, kam.RoleAccountManager, "zh-CN")
	kaEN := staffIn(t, kam.RoleKAManager, "en")
	decider := newStaff(t, kam.RoleKAManager)
	c := newAccount(t, amZH.ID)

	// The KA manager (en) asks for a discount on Alice's (zh-CN) account;
	// the grant is told to the requester and the account's manager.
	id := must(t, call(t, "POST", "/v1/discount-requests", kaEN.Token, discountBody(c, "8.5")), 201).str("id")
	must(t, call(t, "POST", "/v1/discount-requests/"+id+"/decisions", decider.Token, map[string]any{"decision": "approve", "comment": "ok"}), 200)
	waitFor(t, 30*time.Second, "the grant notices", func() bool {
		_, _, zh := inboxOf(t, amZH.Token, "discount_granted")
		_, _, en := inboxOf(t, kaEN.Token, "discount_granted")
		return zh && en
	})
	title, body, _ := inboxOf(t, amZH.Token, "discount_granted")
	if title != "优惠已批准" || body != "该优惠已列入客户的优惠标准" {
		t.Errorf("zh-CN inbox: %q / %q", title, body)
	}
	title, body, _ = inboxOf(t, kaEN.Token, "discount_granted")
	if title != "Discount granted" || body != "The discount is now part of the account's discount standard" {
		t.Errorf("en inbox: %q / %q", title, body)
	}
	// The decision's notice carries the comment, worded around it.
	if _, body, ok := inboxOf(t, amZH.Token, "discount_approve"); !ok || body != "申请已批准；意见：ok" {
		t.Errorf("zh-CN decision notice: %q (%v)", body, ok)
	}
}

// Problem details are in the caller's locale; Accept-Language overrides it;
// the code and the field names stay English.
func TestProblemDetailInTheCallersLocale(t *testing.T) {
	zh := staffIn(t, kam.RoleAccountManager, "zh-CN")
	en := staffIn(t, kam.RoleAccountManager, "en")
	missing := "/v1/customers/" + uuid.NewString()
	for _, c := range []struct {
		name, token, accept, want string
	}{
		{"zh-CN staff", zh.Token, "", "资源不存在"},
		{"zh-CN staff, Accept-Language: en", zh.Token, "en", "no such resource"},
		{"zh-CN staff, Accept-Language: en-GB", zh.Token, "fr;q=1, en-GB;q=0.5", "no such resource"},
		{"en staff", en.Token, "", "no such resource"},
		{"en staff, Accept-Language: zh-Hans", en.Token, "zh-Hans", "资源不存在"},
		{"en staff, Accept-Language: fr", en.Token, "fr", "no such resource"},
		{"unauthenticated", "", "", "请发送 Authorization: Bearer <token>"},
		{"unauthenticated, Accept-Language: en", "", "en-US", "send Authorization: Bearer <token>"},
	} {
		var hs []header
		if c.accept != "" {
			hs = append(hs, header{"Accept-Language", c.accept})
		}
		r := call(t, "GET", missing, c.token, nil, hs...)
		if r.str("detail") != c.want || (r.str("code") != "not_found" && r.str("code") != "unauthenticated") {
			t.Errorf("%s: %d %s %q, want %q", c.name, r.Status, r.str("code"), r.str("detail"), c.want)
		}
	}

	// A refusal with words of its own (a stale version) keeps its numbers.
	cust := must(t, call(t, "GET", "/v1/customers/"+newAccount(t, zh.ID), zh.Token, nil), 200)
	for accept, want := range map[string]string{"": "记录当前为第 1 版，而非第 7 版", "en": "the record is at version 1, not 7"} {
		hs := []header{{"If-Match", `"7"`}}
		if accept != "" {
			hs = append(hs, header{"Accept-Language", accept})
		}
		r := call(t, "PATCH", "/v1/customers/"+cust.str("id"), zh.Token, map[string]any{"phone": "+86 1"}, hs...)
		problem(t, r, 412, "version_conflict")
		if r.str("detail") != want {
			t.Errorf("version_conflict (%q): %q, want %q", accept, r.str("detail"), want)
		}
	}

	// A validation failure: Chinese words, English code and field names.
	r := call(t, "GET", "/v1/customers/not-a-uuid", zh.Token, nil)
	if r.Status != 422 || r.str("code") != "validation_failed" || !strings.Contains(string(r.Raw), "path.") || r.str("detail") != "请求未通过校验" {
		t.Errorf("validation in zh-CN: %s", r.Raw)
	}
}

// SPEC §7 "Language": the titles of the caller's tasks and of the greeting
// list are worded for the reader — their locale, or Accept-Language — and
// name the account and the key person as they are.
func TestTaskAndGreetingTitlesInTheCallersLocale(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	on := tomorrow.Format(time.DateOnly)
	birthday := time.Date(1970, tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	// The greeting task's title and the start of the archive task's.
	zh := func(a string) [2]string {
		return [2]string{"Zhao Min（" + a + "）生日", "补全 " + a + " 的客户档案："}
	}
	en := func(a string) [2]string {
		return [2]string{"Birthday of Zhao Min (" + a + ")", "Complete the archive of " + a + ": "}
	}
	for _, c := range []struct {
		locale, accept string
		want           func(account string) [2]string
	}{{"zh-CN", "", zh}, {"en", "", en}, {"zh-CN", "en", en}} {
		am := staffIn(t, kam.RoleAccountManager, c.locale)
		name := "Titled " + uuid.NewString()[:6]
		id := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "TT-" + uuid.NewString()[:8], "name": name, "tier": "S", "account_manager_id": am.ID}), 201).str("id")
		must(t, call(t, "POST", "/v1/customers/"+id+"/key-persons", am.Token, map[string]any{"name": "Zhao Min", "role": "head", "birthday": birthday}), 201)
		w := c.want(name)
		var hs []header
		if c.accept != "" {
			hs = append(hs, header{"Accept-Language", c.accept})
		}
		titles := map[string]string{}
		for _, k := range must(t, call(t, "GET", "/v1/me/tasks?limit=200", am.Token, nil, hs...), 200).items() {
			if k["customer_id"] == id {
				titles[k["kind"].(string)] = k["title"].(string)
			}
		}
		if titles[kam.TaskGreeting] != w[0] || !strings.HasPrefix(titles[kam.TaskArchiveIncomplete], w[1]) {
			t.Errorf("%s (Accept-Language %q): task titles %q", c.locale, c.accept, titles)
		}
		var greeting string
		for _, g := range must(t, call(t, "GET", "/v1/greetings?on="+on, am.Token, nil, hs...), 200).items() {
			if g["customer_id"] == id && g["occasion"] == "birthday" {
				greeting = g["title"].(string)
			}
		}
		if greeting != w[0] {
			t.Errorf("%s (Accept-Language %q): greeting title %q, want %q", c.locale, c.accept, greeting, w[0])
		}
	}
}

// A zh-CN reader gets the field messages beside the fields in Chinese too
// (the console shows them there); the limit, pattern and field name they
// quote stay as they are, and an English reader's are unchanged.
func TestFieldMessagesInTheCallersLocale(t *testing.T) {
	ka := staffIn(t, kam.RoleKAManager, "zh-CN")
	long := strings.Repeat("名", 201)
	account := must(t, call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "FW-" + unique(), "name": "Worded"}), 201).str("id")
	for _, c := range []struct {
		method, path string
		body         any
		accept       string
		location     string
		want         string
	}{
		{"POST", "/v1/customers", map[string]any{"code": "F-1", "name": long}, "", "body.name", "长度应不超过 200"},
		{"POST", "/v1/customers", map[string]any{"code": "F-1", "name": long}, "en", "body.name", "expected length <= 200"},
		{"POST", "/v1/customers", map[string]any{"code": "=F", "name": "x"}, "", "body.code", "应符合格式 ^[A-Za-z0-9][A-Za-z0-9._-]*$"},
		{"POST", "/v1/customers", map[string]any{"name": "x"}, "", "body.code", "缺少必填字段 code"},
		{"POST", "/v1/customers", map[string]any{"code": "F-1", "name": 1}, "", "body.name", "应为字符串"},
		{"POST", "/v1/customers", map[string]any{"code": "F-1", "name": "a\u202eb"}, "", "body.name", "不得包含控制字符、双向覆盖字符或不可见字符"},
		{"GET", "/v1/customers?limit=abc", nil, "", "query.limit", "应为整数"},
		{"GET", "/v1/customers?cursor=eyJ4IjoxfQ", nil, "zh-Hans-CN", "query.cursor", "无效的分页游标"},
		// A domain rule's sentence, with the value it quotes.
		{"PATCH", "/v1/customers/" + account, map[string]any{"account_manager_id": ka.ID}, "", "body.account_manager_id", "员工 " + ka.ID + " 不是在职的客户经理"},
		{"PATCH", "/v1/customers/" + account, map[string]any{"account_manager_id": ka.ID}, "en", "body.account_manager_id", "staff member " + ka.ID + " is not an active account manager"},
	} {
		var hs []header
		if c.accept != "" {
			hs = append(hs, header{"Accept-Language", c.accept})
		}
		r := call(t, c.method, c.path, ka.Token, c.body, hs...)
		if r.Status != 422 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.Status, r.Raw)
		}
		var got []string
		for _, e := range r.Body["errors"].([]any) {
			e := e.(map[string]any)
			if e["location"] == c.location {
				got = append(got, e["message"].(string))
			}
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s %s (%q): %s says %q, want %q", c.method, c.path, c.accept, c.location, got, c.want)
		}
	}
}
