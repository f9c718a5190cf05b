package i18n

import (
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/message/catalog"
)

// catalogs holds every message in every locale; a test holds both to the
// same keys, and the keys to the code's use. Arguments are referred to by
// position (%[1]s), so a translation may order or drop them freely.
var catalogs = map[string]map[Key]catalog.Message{En: withProblems(en, enProblems), ZhCN: withProblems(zh, zhProblems)}

func s(text string) catalog.Message { return catalog.String(text) }

func withProblems(notices map[Key]catalog.Message, problems map[string]string) map[Key]catalog.Message {
	out := make(map[Key]catalog.Message, len(notices)+len(problems))
	for k, m := range notices {
		out[k] = m
	}
	for code, text := range problems {
		out[ProblemKey(code)] = s(text)
	}
	return out
}

var en = map[Key]catalog.Message{
	VisitCadenceInvalidTitle: s("Visit cadence never falls due"),
	VisitCadenceInvalidBody:  s("The tier's visit cadence %[1]q does not fire within five years; no visit is planned until it is corrected"),
	VisitDueTitle:            s("Visit due"),
	VisitDueBody:             s("A regular visit (Art. 20) is due %[1]s"),
	VisitDueHandedOverBody:   s("A regular visit (Art. 20) is due %[1]s; the account was handed over to you"),
	VisitMissedTitle:         s("Visit missed"),
	VisitMissedBody:          s("No visit was recorded by %[1]s"),

	TicketResponseBreachedTitle:   s("Ticket not answered in time"),
	TicketResponseBreachedBody:    s("no response by %[1]s"),
	TicketResolutionBreachedTitle: s("Ticket not resolved in time"),
	TicketResolutionBreachedBody:  s("not resolved by %[1]s"),

	InspectionDoneTitle: s("Discount inspection finished"),
	InspectionDoneBody: plural.Selectf(1, "%d",
		"one", "%[1]d finding in a sample of %[2]d grants; see /v1/inspections/%[3]s",
		"other", "%[1]d findings in a sample of %[2]d grants; see /v1/inspections/%[3]s"),
	InspectionYoursBody: plural.Selectf(1, "%d",
		"one", "%[1]d finding on your accounts; the auditors follow it up (Art. 14)",
		"other", "%[1]d findings on your accounts; the auditors follow them up (Art. 14)"),
	TierReviewDoneTitle: s("Tier review finished"),
	TierReviewDoneBody: plural.Selectf(4, "%d",
		"one", "%[1]d active account(s) graded on %[2]s to %[3]s; %[4]d proposal awaits your decision: /v1/tier-reviews/%[5]s",
		"other", "%[1]d active account(s) graded on %[2]s to %[3]s; %[4]d proposals await your decision: /v1/tier-reviews/%[5]s"),

	ArchiveIncompleteTitle: s("Account archive incomplete"),
	ArchiveIncompleteBody:  s("Still missing (Art. 7): %[1]s"),
	ArchiveEscalatedTitle:  s("Account archive still incomplete"),
	ArchiveEscalatedBody:   s("Incomplete %[1]s after creation; missing: %[2]s"),

	CycleInvalidTitle:     s("Settlement cycle never closes"),
	CycleInvalidBody:      s("The settlement cycle %[1]q does not fire within five years; no statement is made until the credit agreement's cycle is corrected"),
	PaymentReminderTitle:  s("Statement falls due soon"),
	PaymentReminderBody:   s("Statement %[1]s is due %[2]s"),
	CreditSuspendedTitle:  s("Credit suspended"),
	CreditSuspendedBody:   s("Credit purchasing stopped: statement %[1]s unpaid at %[2]s"),
	DunningTitle:          s("Dunning notice %[1]d of %[2]d"),
	DunningEscalatedTitle: s("Dunning notice %[1]d of %[2]d: escalated to the General Manager"),
	DunningBody:           s("Arrears recovery: statement %[1]s is overdue since %[2]s"),
	CreditReinstatedTitle: s("Credit reinstated"),
	CreditReinstatedBody:  s("Nothing is overdue any more; credit purchasing is open again"),
	ArrearsWarningTitle:   s("Arrears early warning"),
	ArrearsWarningBody:    s("Outstanding has reached %[1]s of the arrears limit"),

	DiscountApprovedKATitle: s("Discount request approved at the KA Department stage"),
	DiscountApprovedGMTitle: s("Discount request approved at the General Manager stage"),
	DiscountRejectedKATitle: s("Discount request rejected at the KA Department stage"),
	DiscountRejectedGMTitle: s("Discount request rejected at the General Manager stage"),
	DiscountNextGMBody:      s("the General Manager now decides; comment: %[1]s"),
	DiscountNowApprovedBody: s("the request is approved; comment: %[1]s"),
	DiscountNowRejectedBody: s("the request is rejected; comment: %[1]s"),
	DiscountAwaitingGMTitle: s("Beyond-standard discount awaits your decision"),
	DiscountAwaitingGMBody:  s("Approved by the KA Department; Art. 12 requires the General Manager's approval"),
	DiscountEscalatedTitle:  s("Discount request escalated to the General Manager"),
	DiscountEscalatedBody:   s("The KA Department did not decide within %[1]s; the General Manager may now decide"),
	DiscountExpiredTitle:    s("Discount request expired"),
	DiscountExpiredBody:     s("No decision within %[1]s of reaching the General Manager"),
	DiscountReminderTitle:   s("Discount request awaiting your decision"),
	DiscountReminderKABody:  s("Pending at the KA Department stage; deadline %[1]s"),
	DiscountReminderGMBody:  s("Pending at the General Manager stage; deadline %[1]s"),
	DiscountFiledTitle:      s("Standard discount filed with you (备案)"),
	DiscountFiledBody:       s("Approved within the standard by the KA Department; acknowledge it under /v1/filings"),
	DiscountGrantedTitle:    s("Discount granted"),
	DiscountGrantedBody:     s("The discount is now part of the account's discount standard"),
	GrantExpiringTitle:      s("Discount grant ends soon"),
	GrantExpiringBody:       s("Ends %[1]s"),
	GrantEndedTitle:         s("Discount grant ended"),
	GrantEndedBody:          s("valid_to has passed"),
	GrantRevokedTitle:       s("Discount grant revoked"),
	GrantRevokedBody:        s("The grant ended on revocation; reason: %[1]s"),
	RevocationFiledTitle:    s("Discount revocation filed with you (备案)"),
	RevocationFiledBody:     s("A discount grant was revoked; the filing is under /v1/filings"),

	HandoverFailedTitle:   s("Staff handover stopped"),
	HandoverFailedBody:    s("%[1]s; moved before it stopped: accounts %[2]d, pending discount requests %[3]d, greeting tasks %[4]d"),
	HandoverReceivedTitle: s("Accounts handed over to you"),
	HandoverReceivedBody:  s("Now yours (Art. 20): accounts %[1]d, pending discount requests %[2]d, greeting tasks %[3]d"),
	HandoverDoneTitle:     s("Staff handover done"),
	HandoverDoneBody:      s("Moved to staff member %[4]s: accounts %[1]d, pending discount requests %[2]d, greeting tasks %[3]d"),

	HandoverReceiverGone: s("staff member %[1]s is no longer an active account manager"),

	DelegationTitle: s("Approvals delegated"),
	DelegationBody:  s("%[1]s's approvals are delegated to %[2]s from %[3]s to %[4]s: %[5]s"),

	RegisterCheckpointTitle:  s("Access register checkpoint"),
	GreetingBody:             s("On %[1]s"),
	GreetingGiftBody:         s("On %[1]s; a gift is prepared for this tier"),
	GreetingBirthdayTitle:    s("Birthday of %[2]s (%[1]s)"),
	GreetingAnniversaryTitle: s("Anniversary of %[1]s (founded %[2]s)"),
	GreetingHolidayTitle:     s("%[2]s greetings to %[1]s"),

	TaskDecideStandardTitle: s("Decide the discount of %[1]s%% on %[2]s for %[3]s (within the standard)"),
	TaskDecideBeyondTitle:   s("Decide the discount of %[1]s%% on %[2]s for %[3]s (beyond the standard)"),
	TaskAcknowledgeTitle:    s("Acknowledge the filed discount of %[1]s%% on %[2]s for %[3]s"),
	TaskRespondTitle:        s("Respond to %[1]s's ticket: %[2]s"),
	TaskResolveTitle:        s("Resolve %[1]s's ticket: %[2]s"),
	TaskVisitTitle:          s("Visit %[1]s"),
	TaskArchiveTitle:        s("Complete the archive of %[1]s: %[2]s"),
	TaskStatementTitle:      s("Collect %[1]s overdue from %[2]s"),

	VersionConflictDetail: s("the record is at version %[1]d, not %[2]d"),
	OutstandingBalance:    s("the account still owes %[1]s; credit closes only when nothing is outstanding"),
	HasAssignmentsDetail: plural.Selectf(1, "%d",
		"one", "%[1]d account is assigned to this person; name handover_to (an active account manager) to move it",
		"other", "%[1]d accounts are assigned to this person; name handover_to (an active account manager) to move them"),
	DroppedFields: plural.Selectf(1, "%d",
		"one", " (%[1]d more offending field not listed)",
		"other", " (%[1]d more offending fields not listed)"),
	ImportRejectedDetail: plural.Selectf(1, "%d",
		"one", "%[1]d error; nothing was imported",
		"other", "%[1]d errors; nothing was imported"),
	ImportRejectedDryDetail: plural.Selectf(1, "%d",
		"one", "%[1]d error (dry run)",
		"other", "%[1]d errors (dry run)"),
}

// zh uses the regulation's own words: 大客户, 客户档案 (Art. 7), 优惠 and 备案
// (Art. 11–12), 记欠/欠费 and 信用 (Art. 10, 13), 走访 (Art. 20), 大客户部,
// 总经理, 客户经理.
var zh = map[Key]catalog.Message{
	VisitCadenceInvalidTitle: s("走访周期永不到期"),
	VisitCadenceInvalidBody:  s("该客户级别的走访周期 %[1]q 在五年内不会触发；更正前不安排走访"),
	VisitDueTitle:            s("走访到期"),
	VisitDueBody:             s("定期走访（第二十条）将于 %[1]s 到期"),
	VisitDueHandedOverBody:   s("定期走访（第二十条）将于 %[1]s 到期；该客户已移交给您"),
	VisitMissedTitle:         s("走访逾期未做"),
	VisitMissedBody:          s("截至 %[1]s 未登记走访记录"),

	TicketResponseBreachedTitle:   s("工单未按时响应"),
	TicketResponseBreachedBody:    s("截至 %[1]s 未响应"),
	TicketResolutionBreachedTitle: s("工单未按时解决"),
	TicketResolutionBreachedBody:  s("截至 %[1]s 未解决"),

	InspectionDoneTitle: s("优惠执行检查已完成"),
	InspectionDoneBody:  s("抽查 %[2]d 项优惠，发现 %[1]d 个问题；详见 /v1/inspections/%[3]s"),
	InspectionYoursBody: s("在您负责的客户中发现 %[1]d 个问题，由审计人员跟进（第十四条）"),
	TierReviewDoneTitle: s("大客户分级评审已完成"),
	TierReviewDoneBody:  s("已对 %[1]d 个在用客户按 %[2]s 至 %[3]s 评级；%[4]d 项调整建议待您决定：/v1/tier-reviews/%[5]s"),

	ArchiveIncompleteTitle: s("客户档案不完整"),
	ArchiveIncompleteBody:  s("仍缺（第七条）：%[1]s"),
	ArchiveEscalatedTitle:  s("客户档案仍不完整"),
	ArchiveEscalatedBody:   s("建档 %[1]s 后仍不完整；缺：%[2]s"),

	CycleInvalidTitle:     s("结算周期永不结账"),
	CycleInvalidBody:      s("结算周期 %[1]q 在五年内不会触发；信用协议的结算周期更正前不出账单"),
	PaymentReminderTitle:  s("账单即将到期"),
	PaymentReminderBody:   s("账单 %[1]s 将于 %[2]s 到期"),
	CreditSuspendedTitle:  s("已停止记欠业务"),
	CreditSuspendedBody:   s("已停止使用记欠业务：账单 %[1]s 截至 %[2]s 未结算"),
	DunningTitle:          s("催缴通知（第 %[1]d 次，共 %[2]d 次）"),
	DunningEscalatedTitle: s("催缴通知（第 %[1]d 次，共 %[2]d 次）：已上报总经理"),
	DunningBody:           s("追回欠费：账单 %[1]s 自 %[2]s 起逾期"),
	CreditReinstatedTitle: s("已恢复记欠业务"),
	CreditReinstatedBody:  s("已无逾期欠费；记欠业务重新开放"),
	ArrearsWarningTitle:   s("欠费预警"),
	ArrearsWarningBody:    s("欠费已达欠费额度的 %[1]s"),

	DiscountApprovedKATitle: s("优惠申请已获大客户部审批通过"),
	DiscountApprovedGMTitle: s("优惠申请已获总经理审批通过"),
	DiscountRejectedKATitle: s("优惠申请被大客户部驳回"),
	DiscountRejectedGMTitle: s("优惠申请被总经理驳回"),
	DiscountNextGMBody:      s("下一步由总经理审批；意见：%[1]s"),
	DiscountNowApprovedBody: s("申请已批准；意见：%[1]s"),
	DiscountNowRejectedBody: s("申请已驳回；意见：%[1]s"),
	DiscountAwaitingGMTitle: s("超出规定标准的优惠待您审批"),
	DiscountAwaitingGMBody:  s("大客户部已审批通过；依第十二条，优惠幅度超出规定的须报总经理审批"),
	DiscountEscalatedTitle:  s("优惠申请已上报总经理"),
	DiscountEscalatedBody:   s("大客户部未在 %[1]s 内审批；现可由总经理审批"),
	DiscountExpiredTitle:    s("优惠申请已过期"),
	DiscountExpiredBody:     s("上报总经理后 %[1]s 内未作决定"),
	DiscountReminderTitle:   s("优惠申请待您审批"),
	DiscountReminderKABody:  s("待大客户部审批；截止 %[1]s"),
	DiscountReminderGMBody:  s("待总经理审批；截止 %[1]s"),
	DiscountFiledTitle:      s("标准内优惠报您备案"),
	DiscountFiledBody:       s("大客户部已在规定标准内审批通过；请在 /v1/filings 确认备案"),
	DiscountGrantedTitle:    s("优惠已批准"),
	DiscountGrantedBody:     s("该优惠已列入客户的优惠标准"),
	GrantExpiringTitle:      s("优惠即将到期"),
	GrantExpiringBody:       s("于 %[1]s 截止"),
	GrantEndedTitle:         s("优惠已到期"),
	GrantEndedBody:          s("已过优惠截止时间（valid_to）"),
	GrantRevokedTitle:       s("优惠已撤销"),
	GrantRevokedBody:        s("优惠因撤销而终止；原因：%[1]s"),
	RevocationFiledTitle:    s("优惠撤销报您备案"),
	RevocationFiledBody:     s("一项优惠已被撤销；备案见 /v1/filings"),

	HandoverFailedTitle:   s("客户移交已中止"),
	HandoverFailedBody:    s("%[1]s；中止前已移交：%[2]d 个客户、%[3]d 项待审批的优惠申请、%[4]d 项慰问任务"),
	HandoverReceivedTitle: s("客户已移交给您"),
	HandoverReceivedBody:  s("%[1]d 个客户、%[2]d 项待审批的优惠申请、%[3]d 项慰问任务现由您负责（第二十条）"),
	HandoverDoneTitle:     s("客户移交已完成"),
	HandoverDoneBody:      s("%[1]d 个客户、%[2]d 项待审批的优惠申请、%[3]d 项慰问任务已移交给员工 %[4]s"),

	HandoverReceiverGone: s("员工 %[1]s 已不再是在职的客户经理"),

	DelegationTitle: s("审批已委托"),
	DelegationBody:  s("%[1]s 的审批自 %[3]s 至 %[4]s 委托给 %[2]s：%[5]s"),

	RegisterCheckpointTitle:  s("查阅登记检查点"),
	GreetingBody:             s("日期：%[1]s"),
	GreetingGiftBody:         s("日期：%[1]s；已为该级别客户准备礼品"),
	GreetingBirthdayTitle:    s("%[2]s（%[1]s）生日"),
	GreetingAnniversaryTitle: s("%[1]s 成立纪念日（成立于 %[2]s）"),
	GreetingHolidayTitle:     s("%[2]s 节日慰问：%[1]s"),

	TaskDecideStandardTitle: s("审批 %[3]s 的 %[2]s 优惠 %[1]s%%（规定标准内）"),
	TaskDecideBeyondTitle:   s("审批 %[3]s 的 %[2]s 优惠 %[1]s%%（超出规定标准）"),
	TaskAcknowledgeTitle:    s("确认 %[3]s 的 %[2]s 优惠 %[1]s%% 备案"),
	TaskRespondTitle:        s("响应 %[1]s 的工单：%[2]s"),
	TaskResolveTitle:        s("解决 %[1]s 的工单：%[2]s"),
	TaskVisitTitle:          s("走访 %[1]s"),
	TaskArchiveTitle:        s("补全 %[1]s 的客户档案：%[2]s"),
	TaskStatementTitle:      s("向 %[2]s 催收逾期欠费 %[1]s"),

	VersionConflictDetail:   s("记录当前为第 %[1]d 版，而非第 %[2]d 版"),
	OutstandingBalance:      s("该客户仍欠费 %[1]s；欠费全部结清后方可关闭信用"),
	HasAssignmentsDetail:    s("此人名下仍有 %[1]d 个客户；请填写 handover_to（在职的客户经理）以移交"),
	DroppedFields:           s("（另有 %[1]d 个字段未列出）"),
	ImportRejectedDetail:    s("%[1]d 处错误；未导入任何数据"),
	ImportRejectedDryDetail: s("%[1]d 处错误（试运行）"),
}
