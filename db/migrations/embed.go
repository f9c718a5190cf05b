// Package migrations holds kam's schema as goose migrations, embedded so the
// binary migrates its own database; sqlc reads the same files.
package migrations

import "embed"

//go:embed *.sql
var FS embed.FS
