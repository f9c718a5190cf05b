-- +goose Up
-- Discount requests (Art. 11, 12). The policy that routed a request is
-- snapshotted on it: changing the policy later never re-routes it.
CREATE TABLE discount_requests (
    id                 uuid PRIMARY KEY,
    customer_id        uuid NOT NULL REFERENCES customers(id),
    requester_id       uuid NOT NULL REFERENCES staff(id),
    product_category   text NOT NULL,
    rate               numeric(7,3) NOT NULL CHECK (rate > 0 AND rate <= 100),
    method             text NOT NULL CHECK (method IN ('percentage','fixed_price','rebate')),
    valid_from         date NOT NULL,
    valid_to           date NOT NULL CHECK (valid_to >= valid_from),
    reason             text NOT NULL DEFAULT '',
    route              text NOT NULL CHECK (route IN ('standard','beyond_standard')),
    policy_max_standard_rate numeric(7,3) NOT NULL,
    policy_hard_cap_rate     numeric(7,3) NOT NULL,
    state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','approved','rejected','withdrawn','expired')),
    stage              text CHECK (stage IN ('ka_department','general_manager')),
    escalated          boolean NOT NULL DEFAULT false,
    deadline           timestamptz,
    reminders          integer NOT NULL DEFAULT 0,
    -- The run's save counter: an older save arriving late never overwrites a newer one.
    state_seq          integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    closed_at          timestamptz
);
CREATE INDEX discount_requests_customer_idx ON discount_requests (customer_id, id);
CREATE INDEX discount_requests_requester_idx ON discount_requests (requester_id, id);
CREATE INDEX discount_requests_pending_idx ON discount_requests (id) WHERE state = 'pending';

-- Level-by-level approval: one decision per stage at most.
CREATE TABLE discount_decisions (
    request_id  uuid NOT NULL REFERENCES discount_requests(id),
    stage       text NOT NULL CHECK (stage IN ('ka_department','general_manager')),
    decision    text NOT NULL CHECK (decision IN ('approve','reject')),
    decided_by  uuid NOT NULL REFERENCES staff(id),
    decided_at  timestamptz NOT NULL DEFAULT now(),
    comment     text NOT NULL DEFAULT '',
    PRIMARY KEY (request_id, stage)
);

-- Everything else the process did: reminders, escalation, expiry, filing.
CREATE TABLE discount_events (
    request_id  uuid NOT NULL REFERENCES discount_requests(id),
    event_key   text NOT NULL,
    kind        text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    detail      text NOT NULL DEFAULT '',
    PRIMARY KEY (request_id, event_key)
);

-- The account's discount standard (Art. 7.8): one grant per approved request,
-- effective-dated; a newer overlapping grant supersedes an older one from its start.
CREATE TABLE discount_grants (
    id                uuid PRIMARY KEY,
    request_id        uuid NOT NULL UNIQUE REFERENCES discount_requests(id),
    customer_id       uuid NOT NULL REFERENCES customers(id),
    product_category  text NOT NULL,
    rate              numeric(7,3) NOT NULL,
    method            text NOT NULL,
    valid_from        date NOT NULL,
    valid_to          date NOT NULL,
    granted_at        timestamptz NOT NULL DEFAULT now(),
    approved_by       uuid NOT NULL REFERENCES staff(id),
    ended_at          timestamptz
);
CREATE INDEX discount_grants_customer_idx ON discount_grants (customer_id, product_category, valid_from);

-- Filing with the General Manager (报总经理备案, Art. 12).
CREATE TABLE filings (
    id               uuid PRIMARY KEY,
    request_id       uuid NOT NULL UNIQUE REFERENCES discount_requests(id),
    grant_id         uuid NOT NULL REFERENCES discount_grants(id),
    customer_id      uuid NOT NULL REFERENCES customers(id),
    filed_at         timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,
    acknowledged_by  uuid REFERENCES staff(id)
);
CREATE INDEX filings_open_idx ON filings (filed_at) WHERE acknowledged_at IS NULL;

-- +goose Down
DROP TABLE filings;
DROP TABLE discount_grants;
DROP TABLE discount_events;
DROP TABLE discount_decisions;
DROP TABLE discount_requests;
