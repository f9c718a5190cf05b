-- Every read of the archive takes the caller's scope: manager_id is the
-- account manager the caller is limited to, or NULL for roles that see all.

-- name: CreateCustomer :one
INSERT INTO customers (
    id, code, name, nature, industry, product_category, tier, service_mode, legal_representative,
    company_size, main_products, annual_output_value, credibility, profit_status, status,
    account_manager_id, founded_on, address, postcode, phone, fax, email
) VALUES (
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22
) RETURNING *;

-- name: GetCustomer :one
SELECT * FROM customers
WHERE id = sqlc.arg(id)
  AND (sqlc.narg(manager_id)::uuid IS NULL OR account_manager_id = sqlc.narg(manager_id));

-- name: LockCustomer :one
SELECT * FROM customers
WHERE id = sqlc.arg(id)
  AND (sqlc.narg(manager_id)::uuid IS NULL OR account_manager_id = sqlc.narg(manager_id))
FOR UPDATE;

-- name: ListCustomers :many
-- Each row carries the facts completeness needs, so a page costs one query.
SELECT sqlc.embed(c),
    (SELECT count(*) FROM customer_contacts cc WHERE cc.customer_id = c.id)::int AS contacts,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'head')::int AS heads,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'handler')::int AS handlers,
    EXISTS (SELECT 1 FROM credit_agreements a WHERE a.customer_id = c.id) AS has_credit
FROM customers c
WHERE (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
  AND (sqlc.narg(after)::uuid IS NULL OR c.id > sqlc.narg(after))
  AND (sqlc.narg(tier)::text IS NULL OR c.tier = sqlc.narg(tier))
  AND (sqlc.narg(industry)::text IS NULL OR c.industry = sqlc.narg(industry))
  AND (sqlc.narg(status)::text IS NULL OR c.status = sqlc.narg(status))
  AND (sqlc.narg(account_manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(account_manager_id))
  AND (sqlc.narg(q)::text IS NULL OR c.name ILIKE '%' || sqlc.narg(q) || '%' OR c.code ILIKE '%' || sqlc.narg(q) || '%')
ORDER BY c.id
LIMIT sqlc.arg(lim);

-- name: UpdateCustomer :one
UPDATE customers SET
    code = $2, name = $3, nature = $4, industry = $5, product_category = $6, tier = $7,
    service_mode = $8, legal_representative = $9, company_size = $10, main_products = $11,
    annual_output_value = $12, credibility = $13, profit_status = $14, status = $15,
    account_manager_id = $16, founded_on = $17, address = $18, postcode = $19, phone = $20,
    fax = $21, email = $22, opened_on = $23, version = version + 1, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: TouchCustomer :exec
UPDATE customers SET version = version + 1, updated_at = now() WHERE id = $1;

-- name: InsertHistory :exec
INSERT INTO customer_history (customer_id, staff_id, field, old_value, new_value)
VALUES ($1, $2, $3, $4, $5);

-- name: ListHistory :many
-- hidden lists the field patterns (LIKE) the caller may not see: credit
-- terms and discounts are filtered here, so a page is never short.
SELECT h.*, s.name AS staff_name FROM customer_history h LEFT JOIN staff s ON s.id = h.staff_id
WHERE h.customer_id = sqlc.arg(customer_id)
  AND (sqlc.narg(after)::bigint IS NULL OR h.id > sqlc.narg(after))
  AND NOT (h.field LIKE ANY (sqlc.arg(hidden)::text[]))
ORDER BY h.id
LIMIT sqlc.arg(lim);

-- name: CreateContact :one
INSERT INTO customer_contacts (id, customer_id, name, title, phone, email)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING *;

-- name: ListContacts :many
SELECT * FROM customer_contacts WHERE customer_id = sqlc.arg(customer_id)
  AND (sqlc.narg(after_at)::timestamptz IS NULL OR (created_at, id) > (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at, id LIMIT sqlc.arg(lim);

-- name: CreateKeyPerson :one
INSERT INTO key_persons (id, customer_id, name, role, title, phone, email, birthday)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *;

-- name: ListKeyPersons :many
SELECT * FROM key_persons WHERE customer_id = sqlc.arg(customer_id)
  AND (sqlc.narg(after_at)::timestamptz IS NULL OR (created_at, id) > (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at, id LIMIT sqlc.arg(lim);

-- name: ArchiveFacts :one
-- What Art. 7 asks for beyond the customer row itself.
SELECT
    (SELECT count(*) FROM customer_contacts c WHERE c.customer_id = $1)::int AS contacts,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = $1 AND k.role = 'head')::int AS heads,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = $1 AND k.role = 'handler')::int AS handlers,
    EXISTS (SELECT 1 FROM credit_agreements a WHERE a.customer_id = $1) AS has_credit;

-- name: ActiveCustomerIDs :many
SELECT id FROM customers
WHERE status = 'active' AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
ORDER BY id LIMIT sqlc.arg(lim);
