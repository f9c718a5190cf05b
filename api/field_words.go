package api

import (
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2/validation"

	"kam/i18n"
)

// fieldWord is one field message in zh-CN: en is the English message, a
// format whose %s, %v, %q and %d are what the message says of the input (a
// limit, a pattern, a name); zh says the same with them as %[1]s, %[2]s.
type fieldWord struct{ en, zh string }

// fieldWords are the field messages a zh-CN reader gets in Chinese (SPEC §7
// "Language": the console shows them beside the fields). The schema's words
// are huma's; the rest are kam's own checks and domain rules. A message not
// listed (a library's own, such as a cron parser's) stays as written.
// Codes, field names, patterns and limits stay as they are.
var fieldWords = []fieldWord{
	{validation.MsgUnexpectedProperty, "不是可接受的字段"},
	{validation.MsgExpectedRFC3339DateTime, "应为 RFC 3339 日期时间"},
	{validation.MsgExpectedRFC3339Date, "应为 RFC 3339 日期（YYYY-MM-DD）"},
	{validation.MsgExpectedRFC5322Email, "应为电子邮件地址：%[1]s"},
	{validation.MsgExpectedRFC4122UUID, "应为 UUID：%[1]s"},
	{validation.MsgExpectedBoolean, "应为布尔值"},
	{validation.MsgExpectedNumber, "应为数字"},
	{validation.MsgExpectedInteger, "应为整数"},
	{validation.MsgExpectedString, "应为字符串"},
	{validation.MsgExpectedArray, "应为数组"},
	{validation.MsgExpectedObject, "应为对象"},
	{validation.MsgExpectedArrayItemsUnique, "数组各项不得重复"},
	{validation.MsgExpectedOneOf, "应为以下之一：\"%[1]s\""},
	{validation.MsgExpectedMinimumNumber, "应不小于 %[1]s"},
	{validation.MsgExpectedExclusiveMinimumNumber, "应大于 %[1]s"},
	{validation.MsgExpectedMaximumNumber, "应不大于 %[1]s"},
	{validation.MsgExpectedExclusiveMaximumNumber, "应小于 %[1]s"},
	{validation.MsgExpectedMinLength, "长度应不少于 %[1]s"},
	{validation.MsgExpectedMaxLength, "长度应不超过 %[1]s"},
	{validation.MsgExpectedMatchPattern, "应符合格式 %[1]s"},
	{validation.MsgExpectedBePattern, "应为 %[1]s"},
	{validation.MsgExpectedMinItems, "数组应至少有 %[1]s 项"},
	{validation.MsgExpectedMaxItems, "数组应至多有 %[1]s 项"},
	{validation.MsgExpectedRequiredProperty, "缺少必填字段 %[1]s"},
	{validation.MsgExpectedDependentRequiredProperty, "有 %[2]s 时必须有 %[1]s"},
	{"invalid integer", "应为整数"},
	{"invalid cursor", "无效的分页游标"},
	{"unexpected end of JSON input", "JSON 不完整"},
	{"not a UUID", "应为 UUID"},
	{"not a date (YYYY-MM-DD)", "应为日期（YYYY-MM-DD）"},
	{"not an RFC 3339 instant", "应为 RFC 3339 时间点"},
	{"not a non-negative decimal amount", "应为非负的十进制金额"},
	{"not an e-mail address", "应为电子邮件地址"},
	{"not a version", "不是有效的版本"},
	{"a date between 1900-01-01 and 2200-12-31", "应为 1900-01-01 至 2200-12-31 之间的日期"},
	{"an instant between 1900-01-01 and 2200-12-31", "应为 1900-01-01 至 2200-12-31 之间的时间点"},
	{"an amount of at most 999999999999.99", "金额不得超过 999999999999.99"},
	{"must not contain control, bidirectional-override or invisible characters", "不得包含控制字符、双向覆盖字符或不可见字符"},
	{"must not contain control characters (other than newline and tab), bidirectional overrides or invisible characters", "不得包含控制字符（换行和制表符除外）、双向覆盖字符或不可见字符"},
	{"a field name contains control or invisible characters", "字段名包含控制字符或不可见字符"},
	{"at most 10 years after from", "不得晚于 from 之后 10 年"},
	{"to is before from", "to 早于 from"},
	{"no such staff member", "没有这位员工"},
	// The domain's own rules (Invalid in kam and db/store), each worded here
	// (TestDomainFieldMessagesAreWorded).
	{"every key person met must be one of this account's", "所见的关键人都必须是本客户的关键人"},
	{"unknown event type %q", "未知的事件类型 %[1]s"},
	{"a %s decides no approvals to delegate", "%[1]s 不审批任何事项，无可委托"},
	{"the delegator is not active staff", "委托人不是在职员工"},
	{"the deputy is not active staff", "代理人不是在职员工"},
	{"a deputy decides approvals: a ka_manager or general_manager, not a %s", "代理人须能审批：应为 ka_manager 或 general_manager，而非 %[1]s"},
	{"handover_to goes with active: false or a role other than account_manager", "handover_to 只能与 active: false 或 account_manager 以外的角色一同提交"},
	{"no such tier", "没有这个等级"},
	{"staff member %s is not an active account manager", "员工 %[1]s 不是在职的客户经理"},
	{"rank is required to create tier %s", "新建等级 %[1]s 须提供 rank"},
	{"valid_to is before valid_from", "valid_to 早于 valid_from"},
	{"method is percentage, fixed_price or rebate", "method 应为 percentage、fixed_price 或 rebate"},
	{"no discount policy for tier %s and product category %q", "等级 %[1]s 的产品类别 %[2]s 没有优惠政策"},
	{"tier %s allows %v for %s", "等级 %[1]s 对 %[3]s 只允许 %[2]s"},
	{"rate must be above 0 and at most 100", "rate 应大于 0 且不超过 100"},
	{"max_standard_rate must not be negative", "max_standard_rate 不得为负"},
	{"arrears_limit must not be negative", "arrears_limit 不得为负"},
	{"payment_term_days must be between 0 and 366", "payment_term_days 应在 0 至 366 之间"},
	{"amount must be positive", "amount 应为正数"},
	{"quantity must be positive", "quantity 应为正数"},
	{"amount must not be negative", "amount 不得为负"},
	{"applied_rate must be between 0 and 100", "applied_rate 应在 0 至 100 之间"},
	{"score must be between 1 and 5", "score 应在 1 至 5 之间"},
	{"rank must be between 1 and 999", "rank 应在 1 至 999 之间"},
	{"min_annual_revenue must not be negative", "min_annual_revenue 不得为负"},
	{"min_active_months must be between 0 and 12", "min_active_months 应在 0 至 12 之间"},
	{"valid_to must not be before valid_from", "valid_to 不得早于 valid_from"},
	{"hard_cap_rate must be at least max_standard_rate and at most 100", "hard_cap_rate 应不低于 max_standard_rate 且不超过 100"},
	{"each invitee names an account, a key person or a staff member", "每位受邀者须指明一个客户、关键人或员工"},
	{"a delegation goes to someone else", "委托对象须是他人"},
	{"ends_at must be after starts_at", "ends_at 应晚于 starts_at"},
	{"a reason is at most %d characters", "reason 不得超过 %[1]s 个字符"},
	{"ends_at is in the past", "ends_at 已是过去的时间"},
	{"a discount rate must be above 0", "优惠幅度应大于 0"},
}

type compiledFieldWord struct {
	re *regexp.Regexp
	zh string
}

var fieldWordsZh = func() []compiledFieldWord {
	verb := regexp.MustCompile(`%[svdq]`)
	out := make([]compiledFieldWord, len(fieldWords))
	for i, w := range fieldWords {
		parts := verb.Split(w.en, -1)
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		out[i] = compiledFieldWord{re: regexp.MustCompile(`^` + strings.Join(parts, `(.*?)`) + `$`), zh: w.zh}
	}
	return out
}()

// fieldMessage is msg, a field's message, in locale: in zh-CN the Chinese of
// a listed message, the input it quotes kept as it was.
func fieldMessage(locale, msg string) string {
	if locale != i18n.ZhCN {
		return msg
	}
	for _, w := range fieldWordsZh {
		m := w.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		out := w.zh
		for i, arg := range m[1:] {
			out = strings.ReplaceAll(out, "%["+itoa(i+1)+"]s", arg)
		}
		return out
	}
	return msg
}
