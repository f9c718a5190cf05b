package i18n

// Keys of notices: a title and a body per event; the body's arguments are
// documented beside each. Times and durations come as text (formatted by the
// caller), counts as integers (plural rules pick the words).
const (
	VisitCadenceInvalidTitle Key = "notice.visit_cadence_invalid.title"
	VisitCadenceInvalidBody  Key = "notice.visit_cadence_invalid.body" // cadence
	VisitDueTitle            Key = "notice.visit_due.title"
	VisitDueBody             Key = "notice.visit_due.body"             // due
	VisitDueHandedOverBody   Key = "notice.visit_due.handed_over.body" // due
	VisitMissedTitle         Key = "notice.visit_missed.title"
	VisitMissedBody          Key = "notice.visit_missed.body" // by

	TicketResponseBreachedTitle   Key = "notice.ticket_response_breached.title"
	TicketResponseBreachedBody    Key = "notice.ticket_response_breached.body" // by
	TicketResolutionBreachedTitle Key = "notice.ticket_resolution_breached.title"
	TicketResolutionBreachedBody  Key = "notice.ticket_resolution_breached.body" // by

	InspectionDoneTitle Key = "notice.inspection_done.title"
	InspectionDoneBody  Key = "notice.inspection_done.body" // findings, sample size, inspection id
	// InspectionYoursBody is an account manager's: the findings on their own
	// accounts only, without the inspection's link (auditors only may open it).
	InspectionYoursBody Key = "notice.inspection_done.yours_body" // findings on the reader's accounts
	TierReviewDoneTitle Key = "notice.tier_review_done.title"
	TierReviewDoneBody  Key = "notice.tier_review_done.body" // graded, from, to, proposals, review id

	ArchiveIncompleteTitle Key = "notice.archive_incomplete.title"
	ArchiveIncompleteBody  Key = "notice.archive_incomplete.body" // missing sections
	ArchiveEscalatedTitle  Key = "notice.archive_escalated.title"
	ArchiveEscalatedBody   Key = "notice.archive_escalated.body" // after, missing sections

	CycleInvalidTitle       Key = "notice.cycle_invalid.title"
	CycleInvalidBody        Key = "notice.cycle_invalid.body" // cycle
	PaymentReminderTitle    Key = "notice.payment_reminder.title"
	PaymentReminderBody     Key = "notice.payment_reminder.body" // statement, due
	CreditSuspendedTitle    Key = "notice.credit_suspended.title"
	CreditSuspendedBody     Key = "notice.credit_suspended.body"   // statement, due
	DunningTitle            Key = "notice.dunning.title"           // n, of
	DunningEscalatedTitle   Key = "notice.dunning.escalated.title" // n, of
	DunningBody             Key = "notice.dunning.body"            // statement, due
	CreditReinstatedTitle   Key = "notice.credit_reinstated.title"
	CreditReinstatedBody    Key = "notice.credit_reinstated.body"
	ArrearsWarningTitle     Key = "notice.arrears_warning.title"
	ArrearsWarningBody      Key = "notice.arrears_warning.body" // ratio
	DiscountApprovedKATitle Key = "notice.discount_approved.ka_department.title"
	DiscountApprovedGMTitle Key = "notice.discount_approved.general_manager.title"
	DiscountRejectedKATitle Key = "notice.discount_rejected.ka_department.title"
	DiscountRejectedGMTitle Key = "notice.discount_rejected.general_manager.title"
	DiscountNextGMBody      Key = "notice.discount_decided.next_gm.body"  // comment
	DiscountNowApprovedBody Key = "notice.discount_decided.approved.body" // comment
	DiscountNowRejectedBody Key = "notice.discount_decided.rejected.body" // comment
	DiscountAwaitingGMTitle Key = "notice.discount_awaiting_decision.title"
	DiscountAwaitingGMBody  Key = "notice.discount_awaiting_decision.body"
	DiscountEscalatedTitle  Key = "notice.discount_escalated.title"
	DiscountEscalatedBody   Key = "notice.discount_escalated.body" // after
	DiscountExpiredTitle    Key = "notice.discount_expired.title"
	DiscountExpiredBody     Key = "notice.discount_expired.body" // timeout
	DiscountReminderTitle   Key = "notice.discount_reminder.title"
	DiscountReminderKABody  Key = "notice.discount_reminder.ka_department.body"   // deadline
	DiscountReminderGMBody  Key = "notice.discount_reminder.general_manager.body" // deadline
	DiscountFiledTitle      Key = "notice.discount_filed.title"
	DiscountFiledBody       Key = "notice.discount_filed.body"
	DiscountGrantedTitle    Key = "notice.discount_granted.title"
	DiscountGrantedBody     Key = "notice.discount_granted.body"
	GrantExpiringTitle      Key = "notice.grant_expiring.title"
	GrantExpiringBody       Key = "notice.grant_expiring.body" // ends
	GrantEndedTitle         Key = "notice.grant_ended.title"
	GrantEndedBody          Key = "notice.grant_ended.body"
	GrantRevokedTitle       Key = "notice.grant_revoked.title"
	GrantRevokedBody        Key = "notice.grant_revoked.body" // reason
	RevocationFiledTitle    Key = "notice.discount_revocation_filed.title"
	RevocationFiledBody     Key = "notice.discount_revocation_filed.body"

	HandoverFailedTitle   Key = "notice.handover_failed.title"
	HandoverFailedBody    Key = "notice.handover_failed.body" // reason, accounts, requests, greetings
	HandoverReceivedTitle Key = "notice.handover_received.title"
	HandoverReceivedBody  Key = "notice.handover_received.body" // accounts, requests, greetings
	HandoverDoneTitle     Key = "notice.handover_done.title"
	HandoverDoneBody      Key = "notice.handover_done.body" // accounts, requests, greetings, to

	// A delegation of approvals made (SPEC §7): to the deputy, and to the
	// delegator when the admin made it for them.
	DelegationTitle Key = "notice.delegation.title"
	DelegationBody  Key = "notice.delegation.body" // delegator, deputy, starts_at, ends_at, reason

	// Why a handover stopped (HandoverFailedBody's reason).
	HandoverReceiverGone Key = "notice.handover_failed.receiver_gone" // receiver

	RegisterCheckpointTitle Key = "notice.register_checkpoint.title"
	GreetingBody            Key = "notice.greeting_task.body"      // occasion date
	GreetingGiftBody        Key = "notice.greeting_task.gift.body" // occasion date
	// A greeting task's title, in its notice, the greeting list and the task
	// list.
	GreetingBirthdayTitle    Key = "greeting.birthday.title"    // account, key person
	GreetingAnniversaryTitle Key = "greeting.anniversary.title" // account, founding date
	GreetingHolidayTitle     Key = "greeting.holiday.title"     // account, holiday
)

// Keys of the titles of GET /v1/me/tasks, one per kind (and route or status
// where the words differ); a greeting's is its GreetingXTitle.
const (
	TaskDecideStandardTitle Key = "task.discount_decision.standard.title"        // rate, category, account
	TaskDecideBeyondTitle   Key = "task.discount_decision.beyond_standard.title" // rate, category, account
	TaskAcknowledgeTitle    Key = "task.filing_acknowledgement.title"            // rate, category, account
	TaskRespondTitle        Key = "task.ticket.respond.title"                    // account, subject
	TaskResolveTitle        Key = "task.ticket.resolve.title"                    // account, subject
	TaskVisitTitle          Key = "task.visit_due.title"                         // account
	TaskArchiveTitle        Key = "task.archive_incomplete.title"                // account, missing sections
	TaskStatementTitle      Key = "task.statement_overdue.title"                 // amount, account
)

// ProblemKey is the key of a problem code's detail: the words a caller reads
// for a refusal that names no message of its own.
func ProblemKey(code string) Key { return Key("problem." + code) }

// Keys of problem details with arguments (kam.Error.Key).
const (
	VersionConflictDetail   Key = "problem.version_conflict.at"      // have, sent
	OutstandingBalance      Key = "problem.outstanding_balance.owes" // amount
	HasAssignmentsDetail    Key = "problem.has_assignments.count"    // accounts
	DroppedFields           Key = "problem.dropped_fields"           // count
	ImportRejectedDetail    Key = "problem.import_rejected.count"    // errors
	ImportRejectedDryDetail Key = "problem.import_rejected.dry_run"  // errors
)
