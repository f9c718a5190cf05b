package api

import (
	"bytes"
	"testing"
)

// SPEC §7: every cell beginning with =, +, -, @, tab or CR gets a leading
// ', numbers included (a negative amount is '-5.00).
func TestCSVWriterDefusesFormulaCells(t *testing.T) {
	var b bytes.Buffer
	w := newCSV(&b, col("name"), col("amount"))
	w.Row(`=HYPERLINK("http://x","y")`, "-5.00")
	w.Row("+1", "=1+1")
	w.Row("@SUM(A1)", "12")
	w.Row("\tTab", "-")
	w.Row("\rCR", "")
	w.Row("-3", "3.5")
	w.Row("plain", "-0.5")
	w.Flush()
	want := "name,amount\n" +
		`"'=HYPERLINK(""http://x"",""y"")",'-5.00` + "\n" +
		"'+1,'=1+1\n" +
		"'@SUM(A1),12\n" +
		"'\tTab,'-\n" +
		"\"'\rCR\",\n" +
		"'-3,3.5\n" +
		"plain,'-0.5\n"
	if b.String() != want {
		t.Errorf("csv =\n%q\nwant\n%q", b.String(), want)
	}
}
