-- The ledger's corrections and views (SPEC §7 "Ledger", Art. 7.5, 13):
-- reversals, the lists of charges and payments, the arrears overview.
-- Every change here runs under the agreement's lock (LockCredit).

-- name: GetCharge :one
-- A charge of one account, with the id of its reversal if it has one.
SELECT sqlc.embed(c), r.id AS reversed_by FROM credit_charges c
LEFT JOIN credit_charges r ON r.reverses_id = c.id
WHERE c.customer_id = $1 AND c.id = $2;

-- name: InsertChargeReversal :one
-- The correcting entry of a charge: the opposite amount, the original's
-- reference and date, billed on the original's statement when it has one.
INSERT INTO credit_charges (id, customer_id, amount, reference, occurred_on, created_by, statement_id, reverses_id, reason)
SELECT sqlc.arg(id), o.customer_id, -o.amount, o.reference, o.occurred_on, sqlc.arg(created_by), o.statement_id, o.id, sqlc.arg(reason)
FROM credit_charges o WHERE o.id = sqlc.arg(original_id)
RETURNING *;

-- name: ListCharges :many
-- Newest first, keyset on (created_at, id).
SELECT sqlc.embed(c), r.id AS reversed_by FROM credit_charges c
LEFT JOIN credit_charges r ON r.reverses_id = c.id
WHERE c.customer_id = sqlc.arg(customer_id)
  AND (sqlc.narg(before_at)::timestamptz IS NULL OR (c.created_at, c.id) < (sqlc.narg(before_at), sqlc.narg(before_id)::uuid))
ORDER BY c.created_at DESC, c.id DESC LIMIT sqlc.arg(lim);

-- name: GetPayment :one
SELECT sqlc.embed(p), r.id AS reversed_by FROM credit_payments p
LEFT JOIN credit_payments r ON r.reverses_id = p.id
WHERE p.customer_id = $1 AND p.id = $2;

-- name: InsertPaymentReversal :one
-- The correcting entry of a payment (a bounced remittance): the opposite
-- amount with the original's reference and date.
INSERT INTO credit_payments (id, customer_id, amount, reference, received_on, created_by, reverses_id, reason)
SELECT sqlc.arg(id), o.customer_id, -o.amount, o.reference, o.received_on, sqlc.arg(created_by), o.id, sqlc.arg(reason)
FROM credit_payments o WHERE o.id = sqlc.arg(original_id)
RETURNING *;

-- name: ListPayments :many
-- Newest first, keyset on (created_at, id).
SELECT sqlc.embed(p), r.id AS reversed_by FROM credit_payments p
LEFT JOIN credit_payments r ON r.reverses_id = p.id
WHERE p.customer_id = sqlc.arg(customer_id)
  AND (sqlc.narg(before_at)::timestamptz IS NULL OR (p.created_at, p.id) < (sqlc.narg(before_at), sqlc.narg(before_id)::uuid))
ORDER BY p.created_at DESC, p.id DESC LIMIT sqlc.arg(lim);

-- name: PaidStatementsForUpdate :many
-- Newest first: a reversed payment is taken back from the statements it
-- settled last (payments settle the oldest first).
SELECT * FROM statements WHERE customer_id = $1 AND paid > 0 ORDER BY period_end DESC FOR UPDATE;

-- name: LockStatement :one
SELECT * FROM statements WHERE id = $1 FOR UPDATE;

-- name: SetStatementStanding :exec
-- A reversal's effect on a statement, worked out by the store under the
-- agreement's lock and the statement's.
UPDATE statements SET reversed = $2, paid = $3, status = $4, paid_at = $5, reopened = $6 WHERE id = $1;

-- name: ArrearsPage :many
-- The arrears overview (Art. 10, 13): every agreement with what of it is
-- overdue (unpaid past due, marked by the run or not yet), by account code.
SELECT sqlc.embed(a), c.code, c.name, c.tier, c.account_manager_id,
    (SELECT coalesce(sum(u.amount), 0) FROM credit_charges u WHERE u.customer_id = a.customer_id AND u.statement_id IS NULL)::numeric AS unbilled,
    o.amount AS overdue_amount, o.n AS overdue_statements, oldest.due_at AS oldest_due_at
FROM credit_agreements a
JOIN customers c ON c.id = a.customer_id
CROSS JOIN LATERAL (
    SELECT coalesce(sum(s.amount_due - s.reversed - s.paid), 0)::numeric AS amount, count(*)::int AS n
    FROM statements s WHERE s.customer_id = a.customer_id AND s.status <> 'paid' AND s.due_at <= now()
) o
LEFT JOIN statements oldest ON oldest.id = (
    SELECT s.id FROM statements s WHERE s.customer_id = a.customer_id AND s.status <> 'paid' AND s.due_at <= now()
    ORDER BY s.due_at, s.id LIMIT 1)
WHERE (sqlc.narg(status)::text IS NULL OR a.status = sqlc.narg(status))
  AND (sqlc.narg(terms)::text IS NULL OR a.terms = sqlc.narg(terms))
  AND (NOT sqlc.arg(overdue_only)::bool OR o.n > 0)
  AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
  AND (sqlc.narg(account_manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(account_manager_id))
  AND (sqlc.narg(after_code)::text IS NULL OR (c.code, c.id) > (sqlc.narg(after_code), sqlc.narg(after_id)::uuid))
ORDER BY c.code, c.id
LIMIT sqlc.arg(lim);

-- name: TouchCharge :exec
-- A reversed charge shows its reversal (reversed_by): a new version.
UPDATE credit_charges SET version = version + 1 WHERE id = $1;

-- name: TouchPayment :exec
UPDATE credit_payments SET version = version + 1 WHERE id = $1;
