-- +goose Up
-- Art. 21: the costs of developing and maintaining key accounts are budgeted.
-- A budget is per account, or per tier for the accounts without their own.
CREATE TABLE ka_budgets (
    id           uuid PRIMARY KEY,
    year         integer NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    customer_id  uuid REFERENCES customers(id),
    tier         text REFERENCES tiers(code),
    amount       numeric(18,2) NOT NULL CHECK (amount >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((customer_id IS NULL) <> (tier IS NULL))
);
CREATE UNIQUE INDEX ka_budgets_customer_key ON ka_budgets (year, customer_id) WHERE customer_id IS NOT NULL;
CREATE UNIQUE INDEX ka_budgets_tier_key ON ka_budgets (year, tier) WHERE tier IS NOT NULL;

CREATE TABLE ka_costs (
    id           uuid PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers(id),
    category     text NOT NULL CHECK (category IN ('visit','gift','event','travel','other')),
    amount       numeric(18,2) NOT NULL CHECK (amount > 0),
    incurred_on  date NOT NULL,
    note         text NOT NULL DEFAULT '',
    created_by   uuid REFERENCES staff(id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ka_costs_customer_idx ON ka_costs (customer_id, incurred_on);

-- Art. 5.4, 5.7, 19: symposiums, customer events and staff training, with
-- whom was invited and who came.
CREATE TABLE ka_events (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('symposium','customer_event','training')),
    title       text NOT NULL,
    held_on     date NOT NULL,
    location    text NOT NULL DEFAULT '',
    notes       text NOT NULL DEFAULT '',
    created_by  uuid REFERENCES staff(id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ka_event_invitees (
    id             uuid PRIMARY KEY,
    event_id       uuid NOT NULL REFERENCES ka_events(id),
    customer_id    uuid REFERENCES customers(id),
    key_person_id  uuid REFERENCES key_persons(id),
    staff_id       uuid REFERENCES staff(id),
    attended       boolean,
    CHECK (customer_id IS NOT NULL OR staff_id IS NOT NULL)
);
CREATE INDEX ka_event_invitees_event_idx ON ka_event_invitees (event_id);

-- +goose Down
DROP TABLE ka_event_invitees;
DROP TABLE ka_events;
DROP TABLE ka_costs;
DROP TABLE ka_budgets;
