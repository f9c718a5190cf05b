-- +goose Up
-- Company totals per month, so the KA share of revenue can be computed (Art. 8.2).
CREATE TABLE company_revenue (
    month       date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    amount      numeric(18,2) NOT NULL CHECK (amount >= 0),
    updated_by  uuid REFERENCES staff(id),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_received_idx ON credit_payments (customer_id, received_on);
CREATE INDEX churns_effective_idx ON churns (effective_on);

-- +goose Down
DROP INDEX churns_effective_idx;
DROP INDEX payments_received_idx;
DROP TABLE company_revenue;
