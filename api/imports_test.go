package api_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/workflows"
)

var csvType = header{"Content-Type", "text/csv"}

// importCSV posts a CSV file to an import route.
func importCSV(t testing.TB, path, token, file string, headers ...header) resp {
	t.Helper()
	return call(t, "POST", path, token, file, append([]header{csvType}, headers...)...)
}

// importErrors reads the rows' errors of a rejected import as
// "row/field/code" strings.
func importErrors(r resp) []string {
	var out []string
	for _, e := range r.Body["errors"].([]any) {
		m := e.(map[string]any)
		out = append(out, fmt.Sprintf("%v/%v/%v", m["row"], m["field"], m["code"]))
	}
	return out
}

func wantReport(t testing.TB, r resp, rows, created, updated, unchanged int) {
	t.Helper()
	must(t, r, 200)
	got := fmt.Sprint(r.Body["rows"], r.Body["created"], r.Body["updated"], r.Body["unchanged"], len(r.Body["errors"].([]any)))
	if want := fmt.Sprint(rows, created, updated, unchanged, 0); got != want {
		t.Fatalf("report rows/created/updated/unchanged/errors = %s, want %s: %s", got, want, r.Raw)
	}
}

// customerByCode reads an account by its code as the KA manager.
func customerByCode(t testing.TB, token, code string) resp {
	t.Helper()
	l := must(t, call(t, "GET", "/v1/customers?q="+code, token, nil), 200).items()
	for _, c := range l {
		if c["code"] == code {
			return must(t, call(t, "GET", "/v1/customers/"+c["id"].(string), token, nil), 200)
		}
	}
	t.Fatalf("no account %s", code)
	return resp{}
}

// Art. 7: a book of accounts is brought in from a spreadsheet in one go;
// matched by code, a second run changes nothing, a changed cell updates the
// account with its history, and every account changed is registered (Art. 9).
func TestImportCustomersCreatesThenUpdatesByCode(t *testing.T) {
	staff := staffByRole(t)
	ka, am := staff[kam.RoleKAManager], staff[kam.RoleAccountManager]
	p := "IMP" + unique()
	file := "code,name,tier,account_manager_id,industry,phone,address,annual_output_value,founded_on,opened_on\n" +
		p + "-1,Harbour Steel,S," + am.ID + ",steel,'+86 21 5555 0101,\"Pier 3, Dock Road\nShanghai\",125000000.50,1998-05-04,2019-03-01\n" +
		p + "-2,\"Quoted \"\"Name\"\" Ltd\",A,,chemicals,,,,,\n" +
		"\n" + // a blank line is a row of the spreadsheet, but no data row
		p + "-3,Third Co,,,,,,,,\n"
	reqID := uuid.NewString()
	wantReport(t, importCSV(t, "/v1/imports/customers", ka.Token, file, header{"X-Request-Id", reqID}), 3, 3, 0, 0)

	c1 := customerByCode(t, ka.Token, p+"-1")
	for k, want := range map[string]any{"name": "Harbour Steel", "tier": "S", "account_manager_id": am.ID, "phone": "+86 21 5555 0101",
		"address": "Pier 3, Dock Road\nShanghai", "annual_output_value": "125000000.50", "founded_on": "1998-05-04", "opened_on": "2019-03-01", "status": "active"} {
		if c1.Body[k] != want {
			t.Errorf("%s = %v, want %v", k, c1.Body[k], want)
		}
	}
	if c2 := customerByCode(t, ka.Token, p+"-2"); c2.str("name") != `Quoted "Name" Ltd` || c2.str("opened_on") != today() || c2.Body["phone"] != nil {
		t.Errorf("second account = %s", c2.Raw)
	}
	if c3 := customerByCode(t, ka.Token, p+"-3"); c3.str("tier") != "B" {
		t.Errorf("third account's tier = %v, want the default B", c3.Body["tier"])
	}
	id1 := c1.str("id")
	hist := must(t, call(t, "GET", "/v1/customers/"+id1+"/history", ka.Token, nil), 200).items()
	if len(hist) < 9 {
		t.Errorf("%d history rows for an imported account, want one per field given", len(hist))
	}
	// Art. 9: one update entry per account changed, in the import's transaction.
	if n := countRows(t, "SELECT count(DISTINCT customer_id) FROM access_log WHERE request_id = $1 AND action = 'update'", reqID); n != 3 {
		t.Errorf("%d accounts in the register for the import, want 3", n)
	}
	// Art. 7.1, 20: the runs POST /v1/customers starts follow an imported account too.
	for _, wid := range []string{workflows.OnboardingWorkflowID(uuid.MustParse(id1)), workflows.VisitPlanWorkflowID(uuid.MustParse(id1))} {
		waitFor(t, 30*time.Second, wid, func() bool {
			_, err := running.Temporal.DescribeWorkflowExecution(context.Background(), wid, "")
			return err == nil
		})
	}

	// The same file again changes nothing (idempotent by code).
	wantReport(t, importCSV(t, "/v1/imports/customers", ka.Token, file), 3, 0, 0, 3)
	if v := customerByCode(t, ka.Token, p+"-1"); v.Body["version"] != c1.Body["version"] {
		t.Fatalf("a re-import changed the version: %v -> %v", c1.Body["version"], v.Body["version"])
	}
	// One changed cell: that account is updated, with its history; empty
	// cells leave fields as they are.
	changed := "code,name,phone,address\n" + p + "-1,Harbour Steel,+86 21 5555 0199,\n" + p + "-2,\"Quoted \"\"Name\"\" Ltd\",,\n"
	wantReport(t, importCSV(t, "/v1/imports/customers", ka.Token, changed), 2, 0, 1, 1)
	v := customerByCode(t, ka.Token, p+"-1")
	if v.str("phone") != "+86 21 5555 0199" || v.str("address") != "Pier 3, Dock Road\nShanghai" || v.Body["version"] != c1.Body["version"].(float64)+1 {
		t.Fatalf("after the update: %s", v.Raw)
	}
	hist = must(t, call(t, "GET", "/v1/customers/"+id1+"/history", ka.Token, nil), 200).items()
	last := hist[len(hist)-1]
	if last["field"] != "phone" || last["old"] != "+86 21 5555 0101" || last["new"] != "+86 21 5555 0199" {
		t.Fatalf("last history row = %v", last)
	}
}

// All or nothing: one bad row refuses the file, every error is listed with
// the spreadsheet row it is on (the header is row 1), and nothing is written.
func TestImportRefusesTheWholeFileOnAnyRowError(t *testing.T) {
	staff := staffByRole(t)
	ka, clerk := staff[kam.RoleKAManager], staff[kam.RoleDataClerk]
	p := "IMR" + unique()
	file := "code,name,tier,account_manager_id,annual_output_value,founded_on,email,service_mode,status\n" +
		p + "-1,Good Co,A,,,,,,\n" + // row 2: fine on its own
		p + "-2,,Z," + clerk.ID + ",12.345,2023-02-30,not-mail,telepathy,\n" + // row 3
		"\"" + p + "-3\",\"Two\nLines\",B,,-5,1800-01-01,,,\n" + // lines 4-5 of the text, row 4 of a spreadsheet
		"\n" + // row 5
		"bad code!,\"=HYPERLINK(\"\"http://x\"\")\",B,,,,,,\n" + // row 6
		p + "-1,Again,B,,,,,,\n" + // row 7: the code of row 2
		p + "-7,Churned,B,,,,,,churned\n" + // row 8
		p + "-8,Short\n" // row 9
	before := countRows(t, "SELECT count(*) FROM customers") + countRows(t, "SELECT count(*) FROM customer_history")
	r := importCSV(t, "/v1/imports/customers", ka.Token, file)
	problem(t, r, 422, "import_rejected")
	want := []string{"3/name/required", "3/annual_output_value/invalid_amount", "3/founded_on/invalid_date", "3/email/invalid_email",
		"3/service_mode/not_an_option", "4/name/invalid_characters", "4/annual_output_value/invalid_amount", "4/founded_on/date_out_of_range",
		"6/code/invalid_format", "6/name/formula_cell", "7/code/duplicate_row", "8/status/use_churn_register", "9//wrong_field_count"}
	if got := importErrors(r); !slices.Equal(got, want) {
		t.Fatalf("errors\n got %v\nwant %v", got, want)
	}
	if r.Body["rows"] != 7.0 || r.Body["errors_total"] != float64(len(want)) || r.Body["created"] != 0.0 {
		t.Fatalf("report = %s", r.Raw)
	}
	// The store's checks: an unknown tier and a manager who is not one.
	r = importCSV(t, "/v1/imports/customers", ka.Token, "code,name,tier,account_manager_id\n"+p+"-9,N,Z,"+clerk.ID+"\n")
	problem(t, r, 422, "import_rejected")
	if got := importErrors(r); !slices.Equal(got, []string{"2/tier/unknown_tier", "2/account_manager_id/unknown_manager"}) {
		t.Fatalf("errors = %v", got)
	}
	if after := countRows(t, "SELECT count(*) FROM customers") + countRows(t, "SELECT count(*) FROM customer_history"); after != before {
		t.Fatalf("a rejected import wrote %d rows", after-before)
	}
}

// A file that is not what it claims is refused with a code, never a 500.
func TestImportMalformedFiles(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	p := "IMM" + unique()
	many := "code,name\n" + strings.Repeat(p+"-x,\n", 150) // 150 rows without a name
	rowsOver := "code,name\n" + strings.Repeat(p+"-r,R\n", kam.MaxImportRows+1)
	cols := "code,name" + strings.Repeat(",x", kam.MaxImportColumns) + "\n"
	cases := []struct {
		name, body string
		want       []string
	}{
		{"empty file", "\ufeff\n\n", []string{"1//empty_file"}},
		{"unknown and duplicate columns", "code,name,colour,name\n", []string{"1/colour/unknown_column", "1/name/duplicate_column"}},
		{"missing column", "code\n" + p + "-1\n", []string{"1/name/missing_column"}},
		{"too many columns", cols, []string{"1//too_many_columns"}},
		{"bare quote", "code,name\n" + p + "-1,Na\"me\n", []string{"2//malformed_csv"}},
		{"unclosed quote", "code,name\n" + p + "-1,\"Name\n", []string{"2//malformed_csv"}},
		{"bad UTF-8", "code,name\n" + p + "-1,N\xff\xfe\n", []string{"2/name/invalid_utf8"}},
		{"NUL byte", "code,name\n" + p + "-1,N\x00ame\n", []string{"2/name/invalid_characters"}},
		{"bidi override", "code,name\n" + p + "-1,N\u202eame\n", []string{"2/name/invalid_characters"}},
		{"too long", "code,name\n" + p + "-1," + strings.Repeat("名", 201) + "\n", []string{"2/name/too_long"}},
		{"too many rows", rowsOver, []string{fmt.Sprintf("%d//too_many_rows", kam.MaxImportRows+2)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := importCSV(t, "/v1/imports/customers", ka.Token, c.body)
			problem(t, r, 422, "import_rejected")
			if got := importErrors(r); !slices.Equal(got, c.want) {
				t.Fatalf("errors = %v, want %v", got, c.want)
			}
		})
	}
	// Many errors: the first 100 are listed, all are counted, the body stays small.
	r := importCSV(t, "/v1/imports/customers", ka.Token, many)
	problem(t, r, 422, "import_rejected")
	if n := len(r.Body["errors"].([]any)); n != kam.MaxImportErrors || r.Body["errors_total"] != 150.0 || len(r.Raw) > 16<<10 {
		t.Fatalf("%d listed, %v counted, %d bytes", n, r.Body["errors_total"], len(r.Raw))
	}
	problem(t, importCSV(t, "/v1/imports/customers", ka.Token, ""), 400, "malformed_request")
	problem(t, call(t, "POST", "/v1/imports/customers", ka.Token, "code,name\nX,Y\n"), 415, "unsupported_media_type")
	problem(t, importCSV(t, "/v1/imports/customers", ka.Token, "code,name\nX,Y\n", header{"Content-Type", "text/csv; charset=latin1"}), 415, "unsupported_media_type")
	huge := "code,name\n" + strings.Repeat(p+"-h,"+strings.Repeat("h", 500)+"\n", kam.MaxImportBytes/500+1)[:kam.MaxImportBytes+1]
	problem(t, importCSV(t, "/v1/imports/customers", ka.Token, huge), 413, "body_too_large")
	exact := "code,name\n" + strings.Repeat(p+"-e,E\n", kam.MaxImportBytes)[:kam.MaxImportBytes-10]
	problem(t, importCSV(t, "/v1/imports/customers", ka.Token, exact), 422, "import_rejected") // 5 MiB is still read: too many rows
	if n := countRows(t, "SELECT count(*) FROM customers WHERE code LIKE $1", p+"%"); n != 0 {
		t.Fatalf("malformed files created %d accounts", n)
	}
}

// ?dry_run=true checks every row as a real run would and writes nothing,
// not even a register entry of a change.
func TestImportDryRunWritesNothing(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	p := "IMD" + unique()
	existing := newAccount(t, "")
	code := must(t, call(t, "GET", "/v1/customers/"+existing, ka.Token, nil), 200).str("code")
	file := "code,name\n" + p + "-1,New\n" + code + ",Renamed\n"
	before := countRows(t, "SELECT count(*) FROM customers") + countRows(t, "SELECT count(*) FROM customer_history")
	reqID := uuid.NewString()
	r := importCSV(t, "/v1/imports/customers?dry_run=true", ka.Token, file, header{"X-Request-Id", reqID})
	wantReport(t, r, 2, 1, 1, 0)
	if r.Body["dry_run"] != true {
		t.Fatalf("dry_run = %v", r.Body["dry_run"])
	}
	if after := countRows(t, "SELECT count(*) FROM customers") + countRows(t, "SELECT count(*) FROM customer_history"); after != before {
		t.Fatalf("a dry run wrote %d rows", after-before)
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'update'", reqID); n != 0 {
		t.Fatalf("a dry run registered %d changes", n)
	}
	r = importCSV(t, "/v1/imports/customers?dry_run=true", ka.Token, "code,name\n"+p+"-2,\n")
	problem(t, r, 422, "import_rejected")
	if r.Body["dry_run"] != true {
		t.Fatalf("a rejected dry run says dry_run %v", r.Body["dry_run"])
	}
}

// Contacts and key persons by account code (Art. 7.2, 7.3): matched on the
// account by name (and role), so a second run changes nothing; they fill the
// archive's sections as the single adds do.
func TestImportContactsAndKeyPersons(t *testing.T) {
	staff := staffByRole(t)
	ka, clerk := staff[kam.RoleKAManager], staff[kam.RoleDataClerk]
	id := newAccount(t, "")
	code := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200).str("code")
	contacts := "code,name,title,phone,email\n" + code + ",Li Wei,Buyer,+86 21 1,li@example.com\n" + code + ",Zhang Min,,,\n"
	wantReport(t, importCSV(t, "/v1/imports/contacts", clerk.Token, contacts), 2, 2, 0, 0)
	wantReport(t, importCSV(t, "/v1/imports/contacts", clerk.Token, contacts), 2, 0, 0, 2)
	wantReport(t, importCSV(t, "/v1/imports/contacts", clerk.Token, "code,name,phone\n"+code+",Li Wei,+86 21 2\n"), 1, 0, 1, 0)
	l := must(t, call(t, "GET", "/v1/customers/"+id+"/contacts", ka.Token, nil), 200).items()
	if len(l) != 2 || l[0]["phone"] != "+86 21 2" || l[0]["email"] != "li@example.com" {
		t.Fatalf("contacts = %v", l)
	}
	persons := "code,name,role,birthday\n" + code + ",Wang Fang,head,1970-01-02\n" + code + ",Wang Fang,handler,\n"
	wantReport(t, importCSV(t, "/v1/imports/key-persons", clerk.Token, persons), 2, 2, 0, 0)
	wantReport(t, importCSV(t, "/v1/imports/key-persons", clerk.Token, persons), 2, 0, 0, 2)
	a := must(t, call(t, "GET", "/v1/customers/"+id, ka.Token, nil), 200)
	if strings.Contains(fmt.Sprint(a.Body["missing_sections"]), "key_persons") {
		t.Fatalf("missing sections after the import: %v", a.Body["missing_sections"])
	}
	h := historyOf(t, id, ka.Token)
	if rows := findHistory(h, kam.PersonField(kam.HistoryContacts, uuid.MustParse(l[0]["id"].(string)), "phone")); len(rows) != 1 ||
		rows[0]["old"] != "+86 21 1" || rows[0]["new"] != "+86 21 2" {
		t.Errorf("the imported phone in the history: %v", rows)
	}
	if !strings.Contains(fmt.Sprint(findHistory(h, kam.HistoryKeyPersons)), "head: Wang Fang") {
		t.Errorf("the imported key person is not in the history: %v", h)
	}
	r := importCSV(t, "/v1/imports/key-persons", clerk.Token, "code,name,role\nNO-SUCH-"+unique()+",X,boss\n"+code+",Y,head\n"+code+",Y,head\n")
	problem(t, r, 422, "import_rejected")
	if got := importErrors(r); !slices.Equal(got, []string{"2/role/not_an_option", "4/name/duplicate_row"}) {
		t.Fatalf("errors = %v", got)
	}
	r = importCSV(t, "/v1/imports/contacts", clerk.Token, "code,name\nNO-SUCH-"+unique()+",X\n")
	if got := importErrors(r); !slices.Equal(got, []string{"2/code/unknown_account"}) {
		t.Fatalf("errors = %v", got)
	}
}

// Who may import (SPEC §2): accounts as who may open them, contacts and key
// persons as who may add them; an account manager only to their accounts,
// and a row naming another's account is refused like an unknown one and
// registered as denied (Art. 9).
func TestImportAuthorizationBothSides(t *testing.T) {
	staff := staffByRole(t)
	ka, clerk, am, agent := staff[kam.RoleKAManager], staff[kam.RoleDataClerk], staff[kam.RoleAccountManager], staff[kam.RoleServiceAgent]
	p := "IMA" + unique()
	wantReport(t, importCSV(t, "/v1/imports/customers", clerk.Token, "code,name,industry\n"+p+"-1,Clerk Co,steel\n"), 1, 1, 0, 0)
	problem(t, importCSV(t, "/v1/imports/customers", clerk.Token, "code,name,tier\n"+p+"-2,Clerk Co,S\n"), 403, "forbidden_field")
	wantReport(t, importCSV(t, "/v1/imports/customers", ka.Token, "code,name,tier\n"+p+"-2,KA Co,S\n"), 1, 1, 0, 0)
	for _, m := range []member{am, agent, staff[kam.RoleFinance], staff[kam.RoleAuditor], staff[kam.RoleGeneralManager]} {
		problem(t, importCSV(t, "/v1/imports/customers", m.Token, "code,name\n"+p+"-3,X\n"), 403, "forbidden")
	}
	problem(t, importCSV(t, "/v1/imports/customers", adminToken, "code,name\n"+p+"-3,X\n"), 403, "forbidden")
	problem(t, importCSV(t, "/v1/imports/customers", "", "code,name\n"+p+"-3,X\n"), 401, "unauthenticated")

	own, other := newAccount(t, am.ID), newAccount(t, newStaff(t, kam.RoleAccountManager).ID)
	ownCode := must(t, call(t, "GET", "/v1/customers/"+own, ka.Token, nil), 200).str("code")
	otherCode := must(t, call(t, "GET", "/v1/customers/"+other, ka.Token, nil), 200).str("code")
	wantReport(t, importCSV(t, "/v1/imports/contacts", am.Token, "code,name\n"+ownCode+",Mine\n"), 1, 1, 0, 0)
	wantReport(t, importCSV(t, "/v1/imports/key-persons", am.Token, "code,name,role\n"+ownCode+",Mine,head\n"), 1, 1, 0, 0)
	reqID := uuid.NewString()
	r := importCSV(t, "/v1/imports/contacts", am.Token, "code,name\n"+ownCode+",Mine too\n"+otherCode+",Theirs\n", header{"X-Request-Id", reqID})
	problem(t, r, 422, "import_rejected")
	if got := importErrors(r); !slices.Equal(got, []string{"3/code/unknown_account"}) {
		t.Fatalf("errors = %v", got)
	}
	if n := countRows(t, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = 'denied' AND customer_id = $2", reqID, other); n != 1 {
		t.Fatalf("%d denied entries for the other manager's account, want 1", n)
	}
	for _, path := range []string{"/v1/imports/contacts", "/v1/imports/key-persons"} {
		problem(t, importCSV(t, path, agent.Token, "code,name,role\n"+ownCode+",X,head\n"), 403, "forbidden")
		problem(t, importCSV(t, path, staff[kam.RoleFinance].Token, "code,name,role\n"+ownCode+",X,head\n"), 403, "forbidden")
	}
}

// The reports count an imported account from its opened_on (Art. 8): an
// account opened in 2020 was a key account at the start of 2021.
func TestImportOpenedOnCountsInTheOverview(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	am := newStaff(t, kam.RoleAccountManager)
	p := "IMO" + unique()
	file := "code,name,account_manager_id,opened_on\n" + p + "-1,Old One," + am.ID + ",2020-03-01\n" + p + "-2,Old Two," + am.ID + ",2020-11-30\n" +
		p + "-3,New One," + am.ID + ",\n"
	wantReport(t, importCSV(t, "/v1/imports/customers", ka.Token, file), 3, 3, 0, 0)
	o := must(t, call(t, "GET", "/v1/reports/overview?from=2021-01-01&to=2021-12-31", am.Token, nil), 200)
	if o.Body["accounts_at_start"] != 2.0 || o.Body["added"] != 0.0 {
		t.Fatalf("2021: at start %v, added %v, want 2 and 0", o.Body["accounts_at_start"], o.Body["added"])
	}
	o = must(t, call(t, "GET", "/v1/reports/overview?from=2020-01-01&to=2020-12-31", am.Token, nil), 200)
	if o.Body["accounts_at_start"] != 0.0 || o.Body["added"] != 2.0 || o.Body["accounts_at_end"] != 2.0 {
		t.Fatalf("2020: %s", o.Raw)
	}
	o = must(t, call(t, "GET", "/v1/reports/overview?from="+today()+"&to="+today(), am.Token, nil), 200)
	if o.Body["added"] != 1.0 || o.Body["accounts_at_start"] != 2.0 {
		t.Fatalf("today: %s", o.Raw)
	}
	// Moving the day later is an update with its history row.
	wantReport(t, importCSV(t, "/v1/imports/customers", ka.Token, "code,name,opened_on\n"+p+"-1,Old One,2021-06-01\n"), 1, 0, 1, 0)
	o = must(t, call(t, "GET", "/v1/reports/overview?from=2021-01-01&to=2021-12-31", am.Token, nil), 200)
	if o.Body["accounts_at_start"] != 1.0 || o.Body["added"] != 1.0 {
		t.Fatalf("after moving opened_on: %s", o.Raw)
	}
}

// 1,000 accounts through the whole stack (HTTP, CSV, checks, COPY, the
// register), then the background starts of their onboarding runs and visit
// plans (2,000 workflows). Times are logged, not asserted:
//
//	go test ./api -run '^$' -bench ImportCustomers1000 -benchtime 1x
func BenchmarkImportCustomers1000(b *testing.B) {
	ka := staffByRole(b)[kam.RoleKAManager]
	am := newStaff(b, kam.RoleAccountManager)
	for b.Loop() {
		b.StopTimer()
		p := "IMB" + unique()
		var sb strings.Builder
		sb.WriteString("code,name,tier,account_manager_id,industry,product_category,phone,email,address,postcode,annual_output_value,founded_on,opened_on\n")
		for i := range 1000 {
			fmt.Fprintf(&sb, "%s-%d,Bench %d,A,%s,steel,equipment,+86 21 %d,b%d@example.com,\"%d Road, Shanghai\",200000,%d.50,1999-01-02,2018-06-01\n", p, i, i, am.ID, i, i, i, 1000+i)
		}
		b.StartTimer()
		start := time.Now()
		r := importCSV(b, "/v1/imports/customers", ka.Token, sb.String())
		answered := time.Since(start)
		b.StopTimer()
		wantReport(b, r, 1000, 1000, 0, 0)
		var last string
		if err := running.Store.Pool.QueryRow(context.Background(), "SELECT id::text FROM customers WHERE code = $1", fmt.Sprintf("%s-%d", p, 999)).Scan(&last); err != nil {
			b.Fatal(err)
		}
		wid := workflows.VisitPlanWorkflowID(uuid.MustParse(last))
		for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
			if _, err := running.Temporal.DescribeWorkflowExecution(context.Background(), wid, ""); err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("the last account's visit plan did not start within 5 minutes")
			}
		}
		b.Logf("1,000 accounts: answered in %v (%d bytes of CSV); their 2,000 runs started %v after the request", answered, sb.Len(), time.Since(start))
		b.StartTimer()
	}
}

// The README's sample files (docs/samples) import as the README says: the
// accounts, then their contacts and key persons; a second run changes nothing.
func TestImportSampleFiles(t *testing.T) {
	ka := staffByRole(t)[kam.RoleKAManager]
	read := func(name string) string {
		b, err := os.ReadFile("../docs/samples/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	wantReport(t, importCSV(t, "/v1/imports/customers?dry_run=true", ka.Token, read("customers.csv")), 3, 3, 0, 0)
	wantReport(t, importCSV(t, "/v1/imports/customers", ka.Token, read("customers.csv")), 3, 3, 0, 0)
	wantReport(t, importCSV(t, "/v1/imports/customers", ka.Token, read("customers.csv")), 3, 0, 0, 3)
	wantReport(t, importCSV(t, "/v1/imports/contacts", ka.Token, read("contacts.csv")), 3, 3, 0, 0)
	wantReport(t, importCSV(t, "/v1/imports/key-persons", ka.Token, read("key-persons.csv")), 3, 3, 0, 0)
	c := customerByCode(t, ka.Token, "SMP-001")
	if got := fmt.Sprint(c.Body["missing_sections"]); got != "[service credit]" || c.str("phone") != "+86 21 5555 0101" || c.str("opened_on") != "2019-03-01" {
		t.Fatalf("SMP-001 after the samples: missing %s, %s", got, c.Raw)
	}
}
