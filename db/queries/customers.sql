-- Every read of the archive takes the caller's scope: manager_id is the
-- account manager the caller is limited to, or NULL for roles that see all.

-- name: CreateCustomer :one
INSERT INTO customers (
    id, code, name, nature, industry, product_category, tier, service_mode, legal_representative,
    company_size, main_products, annual_output_value, credibility, profit_status, status,
    account_manager_id, founded_on, address, postcode, phone, fax, email, opened_on
) VALUES (
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
    -- Opened today in the company's time zone, the day as_of and the
    -- reports count by; the column's default is the database's day.
    (now() AT TIME ZONE sqlc.arg(tz)::text)::date
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
    (SELECT count(*) FROM customer_contacts cc WHERE cc.customer_id = c.id AND cc.removed_at IS NULL)::int AS contacts,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'head' AND k.removed_at IS NULL)::int AS heads,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'handler' AND k.removed_at IS NULL)::int AS handlers,
    (a.customer_id IS NOT NULL)::boolean AS has_credit,
    a.credit_level
FROM customers c LEFT JOIN credit_agreements a ON a.customer_id = c.id
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
SELECT * FROM customer_contacts WHERE customer_id = sqlc.arg(customer_id) AND removed_at IS NULL
  AND (sqlc.narg(after_at)::timestamptz IS NULL OR (created_at, id) > (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at, id LIMIT sqlc.arg(lim);

-- name: CreateKeyPerson :one
INSERT INTO key_persons (id, customer_id, name, role, title, phone, email, birthday)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *;

-- name: ListKeyPersons :many
SELECT * FROM key_persons WHERE customer_id = sqlc.arg(customer_id) AND removed_at IS NULL
  AND (sqlc.narg(after_at)::timestamptz IS NULL OR (created_at, id) > (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at, id LIMIT sqlc.arg(lim);

-- name: LockContact :one
-- A contact of this account that is still on the archive.
SELECT * FROM customer_contacts
WHERE id = sqlc.arg(id) AND customer_id = sqlc.arg(customer_id) AND removed_at IS NULL
FOR UPDATE;

-- name: UpdateContacts :batchone
-- The one way a contact changes, from a PATCH or an import (personEdits):
-- a new version each time, so an If-Match read before is stale after.
UPDATE customer_contacts SET name = $2, title = $3, phone = $4, email = $5,
    version = version + 1, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: RemoveContact :one
UPDATE customer_contacts SET removed_at = now(), version = version + 1, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: LockKeyPerson :one
-- A key person of this account who is still on the archive.
SELECT * FROM key_persons
WHERE id = sqlc.arg(id) AND customer_id = sqlc.arg(customer_id) AND removed_at IS NULL
FOR UPDATE;

-- name: UpdateKeyPersons :batchone
-- The one way a key person changes, as UpdateContacts.
UPDATE key_persons SET name = $2, role = $3, title = $4, phone = $5, email = $6, birthday = $7,
    version = version + 1, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: RemoveKeyPerson :one
UPDATE key_persons SET removed_at = now(), version = version + 1, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: CancelBirthdayGreetings :batchexec
-- Art. 19: open birthday tasks of a key person who was removed (birthday
-- NULL) or whose birthday now falls on another day are cancelled. A
-- 29 February birthday keeps its 28 February task of a common year.
UPDATE greetings g SET status = 'cancelled'
WHERE g.key_person_id = sqlc.arg(key_person_id) AND g.occasion = 'birthday' AND g.status = 'open'
  AND NOT coalesce(
        to_char(g.occasion_on, 'MM-DD') = to_char(sqlc.narg(birthday)::date, 'MM-DD')
        OR (to_char(sqlc.narg(birthday)::date, 'MM-DD') = '02-29' AND to_char(g.occasion_on, 'MM-DD') = '02-28'),
        false);

-- name: ArchiveRewindRows :many
-- The changes that decide the archive as it stood just before until
-- (kam.Rewind), newest first: from until on, the oldest change of each
-- profile field and of each key person's role (its old value is what the
-- field said then); before until, the newest profile change (the archive's
-- updated_at then) and the newest change that set a credit grade. However
-- long the history, at most one row per field is sent.
SELECT h.* FROM customer_history h
WHERE h.id IN (
  (SELECT DISTINCT ON (s.field) s.id FROM customer_history s
    WHERE s.customer_id = sqlc.arg(customer_id) AND s.at >= sqlc.arg(until)
      AND (s.field = ANY(sqlc.arg(profile_fields)::text[]) OR s.field LIKE sqlc.arg(role_fields)::text)
    ORDER BY s.field, s.id)
  UNION ALL
  (SELECT p.id FROM customer_history p
    WHERE p.customer_id = sqlc.arg(customer_id) AND p.at < sqlc.arg(until) AND p.field = ANY(sqlc.arg(profile_fields)::text[])
    ORDER BY p.at DESC, p.id DESC LIMIT 1)
  UNION ALL
  (SELECT g.id FROM customer_history g
    WHERE g.customer_id = sqlc.arg(customer_id) AND g.at < sqlc.arg(until) AND g.field = ANY(sqlc.arg(grade_fields)::text[])
      AND g.new_value IS NOT NULL
    ORDER BY g.id DESC LIMIT 1))
ORDER BY h.id DESC;

-- name: ArchiveSavesSince :one
-- How many saves changed the profile from until on: a save's rows share
-- their time, and each save made one version.
SELECT count(DISTINCT at)::int FROM customer_history
WHERE customer_id = sqlc.arg(customer_id) AND at >= sqlc.arg(until) AND field = ANY(sqlc.arg(profile_fields)::text[]);

-- name: AllContacts :many
-- Every contact an account ever had, removed ones included.
SELECT * FROM customer_contacts WHERE customer_id = $1 ORDER BY created_at, id;

-- name: AllKeyPersons :many
-- Every key person an account ever had, removed ones included.
SELECT * FROM key_persons WHERE customer_id = $1 ORDER BY created_at, id;

-- name: GetArchive :one
-- One account in the caller's scope with what Art. 7 asks for beyond the
-- row itself, in one round trip (GetCustomer and ArchiveFacts together).
SELECT sqlc.embed(c),
    (SELECT count(*) FROM customer_contacts cc WHERE cc.customer_id = c.id AND cc.removed_at IS NULL)::int AS contacts,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'head' AND k.removed_at IS NULL)::int AS heads,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'handler' AND k.removed_at IS NULL)::int AS handlers,
    (a.customer_id IS NOT NULL)::boolean AS has_credit,
    a.credit_level
FROM customers c LEFT JOIN credit_agreements a ON a.customer_id = c.id
WHERE c.id = sqlc.arg(id)
  AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id));

-- name: ActiveCustomerIDs :many
SELECT id FROM customers
WHERE status = 'active' AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
ORDER BY id LIMIT sqlc.arg(lim);

-- name: ReadArchivesRegistered :many
-- Several requests' archive reads and their access-register rows in one
-- statement, so one commit (the archive reads' group, Store.RegisteredArchive).
-- Request ord (1-based) asks for ids[ord] within managers[ord] (the zero
-- uuid: any account); rows holds each request's register row with its ord.
-- A request answered is registered in the same commit; one whose account is
-- not found in its scope reads nothing and leaves no row here.
WITH req AS (
    SELECT r.id, NULLIF((sqlc.arg(managers)::uuid[])[r.ord], '00000000-0000-0000-0000-000000000000'::uuid) AS manager_id, r.ord
    FROM unnest(sqlc.arg(ids)::uuid[]) WITH ORDINALITY AS r(id, ord)
), shown AS (
    -- c.id = ANY(ids) keeps the customers a key lookup even where the
    -- planner thinks the table small (fresh statistics), never a scan.
    SELECT req.ord, c.id FROM req JOIN customers c ON c.id = req.id
    WHERE c.id = ANY(sqlc.arg(ids)::uuid[]) AND (req.manager_id IS NULL OR c.account_manager_id = req.manager_id)
), registered AS (
    INSERT INTO access_log (staff_id, staff_role, customer_id, action, sections, request_id, purpose, route)
    SELECT x.staff_id, x.staff_role, x.customer_id, x.action, x.sections, x.request_id, x.purpose, x.route
    FROM shown JOIN jsonb_to_recordset(sqlc.arg(rows)::jsonb)
        AS x(ord bigint, staff_id uuid, staff_role text, customer_id uuid, action text, sections text[], request_id text, purpose text, route text)
      ON x.ord = shown.ord
    ORDER BY shown.ord
)
SELECT shown.ord::int AS ord, sqlc.embed(c),
    (SELECT count(*) FROM customer_contacts cc WHERE cc.customer_id = c.id AND cc.removed_at IS NULL)::int AS contacts,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'head' AND k.removed_at IS NULL)::int AS heads,
    (SELECT count(*) FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'handler' AND k.removed_at IS NULL)::int AS handlers,
    (a.customer_id IS NOT NULL)::boolean AS has_credit,
    a.credit_level
FROM shown JOIN customers c ON c.id = shown.id LEFT JOIN credit_agreements a ON a.customer_id = c.id;
