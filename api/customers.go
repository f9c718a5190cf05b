package api

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
	"kam/workflows"
)

// Sections of the archive as the access register names them.
var (
	profileSections = []string{kam.SectionBasics, kam.SectionContact, kam.SectionService}
	contactSections = []string{"contacts"}
	personSections  = []string{kam.SectionKeyPersons}
	historySections = []string{"history"}
	creditSections  = []string{kam.SectionCredit}
)

// CustomerFields are the optional Art. 7 fields, shared by create and patch.
// An empty string clears an optional text field.
type CustomerFields struct {
	Nature              *string `json:"nature,omitempty" maxLength:"100" doc:"Ownership (Art. 7.1)"`
	Industry            *string `json:"industry,omitempty" maxLength:"100"`
	ProductCategory     *string `json:"product_category,omitempty" maxLength:"100"`
	Tier                *string `json:"tier,omitempty" minLength:"1" maxLength:"16" doc:"Tier code (S, A, B); ka_manager only"`
	ServiceMode         *string `json:"service_mode,omitempty" enum:"account_manager,resident"`
	LegalRepresentative *string `json:"legal_representative,omitempty" maxLength:"100"`
	CompanySize         *string `json:"company_size,omitempty" maxLength:"100"`
	MainProducts        *string `json:"main_products,omitempty" maxLength:"1000"`
	AnnualOutputValue   *string `json:"annual_output_value,omitempty" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99" doc:"Money as a decimal string"`
	Credibility         *string `json:"credibility,omitempty" maxLength:"100"`
	ProfitStatus        *string `json:"profit_status,omitempty" maxLength:"100"`
	AccountManagerID    *string `json:"account_manager_id,omitempty" format:"uuid" doc:"ka_manager only"`
	FoundedOn           *string `json:"founded_on,omitempty" format:"date"`
	Address             *string `json:"address,omitempty" maxLength:"500"`
	Postcode            *string `json:"postcode,omitempty" maxLength:"20"`
	Phone               *string `json:"phone,omitempty" maxLength:"50"`
	Fax                 *string `json:"fax,omitempty" maxLength:"50"`
	Email               *string `json:"email,omitempty" maxLength:"254"`
}

// CustomerCreate opens an archive.
type CustomerCreate struct {
	Code   string  `json:"code" minLength:"1" maxLength:"64" pattern:"^[A-Za-z0-9][A-Za-z0-9._-]*$" doc:"Unique customer code"`
	Name   string  `json:"name" minLength:"1" maxLength:"200"`
	Status *string `json:"status,omitempty" enum:"active,churned" doc:"ka_manager only. An account is opened active: churned is 422 use_churn_register (churn through POST /v1/customers/{id}/churn)"`
	CustomerFields
}

// CustomerPatch changes an archive; absent fields stay as they are.
type CustomerPatch struct {
	Code *string `json:"code,omitempty" minLength:"1" maxLength:"64" pattern:"^[A-Za-z0-9][A-Za-z0-9._-]*$"`
	Name *string `json:"name,omitempty" minLength:"1" maxLength:"200"`
	// Status is in the schema only to be refused by name: an account is lost
	// through the churn register (Art. 8.4), never by an edit.
	Status any `json:"status,omitempty" doc:"Not patchable: 422 use_churn_register; churn through POST /v1/customers/{id}/churn, win back through .../reactivate"`
	CustomerFields
}

// Customer is an archive as the API shows it.
type Customer struct {
	ID                  string    `json:"id" format:"uuid"`
	Code                string    `json:"code"`
	Name                string    `json:"name"`
	Nature              *string   `json:"nature"`
	Industry            *string   `json:"industry"`
	ProductCategory     *string   `json:"product_category"`
	Tier                string    `json:"tier"`
	ServiceMode         string    `json:"service_mode"`
	LegalRepresentative *string   `json:"legal_representative"`
	CompanySize         *string   `json:"company_size"`
	MainProducts        *string   `json:"main_products"`
	AnnualOutputValue   *string   `json:"annual_output_value"`
	Credibility         *string   `json:"credibility"`
	ProfitStatus        *string   `json:"profit_status"`
	Status              string    `json:"status"`
	AccountManagerID    *string   `json:"account_manager_id"`
	FoundedOn           *string   `json:"founded_on"`
	Address             *string   `json:"address"`
	Postcode            *string   `json:"postcode"`
	Phone               *string   `json:"phone"`
	Fax                 *string   `json:"fax"`
	Email               *string   `json:"email"`
	CreditLevel         *string   `json:"credit_level,omitempty" doc:"Credit grade (Art. 7.7); shown only to those who may see credit"`
	Version             int32     `json:"version"`
	ArchiveComplete     bool      `json:"archive_complete" doc:"Every Art. 7 section is filled in"`
	MissingSections     []string  `json:"missing_sections" doc:"Art. 7 sections still empty: basics, contact, key_persons, service, credit"`
	OpenedOn            string    `json:"opened_on" format:"date" doc:"The day the account became a key account: its creation day, or the earlier day an import named; the reports count it from then"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

func customerOut(ar store.Archive, role string) Customer {
	c, missing := ar.Customer, ar.Missing
	var creditLevel *string
	if can(role, capReadCredit) {
		creditLevel = ar.CreditLevel
	} else {
		// Art. 9: a caller without credit access learns nothing of it.
		missing = slices.DeleteFunc(slices.Clone(missing), func(s string) bool { return s == kam.SectionCredit })
	}
	out := Customer{
		ID: c.ID.String(), Code: c.Code, Name: c.Name, Nature: c.Nature, Industry: c.Industry,
		ProductCategory: c.ProductCategory, Tier: c.Tier, ServiceMode: c.ServiceMode,
		LegalRepresentative: c.LegalRepresentative, CompanySize: c.CompanySize,
		MainProducts: c.MainProducts, AnnualOutputValue: optMoneyString(c.AnnualOutputValue),
		Credibility: c.Credibility, ProfitStatus: c.ProfitStatus, Status: c.Status,
		AccountManagerID: uuidString(c.AccountManagerID), FoundedOn: dateString(c.FoundedOn),
		Address: c.Address, Postcode: c.Postcode, Phone: c.Phone, Fax: c.Fax, Email: c.Email,
		Version: c.Version, OpenedOn: dateText(c.OpenedOn), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		MissingSections: missing, CreditLevel: creditLevel,
	}
	if out.MissingSections == nil {
		out.MissingSections = []string{}
	}
	out.ArchiveComplete = len(missing) == 0
	return out
}

type customerOutput struct {
	ETag string `header:"ETag"`
	Body Customer
}

type customerID struct {
	ID string `path:"id" format:"uuid" doc:"Account id"`
}

// patchOf validates the shared fields and turns them into a store patch.
func patchOf(f CustomerFields) (store.CustomerPatch, error) {
	p := store.CustomerPatch{
		Nature: f.Nature, Industry: f.Industry, ProductCategory: f.ProductCategory, Tier: f.Tier,
		ServiceMode: f.ServiceMode, LegalRepresentative: f.LegalRepresentative, CompanySize: f.CompanySize,
		MainProducts: f.MainProducts, Credibility: f.Credibility, ProfitStatus: f.ProfitStatus,
		Address: f.Address, Postcode: f.Postcode, Phone: f.Phone, Fax: f.Fax, Email: f.Email,
	}
	var bad fieldErrors
	var err error
	p.AnnualOutputValue, err = optMoney("body.annual_output_value", f.AnnualOutputValue)
	bad.add(err)
	p.AccountManagerID, err = optUUID("body.account_manager_id", f.AccountManagerID)
	bad.add(err)
	p.FoundedOn, err = optDate("body.founded_on", f.FoundedOn)
	bad.add(err)
	bad.add(validEmail("body.email", f.Email))
	return p, bad.err()
}

// assigns tells whether the fields touch what only the KA Department decides.
func assigns(f CustomerFields) bool {
	return f.Tier != nil || f.AccountManagerID != nil
}

func (s *Server) customerRoutes() {
	huma.Register(s.api, created(op("create-customer", http.MethodPost, "/v1/customers", "Open a key-account archive (Art. 6, 7)", "archive")), s.createCustomer)
	huma.Register(s.api, op("list-customers", http.MethodGet, "/v1/customers", "List accounts within your scope", "archive"), s.listCustomers)
	huma.Register(s.api, heavyWith(op("get-customer", http.MethodGet, "/v1/customers/{id}", "Read an account's archive", "archive"), "as_of"), s.getCustomer)
	patch := op("update-customer", http.MethodPatch, "/v1/customers/{id}", "Change an account's archive (If-Match: version)", "archive")
	patch.Errors = append(patch.Errors, 409, 412)
	huma.Register(s.api, patch, s.updateCustomer)
	huma.Register(s.api, created(op("add-contact", http.MethodPost, "/v1/customers/{id}/contacts", "Add a contact person (Art. 7.2)", "archive")), s.addContact)
	huma.Register(s.api, op("list-contacts", http.MethodGet, "/v1/customers/{id}/contacts", "List contact persons", "archive"), s.listContacts)
	huma.Register(s.api, created(op("add-key-person", http.MethodPost, "/v1/customers/{id}/key-persons", "Add a key person (Art. 7.3)", "archive")), s.addKeyPerson)
	huma.Register(s.api, op("list-key-persons", http.MethodGet, "/v1/customers/{id}/key-persons", "List key persons", "archive"), s.listKeyPersons)
	s.upkeepRoutes()
	huma.Register(s.api, op("list-history", http.MethodGet, "/v1/customers/{id}/history", "Every change of the archive: who, when, field, old, new", "archive"), s.listHistory)
}

func (s *Server) createCustomer(ctx context.Context, in *struct{ Body CustomerCreate }) (*customerOutput, error) {
	p := callerOf(ctx)
	if !can(p.Role, capCreateArchive) {
		return nil, s.deny(ctx, uuid.Nil, profileSections, forbidden("only the KA Department and data clerks open archives"))
	}
	if (assigns(in.Body.CustomerFields) || in.Body.Status != nil) && !can(p.Role, capAssign) {
		return nil, s.deny(ctx, uuid.Nil, profileSections, kam.ErrAssignedFields)
	}
	patch, err := patchOf(in.Body.CustomerFields)
	if err != nil {
		return nil, err
	}
	patch.Code, patch.Name, patch.Status = &in.Body.Code, &in.Body.Name, in.Body.Status
	// The opening is registered in the archive's own transaction (Art. 9);
	// the store names the new account in the entry.
	c, err := archiveWrite(s, ctx, nil, archiveShown(p.Role), func(ctx context.Context) (kam.Customer, error) {
		return s.store.CreateCustomer(ctx, patch, p.ID)
	})
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	s.startAccount(ctx, c)
	out, err := s.customerAnswer(ctx, store.Scope{}, c.ID, p.Role)
	if err != nil {
		return nil, err
	}
	out.ETag = etag(c.Version) // the version this request created
	return out, nil
}

// startAccount starts the runs that follow a new account. Art. 7.1: a new
// archive is followed until it is complete. The runs start after commit; a
// lost start is made up for by the Reconcile schedule (workflows.Reconcile),
// so the archive stands without them.
func (s *Server) startAccount(ctx context.Context, c kam.Customer) {
	if err := s.procs.StartOnboarding(ctx, c.ID); err != nil {
		s.log.Warn("start onboarding", "customer", c.ID, "error", err)
	}
	if c.Status == "active" {
		// Art. 20: regular visits from the start (Reconcile makes up for a failure).
		if err := s.procs.StartVisitPlan(ctx, c.ID); err != nil {
			s.log.Warn("start visit plan", "customer", c.ID, "error", err)
		}
		s.greetNow(ctx, &c.ID, nil)
	}
}

// customerAnswer reads an account back after a change, as the caller's role
// sees it, with its version as ETag.
// archiveShown is what an archive answer shows a role, and so the sections
// its register entry names: the profile, and the credit grade to a role that
// may read credit (Art. 7.7, 9). An idempotency replay checks the caller
// against these sections again.
func archiveShown(role string) []string {
	if can(role, capReadCredit) {
		return append(slices.Clone(profileSections), kam.SectionCredit)
	}
	return profileSections
}

func (s *Server) customerAnswer(ctx context.Context, scope store.Scope, id uuid.UUID, role string) (*customerOutput, error) {
	ar, err := s.store.GetArchive(ctx, scope, id)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &customerOutput{ETag: etag(ar.Customer.Version), Body: customerOut(ar, role)}, nil
}

type listCustomersInput struct {
	Tier             string `query:"tier" maxLength:"16"`
	Industry         string `query:"industry" maxLength:"100"`
	Status           string `query:"status" maxLength:"16" doc:"active or churned"`
	AccountManagerID string `query:"account_manager_id" format:"uuid"`
	Q                string `query:"q" maxLength:"100" doc:"Substring of name or code"`
	Limit            int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor           string `query:"cursor" maxLength:"1024"`
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) listCustomers(ctx context.Context, in *listCustomersInput) (*struct{ Body Page[Customer] }, error) {
	r := archiveRead{need: capReadArchive, sections: archiveShown(callerOf(ctx).Role), action: kam.AccessList, refusal: "your role does not read account archives"}
	page, err := readList(s, ctx, r, func(ctx context.Context, scope store.Scope) (Page[Customer], []uuid.UUID, error) {
		f, err := customerFilter(in)
		if err != nil {
			return Page[Customer]{}, nil, err
		}
		rows, err := s.store.ListCustomers(ctx, scope, f)
		if err != nil {
			return Page[Customer]{}, nil, err
		}
		role := callerOf(ctx).Role
		page := pageOf(rows, in.Limit, func(a store.Archive) Customer { return customerOut(a, role) },
			func(a store.Archive) string { return encodeCursor("customers", a.Customer.ID.String()) })
		return page, accountsOf(rows[:len(page.Items)], func(a store.Archive) uuid.UUID { return a.Customer.ID }), nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Customer] }{Body: page}, nil
}

// customerFilter reads a customer list's cursor and filters.
func customerFilter(in *listCustomersInput) (store.CustomerFilter, error) {
	var bad fieldErrors
	after, err := uuidCursor(in.Cursor, "customers")
	bad.add(err)
	if in.Status != "" && in.Status != "active" && in.Status != "churned" {
		bad.field("query.status", "status is active or churned")
	}
	mgr, err := optUUID("query.account_manager_id", nonEmpty(in.AccountManagerID))
	bad.add(err)
	if err := bad.err(); err != nil {
		return store.CustomerFilter{}, err
	}
	return store.CustomerFilter{
		Tier: nonEmpty(in.Tier), Industry: nonEmpty(in.Industry), Status: nonEmpty(in.Status),
		Q: nonEmpty(in.Q), AccountManagerID: mgr, After: after, Limit: int32(in.Limit + 1),
	}, nil
}

type getCustomerInput struct {
	ID   string `path:"id" format:"uuid" doc:"Account id"`
	AsOf string `query:"as_of" format:"date" doc:"The archive as it stood at the end of this day (company time zone), rebuilt from its history (Art. 7.2)"`
}

func (s *Server) getCustomer(ctx context.Context, in *getCustomerInput) (*customerOutput, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	if in.AsOf != "" {
		return s.customerAsOf(ctx, id, in.AsOf)
	}
	r := archiveRead{need: capReadArchive, sections: archiveShown(callerOf(ctx).Role), action: kam.AccessView, scoped: true}
	ar, err := readAccountRegistering(s, ctx, id, r, func(ctx context.Context, scope store.Scope, a store.Access) (store.Archive, error) {
		return s.store.RegisteredArchive(ctx, scope, id, a)
	})
	if err != nil {
		return nil, err
	}
	return &customerOutput{ETag: etag(ar.Customer.Version), Body: customerOut(ar, callerOf(ctx).Role)}, nil
}

// customerAsOf reads the archive as it stood at the end of a day in the
// company's time zone: a registered read of the same sections as today's
// (Art. 9). Before the account existed it is 404. The answer carries no
// ETag: a past version is not one to change.
func (s *Server) customerAsOf(ctx context.Context, id uuid.UUID, day string) (*customerOutput, error) {
	d, err := optDate("query.as_of", &day)
	if err != nil {
		return nil, err
	}
	until := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, s.procs.Settings.Timezone)
	r := archiveRead{need: capReadArchive, sections: archiveShown(callerOf(ctx).Role), action: kam.AccessView, scoped: true}
	past, err := readAccount(s, ctx, id, r, func(ctx context.Context, scope store.Scope) (store.Archive, error) {
		return s.store.ArchiveAsOf(ctx, scope, id, until)
	})
	if err != nil {
		return nil, err
	}
	return &customerOutput{Body: customerOut(past, callerOf(ctx).Role)}, nil
}

func (s *Server) updateCustomer(ctx context.Context, in *struct {
	ID      string `path:"id" format:"uuid" doc:"Account id"`
	IfMatch string `header:"If-Match" doc:"The version you read (ETag); a stale one gets 412"`
	Body    CustomerPatch
	RawBody []byte
}) (*customerOutput, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	// Visibility first: every refusal below (403) would otherwise tell an
	// account manager that another manager's account exists (SPEC §2).
	scope, err := s.gateVisible(ctx, id, capEditArchive, profileSections)
	if err != nil {
		return nil, err
	}
	p := callerOf(ctx)
	ifMatch, patch, err := s.customerPatch(ctx, id, p.Role, in.IfMatch, in.RawBody, &in.Body)
	if err != nil {
		return nil, err
	}
	if patch.Code != nil && scope.ManagerID != nil {
		// A taken code would answer 409 duplicate_code: an oracle of the
		// codes of accounts the caller may not see.
		ar, err := s.store.GetArchive(ctx, scope, id)
		if err != nil {
			return nil, s.archiveErr(ctx, id, profileSections, err)
		}
		if *patch.Code != ar.Customer.Code {
			return nil, s.deny(ctx, id, profileSections, kam.ErrRecode)
		}
	}
	if err := s.patchCustomer(ctx, scope, id, ifMatch, patch); err != nil {
		return nil, err
	}
	return s.customerAnswer(ctx, scope, id, p.Role)
}

// patchCustomer applies a patch through archiveWrite (its register entry in
// the change's transaction) and tells the account's runs what changed.
func (s *Server) patchCustomer(ctx context.Context, scope store.Scope, id uuid.UUID, ifMatch *int32, patch store.CustomerPatch) error {
	sections := archiveShown(callerOf(ctx).Role)
	if patch.AccountManagerID != nil || slices.Contains(patch.Clear, "account_manager_id") {
		// A reassignment hands the account's open greeting tasks and the
		// former manager's pending requests on it to the new manager.
		sections = append(slices.Clone(sections), "greetings", "discounts")
	}
	var moved []store.MovedRequest
	changes, err := archiveWrite(s, ctx, []uuid.UUID{id}, sections, func(ctx context.Context) ([]store.Change, error) {
		_, changes, m, err := s.store.UpdateCustomer(ctx, scope, id, ifMatch, patch, callerOf(ctx).ID)
		moved = m
		return changes, err
	})
	if err != nil {
		return s.archiveErr(ctx, id, profileSections, err)
	}
	s.customerChanged(ctx, id, changes)
	s.requestersChanged(ctx, moved)
	return nil
}

// requestersChanged tells the runs of requests a reassignment moved who
// their requester is now. Best effort (a handover signals from its own
// run): a lost signal leaves the run telling the former requester of its
// steps, and taking withdrawal from them, not the new one.
func (s *Server) requestersChanged(ctx context.Context, moved []store.MovedRequest) {
	for _, m := range moved {
		if err := s.procs.RequesterChanged(ctx, m.ID, workflows.RequesterChange{From: m.From, To: m.To}); err != nil {
			s.log.Warn("signal requester change", "request", m.ID, "error", err)
		}
	}
}

// customerPatch reads a PATCH: the version it was read at and the store's
// patch. Setting or clearing the tier or account manager is an assignment,
// refused (and registered as denied) for a role that may not assign (Art. 3,
// 4). The status is not patched at all: an account is lost only through the
// churn register (Art. 8.4), whoever asks.
func (s *Server) customerPatch(ctx context.Context, id uuid.UUID, role, rawIfMatch string, raw []byte, b *CustomerPatch) (*int32, store.CustomerPatch, error) {
	if b.Status != nil || hasKey(raw, "status") {
		return nil, store.CustomerPatch{}, useChurnRegister()
	}
	if assigns(b.CustomerFields) && !can(role, capAssign) {
		return nil, store.CustomerPatch{}, s.deny(ctx, id, profileSections, kam.ErrAssignedFields)
	}
	ifMatch, err := parseIfMatch(rawIfMatch)
	if err != nil {
		return nil, store.CustomerPatch{}, err
	}
	clear, nullsErr := nullsOf(raw, b)
	if slices.Contains(clear, "account_manager_id") && !can(role, capAssign) {
		return nil, store.CustomerPatch{}, s.deny(ctx, id, profileSections, kam.ErrAssignedFields)
	}
	var bad fieldErrors
	bad.add(nullsErr)
	patch, err := patchOf(b.CustomerFields)
	bad.add(err)
	if err := bad.err(); err != nil {
		return nil, store.CustomerPatch{}, err
	}
	patch.Code, patch.Name, patch.Clear = b.Code, b.Name, clear
	return ifMatch, patch, nil
}

// customerChanged tells the account's runs about a change that changed
// something.
func (s *Server) customerChanged(ctx context.Context, id uuid.UUID, changes []store.Change) {
	if len(changes) > 0 {
		s.archiveChanged(ctx, id)
		s.serviceChanged(ctx, id, changes)
	}
}

// archiveChanged tells the account's onboarding run to re-check. An active
// account's archive that is incomplete again after its run ended (a contact
// or key person removed, a field cleared: Art. 7.2 upkeep) gets a new run,
// so the data clerks are reminded again (Art. 7.1); starting a run that is
// still open changes nothing. A failed start or signal costs only a delay:
// the run re-checks at its next reminder, and the Reconcile sweep starts a
// run for every incomplete active archive.
func (s *Server) archiveChanged(ctx context.Context, id uuid.UUID) {
	if ar, err := s.store.GetArchive(ctx, store.Scope{}, id); err == nil && len(ar.Missing) > 0 && ar.Customer.Status == "active" {
		if err := s.procs.StartOnboarding(ctx, id); err != nil {
			s.log.Warn("start onboarding", "customer", id, "error", err)
		}
	}
	if err := s.procs.ArchiveChanged(ctx, id); err != nil {
		s.log.Warn("signal onboarding", "customer", id, "error", err)
	}
}

// nullsOf reads a PATCH body's explicit nulls (JSON merge patch): an optional
// text field set to null is cleared like "", an optional value field is
// cleared through the returned names, and a required field may not be null.
func nullsOf(raw []byte, b *CustomerPatch) ([]string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, nil // huma has already rejected a body that is not an object
	}
	empty := ""
	text := map[string]**string{
		"nature": &b.Nature, "industry": &b.Industry, "product_category": &b.ProductCategory,
		"legal_representative": &b.LegalRepresentative, "company_size": &b.CompanySize,
		"main_products": &b.MainProducts, "credibility": &b.Credibility, "profit_status": &b.ProfitStatus,
		"address": &b.Address, "postcode": &b.Postcode, "phone": &b.Phone, "fax": &b.Fax, "email": &b.Email,
	}
	var clear []string
	var bad fieldErrors
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if string(fields[name]) != "null" {
			continue
		}
		switch name {
		case "annual_output_value", "account_manager_id", "founded_on":
			clear = append(clear, name)
		default:
			dst, ok := text[name]
			if !ok {
				bad.field("body."+name, name+" may not be null")
				continue
			}
			*dst = &empty
		}
	}
	return clear, bad.err()
}

// serviceChanged steers the visit plan and greetings after an archive change:
// tier, manager or status changes take effect at once (Art. 20), a
// reactivated account gets its plan back, a new founding date its greeting.
func (s *Server) serviceChanged(ctx context.Context, id uuid.UUID, changes []store.Change) {
	for _, ch := range changes {
		switch ch.Field {
		case "status":
			if ch.New != nil && *ch.New == "active" {
				if err := s.procs.StartVisitPlan(ctx, id); err != nil {
					s.log.Warn("start visit plan", "customer", id, "error", err)
				}
			}
			fallthrough
		case "tier", "account_manager_id":
			if err := s.procs.PlanChanged(ctx, id); err != nil {
				s.log.Warn("signal visit plan", "customer", id, "error", err)
			}
		case "founded_on":
			s.greetNow(ctx, &id, nil)
		}
	}
}
