package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kam/db/store"
)

// The bootstrap line names the token's id, so the first admin's token can be
// revoked like any other; the secret is printed only when kam generated it.
func TestPrintBootstrapNamesTokenID(t *testing.T) {
	b := store.Bootstrapped{StaffID: uuid.New(), TokenID: uuid.New(), Token: "kam_generated_secret_0123456789abcdef"}
	var gen bytes.Buffer
	printBootstrap(&gen, b, false)
	if !strings.Contains(gen.String(), b.TokenID.String()) || !strings.Contains(gen.String(), b.Token) {
		t.Fatalf("generated token: %q lacks the token or its id", gen.String())
	}
	var given bytes.Buffer
	printBootstrap(&given, b, true)
	if !strings.Contains(given.String(), b.TokenID.String()) || strings.Contains(given.String(), b.Token) {
		t.Fatalf("operator's token: %q must name the id and never the secret", given.String())
	}
}
