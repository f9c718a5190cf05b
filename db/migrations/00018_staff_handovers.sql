-- +goose Up
-- SPEC §7 "Staff and identity": a staff handover moves all of one manager's
-- accounts, their pending discount requests, visit plans and greeting tasks
-- to another account manager (Art. 20: no account is left without its
-- manager). A handover is run by the staff-handover/<id> workflow in batches;
-- this row is its record and its progress, the read model of
-- GET /v1/staff/{id}/handovers/{handover_id}. The request that asked for it
-- (who, role, request id, route, purpose) is kept so that each batch writes
-- the `update` access-register rows of the accounts it moves in its own
-- transaction, under that request (Art. 9).
CREATE TABLE staff_handovers (
    id              uuid PRIMARY KEY,
    from_staff_id   uuid NOT NULL REFERENCES staff(id),
    to_staff_id     uuid NOT NULL REFERENCES staff(id),
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    reason          text NOT NULL DEFAULT '',
    accounts_moved  integer NOT NULL DEFAULT 0,
    requests_moved  integer NOT NULL DEFAULT 0,
    greetings_moved integer NOT NULL DEFAULT 0,
    batches         integer NOT NULL DEFAULT 0,
    requested_by    uuid NOT NULL REFERENCES staff(id),
    requested_role  text NOT NULL,
    request_id      text NOT NULL DEFAULT '',
    route           text NOT NULL DEFAULT '',
    purpose         text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    CONSTRAINT staff_handovers_not_to_self CHECK (from_staff_id <> to_staff_id)
);
-- One running handover per person: a retried request finds it.
CREATE UNIQUE INDEX staff_handovers_running_from ON staff_handovers (from_staff_id) WHERE status = 'running';
CREATE INDEX staff_handovers_running_to ON staff_handovers (to_staff_id) WHERE status = 'running';

-- What each batch moved, keyed by its number: a batch retried after a crash
-- (its transaction committed, its answer lost) answers the same, so the run
-- steers exactly the accounts and requests that batch moved.
CREATE TABLE staff_handover_batches (
    handover_id  uuid NOT NULL REFERENCES staff_handovers(id),
    batch        integer NOT NULL CHECK (batch >= 0),
    customer_ids uuid[] NOT NULL,
    request_ids  uuid[] NOT NULL,
    greetings    integer NOT NULL,
    moved_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handover_id, batch)
);

-- +goose Down
DROP TABLE staff_handover_batches;
DROP TABLE staff_handovers;
