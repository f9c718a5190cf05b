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

-- Art. 7: the sections an archive still lacks, in the order of
-- store.MissingSections, which is the same rule in Go (db/store tests hold
-- the two together on fixtures).
CREATE VIEW archive_completeness AS
SELECT c.id AS customer_id, c.account_manager_id, c.status, c.created_at,
    array_remove(ARRAY[
        CASE WHEN coalesce(c.nature, '') = '' OR coalesce(c.industry, '') = '' OR coalesce(c.product_category, '') = ''
                  OR coalesce(c.legal_representative, '') = '' OR coalesce(c.company_size, '') = ''
                  OR coalesce(c.main_products, '') = '' OR c.annual_output_value IS NULL
                  OR coalesce(c.credibility, '') = '' OR coalesce(c.profit_status, '') = ''
             THEN 'basics' END,
        CASE WHEN coalesce(c.address, '') = '' OR coalesce(c.postcode, '') = '' OR coalesce(c.phone, '') = ''
                  OR coalesce(c.email, '') = ''
                  OR NOT EXISTS (SELECT 1 FROM customer_contacts cc WHERE cc.customer_id = c.id)
             THEN 'contact' END,
        CASE WHEN NOT EXISTS (SELECT 1 FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'head')
                  OR NOT EXISTS (SELECT 1 FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'handler')
             THEN 'key_persons' END,
        CASE WHEN c.account_manager_id IS NULL THEN 'service' END,
        CASE WHEN NOT EXISTS (SELECT 1 FROM credit_agreements a WHERE a.customer_id = c.id) THEN 'credit' END
    ], NULL)::text[] AS missing
FROM customers c;

-- Each kind of task is read in its due order straight off an index, so a
-- page costs its own rows, not the whole company's (10,000 accounts).
CREATE INDEX customers_opened_idx ON customers (created_at, id) WHERE status = 'active';
CREATE INDEX tickets_waiting_idx ON tickets ((CASE WHEN status = 'open' THEN respond_by ELSE resolve_by END), id)
    WHERE status IN ('open', 'acknowledged');
CREATE INDEX statements_overdue_idx ON statements (due_at, id) WHERE status = 'overdue';
CREATE INDEX greetings_open_idx ON greetings (customer_id, occasion_on) WHERE status = 'open';
CREATE INDEX discount_requests_waiting_idx ON discount_requests (discount_decider(stage, escalated), (coalesce(deadline, created_at)), id)
    WHERE state = 'pending';

-- +goose Down
DROP INDEX discount_requests_waiting_idx;
DROP INDEX greetings_open_idx;
DROP INDEX statements_overdue_idx;
DROP INDEX tickets_waiting_idx;
DROP INDEX customers_opened_idx;
DROP VIEW archive_completeness;
DROP FUNCTION discount_decider(text, boolean);
