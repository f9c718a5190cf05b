-- +goose Up
-- Product use (Art. 7.5, 8): what each account bought, at which discount, where it went.
CREATE TABLE sales (
    id                uuid PRIMARY KEY,
    customer_id       uuid NOT NULL REFERENCES customers(id),
    product           text NOT NULL,
    product_category  text NOT NULL,
    quantity          numeric(18,3) NOT NULL CHECK (quantity > 0),
    amount            numeric(18,2) NOT NULL CHECK (amount >= 0),
    applied_rate      numeric(7,3) NOT NULL DEFAULT 0 CHECK (applied_rate >= 0 AND applied_rate <= 100),
    region            text NOT NULL DEFAULT '',
    sold_on           date NOT NULL,
    created_by        uuid REFERENCES staff(id),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sales_customer_idx ON sales (customer_id, sold_on);
CREATE INDEX sales_sold_on_idx ON sales (sold_on);

-- Customer satisfaction (Art. 8.2).
CREATE TABLE satisfaction (
    id           uuid PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers(id),
    score        integer NOT NULL CHECK (score BETWEEN 1 AND 5),
    channel      text NOT NULL DEFAULT '',
    comment      text NOT NULL DEFAULT '',
    surveyed_on  date NOT NULL,
    created_by   uuid REFERENCES staff(id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX satisfaction_customer_idx ON satisfaction (customer_id, surveyed_on);

-- Lost accounts (Art. 8.4): why, where to, which competitor; and win-backs.
CREATE TABLE churns (
    id              uuid PRIMARY KEY,
    customer_id     uuid NOT NULL REFERENCES customers(id),
    reason          text NOT NULL CHECK (reason IN ('price','quality','service','delivery','relocation','closure','competitor','other')),
    reason_text     text NOT NULL DEFAULT '',
    destination     text NOT NULL DEFAULT '',
    competitor      text NOT NULL DEFAULT '',
    effective_on    date NOT NULL,
    recorded_by     uuid REFERENCES staff(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    reactivated_at  timestamptz,
    reactivated_by  uuid REFERENCES staff(id)
);
CREATE INDEX churns_customer_idx ON churns (customer_id, created_at);

-- Discount inspections (Art. 14): irregular checks of how grants are applied.
CREATE TABLE inspections (
    id              uuid PRIMARY KEY,
    trigger         text NOT NULL CHECK (trigger IN ('schedule','manual')),
    requested_by    uuid REFERENCES staff(id),
    sample_size     integer NOT NULL CHECK (sample_size BETWEEN 1 AND 10000),
    seed            bigint NOT NULL,
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running','done')),
    sampled_grants  uuid[] NOT NULL DEFAULT '{}',
    sales_checked   integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

CREATE TABLE inspection_findings (
    inspection_id  uuid NOT NULL REFERENCES inspections(id),
    sale_id        uuid NOT NULL REFERENCES sales(id),
    customer_id    uuid NOT NULL REFERENCES customers(id),
    grant_id       uuid REFERENCES discount_grants(id),
    kind           text NOT NULL CHECK (kind IN ('rate_above_grant','outside_validity','no_grant')),
    applied_rate   numeric(7,3) NOT NULL,
    granted_rate   numeric(7,3),
    PRIMARY KEY (inspection_id, sale_id)
);

-- +goose Down
DROP TABLE inspection_findings;
DROP TABLE inspections;
DROP TABLE churns;
DROP TABLE satisfaction;
DROP TABLE sales;
