package store

import (
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/internal/dbq"
)

// MissingSections lists the Art. 7 sections of an archive that are not yet
// complete. Art. 7.1 asks sales staff for complete, accurate data; an archive
// with nothing missing is complete. Fax is not required: few accounts still
// have one, and an empty fax says nothing about the archive's accuracy.
func MissingSections(c dbq.Customer, f dbq.ArchiveFactsRow) []string {
	missing := []string{}
	if blank(c.Nature) || blank(c.Industry) || blank(c.ProductCategory) || blank(c.LegalRepresentative) ||
		blank(c.CompanySize) || blank(c.MainProducts) || !c.AnnualOutputValue.Valid ||
		blank(c.Credibility) || blank(c.ProfitStatus) {
		missing = append(missing, kam.SectionBasics)
	}
	if blank(c.Address) || blank(c.Postcode) || blank(c.Phone) || blank(c.Email) || f.Contacts == 0 {
		missing = append(missing, kam.SectionContact)
	}
	if f.Heads == 0 || f.Handlers == 0 {
		missing = append(missing, kam.SectionKeyPersons)
	}
	if c.AccountManagerID == nil {
		missing = append(missing, kam.SectionService)
	}
	if !f.HasCredit {
		missing = append(missing, kam.SectionCredit)
	}
	return missing
}

func blank(s *string) bool { return s == nil || *s == "" }

// nullDecimal wraps an optional decimal for sqlc.
func nullDecimal(d *decimal.Decimal) decimal.NullDecimal {
	if d == nil {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: *d, Valid: true}
}
