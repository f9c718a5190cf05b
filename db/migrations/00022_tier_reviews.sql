-- +goose Up
-- Art. 2: a key account buys a large volume (revenue) and is relatively
-- stable (months with a purchase). Each tier names the least of both an
-- account needs to be graded into it by a tier review; rank orders the tiers
-- (1 the highest) and is unique, so "the highest tier an account meets" is
-- always one tier.
ALTER TABLE tiers
    ADD COLUMN min_annual_revenue numeric(18,2) NOT NULL DEFAULT 0 CHECK (min_annual_revenue >= 0),
    ADD COLUMN min_active_months  integer NOT NULL DEFAULT 0 CHECK (min_active_months BETWEEN 0 AND 12),
    ADD CONSTRAINT tiers_rank_check CHECK (rank BETWEEN 1 AND 999),
    ADD CONSTRAINT tiers_rank_key UNIQUE (rank);
-- Starting values for the seeded grades; operators tune them with
-- PUT /v1/tiers/{code}.
UPDATE tiers SET min_annual_revenue = 5000000, min_active_months = 10 WHERE code = 'S';
UPDATE tiers SET min_annual_revenue = 1000000, min_active_months = 6 WHERE code = 'A';
UPDATE tiers SET min_annual_revenue = 200000, min_active_months = 3 WHERE code = 'B';

-- Who changed what of a tier, when (SPEC §7), written in the change's own
-- transaction; a new tier has one row per field with no old value.
CREATE TABLE tier_history (
    id         bigserial PRIMARY KEY,
    tier       text NOT NULL REFERENCES tiers(code),
    staff_id   uuid REFERENCES staff(id),
    at         timestamptz NOT NULL DEFAULT now(),
    field      text NOT NULL,
    old_value  text,
    new_value  text
);
CREATE INDEX tier_history_tier_idx ON tier_history (tier, id);

-- Tier reviews (Art. 2, 3): every active account graded from the sales of
-- the twelve calendar months before as_of's month.
CREATE TABLE tier_reviews (
    id            uuid PRIMARY KEY,
    trigger       text NOT NULL CHECK (trigger IN ('schedule','manual')),
    requested_by  uuid REFERENCES staff(id),
    as_of         date NOT NULL,
    period_from   date NOT NULL,
    period_to     date NOT NULL, -- the last day graded
    status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running','done')),
    graded        integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX tier_reviews_created_idx ON tier_reviews (created_at, id);

-- One proposal per account whose grade differs from its tier; to_tier NULL:
-- the account meets no tier, it is no longer a key account.
CREATE TABLE tier_review_proposals (
    review_id      uuid NOT NULL REFERENCES tier_reviews(id),
    customer_id    uuid NOT NULL REFERENCES customers(id),
    from_tier      text NOT NULL REFERENCES tiers(code),
    to_tier        text REFERENCES tiers(code),
    revenue_12m    numeric NOT NULL, -- a sum of many sales: unbounded, like every running total
    active_months  integer NOT NULL CHECK (active_months BETWEEN 0 AND 12),
    decision       text NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending','accepted','rejected')),
    decided_by     uuid REFERENCES staff(id),
    decided_at     timestamptz,
    comment        text NOT NULL DEFAULT '',
    PRIMARY KEY (review_id, customer_id)
);
CREATE INDEX tier_review_proposals_customer_idx ON tier_review_proposals (customer_id);

-- An accepted "no longer a key account" is registered as a lost account
-- (Art. 8.4) with reason downgraded.
ALTER TABLE churns DROP CONSTRAINT churns_reason_check;
ALTER TABLE churns ADD CONSTRAINT churns_reason_check
    CHECK (reason IN ('price','quality','service','delivery','relocation','closure','competitor','other','downgraded'));

-- +goose Down
UPDATE churns SET reason = 'other', reason_text = 'downgraded: ' || reason_text WHERE reason = 'downgraded';
ALTER TABLE churns DROP CONSTRAINT churns_reason_check;
ALTER TABLE churns ADD CONSTRAINT churns_reason_check
    CHECK (reason IN ('price','quality','service','delivery','relocation','closure','competitor','other'));
DROP TABLE tier_review_proposals;
DROP TABLE tier_reviews;
DROP TABLE tier_history;
ALTER TABLE tiers
    DROP CONSTRAINT tiers_rank_key,
    DROP CONSTRAINT tiers_rank_check,
    DROP COLUMN min_active_months,
    DROP COLUMN min_annual_revenue;
