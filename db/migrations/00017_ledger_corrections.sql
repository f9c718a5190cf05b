-- +goose Up
-- SPEC §7 "Ledger" (Art. 7.5, 13): cash terms, and reversals as correcting
-- entries. Nothing in the ledger is ever deleted or has its amount changed:
-- a reversal is a new row of the opposite sign that names the row it
-- corrects, and at most one row may correct another.

-- Terms: credit (a limit, a settlement cycle and a payment term, followed by
-- a settlement run) or cash (none of them, and no run).
ALTER TABLE credit_agreements
    ADD COLUMN terms text NOT NULL DEFAULT 'credit' CONSTRAINT credit_agreements_terms_check CHECK (terms IN ('credit','cash')),
    ALTER COLUMN arrears_limit DROP NOT NULL,
    ALTER COLUMN settlement_cycle DROP NOT NULL,
    ALTER COLUMN payment_term_days DROP NOT NULL,
    ADD CONSTRAINT credit_agreements_terms_fields_check CHECK (CASE terms
        WHEN 'credit' THEN arrears_limit IS NOT NULL AND settlement_cycle IS NOT NULL AND payment_term_days IS NOT NULL
        ELSE arrears_limit IS NULL AND settlement_cycle IS NULL AND payment_term_days IS NULL END);

-- A reversal keeps the reference and date of the entry it corrects (a
-- replay of a reference finds the original), carries the reason, and is
-- billed with its original: to the same statement when the original was
-- already billed, with it at the next cycle close when not.
ALTER TABLE credit_charges
    ADD COLUMN reverses_id uuid REFERENCES credit_charges(id),
    ADD COLUMN reason text,
    DROP CONSTRAINT credit_charges_amount_check,
    ADD CONSTRAINT credit_charges_amount_check CHECK (CASE WHEN reverses_id IS NULL THEN amount > 0 ELSE amount < 0 END),
    ADD CONSTRAINT credit_charges_reason_check CHECK ((reverses_id IS NULL) = (reason IS NULL)),
    ADD CONSTRAINT credit_charges_reverses_id_key UNIQUE (reverses_id),
    DROP CONSTRAINT credit_charges_customer_id_reference_key;
CREATE UNIQUE INDEX credit_charges_customer_id_reference_key ON credit_charges (customer_id, reference) WHERE reverses_id IS NULL;

ALTER TABLE credit_payments
    ADD COLUMN reverses_id uuid REFERENCES credit_payments(id),
    ADD COLUMN reason text,
    DROP CONSTRAINT credit_payments_amount_check,
    ADD CONSTRAINT credit_payments_amount_check CHECK (CASE WHEN reverses_id IS NULL THEN amount > 0 ELSE amount < 0 END),
    ADD CONSTRAINT credit_payments_reason_check CHECK ((reverses_id IS NULL) = (reason IS NULL)),
    ADD CONSTRAINT credit_payments_reverses_id_key UNIQUE (reverses_id),
    DROP CONSTRAINT credit_payments_customer_id_reference_key;
CREATE UNIQUE INDEX credit_payments_customer_id_reference_key ON credit_payments (customer_id, reference) WHERE reverses_id IS NULL;

-- A statement keeps what it billed (amount_due); reversed is what reversals
-- of its charges took off since, so it is settled at amount_due - reversed.
-- reopened counts the times a reversed payment made it unpaid again: the
-- settlement run follows it afresh each time (its notices are keyed by it).
ALTER TABLE statements
    ADD COLUMN reversed numeric NOT NULL DEFAULT 0,
    ADD COLUMN reopened integer NOT NULL DEFAULT 0,
    DROP CONSTRAINT statements_check,
    ADD CONSTRAINT statements_check CHECK (reversed >= 0 AND reversed <= amount_due AND paid >= 0 AND paid <= amount_due - reversed);

-- +goose Down
ALTER TABLE statements
    DROP CONSTRAINT statements_check,
    ADD CONSTRAINT statements_check CHECK (paid >= 0 AND paid <= amount_due),
    DROP COLUMN reopened,
    DROP COLUMN reversed;
DROP INDEX credit_payments_customer_id_reference_key;
ALTER TABLE credit_payments
    ADD CONSTRAINT credit_payments_customer_id_reference_key UNIQUE (customer_id, reference),
    DROP CONSTRAINT credit_payments_reverses_id_key,
    DROP CONSTRAINT credit_payments_reason_check,
    DROP CONSTRAINT credit_payments_amount_check,
    ADD CONSTRAINT credit_payments_amount_check CHECK (amount > 0),
    DROP COLUMN reason,
    DROP COLUMN reverses_id;
DROP INDEX credit_charges_customer_id_reference_key;
ALTER TABLE credit_charges
    ADD CONSTRAINT credit_charges_customer_id_reference_key UNIQUE (customer_id, reference),
    DROP CONSTRAINT credit_charges_reverses_id_key,
    DROP CONSTRAINT credit_charges_reason_check,
    DROP CONSTRAINT credit_charges_amount_check,
    ADD CONSTRAINT credit_charges_amount_check CHECK (amount > 0),
    DROP COLUMN reason,
    DROP COLUMN reverses_id;
ALTER TABLE credit_agreements
    DROP CONSTRAINT credit_agreements_terms_fields_check,
    ALTER COLUMN arrears_limit SET NOT NULL,
    ALTER COLUMN settlement_cycle SET NOT NULL,
    ALTER COLUMN payment_term_days SET NOT NULL,
    DROP COLUMN terms;
