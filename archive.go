package kam

// Archive sections, in the order of Art. 7; the access register names them too.
const (
	SectionBasics     = "basics"      // Art. 7.1
	SectionContact    = "contact"     // Art. 7.2
	SectionKeyPersons = "key_persons" // Art. 7.3
	SectionService    = "service"     // Art. 7.4
	SectionCredit     = "credit"      // Art. 7.7
)

// Access register actions (SPEC §5; Art. 9).
const (
	AccessView   = "view"
	AccessList   = "list"
	AccessExport = "export"
	AccessUpdate = "update"
	AccessDenied = "denied"
)

// ArchiveFacts is what Art. 7 asks for beyond the profile itself: the
// contacts and key persons on the archive, and whether credit terms exist.
type ArchiveFacts struct {
	Contacts, Heads, Handlers int
	HasCredit                 bool
}

// MissingSections lists the Art. 7 sections of an archive that are not yet
// complete. Art. 7.1 asks sales staff for complete, accurate data; an archive
// with nothing missing is complete. Fax is not required: few accounts still
// have one, and an empty fax says nothing about the archive's accuracy.
// Art. 7.3 needs both the head and the business handler.
func MissingSections(c Customer, f ArchiveFacts) []string {
	missing := []string{}
	if blank(c.Nature) || blank(c.Industry) || blank(c.ProductCategory) || blank(c.LegalRepresentative) ||
		blank(c.CompanySize) || blank(c.MainProducts) || !c.AnnualOutputValue.Valid ||
		blank(c.Credibility) || blank(c.ProfitStatus) {
		missing = append(missing, SectionBasics)
	}
	if blank(c.Address) || blank(c.Postcode) || blank(c.Phone) || blank(c.Email) || f.Contacts == 0 {
		missing = append(missing, SectionContact)
	}
	if f.Heads == 0 || f.Handlers == 0 {
		missing = append(missing, SectionKeyPersons)
	}
	if c.AccountManagerID == nil {
		missing = append(missing, SectionService)
	}
	if !f.HasCredit {
		missing = append(missing, SectionCredit)
	}
	return missing
}

func blank(s *string) bool { return s == nil || *s == "" }
