package api

import (
	"slices"
	"testing"

	"github.com/google/uuid"
)

// A list registers each account it shows once, in the order shown (Art. 9).
func TestAccountsOfOncePerAccountInOrder(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	type row struct{ customer uuid.UUID }
	got := accountsOf([]row{{a}, {b}, {a}, {b}}, func(r row) uuid.UUID { return r.customer })
	if !slices.Equal(got, []uuid.UUID{a, b}) {
		t.Fatalf("accountsOf = %v, want [%v %v]", got, a, b)
	}
	if got := accountsOf([]row{}, func(r row) uuid.UUID { return r.customer }); len(got) != 0 {
		t.Fatalf("an empty page shows no account, got %v", got)
	}
}
