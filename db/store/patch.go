package store

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam/db/internal/dbq"
)

// apply writes the patch into c and returns what changed, field by field.
func apply(c *dbq.Customer, p CustomerPatch) []Change {
	var ch []Change
	req := func(field string, dst *string, v *string) {
		if v != nil && *v != *dst {
			old := *dst
			ch = append(ch, Change{Field: field, Old: &old, New: v})
			*dst = *v
		}
	}
	opt := func(field string, dst **string, v *string) {
		if v == nil {
			return
		}
		var nv *string
		if *v != "" {
			nv = v
		}
		if eqStr(*dst, nv) {
			return
		}
		ch = append(ch, Change{Field: field, Old: *dst, New: nv})
		*dst = nv
	}
	req("code", &c.Code, p.Code)
	req("name", &c.Name, p.Name)
	opt("nature", &c.Nature, p.Nature)
	opt("industry", &c.Industry, p.Industry)
	opt("product_category", &c.ProductCategory, p.ProductCategory)
	req("tier", &c.Tier, p.Tier)
	req("service_mode", &c.ServiceMode, p.ServiceMode)
	opt("legal_representative", &c.LegalRepresentative, p.LegalRepresentative)
	opt("company_size", &c.CompanySize, p.CompanySize)
	opt("main_products", &c.MainProducts, p.MainProducts)
	if p.AnnualOutputValue != nil && (!c.AnnualOutputValue.Valid || !c.AnnualOutputValue.Decimal.Equal(*p.AnnualOutputValue)) {
		ch = append(ch, Change{Field: "annual_output_value", Old: decStr(c.AnnualOutputValue), New: strp(p.AnnualOutputValue.StringFixed(2))})
		c.AnnualOutputValue = nullDecimal(p.AnnualOutputValue)
	}
	opt("credibility", &c.Credibility, p.Credibility)
	opt("profit_status", &c.ProfitStatus, p.ProfitStatus)
	req("status", &c.Status, p.Status)
	if p.AccountManagerID != nil && (c.AccountManagerID == nil || *c.AccountManagerID != *p.AccountManagerID) {
		ch = append(ch, Change{Field: "account_manager_id", Old: uuidStr(c.AccountManagerID), New: uuidStr(p.AccountManagerID)})
		c.AccountManagerID = p.AccountManagerID
	}
	if p.FoundedOn != nil && (c.FoundedOn == nil || !c.FoundedOn.Equal(*p.FoundedOn)) {
		ch = append(ch, Change{Field: "founded_on", Old: dateStr(c.FoundedOn), New: dateStr(p.FoundedOn)})
		c.FoundedOn = p.FoundedOn
	}
	if p.OpenedOn != nil && !c.OpenedOn.Equal(*p.OpenedOn) {
		ch = append(ch, Change{Field: "opened_on", Old: dateStr(&c.OpenedOn), New: dateStr(p.OpenedOn)})
		c.OpenedOn = *p.OpenedOn
	}
	for _, f := range p.Clear {
		switch f {
		case "annual_output_value":
			if c.AnnualOutputValue.Valid {
				ch = append(ch, Change{Field: f, Old: decStr(c.AnnualOutputValue)})
				c.AnnualOutputValue = decimal.NullDecimal{}
			}
		case "account_manager_id":
			if c.AccountManagerID != nil {
				ch = append(ch, Change{Field: f, Old: uuidStr(c.AccountManagerID)})
				c.AccountManagerID = nil
			}
		case "founded_on":
			if c.FoundedOn != nil {
				ch = append(ch, Change{Field: f, Old: dateStr(c.FoundedOn)})
				c.FoundedOn = nil
			}
		}
	}
	opt("address", &c.Address, p.Address)
	opt("postcode", &c.Postcode, p.Postcode)
	opt("phone", &c.Phone, p.Phone)
	opt("fax", &c.Fax, p.Fax)
	opt("email", &c.Email, p.Email)
	return ch
}

func eqStr(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func strp(s string) *string { return &s }

func decStr(d decimal.NullDecimal) *string {
	if !d.Valid {
		return nil
	}
	return strp(d.Decimal.StringFixed(2))
}

func uuidStr(id *uuid.UUID) *string {
	if id == nil {
		return nil
	}
	return strp(id.String())
}

func dateStr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return strp(t.Format(time.DateOnly))
}
