-- Bulk archive upkeep (POST /v1/imports/...): one transaction per import;
-- rows are read and written in batches, never one round trip per row. A
-- contact or key person already on file changes through the PATCH's
-- statements (UpdateContacts, UpdateKeyPersons in customers.sql).

-- name: LockCustomersByCode :many
-- The accounts an import names, locked until it commits.
SELECT * FROM customers WHERE code = ANY(sqlc.arg(codes)::text[])
ORDER BY id
FOR UPDATE;

-- name: ImportTierCodes :many
SELECT code FROM tiers;

-- name: ShareLockActiveManagers :many
-- The named staff who may be assigned accounts; share-locked like
-- ShareLockStaff, so a deactivation running at the same time waits and then
-- finds these assignments.
SELECT id FROM staff
WHERE id = ANY(sqlc.arg(ids)::uuid[]) AND role = 'account_manager' AND active
ORDER BY id
FOR SHARE;

-- name: CopyCustomers :copyfrom
INSERT INTO customers (
    id, code, name, nature, industry, product_category, tier, service_mode, legal_representative,
    company_size, main_products, annual_output_value, credibility, profit_status, status,
    account_manager_id, founded_on, address, postcode, phone, fax, email, opened_on
) VALUES (
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23
);

-- name: ImportUpdateCustomers :batchexec
UPDATE customers SET
    code = $2, name = $3, nature = $4, industry = $5, product_category = $6, tier = $7,
    service_mode = $8, legal_representative = $9, company_size = $10, main_products = $11,
    annual_output_value = $12, credibility = $13, profit_status = $14, status = $15,
    account_manager_id = $16, founded_on = $17, address = $18, postcode = $19, phone = $20,
    fax = $21, email = $22, opened_on = $23, version = version + 1, updated_at = now()
WHERE id = $1;

-- name: CopyHistory :copyfrom
INSERT INTO customer_history (customer_id, staff_id, field, old_value, new_value)
VALUES ($1, $2, $3, $4, $5);

-- name: ImportToday :one
-- The day a new account is opened on when its row names none: today in the
-- company's time zone, the day as_of and the reports count by.
SELECT (now() AT TIME ZONE sqlc.arg(tz)::text)::date AS today;

-- name: ImportContactsOf :many
-- The contacts on these archives: a removed one is matched by nobody, so a
-- file naming them again adds them back (Art. 7.2).
SELECT * FROM customer_contacts WHERE customer_id = ANY(sqlc.arg(customer_ids)::uuid[]) AND removed_at IS NULL
ORDER BY customer_id, created_at, id;

-- name: CopyContacts :copyfrom
INSERT INTO customer_contacts (id, customer_id, name, title, phone, email)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: ImportKeyPersonsOf :many
-- The key persons on these archives (removed ones, as for contacts, not).
SELECT * FROM key_persons WHERE customer_id = ANY(sqlc.arg(customer_ids)::uuid[]) AND removed_at IS NULL
ORDER BY customer_id, created_at, id;

-- name: CopyKeyPersons :copyfrom
INSERT INTO key_persons (id, customer_id, name, role, title, phone, email, birthday)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);
