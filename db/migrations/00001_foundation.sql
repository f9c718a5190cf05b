-- +goose Up
-- Staff and their API tokens (SPEC §2). Only a SHA-256 of each token is kept.
CREATE TABLE staff (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    email       text,
    role        text NOT NULL CHECK (role IN ('admin','general_manager','ka_manager','account_manager',
                                             'data_clerk','service_agent','finance','auditor')),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_email_key ON staff (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX staff_role_idx ON staff (role) WHERE active;

CREATE TABLE api_tokens (
    id          uuid PRIMARY KEY,
    staff_id    uuid NOT NULL REFERENCES staff(id),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX api_tokens_staff_idx ON api_tokens (staff_id);

-- Tiers (Art. 3, 15): service policy per grade.
CREATE TABLE tiers (
    code                    text PRIMARY KEY,
    name                    text NOT NULL,
    rank                    integer NOT NULL,
    visit_cadence           text NOT NULL,
    ticket_response_within  text NOT NULL,
    ticket_resolve_within   text NOT NULL,
    greeting_occasions      text[] NOT NULL DEFAULT '{}',
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- Discount policy per tier and product category (Art. 5.5, 11, 12).
CREATE TABLE discount_policies (
    tier               text NOT NULL REFERENCES tiers(code),
    product_category   text NOT NULL,
    max_standard_rate  numeric(7,3) NOT NULL CHECK (max_standard_rate >= 0),
    hard_cap_rate      numeric(7,3) NOT NULL CHECK (hard_cap_rate >= max_standard_rate AND hard_cap_rate <= 100),
    methods            text[] NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tier, product_category)
);

-- The key-account archive (Art. 7). version drives optimistic concurrency.
CREATE TABLE customers (
    id                    uuid PRIMARY KEY,
    code                  text NOT NULL UNIQUE,
    name                  text NOT NULL,
    nature                text,
    industry              text,
    product_category      text,
    tier                  text NOT NULL REFERENCES tiers(code),
    service_mode          text NOT NULL DEFAULT 'account_manager' CHECK (service_mode IN ('account_manager','resident')),
    legal_representative  text,
    company_size          text,
    main_products         text,
    annual_output_value   numeric(18,2),
    credibility           text,
    profit_status         text,
    status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active','churned')),
    account_manager_id    uuid REFERENCES staff(id),
    founded_on            date,
    address               text,
    postcode              text,
    phone                 text,
    fax                   text,
    email                 text,
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_manager_idx ON customers (account_manager_id, id);
CREATE INDEX customers_tier_idx ON customers (tier, id);

CREATE TABLE customer_contacts (
    id           uuid PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers(id),
    name         text NOT NULL,
    title        text,
    phone        text,
    email        text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_contacts_customer_idx ON customer_contacts (customer_id, created_at);

-- Art. 7.3: the enterprise's head and the person handling business.
CREATE TABLE key_persons (
    id           uuid PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers(id),
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('head','handler','other')),
    title        text,
    phone        text,
    email        text,
    birthday     date,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX key_persons_customer_idx ON key_persons (customer_id, created_at);

-- Art. 7.7 credit grade; the settlement process builds on this row.
CREATE TABLE credit_agreements (
    customer_id        uuid PRIMARY KEY REFERENCES customers(id),
    credit_level       text NOT NULL,
    arrears_limit      numeric(18,2) NOT NULL CHECK (arrears_limit >= 0),
    settlement_cycle   text NOT NULL,
    payment_term_days  integer NOT NULL CHECK (payment_term_days BETWEEN 0 AND 366),
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active','suspended','closed')),
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Art. 7 (2) dynamic management: every change, in the same transaction as the change.
CREATE TABLE customer_history (
    id           bigserial PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers(id),
    staff_id     uuid REFERENCES staff(id),
    at           timestamptz NOT NULL DEFAULT now(),
    field        text NOT NULL,
    old_value    text,
    new_value    text
);
CREATE INDEX customer_history_customer_idx ON customer_history (customer_id, id);

-- In-app inbox. event_key makes delivery exactly-once per recipient and event.
CREATE TABLE notifications (
    id            uuid PRIMARY KEY,
    recipient_id  uuid NOT NULL REFERENCES staff(id),
    event_key     text NOT NULL,
    kind          text NOT NULL,
    title         text NOT NULL,
    body          text NOT NULL DEFAULT '',
    customer_id   uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz,
    UNIQUE (recipient_id, event_key)
);
CREATE INDEX notifications_inbox_idx ON notifications (recipient_id, (read_at IS NOT NULL), created_at DESC, id);

-- Replays of creating POSTs (Idempotency-Key).
CREATE TABLE idempotency_keys (
    staff_id      uuid NOT NULL REFERENCES staff(id),
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    status        integer,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, key)
);

-- Access register (Art. 9, SPEC §5). Rows are appended without any lock; a
-- single sealer later gives each row its place in the chain (chain_pos) and its
-- hashes, in order. The trigger below makes the table append-only: the only
-- update allowed is that one-time sealing, and nothing may be deleted.
CREATE TABLE access_log (
    seq          bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    staff_id     uuid,
    staff_role   text,
    customer_id  uuid,
    action       text NOT NULL CHECK (action IN ('view','list','export','update','denied')),
    sections     text[] NOT NULL DEFAULT '{}',
    request_id   text NOT NULL DEFAULT '',
    purpose      text NOT NULL DEFAULT '',
    route        text NOT NULL DEFAULT '',
    chain_pos    bigint UNIQUE,
    prev_hash    bytea,
    hash         bytea
);
CREATE INDEX access_log_unsealed_idx ON access_log (seq) WHERE chain_pos IS NULL;
CREATE INDEX access_log_staff_idx ON access_log (staff_id, seq);
CREATE INDEX access_log_customer_idx ON access_log (customer_id, seq);
CREATE INDEX access_log_at_idx ON access_log (at);

-- +goose StatementBegin
CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.chain_pos IS NULL AND NEW.chain_pos IS NOT NULL AND NEW.hash IS NOT NULL
           AND (NEW.seq, NEW.at, NEW.staff_id, NEW.staff_role, NEW.customer_id, NEW.action, NEW.sections,
                NEW.request_id, NEW.purpose, NEW.route)
               IS NOT DISTINCT FROM
               (OLD.seq, OLD.at, OLD.staff_id, OLD.staff_role, OLD.customer_id, OLD.action, OLD.sections,
                OLD.request_id, OLD.purpose, OLD.route) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'access_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();

-- +goose Down
DROP TABLE access_log;
DROP FUNCTION access_log_append_only();
DROP TABLE idempotency_keys;
DROP TABLE notifications;
DROP TABLE customer_history;
DROP TABLE credit_agreements;
DROP TABLE key_persons;
DROP TABLE customer_contacts;
DROP TABLE customers;
DROP TABLE discount_policies;
DROP TABLE tiers;
DROP TABLE api_tokens;
DROP TABLE staff;
