package api

import (
	"encoding/csv"
	"io"
	"regexp"
)

// csvColumn is one column of a CSV kam writes. A numeric column (money,
// counts, percents) keeps a plain number such as "-5.00" as it is, so a
// spreadsheet still reads it as a number; anything else in it is treated as
// text.
type csvColumn struct {
	name    string
	numeric bool
}

func textCol(name string) csvColumn { return csvColumn{name: name} }
func numCol(name string) csvColumn  { return csvColumn{name: name, numeric: true} }

// plainNumber is a number a spreadsheet cannot evaluate as a formula.
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

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
	c.row(header, false)
	return c
}

// Row writes one record; cells beyond the header's columns are text.
func (c *csvWriter) Row(cells ...string) { c.row(cells, true) }

func (c *csvWriter) row(cells []string, typed bool) {
	out := make([]string, len(cells))
	for i, v := range cells {
		numeric := typed && i < len(c.cols) && c.cols[i].numeric
		if numeric && plainNumber.MatchString(v) {
			out[i] = v
			continue
		}
		out[i] = csvSafe(v)
	}
	// A write error means the client went away; there is no one to tell.
	_ = c.w.Write(out)
}

// Flush sends what is buffered.
func (c *csvWriter) Flush() { c.w.Flush() }

// csvSafe prefixes a cell beginning with =, +, -, @, tab or CR with a single
// quote so that a spreadsheet shows it instead of evaluating it (SPEC §7).
func csvSafe(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
