-- +goose Up
-- SPEC §7 "Approvals and work": GET /v1/me/tasks and
-- GET /v1/discount-requests?awaiting=me answer from Postgres alone.

-- Art. 12: who decides a pending request's current stage; kam.Decider is
-- the same rule in Go (db/store tests hold the two together).
-- +goose StatementBegin
CREATE FUNCTION discount_decider(stage text, escalated boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN stage = 'general_manager' OR escalated THEN 'general_manager' ELSE 'ka_manager' END
$$;
-- +goose StatementEnd

-- Art. 7: the sections an archive still lacks (missing), in the order of
-- store.MissingSections, which is the same rule in Go (db/store tests hold
-- the two together on fixtures), and whether it lacks none (complete).
-- They are written for two ways of reading: missing probes an index per
-- account (scalar subqueries, never hashed), right for a few accounts (one
-- manager's, or a page's); complete is EXISTS, which the planner may hash
-- over the whole table, right for every account of the company (a data
-- clerk's list, where most archives may be complete and all are read).
CREATE VIEW archive_completeness AS
SELECT c.id AS customer_id, c.account_manager_id, c.status, c.created_at,
    coalesce(c.nature, '') <> '' AND coalesce(c.industry, '') <> '' AND coalesce(c.product_category, '') <> ''
        AND coalesce(c.legal_representative, '') <> '' AND coalesce(c.company_size, '') <> ''
        AND coalesce(c.main_products, '') <> '' AND c.annual_output_value IS NOT NULL
        AND coalesce(c.credibility, '') <> '' AND coalesce(c.profit_status, '') <> ''
        AND coalesce(c.address, '') <> '' AND coalesce(c.postcode, '') <> '' AND coalesce(c.phone, '') <> ''
        AND coalesce(c.email, '') <> '' AND c.account_manager_id IS NOT NULL
        AND EXISTS (SELECT 1 FROM customer_contacts cc WHERE cc.customer_id = c.id)
        AND EXISTS (SELECT 1 FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'head')
        AND EXISTS (SELECT 1 FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'handler')
        AND EXISTS (SELECT 1 FROM credit_agreements a WHERE a.customer_id = c.id) AS complete,
    array_remove(ARRAY[
        CASE WHEN coalesce(c.nature, '') = '' OR coalesce(c.industry, '') = '' OR coalesce(c.product_category, '') = ''
                  OR coalesce(c.legal_representative, '') = '' OR coalesce(c.company_size, '') = ''
                  OR coalesce(c.main_products, '') = '' OR c.annual_output_value IS NULL
                  OR coalesce(c.credibility, '') = '' OR coalesce(c.profit_status, '') = ''
             THEN 'basics' END,
        CASE WHEN coalesce(c.address, '') = '' OR coalesce(c.postcode, '') = '' OR coalesce(c.phone, '') = ''
                  OR coalesce(c.email, '') = ''
                  OR (SELECT true FROM customer_contacts cc WHERE cc.customer_id = c.id LIMIT 1) IS NULL
             THEN 'contact' END,
        CASE WHEN (SELECT true FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'head' LIMIT 1) IS NULL
                  OR (SELECT true FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'handler' LIMIT 1) IS NULL
             THEN 'key_persons' END,
        CASE WHEN c.account_manager_id IS NULL THEN 'service' END,
        CASE WHEN (SELECT true FROM credit_agreements a WHERE a.customer_id = c.id) IS NULL THEN 'credit' END
    ], NULL)::text[] AS missing
FROM customers c;

-- Each kind of task for the whole company is read in its due order straight
-- off an index, so a page costs its own rows; one manager's are reached
-- from their accounts (customers_manager_idx) through an index per kind.
CREATE INDEX customers_opened_idx ON customers (created_at, id) WHERE status = 'active';
CREATE INDEX customers_manager_opened_idx ON customers (account_manager_id, created_at, id) WHERE status = 'active';
CREATE INDEX tickets_waiting_idx ON tickets ((CASE WHEN status = 'open' THEN respond_by ELSE resolve_by END), id)
    WHERE status IN ('open', 'acknowledged');
CREATE INDEX tickets_waiting_customer_idx ON tickets (customer_id) WHERE status IN ('open', 'acknowledged');
CREATE INDEX statements_overdue_idx ON statements (due_at, id) WHERE status = 'overdue';
CREATE INDEX statements_overdue_customer_idx ON statements (customer_id, due_at) WHERE status = 'overdue';
CREATE INDEX greetings_open_idx ON greetings (customer_id, occasion_on) WHERE status = 'open';
CREATE INDEX discount_requests_waiting_idx ON discount_requests (discount_decider(stage, escalated), (coalesce(deadline, created_at)), id)
    WHERE state = 'pending';

-- +goose Down
DROP INDEX discount_requests_waiting_idx;
DROP INDEX greetings_open_idx;
DROP INDEX statements_overdue_customer_idx;
DROP INDEX statements_overdue_idx;
DROP INDEX tickets_waiting_customer_idx;
DROP INDEX tickets_waiting_idx;
DROP INDEX customers_manager_opened_idx;
DROP INDEX customers_opened_idx;
DROP VIEW archive_completeness;
DROP FUNCTION discount_decider(text, boolean);
