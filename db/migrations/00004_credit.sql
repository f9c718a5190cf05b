-- +goose Up
-- Art. 10, 13: the credit agreement keeps running totals so that the limit
-- check of a charge is one locked row, not a sum over the ledger.
ALTER TABLE credit_agreements
    ADD COLUMN agreement_ref     text,
    ADD COLUMN agreement_date    date,
    ADD COLUMN charged_total     numeric(18,2) NOT NULL DEFAULT 0,
    ADD COLUMN paid_total        numeric(18,2) NOT NULL DEFAULT 0,
    -- Payments not yet set against a statement (paid ahead, or overpaid).
    ADD COLUMN unapplied         numeric(18,2) NOT NULL DEFAULT 0,
    ADD COLUMN suspended_at      timestamptz,
    ADD COLUMN suspension_reason text,
    ADD COLUMN closed_at         timestamptz,
    -- Where the current settlement cycle began; the workflow's first cycle starts here.
    ADD COLUMN cycle_anchor      timestamptz NOT NULL DEFAULT now();

-- Purchases on credit (记欠). reference is unique per account: a replay finds the first.
CREATE TABLE credit_charges (
    id            uuid PRIMARY KEY,
    customer_id   uuid NOT NULL REFERENCES credit_agreements(customer_id),
    amount        numeric(18,2) NOT NULL CHECK (amount > 0),
    reference     text NOT NULL,
    occurred_on   date NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid REFERENCES staff(id),
    statement_id  uuid,
    UNIQUE (customer_id, reference)
);
CREATE INDEX credit_charges_unbilled_idx ON credit_charges (customer_id, created_at) WHERE statement_id IS NULL;

-- Remittances (Art. 7.5).
CREATE TABLE credit_payments (
    id            uuid PRIMARY KEY,
    customer_id   uuid NOT NULL REFERENCES credit_agreements(customer_id),
    amount        numeric(18,2) NOT NULL CHECK (amount > 0),
    reference     text NOT NULL,
    received_on   date NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid REFERENCES staff(id),
    UNIQUE (customer_id, reference)
);

-- One statement per account and cycle close; the settlement workflow makes them.
CREATE TABLE statements (
    id            uuid PRIMARY KEY,
    customer_id   uuid NOT NULL REFERENCES credit_agreements(customer_id),
    period_start  timestamptz NOT NULL,
    period_end    timestamptz NOT NULL,
    amount_due    numeric(18,2) NOT NULL CHECK (amount_due > 0),
    paid          numeric(18,2) NOT NULL DEFAULT 0 CHECK (paid >= 0 AND paid <= amount_due),
    due_at        timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open','paid','overdue')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    paid_at       timestamptz,
    UNIQUE (customer_id, period_end)
);
CREATE INDEX statements_unpaid_idx ON statements (customer_id, period_end) WHERE status <> 'paid';

-- What the settlement process did, once each: reminders, suspensions, dunning, warnings.
CREATE TABLE credit_events (
    customer_id  uuid NOT NULL REFERENCES credit_agreements(customer_id),
    event_key    text NOT NULL,
    kind         text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    detail       text NOT NULL DEFAULT '',
    PRIMARY KEY (customer_id, event_key)
);

-- +goose Down
DROP TABLE credit_events;
DROP TABLE statements;
DROP TABLE credit_payments;
DROP TABLE credit_charges;
ALTER TABLE credit_agreements
    DROP COLUMN agreement_ref, DROP COLUMN agreement_date, DROP COLUMN charged_total, DROP COLUMN paid_total,
    DROP COLUMN unapplied, DROP COLUMN suspended_at, DROP COLUMN suspension_reason, DROP COLUMN closed_at,
    DROP COLUMN cycle_anchor;
