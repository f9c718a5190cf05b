// What each role may ask for (SPEC §2), so the console does not make reads
// it knows will be refused. The API stays the judge: a section it refuses
// anyway (403/404) is hidden too.
const R = {
  admin: 'admin', gm: 'general_manager', ka: 'ka_manager', am: 'account_manager',
  clerk: 'data_clerk', agent: 'service_agent', fin: 'finance', aud: 'auditor',
};
const table = {
  accounts: [R.gm, R.ka, R.am, R.clerk, R.agent, R.fin, R.aud],
  createAccount: [R.ka, R.clerk],
  assign: [R.ka],
  recordVisits: [R.ka, R.am],
  editArchive: [R.ka, R.am, R.clerk],
  credit: [R.gm, R.ka, R.am, R.fin, R.aud],
  editCredit: [R.ka, R.fin],
  ledger: [R.fin],
  creditOverview: [R.fin, R.ka, R.gm, R.aud],
  discounts: [R.gm, R.ka, R.am, R.fin, R.aud],
  requestDiscount: [R.ka, R.am],
  decideDiscount: [R.ka, R.gm],
  grants: [R.gm, R.ka, R.am, R.fin, R.aud],
  revokeGrant: [R.ka, R.gm],
  filings: [R.gm, R.ka, R.aud],
  acknowledgeFiling: [R.gm],
  tickets: [R.gm, R.ka, R.am, R.agent, R.aud],
  handleTickets: [R.ka, R.am, R.agent],
  visits: [R.gm, R.ka, R.am, R.clerk, R.agent, R.fin, R.aud],
  sales: [R.gm, R.ka, R.am, R.fin, R.aud],
  reports: [R.gm, R.ka, R.am, R.fin, R.aud],
  teamReports: [R.gm, R.ka, R.fin, R.aud],
  register: [R.aud],
  inspections: [R.gm, R.aud],
  runInspection: [R.aud],
  // Delegations of approvals (SPEC §7): those who decide approvals delegate
  // their own, the admin anyone's; the GM and the auditor see them all.
  delegations: [R.admin, R.gm, R.ka, R.aud],
  delegate: [R.admin, R.gm, R.ka],
  delegateForAnyone: [R.admin],
  seeAllDelegations: [R.admin, R.gm, R.aud],
  // Staff (SPEC §7 "Staff and identity"): the admin manages people and
  // tokens; the KA manager reads them and hands a manager's accounts over.
  listStaff: [R.admin, R.gm, R.ka],
  people: [R.admin, R.ka],
  manageStaff: [R.admin],
  handOver: [R.admin, R.ka],
  // Tier reviews (Art. 2, 3): the KA Department runs and decides them.
  tierReviews: [R.gm, R.ka, R.aud],
  reviewTiers: [R.ka],
};

export function may(role, what) {
  return (table[what] || []).includes(role);
}
