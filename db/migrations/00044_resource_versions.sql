-- +goose Up
-- SPEC §3: every created resource is returned with its version where it
-- changes. The archive's tables (customers, contacts, key persons, credit
-- agreements) and staff bump theirs in the UPDATE that changes them; the
-- resources below changed without one. Their version starts at 1 and moves
-- by one on each UPDATE that changes what a reader of the resource sees,
-- whichever query (or earlier build, during a rolling upgrade) wrote it: a
-- trigger compares the row before and after, leaving out the columns named
-- as its arguments (bookkeeping no answer shows: when a row was touched, a
-- run's save counter, when a token was last used). An UPDATE that sets
-- version itself (a change of a part kept in another table, such as a
-- ticket's handling record) is left as it wrote it.
-- +goose StatementBegin
CREATE FUNCTION bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- TG_ARGV is NULL, not empty, on a trigger without arguments.
    skip text[] := coalesce(TG_ARGV, '{}'::text[]) || 'version'::text;
BEGIN
    IF NEW.version IS NOT DISTINCT FROM OLD.version
       AND (to_jsonb(NEW) - skip) IS DISTINCT FROM (to_jsonb(OLD) - skip) THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

ALTER TABLE discount_requests     ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE discount_grants       ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE filings               ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE discount_policies     ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE tiers                 ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE delegations           ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE tickets               ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE visits                ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE greetings             ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE tier_reviews          ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE tier_review_proposals ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE inspections           ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE statements            ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE ka_budgets            ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE ka_event_invitees     ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE staff_handovers       ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE notifications         ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE api_tokens            ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE credit_charges        ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE credit_payments       ADD COLUMN version integer NOT NULL DEFAULT 1;

-- updated_at moves with every save, changed or not; state_seq orders a
-- run's saves (Art. 11, 12: a save that changes nothing visible is no new
-- version).
CREATE TRIGGER discount_requests_version BEFORE UPDATE ON discount_requests
    FOR EACH ROW EXECUTE FUNCTION bump_version('updated_at', 'state_seq');
CREATE TRIGGER discount_grants_version BEFORE UPDATE ON discount_grants
    FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER filings_version BEFORE UPDATE ON filings
    FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER discount_policies_version BEFORE UPDATE ON discount_policies
    FOR EACH ROW EXECUTE FUNCTION bump_version('updated_at');
CREATE TRIGGER tiers_version BEFORE UPDATE ON tiers
    FOR EACH ROW EXECUTE FUNCTION bump_version('updated_at');
CREATE TRIGGER delegations_version BEFORE UPDATE ON delegations
    FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER tickets_version BEFORE UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION bump_version('updated_at');
CREATE TRIGGER visits_version BEFORE UPDATE ON visits
    FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER greetings_version BEFORE UPDATE ON greetings
    FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER tier_reviews_version BEFORE UPDATE ON tier_reviews
    FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER tier_review_proposals_version BEFORE UPDATE ON tier_review_proposals
    FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER inspections_version BEFORE UPDATE ON inspections
    FOR EACH ROW EXECUTE FUNCTION bump_version();
-- reopened counts reopenings, which the status and paid columns show.
CREATE TRIGGER statements_version BEFORE UPDATE ON statements
    FOR EACH ROW EXECUTE FUNCTION bump_version('reopened');
CREATE TRIGGER ka_budgets_version BEFORE UPDATE ON ka_budgets
    FOR EACH ROW EXECUTE FUNCTION bump_version('updated_at');
CREATE TRIGGER ka_event_invitees_version BEFORE UPDATE ON ka_event_invitees
    FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER staff_handovers_version BEFORE UPDATE ON staff_handovers
    FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER notifications_version BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION bump_version();
-- The credit agreement bumps its own in the UPDATEs of its terms and status
-- (they stay so); its running totals (outstanding, credit_balance) moved
-- without. cycle_anchor is where the settlement run's cycle starts, which no
-- answer shows.
CREATE TRIGGER credit_agreements_version BEFORE UPDATE ON credit_agreements
    FOR EACH ROW EXECUTE FUNCTION bump_version('updated_at', 'cycle_anchor');
-- A charge changes when a cycle bills it (statement_id); a charge or
-- payment also when it is reversed (reversed_by, the reversal's own row:
-- Store.ReverseCharge and ReversePayment bump the original's version).
CREATE TRIGGER credit_charges_version BEFORE UPDATE ON credit_charges
    FOR EACH ROW EXECUTE FUNCTION bump_version();
-- last_used_at is use, not a change of the token (it moves once a minute).
CREATE TRIGGER api_tokens_version BEFORE UPDATE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION bump_version('last_used_at');

-- +goose Down
DROP TRIGGER credit_charges_version ON credit_charges;
DROP TRIGGER credit_agreements_version ON credit_agreements;
DROP TRIGGER api_tokens_version ON api_tokens;
DROP TRIGGER notifications_version ON notifications;
DROP TRIGGER staff_handovers_version ON staff_handovers;
DROP TRIGGER ka_event_invitees_version ON ka_event_invitees;
DROP TRIGGER ka_budgets_version ON ka_budgets;
DROP TRIGGER statements_version ON statements;
DROP TRIGGER inspections_version ON inspections;
DROP TRIGGER tier_review_proposals_version ON tier_review_proposals;
DROP TRIGGER tier_reviews_version ON tier_reviews;
DROP TRIGGER greetings_version ON greetings;
DROP TRIGGER visits_version ON visits;
DROP TRIGGER tickets_version ON tickets;
DROP TRIGGER delegations_version ON delegations;
DROP TRIGGER tiers_version ON tiers;
DROP TRIGGER discount_policies_version ON discount_policies;
DROP TRIGGER filings_version ON filings;
DROP TRIGGER discount_grants_version ON discount_grants;
DROP TRIGGER discount_requests_version ON discount_requests;
ALTER TABLE credit_payments       DROP COLUMN version;
ALTER TABLE credit_charges        DROP COLUMN version;
ALTER TABLE api_tokens            DROP COLUMN version;
ALTER TABLE notifications         DROP COLUMN version;
ALTER TABLE staff_handovers       DROP COLUMN version;
ALTER TABLE ka_event_invitees     DROP COLUMN version;
ALTER TABLE ka_budgets            DROP COLUMN version;
ALTER TABLE statements            DROP COLUMN version;
ALTER TABLE inspections           DROP COLUMN version;
ALTER TABLE tier_review_proposals DROP COLUMN version;
ALTER TABLE tier_reviews          DROP COLUMN version;
ALTER TABLE greetings             DROP COLUMN version;
ALTER TABLE visits                DROP COLUMN version;
ALTER TABLE tickets               DROP COLUMN version;
ALTER TABLE delegations           DROP COLUMN version;
ALTER TABLE tiers                 DROP COLUMN version;
ALTER TABLE discount_policies     DROP COLUMN version;
ALTER TABLE filings               DROP COLUMN version;
ALTER TABLE discount_grants       DROP COLUMN version;
ALTER TABLE discount_requests     DROP COLUMN version;
DROP FUNCTION bump_version();
