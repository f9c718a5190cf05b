-- name: GetCredit :one
SELECT * FROM credit_agreements WHERE customer_id = $1;

-- name: AwaitAccountWrites :exec
-- Waits until no transaction holds the account's row for update (a credit
-- PUT starts its settlement run inside its transaction, holding it), so
-- that the next statement reads what that transaction committed.
SELECT 1 FROM customers WHERE id = $1 FOR KEY SHARE;

-- name: LockCredit :one
-- Every change to an account's credit ledger takes this lock first, so the
-- limit check and the write it guards see the same totals.
SELECT * FROM credit_agreements WHERE customer_id = $1 FOR UPDATE;

-- name: InsertCredit :one
INSERT INTO credit_agreements (customer_id, terms, credit_level, arrears_limit, settlement_cycle, payment_term_days, agreement_ref, agreement_date)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: UpdateCreditTerms :one
UPDATE credit_agreements SET terms = $2, credit_level = $3, arrears_limit = $4, settlement_cycle = $5, payment_term_days = $6,
    agreement_ref = $7, agreement_date = $8, version = version + 1, updated_at = now()
WHERE customer_id = $1 RETURNING *;

-- name: AnchorCycle :one
-- Credit terms after cash: the first cycle starts now.
UPDATE credit_agreements SET cycle_anchor = now() WHERE customer_id = $1 RETURNING *;

-- name: ReopenCredit :one
UPDATE credit_agreements SET status = 'active', closed_at = NULL, cycle_anchor = now(), version = version + 1, updated_at = now()
WHERE customer_id = $1 AND status = 'closed' RETURNING *;

-- name: CloseCredit :one
UPDATE credit_agreements SET status = 'closed', closed_at = now(), version = version + 1, updated_at = now()
WHERE customer_id = $1 RETURNING *;

-- name: InsertCharge :one
INSERT INTO credit_charges (id, customer_id, amount, reference, occurred_on, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (customer_id, reference) WHERE reverses_id IS NULL DO NOTHING
RETURNING *;

-- name: GetChargeByReference :one
-- The entry a reference names (its reversal shares the reference), with the
-- id of that reversal if it has one.
SELECT sqlc.embed(c), r.id AS reversed_by FROM credit_charges c
LEFT JOIN credit_charges r ON r.reverses_id = c.id
WHERE c.customer_id = $1 AND c.reference = $2 AND c.reverses_id IS NULL;

-- name: AddCharged :exec
UPDATE credit_agreements SET charged_total = charged_total + $2, updated_at = now() WHERE customer_id = $1;

-- name: InsertPayment :one
INSERT INTO credit_payments (id, customer_id, amount, reference, received_on, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (customer_id, reference) WHERE reverses_id IS NULL DO NOTHING
RETURNING *;

-- name: GetPaymentByReference :one
SELECT sqlc.embed(p), r.id AS reversed_by FROM credit_payments p
LEFT JOIN credit_payments r ON r.reverses_id = p.id
WHERE p.customer_id = $1 AND p.reference = $2 AND p.reverses_id IS NULL;

-- name: AddPaid :exec
UPDATE credit_agreements SET paid_total = paid_total + $2, unapplied = $3, updated_at = now() WHERE customer_id = $1;

-- name: UnpaidStatementsForUpdate :many
-- Oldest first: payments settle the oldest statement first (Art. 13).
SELECT * FROM statements WHERE customer_id = $1 AND status <> 'paid' ORDER BY period_end FOR UPDATE;

-- name: ApplyToStatement :exec
UPDATE statements SET paid = paid + sqlc.arg(amount),
    status = CASE WHEN paid + sqlc.arg(amount) >= amount_due - reversed THEN 'paid' ELSE status END,
    paid_at = CASE WHEN paid + sqlc.arg(amount) >= amount_due - reversed THEN now() ELSE NULL END
WHERE id = sqlc.arg(id);

-- name: GetStatementByPeriod :one
SELECT * FROM statements WHERE customer_id = $1 AND period_end = $2;

-- name: UnbilledTotal :one
-- A reversal is billed with its original: by the original's time.
SELECT coalesce(sum(c.amount), 0)::numeric AS total FROM credit_charges c
LEFT JOIN credit_charges o ON o.id = c.reverses_id
WHERE c.customer_id = $1 AND c.statement_id IS NULL AND coalesce(o.created_at, c.created_at) < sqlc.arg(period_end);

-- name: InsertStatement :one
INSERT INTO statements (id, customer_id, period_start, period_end, amount_due, due_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: BillCharges :exec
UPDATE credit_charges c SET statement_id = $2
WHERE c.customer_id = $1 AND c.statement_id IS NULL
  AND coalesce((SELECT o.created_at FROM credit_charges o WHERE o.id = c.reverses_id), c.created_at) < sqlc.arg(period_end);

-- name: SetUnapplied :exec
UPDATE credit_agreements SET unapplied = $2 WHERE customer_id = $1;

-- name: GetStatement :one
SELECT * FROM statements WHERE id = $1;

-- name: MarkOverdue :one
UPDATE statements SET status = 'overdue' WHERE id = $1 AND status = 'open' RETURNING *;

-- name: SuspendCredit :execrows
-- Only while a statement is overdue: a payment that settled it after the
-- run marked it (Art. 13: "unpaid at due") leaves credit as it is.
UPDATE credit_agreements a SET status = 'suspended', suspended_at = now(), suspension_reason = $2, version = version + 1, updated_at = now()
WHERE a.customer_id = $1 AND a.status = 'active'
  AND EXISTS (SELECT 1 FROM statements s WHERE s.customer_id = a.customer_id AND s.status = 'overdue');

-- name: ReinstateCredit :execrows
-- Only when nothing is overdue any more.
UPDATE credit_agreements a SET status = 'active', suspended_at = NULL, suspension_reason = NULL, version = version + 1, updated_at = now()
WHERE a.customer_id = $1 AND a.status = 'suspended'
  AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.customer_id = a.customer_id AND s.status = 'overdue');

-- name: ListStatements :many
SELECT * FROM statements WHERE customer_id = sqlc.arg(customer_id)
  AND (sqlc.narg(before)::timestamptz IS NULL OR period_end < sqlc.narg(before))
ORDER BY period_end DESC LIMIT sqlc.arg(lim);

-- name: UnpaidStatements :many
SELECT * FROM statements WHERE customer_id = $1 AND status <> 'paid' ORDER BY period_end;

-- name: InsertCreditEvent :execrows
INSERT INTO credit_events (customer_id, event_key, kind, detail) VALUES ($1, $2, $3, $4)
ON CONFLICT (customer_id, event_key) DO NOTHING;

-- name: ListCreditEvents :many
SELECT * FROM credit_events WHERE customer_id = $1 ORDER BY at;

-- name: SettlementsAdrift :many
-- Open agreements on credit terms whose record shows their settlement run
-- missed a change (a ledger signal lost between a write's commit and the
-- signal): suspended with nothing overdue, or a statement still open past
-- its due time by more than grace (a run about to mark it is left to). The
-- reconcile sweep signals their runs (Art. 13).
SELECT a.customer_id FROM credit_agreements a
WHERE a.status <> 'closed' AND a.terms = 'credit'
  AND ((a.status = 'suspended'
        AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.customer_id = a.customer_id AND s.status = 'overdue'))
    OR EXISTS (SELECT 1 FROM statements s WHERE s.customer_id = a.customer_id AND s.status = 'open'
        AND s.due_at < now() - make_interval(secs => sqlc.arg(grace_seconds)::float8)))
ORDER BY a.customer_id LIMIT sqlc.arg(lim);

-- name: OpenAgreements :many
-- Agreements on credit terms that are not closed: each has a settlement run.
SELECT customer_id FROM credit_agreements
WHERE status <> 'closed' AND terms = 'credit' AND (sqlc.narg(after)::uuid IS NULL OR customer_id > sqlc.narg(after))
ORDER BY customer_id LIMIT sqlc.arg(lim);
