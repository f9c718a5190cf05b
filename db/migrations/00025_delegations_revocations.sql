-- +goose Up
-- SPEC §7 "Approvals and work" (Art. 11, 12).
--
-- A delegation hands a decider's approvals to a deputy for a while: while it
-- is in force (starts_at <= now < ends_at, not ended early) the deputy decides
-- what the delegator may decide, never their own request. DELETE ends one
-- early (ended_at); the row stays, so who could decide when stays on record.
CREATE TABLE delegations (
    id             uuid PRIMARY KEY,
    from_staff_id  uuid NOT NULL REFERENCES staff(id),
    to_staff_id    uuid NOT NULL REFERENCES staff(id),
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    reason         text NOT NULL DEFAULT '',
    created_by     uuid NOT NULL REFERENCES staff(id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    ended_at       timestamptz,
    ended_by       uuid REFERENCES staff(id),
    CONSTRAINT delegations_not_to_self CHECK (to_staff_id <> from_staff_id),
    CONSTRAINT delegations_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT delegations_reason_length CHECK (char_length(reason) <= 500)
);
-- Who may act for whom now (a decision), and whose deputies hear (a notice).
CREATE INDEX delegations_to_idx ON delegations (to_staff_id, ends_at) WHERE ended_at IS NULL;
CREATE INDEX delegations_from_idx ON delegations (from_staff_id, ends_at) WHERE ended_at IS NULL;

-- A decision a deputy made records whom it was made for.
ALTER TABLE discount_decisions ADD COLUMN on_behalf_of uuid REFERENCES staff(id);

-- A grant revoked before its valid_to: it ends at once (ended_at), its
-- validity ends with the company's day of the revocation (revoked_on; sales
-- dated later are inspection findings), and the GM gets a filing of it.
ALTER TABLE discount_grants
    ADD COLUMN revoked_at    timestamptz,
    ADD COLUMN revoked_on    date,
    ADD COLUMN revoked_by    uuid REFERENCES staff(id),
    ADD COLUMN revoke_reason text;

-- A request has at most one filing of each kind: its standard grant (Art. 12)
-- and its grant's revocation.
ALTER TABLE filings ADD COLUMN kind text NOT NULL DEFAULT 'grant' CONSTRAINT filings_kind_check CHECK (kind IN ('grant', 'revocation'));
ALTER TABLE filings DROP CONSTRAINT filings_request_id_key;
ALTER TABLE filings ADD CONSTRAINT filings_request_kind_key UNIQUE (request_id, kind);

-- +goose Down
ALTER TABLE filings DROP CONSTRAINT filings_request_kind_key;
DELETE FROM filings WHERE kind <> 'grant';
ALTER TABLE filings ADD CONSTRAINT filings_request_id_key UNIQUE (request_id);
ALTER TABLE filings DROP COLUMN kind;
ALTER TABLE discount_grants DROP COLUMN revoke_reason, DROP COLUMN revoked_by, DROP COLUMN revoked_on, DROP COLUMN revoked_at;
ALTER TABLE discount_decisions DROP COLUMN on_behalf_of;
DROP TABLE delegations;
