package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"kam"
)

// Reading an import file (SPEC §7 "Archive upkeep"). A column takes the
// rules of the JSON field of the same name, read from that field's struct
// tags, so a CSV cell is held to exactly what POST /v1/customers (or
// .../contacts, .../key-persons) holds the field to. Every problem becomes a
// row error with a stable code; nothing here answers 500, whatever the bytes.

// importColumn is one column an import takes.
type importColumn struct {
	name      string
	required  bool
	maxLength int
	pattern   *regexp.Regexp
	enum      []string
	format    string // "uuid", "date" or ""
	multiline bool   // prose (freeTextFields): newlines and tabs allowed
}

// columnsOf lists the JSON fields of a request type (embedded structs
// included) as import columns: a non-pointer string is required.
func columnsOf(v any) []importColumn {
	var cols []importColumn
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			cols = append(cols, columnsOf(reflect.Zero(f.Type).Interface())...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		c := importColumn{name: name, required: f.Type.Kind() == reflect.String, format: f.Tag.Get("format"), multiline: freeTextFields[name]}
		c.maxLength, _ = strconv.Atoi(f.Tag.Get("maxLength"))
		if p := f.Tag.Get("pattern"); p != "" {
			c.pattern = regexp.MustCompile(p)
		}
		if e := f.Tag.Get("enum"); e != "" {
			c.enum = strings.Split(e, ",")
		}
		cols = append(cols, c)
	}
	return cols
}

// column picks one column of a list by name.
func column(cols []importColumn, name string) importColumn {
	i := slices.IndexFunc(cols, func(c importColumn) bool { return c.name == name })
	return cols[i]
}

// The columns of each import: the create body's fields, the customer import
// with opened_on, the others with the account's code.
var (
	customerColumns  = append(columnsOf(CustomerCreate{}), importColumn{name: "opened_on", format: "date"})
	contactColumns   = append([]importColumn{column(customerColumns, "code")}, columnsOf(ContactCreate{})...)
	keyPersonColumns = append([]importColumn{column(customerColumns, "code")}, columnsOf(KeyPersonCreate{})...)
)

// importErrs collects row errors in the order found (row order): the first
// kam.MaxImportErrors are kept, all are counted.
type importErrs struct {
	list  []kam.ImportError
	total int
}

func (e *importErrs) add(row int, field, code, msg string) {
	e.total++
	if len(e.list) < kam.MaxImportErrors {
		e.list = append(e.list, kam.ImportError{Row: row, Field: shownName(field), Code: code, Message: msg})
	}
}

// merge adds the store's refusal: both lists are in row order, so the first
// kam.MaxImportErrors of the two together are among their own first ones.
func (e *importErrs) merge(r *kam.ImportRejected) {
	all := append(slices.Clone(e.list), r.Errors...)
	slices.SortStableFunc(all, func(a, b kam.ImportError) int { return a.Row - b.Row })
	e.list = all[:min(len(all), kam.MaxImportErrors)]
	e.total += r.Total
}

// shownName makes a column name from the file safe to echo: valid UTF-8,
// no control or invisible characters, at most 40 characters.
func shownName(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if badRune(r, false) {
			return -1
		}
		return r
	}, s)
	return cutRunes(s, 40)
}

// sheetRow is a data row whose cells all passed: the non-empty ones by column.
type sheetRow struct {
	row   int
	cells map[string]string
}

// sheet is a read import file.
type sheet struct {
	header []string // the columns, in file order
	rows   []sheetRow
	count  int // data rows (blank rows are not counted)
	errs   importErrs
	// refused: the file as a whole is refused (no header, a header error,
	// unreadable CSV, too many rows); its rows are not checked further.
	refused bool
}

func (sh *sheet) has(name string) bool { return slices.Contains(sh.header, name) }

func (sh *sheet) opt(r sheetRow, name string) *string {
	if v, ok := r.cells[name]; ok {
		return &v
	}
	return nil
}

// readSheet reads a CSV file against an import's columns. Rows are numbered
// as a spreadsheet shows them: the header is row 1, a blank line is a row,
// and a cell spanning lines is one row.
func readSheet(body []byte, cols []importColumn) *sheet {
	sh := &sheet{}
	body = bytes.TrimPrefix(body, []byte("\ufeff")) // a spreadsheet's byte-order mark
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		sh.fileErr(err, 1)
		return sh
	}
	byName := sh.readHeader(rec, cols)
	lines := &rowCounter{r: r}
	lines.next(rec)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return sh
		}
		if err != nil {
			sh.fileErr(err, lines.at(err))
			return sh
		}
		if !sh.take(lines.next(rec), rec, byName) {
			return sh
		}
	}
}

// take reads one record at spreadsheet row row; false once the file has
// more data rows than an import takes.
func (sh *sheet) take(row int, rec []string, byName []*importColumn) bool {
	if blank(rec) {
		return true
	}
	if sh.count++; sh.count > kam.MaxImportRows {
		sh.errs.add(row, "", "too_many_rows", "at most "+itoa(kam.MaxImportRows)+" data rows per file")
		sh.refused = true
		return false
	}
	if byName != nil {
		sh.readRow(row, rec, byName)
	}
	return true
}

// rowCounter turns the reader's line numbers into spreadsheet rows.
type rowCounter struct {
	r     *csv.Reader
	extra int // lines taken by line breaks inside cells so far
}

func (c *rowCounter) next(rec []string) int {
	start, _ := c.r.FieldPos(0)
	last := len(rec) - 1
	end, _ := c.r.FieldPos(last)
	end += strings.Count(rec[last], "\n")
	row := start - c.extra
	c.extra += end - start
	return row
}

func (c *rowCounter) at(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.StartLine - c.extra
	}
	return 0
}

func blank(rec []string) bool {
	return !slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" })
}

// fileErr records what ends the reading: no header, or text encoding/csv
// cannot read (a stray quote, an unclosed one).
func (sh *sheet) fileErr(err error, row int) {
	sh.refused = true
	switch {
	case errors.Is(err, io.EOF):
		sh.errs.add(1, "", "empty_file", "the file has no header row")
	case errors.Is(err, csv.ErrBareQuote):
		sh.errs.add(row, "", "malformed_csv", "a quote inside an unquoted cell; quote the cell and double the quote")
	case errors.Is(err, csv.ErrQuote):
		sh.errs.add(row, "", "malformed_csv", "a quoted cell is not closed, or text follows its closing quote")
	default:
		sh.errs.add(row, "", "malformed_csv", "the file cannot be read as CSV")
	}
}

// readHeader checks the header row and answers the column of each position;
// nil when the header is refused (the rows are then only counted).
// column is the import column a header cell names, or nil (with its error)
// for one the import does not take.
func (sh *sheet) column(name string, cols []importColumn) *importColumn {
	j := slices.IndexFunc(cols, func(c importColumn) bool { return c.name == name })
	switch {
	case name == "":
		return &unnamedColumn // a spreadsheet's trailing empty column
	case j < 0 && strings.ContainsAny(name, ";\t"):
		sh.errs.add(1, name, "unknown_column", "not a column of this import; separate cells with commas, not ';' or tabs")
	case j < 0:
		sh.errs.add(1, name, "unknown_column", "not a column of this import")
	case sh.has(name):
		sh.errs.add(1, name, "duplicate_column", "the column appears twice")
	default:
		return &cols[j]
	}
	return nil
}

func (sh *sheet) readHeader(rec []string, cols []importColumn) []*importColumn {
	if len(rec) > kam.MaxImportColumns {
		sh.errs.add(1, "", "too_many_columns", "at most "+itoa(kam.MaxImportColumns)+" columns")
		sh.refused = true
		return nil
	}
	byName := make([]*importColumn, len(rec))
	for i, h := range rec {
		name := strings.ToLower(strings.TrimSpace(h))
		byName[i] = sh.column(name, cols)
		sh.header = append(sh.header, name)
	}
	for _, c := range cols {
		if c.required && !sh.has(c.name) {
			sh.errs.add(1, c.name, "missing_column", "this column is required")
		}
	}
	if sh.errs.total > 0 {
		sh.refused = true
		return nil
	}
	return byName
}

// unnamedColumn stands for a column without a header: ignored while its
// cells are empty, refused where one is not (its data would be lost).
var unnamedColumn = importColumn{}

// readRow checks one data row; a row whose cells all pass is kept.
func (sh *sheet) readRow(row int, rec []string, cols []*importColumn) {
	if len(rec) != len(cols) {
		sh.errs.add(row, "", "wrong_field_count", "the row has "+itoa(len(rec))+" cells, the header "+itoa(len(cols)))
		return
	}
	before := sh.errs.total
	cells := make(map[string]string, len(rec))
	for i, raw := range rec {
		c := cols[i]
		v, code, msg := c.cell(raw)
		if c.name == "" && (v != "" || code != "") {
			code, msg = "unnamed_column", "a cell under a column without a header"
		}
		if code != "" {
			sh.errs.add(row, c.name, code, msg)
		} else if v != "" {
			cells[c.name] = v
		}
	}
	if sh.errs.total == before {
		sh.rows = append(sh.rows, sheetRow{row: row, cells: cells})
	}
}

// cell checks one cell and answers its value ("" for an empty optional
// cell) or why it is refused. A cell beginning with = or @ is a spreadsheet
// formula, refused; a leading ' that kam's own CSV writer would have put
// there (csvSafe) marks text and is dropped.
func (c importColumn) cell(raw string) (v, code, msg string) {
	if !utf8.ValidString(raw) {
		return "", "invalid_utf8", "the cell is not UTF-8 text"
	}
	v = strings.TrimSpace(raw)
	if v != "" && (v[0] == '=' || v[0] == '@') {
		return "", "formula_cell", "a spreadsheet formula; prefix it with ' to import it as text"
	}
	// The ' kam's own CSV writer put before a cell it defused is dropped, so
	// an export imports back as it was.
	if len(v) > 1 && v[0] == '\'' && csvSafe(v[1:]) == v {
		v = strings.TrimSpace(v[1:])
	}
	if v == "" {
		if c.required {
			return "", "required", "this cell is required"
		}
		return "", "", ""
	}
	code, msg = c.check(v)
	return v, code, msg
}

// check holds a value to the column's rules, those of its JSON field.
func (c importColumn) check(v string) (code, msg string) {
	switch {
	case !textOK(v, c.multiline):
		return "invalid_characters", "control, bidirectional-override or invisible characters"
	case c.maxLength > 0 && utf8.RuneCountInString(v) > c.maxLength:
		return "too_long", "at most " + itoa(c.maxLength) + " characters"
	case len(c.enum) > 0 && !slices.Contains(c.enum, v):
		return "not_an_option", "one of " + strings.Join(c.enum, ", ")
	case c.name == "annual_output_value":
		if _, err := parseMoney("", v); err != nil || (c.pattern != nil && !c.pattern.MatchString(v)) {
			return "invalid_amount", "an amount of at most 999999999999.99, with at most two decimals"
		}
	case c.pattern != nil && !c.pattern.MatchString(v):
		if c.name == "code" {
			return "invalid_format", "letters, digits, '.', '_' and '-', beginning with a letter or digit"
		}
		return "invalid_format", "not in this column's format"
	case c.format == "uuid":
		if _, err := uuid.Parse(v); err != nil {
			return "invalid_uuid", "not an id (UUID)"
		}
	case c.format == "date":
		return dateCell(v)
	case c.name == "email" && !emailOK(v):
		return "invalid_email", "not an e-mail address"
	}
	return "", ""
}

func dateCell(v string) (code, msg string) {
	if _, err := optDate("", &v); err != nil {
		if _, perr := time.Parse(time.DateOnly, v); perr != nil {
			return "invalid_date", "not a date (YYYY-MM-DD)"
		}
		return "date_out_of_range", "a date between 1900-01-01 and 2200-12-31"
	}
	return "", ""
}
