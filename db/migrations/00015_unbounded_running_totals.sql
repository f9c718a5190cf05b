-- +goose Up
-- Running totals are sums of many entries: a fixed precision lets one large
-- entry make every later one overflow (numeric field overflow), so they are
-- unbounded numeric. Single amounts keep their bounded columns; money is
-- capped at input (SPEC §7). Relaxing a numeric's precision rewrites nothing.
ALTER TABLE credit_agreements
    ALTER COLUMN charged_total TYPE numeric,
    ALTER COLUMN paid_total    TYPE numeric,
    ALTER COLUMN unapplied     TYPE numeric;
-- A statement sums a cycle's charges.
ALTER TABLE statements
    ALTER COLUMN amount_due TYPE numeric,
    ALTER COLUMN paid       TYPE numeric;

-- +goose Down
ALTER TABLE statements
    ALTER COLUMN paid       TYPE numeric(18,2),
    ALTER COLUMN amount_due TYPE numeric(18,2);
ALTER TABLE credit_agreements
    ALTER COLUMN unapplied     TYPE numeric(18,2),
    ALTER COLUMN paid_total    TYPE numeric(18,2),
    ALTER COLUMN charged_total TYPE numeric(18,2);
