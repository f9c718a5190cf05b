package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// An import cell of a million digits is refused without being parsed: the
// decimal parser's cost grows with the square of the digits (5 s of CPU for
// a million, more than the write timeout for three million), and a 5 MiB
// file holds five million.
func TestLongAmountIsRefusedUnparsed(t *testing.T) {
	file := "code,name,annual_output_value\nD-1,Digits," + strings.Repeat("9", 1<<20) + "\n"
	start := time.Now()
	sh := readSheet([]byte(file), customerColumns)
	took := time.Since(start)
	var errs []string
	for _, e := range sh.errs.list {
		errs = append(errs, fmt.Sprintf("%d/%s/%s", e.Row, e.Field, e.Code))
	}
	if fmt.Sprint(errs) != "[2/annual_output_value/invalid_amount]" {
		t.Fatalf("errors %v", errs)
	}
	if took > 500*time.Millisecond {
		t.Fatalf("reading one long amount took %s", took)
	}
	if _, err := parseMoney("body.amount", "0."+strings.Repeat("0", 100)+"1"); err == nil {
		t.Fatal("a 100-decimal amount was accepted")
	}
	if d, err := parseMoney("body.amount", "999999999999.99"); err != nil || !d.Equal(maxMoney) {
		t.Fatalf("the largest amount: %v %v", d, err)
	}
}

// A cursor's amount is read only as money() writes it: a forged exponent
// would make every row's comparison with it scale the row to that many
// digits.
func TestCursorAmountHasNoExponent(t *testing.T) {
	var d decimal.Decimal
	for _, key := range []string{"1e-10000", "1E5", strings.Repeat("1", 41)} {
		c := encodeCursor("report-churn", key, "r", "d", "c")
		if _, err := decodeCursor(c, "report-churn", decimalKey(&d), textKey(new(string)), textKey(new(string)), textKey(new(string))); err == nil {
			t.Fatalf("cursor amount %.20q accepted", key)
		}
	}
	c := encodeCursor("report-churn", "1234.50", "r", "d", "c")
	if _, err := decodeCursor(c, "report-churn", decimalKey(&d), textKey(new(string)), textKey(new(string)), textKey(new(string))); err != nil || d.String() != "1234.5" {
		t.Fatalf("a cursor amount as issued: %v %v", d, err)
	}
}
