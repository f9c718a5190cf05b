package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
)

// Rows are numbered as a spreadsheet shows them, whatever the line endings:
// the header is row 1, a blank line is a row, a cell spanning lines is one
// row; a byte-order mark and a trailing column without a header are fine.
func TestSheetRowsAsASpreadsheetShowsThem(t *testing.T) {
	file := "\ufeffCode , Name,\r\n" + // row 1, with a trailing unnamed column
		"A-1,First,\r\n" + // row 2
		"\r\n" + // row 3: blank
		"A-2,\"Two\r\nlines\",\r\n" + // row 4 (two lines of text)
		"A-3,Third,\r\n" + // row 5
		"A-4,,x\r\n" // row 6: no name, and a cell under the unnamed column
	sh := readSheet([]byte(file), customerColumns)
	var rows []int
	for _, r := range sh.rows {
		rows = append(rows, r.row)
	}
	var errs []string
	for _, e := range sh.errs.list {
		errs = append(errs, fmt.Sprintf("%d/%s/%s", e.Row, e.Field, e.Code))
	}
	if fmt.Sprint(rows) != "[2 5]" || fmt.Sprint(errs) != "[4/name/invalid_characters 6/name/required 6//unnamed_column]" || sh.count != 4 {
		t.Fatalf("rows %v, errors %v, count %d", rows, errs, sh.count)
	}
	if sh.rows[0].cells["code"] != "A-1" || sh.rows[0].cells["name"] != "First" {
		t.Fatalf("cells = %v", sh.rows[0].cells)
	}
}

// A cell kam's CSV writer defused imports back as it was, whatever made the
// writer defuse it; a ' it would not have written stays.
func TestImportCellUndoesTheWritersQuote(t *testing.T) {
	name := column(customerColumns, "name")
	for _, v := range []string{"-5.00", "+86 21 5555", " +86 21 5555", "＝1+1", "\u3000－x", "'quoted'", "it's"} {
		var b bytes.Buffer
		w := newCSV(&b, col("name"))
		w.Row(v)
		w.Flush()
		rec, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got, code, _ := name.cell(rec[1][0])
		if want := strings.TrimSpace(v); got != want || code != "" {
			t.Errorf("%q written as %q imports as %q (%s), want %q", v, rec[1][0], got, code, want)
		}
	}
}
