package api

import (
	"encoding/csv"
	"io"
	"unicode"
)

// csvColumn is one column of a CSV kam writes. Every cell of every column
// is defused alike, numbers included: SPEC §7 names the cells by their first
// character, so a negative amount is written '-5.00 (a spreadsheet shows it
// as text; the figure is unchanged).
type csvColumn struct {
	name string
}

func col(name string) csvColumn { return csvColumn{name: name} }

// csvWriter is the one writer of every CSV kam serves: rows go to the
// response as they are written (buffered, never the whole file), and a text
// cell that a spreadsheet would run as a formula is defused (SPEC §7).
type csvWriter struct {
	w    *csv.Writer
	cols []csvColumn
}

// newCSV starts a CSV on w with its header row.
func newCSV(w io.Writer, cols ...csvColumn) *csvWriter {
	c := &csvWriter{w: csv.NewWriter(w), cols: cols}
	header := make([]string, len(cols))
	for i, col := range cols {
		header[i] = col.name
	}
	c.row(header)
	return c
}

// Row writes one record.
func (c *csvWriter) Row(cells ...string) { c.row(cells) }

func (c *csvWriter) row(cells []string) {
	out := make([]string, len(cells))
	for i, v := range cells {
		out[i] = csvSafe(v)
	}
	// A write error means the client went away; there is no one to tell.
	_ = c.w.Write(out)
}

// Flush sends what is buffered.
func (c *csvWriter) Flush() { c.w.Flush() }

// csvSafe prefixes a cell beginning with =, +, -, @, tab or CR with a single
// quote so that a spreadsheet shows it instead of evaluating it (SPEC §7).
// Beyond SPEC's list, a cell is defused when such a character comes only
// after leading blanks or invisible characters (spreadsheets that trim cells
// on import, LibreOffice's "trim spaces", evaluate " =1+1"), and when the
// character is its fullwidth form (＝＋－＠: Excel in CJK locales turns them
// into the ASCII ones, and zh-CN staff type them with an IME).
func csvSafe(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	for _, r := range v {
		switch {
		case r == '=' || r == '+' || r == '-' || r == '@' || r == '＝' || r == '＋' || r == '－' || r == '＠':
			return "'" + v
		case unicode.IsSpace(r) || unicode.Is(unicode.Cf, r):
			continue // look past blanks, zero-width and direction marks
		}
		return v
	}
	return v
}
