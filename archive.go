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
