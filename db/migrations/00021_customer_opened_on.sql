-- +goose Up
-- The day an account became a key account. Accounts kam opens itself are
-- opened the day they are created; an import (POST /v1/imports/customers)
-- may name an earlier day for an account that predates kam, and the reports
-- count an account from that day ("accounts at start", "added").
ALTER TABLE customers ADD COLUMN opened_on date;
UPDATE customers SET opened_on = created_at::date;
ALTER TABLE customers
    ALTER COLUMN opened_on SET DEFAULT CURRENT_DATE,
    ALTER COLUMN opened_on SET NOT NULL;

-- +goose Down
ALTER TABLE customers DROP COLUMN opened_on;
