package kam

import (
	"fmt"

	"github.com/google/uuid"
)

// Bulk archive upkeep (Art. 7.2; SPEC §7 "Archive upkeep"): an import file is
// taken whole or not at all, and is bounded so that one request cannot hold
// the database or the answer without limit.
const (
	// MaxImportRows is the most data rows one import file may have.
	MaxImportRows = 10_000
	// MaxImportBytes is the largest import file (5 MiB).
	MaxImportBytes = 5 << 20
	// MaxImportColumns is the most columns a header may name.
	MaxImportColumns = 64
	// MaxImportErrors is how many row errors an answer lists; the rest are
	// counted.
	MaxImportErrors = 100
)

// ImportError is one refusal in an import file. Row is the row a
// spreadsheet shows: the header is row 1, the first data row row 2. Field is
// the column (empty for the row or the file as a whole); Code is stable.
type ImportError struct {
	Row     int
	Field   string
	Code    string
	Message string
}

// ImportRejected is an import with at least one row error: nothing of it was
// written (all or nothing). Errors lists the first MaxImportErrors in row
// order; Total counts them all.
type ImportRejected struct {
	Rows   int // data rows in the file
	DryRun bool
	Errors []ImportError
	Total  int
	// Outside are existing accounts the file named that the caller may not
	// see: refused like unknown ones, and registered as denied (Art. 9).
	Outside []uuid.UUID
}

func (e *ImportRejected) Error() string {
	return fmt.Sprintf("import_rejected: %d errors in %d rows", e.Total, e.Rows)
}
