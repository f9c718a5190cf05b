package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"kam"
)

// interpret turns driver errors into domain errors, so nothing above the store
// ever sees pgx.
func interpret(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return kam.ErrNotFound
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505": // unique_violation
			switch pg.ConstraintName {
			case "customers_code_key":
				return &kam.Error{Kind: kam.KindConflict, Code: "duplicate_code", Field: "code", Message: "another account already has this code"}
			case "staff_email_key":
				return &kam.Error{Kind: kam.KindConflict, Code: "duplicate_email", Field: "email", Message: "another staff member already has this e-mail"}
			case "tiers_rank_key":
				// Ranks order the tiers: "the highest tier an account meets"
				// must be one tier (Art. 2, 3).
				return &kam.Error{Kind: kam.KindConflict, Code: "duplicate_rank", Field: "rank", Message: "another tier already has this rank; give that tier another rank first"}
			case "tiers_pkey":
				return &kam.Error{Kind: kam.KindConflict, Code: "conflict", Field: "code", Message: "the tier was created by another request at the same time; read it and try again"}
			}
			return kam.Errorf(kam.KindConflict, "conflict", "the record already exists")
		case "23503": // foreign_key_violation
			switch pg.ConstraintName {
			case "customers_tier_fkey":
				return kam.Invalid("tier", "no such tier")
			case "customers_account_manager_id_fkey":
				return kam.Invalid("account_manager_id", "no such staff member")
			}
			return kam.Errorf(kam.KindInvalid, "validation_failed", "a referenced record does not exist")
		case "23514": // check_violation
			e := checkViolation(pg.ConstraintName)
			e.Internal = pg.Message
			return e
		}
		if strings.HasPrefix(pg.Code, "22") { // data exception: range, length, encoding (a NUL byte), format
			e := dataException(pg.Code)
			e.Internal = pg.Message
			return e
		}
	}
	return err
}

// checkFields names the input field behind each CHECK constraint a request
// can reach, so a refusal points at the field rather than quoting Postgres.
var checkFields = map[string][2]string{
	"discount_requests_rate_check":              {"rate", "rate must be above 0 and at most 100"},
	"discount_policies_max_standard_rate_check": {"max_standard_rate", "max_standard_rate must not be negative"},
	"credit_agreements_arrears_limit_check":     {"arrears_limit", "arrears_limit must not be negative"},
	"credit_agreements_payment_term_days_check": {"payment_term_days", "payment_term_days must be between 0 and 366"},
	"credit_charges_amount_check":               {"amount", "amount must be positive"},
	"credit_payments_amount_check":              {"amount", "amount must be positive"},
	"ka_costs_amount_check":                     {"amount", "amount must be positive"},
	"sales_quantity_check":                      {"quantity", "quantity must be positive"},
	"sales_amount_check":                        {"amount", "amount must not be negative"},
	"sales_applied_rate_check":                  {"applied_rate", "applied_rate must be between 0 and 100"},
	"satisfaction_score_check":                  {"score", "score must be between 1 and 5"},
	"ka_budgets_amount_check":                   {"amount", "amount must not be negative"},
	"company_revenue_amount_check":              {"amount", "amount must not be negative"},
	"tiers_rank_check":                          {"rank", "rank must be between 1 and 999"},
	"tiers_min_annual_revenue_check":            {"min_annual_revenue", "min_annual_revenue must not be negative"},
	"tiers_min_active_months_check":             {"min_active_months", "min_active_months must be between 0 and 12"},
	// Multi-column checks carry Postgres's default name, <table>_check.
	"discount_requests_check": {"valid_to", "valid_to must not be before valid_from"},
	"discount_policies_check": {"hard_cap_rate", "hard_cap_rate must be at least max_standard_rate and at most 100"},
	"ka_event_invitees_check": {"invitees", "each invitee names an account, a key person or a staff member"},
	// Named checks of a delegation (SPEC §7).
	"delegations_not_to_self":      {"to_staff_id", "a delegation goes to someone else"},
	"delegations_ends_after_start": {"ends_at", "ends_at must be after starts_at"},
	"delegations_reason_length":    {"reason", "a reason is at most 500 characters"},
}

// checkViolation maps a CHECK constraint to a field error, or to a neutral
// refusal when the constraint is not one a request names.
func checkViolation(constraint string) *kam.Error {
	if f, ok := checkFields[constraint]; ok {
		return kam.Invalid(f[0], "%s", f[1])
	}
	return kam.Errorf(kam.KindInvalid, "validation_failed", "a value is out of the allowed range")
}

// dataException words a Postgres data exception (SQLSTATE class 22) without
// quoting the driver.
func dataException(code string) *kam.Error {
	msg := "a value cannot be stored"
	switch code {
	case "22003": // numeric_value_out_of_range
		msg = "a number is too large"
	case "22001": // string_data_right_truncation
		msg = "a text is too long"
	case "22007", "22008": // invalid_datetime_format, datetime_field_overflow
		msg = "a date or time is out of range"
	case "22021", "22P05": // character_not_in_repertoire, untranslatable_character (a NUL byte)
		msg = "a text contains a character that cannot be stored"
	}
	return kam.Errorf(kam.KindInvalid, "validation_failed", "%s", msg)
}

// MappedConstraints lists the CHECK constraints interpret maps to a field
// (a test holds them to the schema, so a renamed constraint is noticed).
func MappedConstraints() []string {
	out := make([]string, 0, len(checkFields))
	for name := range checkFields {
		out = append(out, name)
	}
	return out
}
