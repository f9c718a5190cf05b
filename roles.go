package kam

// Roles (SPEC §2; Art. 4, 5, 9, 12).
const (
	RoleAdmin          = "admin"
	RoleGeneralManager = "general_manager"
	RoleKAManager      = "ka_manager"
	RoleAccountManager = "account_manager"
	RoleDataClerk      = "data_clerk"
	RoleServiceAgent   = "service_agent"
	RoleFinance        = "finance"
	RoleAuditor        = "auditor"
)

// Roles lists every role, in SPEC order.
var Roles = []string{RoleAdmin, RoleGeneralManager, RoleKAManager, RoleAccountManager,
	RoleDataClerk, RoleServiceAgent, RoleFinance, RoleAuditor}
