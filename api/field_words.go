package api

import (
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2/validation"

	"kam/i18n"
)

// fieldWord is one field message in zh-CN: en is the English message, a
// format whose %s, %v and %d are what the message says of the input (a
// limit, a pattern, a name); zh says the same with them as %[1]s, %[2]s.
type fieldWord struct{ en, zh string }

// fieldWords are the field messages a zh-CN reader gets in Chinese (SPEC §7
// "Language": the console shows them beside the fields). The schema's words
// are huma's; the rest are kam's own checks. A message not listed (a domain
// rule's own sentence) stays as written. Codes, field names, patterns and
// limits stay as they are.
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
}

type compiledFieldWord struct {
	re *regexp.Regexp
	zh string
}

var fieldWordsZh = func() []compiledFieldWord {
	verb := regexp.MustCompile(`%[svd]`)
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
