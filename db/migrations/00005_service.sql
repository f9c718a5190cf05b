-- +goose Up
-- Art. 15, 19: whether a tier's greetings come with a gift.
ALTER TABLE tiers ADD COLUMN gift boolean NOT NULL DEFAULT false;
UPDATE tiers SET gift = true WHERE code = 'S';

-- Hotline tickets (Art. 16, 17) and their handling records (Art. 7.6).
CREATE TABLE tickets (
    id                   uuid PRIMARY KEY,
    customer_id          uuid NOT NULL REFERENCES customers(id),
    kind                 text NOT NULL CHECK (kind IN ('inquiry','complaint','claim','shipping')),
    subject              text NOT NULL,
    body                 text NOT NULL DEFAULT '',
    priority             integer NOT NULL,
    status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open','acknowledged','resolved','closed')),
    opened_by            uuid NOT NULL REFERENCES staff(id),
    respond_by           timestamptz NOT NULL,
    resolve_by           timestamptz NOT NULL,
    acknowledged_at      timestamptz,
    resolved_at          timestamptz,
    closed_at            timestamptz,
    response_breached    boolean NOT NULL DEFAULT false,
    resolution_breached  boolean NOT NULL DEFAULT false,
    escalated            boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_queue_idx ON tickets (priority, respond_by, id) WHERE status IN ('open','acknowledged');
CREATE INDEX tickets_customer_idx ON tickets (customer_id, created_at);

CREATE TABLE ticket_events (
    id         bigserial PRIMARY KEY,
    ticket_id  uuid NOT NULL REFERENCES tickets(id),
    type       text NOT NULL CHECK (type IN ('open','acknowledge','note','resolve','close','reopen','response_breached','resolution_breached')),
    staff_id   uuid REFERENCES staff(id),
    at         timestamptz NOT NULL DEFAULT now(),
    note       text NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, id);

-- Visits (Art. 7.6, 20): planned by the visit plan, completed by a record.
CREATE TABLE visits (
    id              uuid PRIMARY KEY,
    customer_id     uuid NOT NULL REFERENCES customers(id),
    status          text NOT NULL CHECK (status IN ('planned','done','missed','cancelled')),
    due_at          timestamptz,
    visited_on      date,
    staff_id        uuid REFERENCES staff(id),
    key_person_ids  uuid[] NOT NULL DEFAULT '{}',
    notes           text NOT NULL DEFAULT '',
    outcome         text NOT NULL DEFAULT '',
    follow_ups      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz
);
-- One planned visit per account and due time: a retried plan step finds it.
CREATE UNIQUE INDEX visits_plan_key ON visits (customer_id, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX visits_customer_idx ON visits (customer_id, created_at);

-- The company calendar (Art. 19).
CREATE TABLE holidays (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    on_date     date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (on_date, name)
);

-- Greeting tasks (Art. 19): one per account, occasion and date, never twice.
CREATE TABLE greetings (
    id                  uuid PRIMARY KEY,
    dedupe_key          text NOT NULL UNIQUE,
    customer_id         uuid NOT NULL REFERENCES customers(id),
    occasion            text NOT NULL CHECK (occasion IN ('birthday','anniversary','holiday')),
    occasion_on         date NOT NULL,
    key_person_id       uuid REFERENCES key_persons(id),
    holiday_id          uuid,
    title               text NOT NULL,
    gift                boolean NOT NULL DEFAULT false,
    account_manager_id  uuid REFERENCES staff(id),
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open','done')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    done_at             timestamptz
);
CREATE INDEX greetings_on_idx ON greetings (occasion_on, customer_id);

-- +goose Down
DROP TABLE greetings;
DROP TABLE holidays;
DROP TABLE visits;
DROP TABLE ticket_events;
DROP TABLE tickets;
ALTER TABLE tiers DROP COLUMN gift;
