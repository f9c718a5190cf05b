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

// A formula disguised behind leading blanks, invisible characters or a
// fullwidth sign is defused too (churn competitor " =HYPERLINK(…)" reached
// the churn report's CSV as is); text that merely contains a sign is not.
func TestCSVWriterDefusesDisguisedFormulaCells(t *testing.T) {
	for _, v := range []string{
		" =HYPERLINK(\"http://x\",\"y\")", "  +1+1", "\n=1+2", "\u00a0@SUM(A1)", "\u3000=cmd|' /C calc'!A0",
		"\ufeff=1", "\u200b-1", "\u202e=1", "\v\f=1", "＝1+1", "＋1", "－1", "＠SUM(A1)", " ＝1",
	} {
		if got := csvSafe(v); got != "'"+v {
			t.Errorf("csvSafe(%q) = %q, want it prefixed with '", v, got)
		}
	}
	for _, v := range []string{"plain", " plain", "a=b", "3-1", "名字 =x", "", " ", "\u3000"} {
		if got := csvSafe(v); got != v {
			t.Errorf("csvSafe(%q) = %q, want it unchanged", v, got)
		}
	}
}
