package api

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// Imports (SPEC §7 "Archive upkeep", Art. 7.2): a CSV file of accounts,
// contacts or key persons, taken in one transaction, all or nothing, and
// idempotent (an account is matched by code, a contact by account and name,
// a key person by account, name and role: a second run changes nothing).

// ImportReport is what an import did, or with ?dry_run=true would do.
type ImportReport struct {
	Rows      int              `json:"rows" doc:"Data rows in the file (the header and blank rows not counted)"`
	Created   int              `json:"created"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged" doc:"Rows that match the record already"`
	DryRun    bool             `json:"dry_run" doc:"Nothing was written"`
	Errors    []ImportRowError `json:"errors" doc:"Always empty here: a file with errors is answered 422 import_rejected with them"`
}

type importInput struct {
	DryRun      bool   `query:"dry_run" doc:"Check every row and write nothing"`
	ContentType string `header:"Content-Type" doc:"text/csv (UTF-8)"`
	RawBody     []byte `contentType:"text/csv"`
}

type importOutput struct {
	Body ImportReport
}

// importOp declares an import: its body is a CSV of up to
// kam.MaxImportBytes, read for at most 30 s.
func importOp(id, path, summary string) huma.Operation {
	o := heavyOp(op(id, http.MethodPost, path, summary, "archive"))
	o.MaxBodyBytes = kam.MaxImportBytes + 1 // huma refuses a body of exactly MaxBodyBytes
	o.BodyReadTimeout = 30 * time.Second
	o.Errors = append(o.Errors, 413, 415)
	o.Description = "CSV with a header row of field names (UTF-8, comma-separated). One transaction, all or nothing: " +
		"any row error answers 422 import_rejected listing {row, field, code} (row 1 is the header) and writes nothing. " +
		"An empty cell leaves a field as it is. At most 10,000 rows and 5 MiB."
	return o
}

func (s *Server) importRoutes() {
	huma.Register(s.api, importOp("import-customers", "/v1/imports/customers",
		"Import accounts from CSV; an existing code is updated (Art. 7)"), s.importCustomers)
	huma.Register(s.api, importOp("import-contacts", "/v1/imports/contacts",
		"Import contact persons from CSV, by account code (Art. 7.2)"), s.importContacts)
	huma.Register(s.api, importOp("import-key-persons", "/v1/imports/key-persons",
		"Import key persons from CSV, by account code (Art. 7.3)"), s.importKeyPersons)
}

// csvBody checks that a body is CSV in UTF-8 (415 otherwise) and reads it.
func csvBody(in *importInput, cols []importColumn) (*sheet, error) {
	mt, params, err := mime.ParseMediaType(in.ContentType)
	if err != nil || (mt != "text/csv" && mt != "application/csv") {
		return nil, unsupportedMediaType("", "send the file as Content-Type: text/csv")
	}
	if cs, ok := params["charset"]; ok && cs != "utf-8" && cs != "UTF-8" {
		return nil, unsupportedMediaType("", "the file must be UTF-8 text")
	}
	return readSheet(in.RawBody, cols), nil
}

// importer declares one import: who may run it, the register sections it
// changes, and its refusal.
type importer struct {
	need     capability
	sections []string
	refusal  string
}

// importWrite is the pipeline of an import: a checked file goes through
// archiveWrite (its `update` entry, naming every account changed, in the
// import's own transaction); a dry run, or a file with errors already, is
// checked by the store without writing and registers nothing changed.
// Row errors come back as one 422 with the report; existing accounts the
// file named outside the caller's scope are registered as denied.
func importWrite(s *Server, ctx context.Context, im importer, sh *sheet, dryRun bool, write func(ctx context.Context, dry bool) (store.ImportResult, error)) (store.ImportResult, error) {
	dry := dryRun || sh.errs.total > 0
	var res store.ImportResult
	var err error
	switch {
	case sh.refused: // nothing of the file is checked further
	case dry:
		res, err = write(ctx, true)
	default:
		res, err = archiveWrite(s, ctx, nil, im.sections, func(ctx context.Context) (store.ImportResult, error) { return write(ctx, false) })
	}
	var ir *kam.ImportRejected
	if err != nil && !errors.As(err, &ir) {
		return res, problemFor(s.log, err)
	}
	if ir == nil && sh.errs.total == 0 {
		return res, nil
	}
	if ir != nil {
		sh.errs.merge(ir)
		if len(ir.Outside) > 0 {
			if err := s.register(ctx, kam.AccessDenied, ir.Outside, im.sections); err != nil {
				return res, err
			}
		}
	}
	return res, problemFor(s.log, &kam.ImportRejected{Rows: sh.count, DryRun: dryRun, Errors: sh.errs.list, Total: sh.errs.total})
}

// importAnswer is the report of an import that went through.
func importAnswer(sh *sheet, res store.ImportResult, dryRun bool) *importOutput {
	return &importOutput{Body: ImportReport{Rows: sh.count, Created: res.Created, Updated: res.Updated,
		Unchanged: res.Unchanged, DryRun: dryRun, Errors: []ImportRowError{}}}
}

var customerImporter = importer{need: capCreateArchive, sections: profileSections,
	refusal: "only the KA Department and data clerks import archives"}

func (s *Server) importCustomers(ctx context.Context, in *importInput) (*importOutput, error) {
	p := callerOf(ctx)
	// Opening accounts, and changing the existing ones the file names.
	if !can(p.Role, customerImporter.need) || !can(p.Role, capEditArchive) {
		return nil, s.deny(ctx, uuid.Nil, profileSections, forbidden(customerImporter.refusal))
	}
	sh, err := csvBody(in, customerColumns)
	if err != nil {
		return nil, err
	}
	if (sh.has("tier") || sh.has("account_manager_id") || sh.has("status")) && !can(p.Role, capAssign) {
		return nil, s.deny(ctx, uuid.Nil, profileSections, kam.ErrAssignedFields)
	}
	rows := customerImports(sh)
	im := customerImporter
	if sh.has("account_manager_id") {
		// A reassignment hands the account's open greeting tasks and the
		// former manager's pending requests on it to the new manager.
		im.sections = append(slices.Clone(im.sections), "greetings", "discounts")
	}
	res, err := importWrite(s, ctx, im, sh, in.DryRun, func(ctx context.Context, dry bool) (store.ImportResult, error) {
		return s.store.ImportCustomers(ctx, rows, p.ID, dry)
	})
	if err != nil {
		return nil, err
	}
	if !in.DryRun {
		s.requestersChanged(ctx, res.Moved)
		s.afterImport(ctx, res)
	}
	return importAnswer(sh, res, in.DryRun), nil
}

// customerImports turns the sheet's passing rows into the store's: the
// fields go through patchOf, as POST /v1/customers's do.
func customerImports(sh *sheet) []store.CustomerImport {
	out := make([]store.CustomerImport, 0, len(sh.rows))
	for _, r := range sh.rows {
		var body CustomerCreate
		raw, _ := json.Marshal(r.cells)
		if err := json.Unmarshal(raw, &body); err != nil {
			sh.errs.add(r.row, "", "invalid_row", "the row cannot be read")
			continue
		}
		patch, err := patchOf(body.CustomerFields)
		if err == nil {
			patch.OpenedOn, err = optDate("body.opened_on", sh.opt(r, "opened_on"))
		}
		if err != nil {
			sh.errs.add(r.row, "", "invalid_row", err.Error())
			continue
		}
		patch.Code, patch.Name, patch.Status = &body.Code, &body.Name, body.Status
		out = append(out, store.CustomerImport{Row: r.row, Patch: patch})
	}
	return out
}

var (
	contactImporter = importer{need: capEditArchive, sections: contactSections,
		refusal: "your role does not keep account archives"}
	keyPersonImporter = importer{need: capEditArchive, sections: personSections,
		refusal: "your role does not keep account archives"}
)

func (s *Server) importContacts(ctx context.Context, in *importInput) (*importOutput, error) {
	p := callerOf(ctx)
	if !can(p.Role, contactImporter.need) {
		return nil, s.deny(ctx, uuid.Nil, contactSections, forbidden(contactImporter.refusal))
	}
	sh, err := csvBody(in, contactColumns)
	if err != nil {
		return nil, err
	}
	rows := make([]store.ContactImport, 0, len(sh.rows))
	for _, r := range sh.rows {
		rows = append(rows, store.ContactImport{Row: r.row, Code: r.cells["code"], ContactInput: store.ContactInput{
			Name: r.cells["name"], Title: sh.opt(r, "title"), Phone: sh.opt(r, "phone"), Email: sh.opt(r, "email")}})
	}
	res, err := importWrite(s, ctx, contactImporter, sh, in.DryRun, func(ctx context.Context, dry bool) (store.ImportResult, error) {
		return s.store.ImportContacts(ctx, scopeOf(p), rows, p.ID, dry)
	})
	if err != nil {
		return nil, err
	}
	if !in.DryRun {
		s.afterImport(ctx, res)
	}
	return importAnswer(sh, res, in.DryRun), nil
}

func (s *Server) importKeyPersons(ctx context.Context, in *importInput) (*importOutput, error) {
	p := callerOf(ctx)
	if !can(p.Role, keyPersonImporter.need) {
		return nil, s.deny(ctx, uuid.Nil, personSections, forbidden(keyPersonImporter.refusal))
	}
	sh, err := csvBody(in, keyPersonColumns)
	if err != nil {
		return nil, err
	}
	rows := make([]store.KeyPersonImport, 0, len(sh.rows))
	for _, r := range sh.rows {
		birthday, _ := optDate("birthday", sh.opt(r, "birthday")) // checked with the cell
		rows = append(rows, store.KeyPersonImport{Row: r.row, Code: r.cells["code"], KeyPersonInput: store.KeyPersonInput{
			Name: r.cells["name"], Role: r.cells["role"], Title: sh.opt(r, "title"), Phone: sh.opt(r, "phone"),
			Email: sh.opt(r, "email"), Birthday: birthday}})
	}
	res, err := importWrite(s, ctx, keyPersonImporter, sh, in.DryRun, func(ctx context.Context, dry bool) (store.ImportResult, error) {
		return s.store.ImportKeyPersons(ctx, scopeOf(p), rows, p.ID, dry)
	})
	if err != nil {
		return nil, err
	}
	if !in.DryRun {
		s.afterImport(ctx, res)
	}
	return importAnswer(sh, res, in.DryRun), nil
}

// Follow-up of an import, after its commit and off the request.
const (
	importStarters        = 4                // concurrent starts and signals
	importFollowUpTimeout = 30 * time.Minute // bound on the whole follow-up
)

// afterImport tells the processes what an import changed, as the single
// writes do (createCustomer, patchCustomer, addContact): a new account's
// onboarding run and visit plan are started (Art. 7.1, 20), a changed one's
// runs are signalled. It runs in the background with a few workers, so that
// the answer to 1,000 new accounts does not wait for 2,000 workflow starts;
// a start lost here (a crash, Temporal down) is made up for by the Reconcile
// schedule within minutes, and a lost signal costs only a delay (the
// onboarding run re-checks at its next reminder).
func (s *Server) afterImport(ctx context.Context, res store.ImportResult) {
	if len(res.Accounts) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, importFollowUpTimeout)
		defer cancel()
		jobs := make(chan func(), importStarters)
		var wg sync.WaitGroup
		for range importStarters {
			wg.Go(func() {
				for job := range jobs {
					job()
				}
			})
		}
		s.importJobs(ctx, res, jobs)
		close(jobs)
		wg.Wait()
		if res.Birthdays {
			s.greetNow(ctx, nil, nil)
		}
	}()
}

// importJobs hands out one job per account the import changed.
func (s *Server) importJobs(ctx context.Context, res store.ImportResult, jobs chan<- func()) {
	opened := map[uuid.UUID]bool{}
	for _, c := range res.Opened {
		opened[c.ID] = true
		jobs <- func() { s.startAccount(ctx, c) }
	}
	for _, id := range res.Accounts {
		switch {
		case opened[id]:
		case res.Changes[id] != nil:
			changes := res.Changes[id]
			jobs <- func() { s.customerChanged(ctx, id, changes) }
		default: // a contact or key person changed
			jobs <- func() { s.archiveChanged(ctx, id) }
		}
	}
}
