-- +goose Up
-- Art. 7.2: a contact or key person removed from an archive (removed_at,
-- migration 00016) no longer fills it. The view of 00024 counted them, so a
-- data clerk's and a manager's task lists missed an archive whose only head,
-- handler or contact was removed, while GET /v1/customers/{id} named the
-- section missing (db/store TestArchiveCompletenessSQLAgreesWithGo).
CREATE OR REPLACE VIEW archive_completeness AS
SELECT c.id AS customer_id, c.account_manager_id, c.status, c.created_at,
    coalesce(c.nature, '') <> '' AND coalesce(c.industry, '') <> '' AND coalesce(c.product_category, '') <> ''
        AND coalesce(c.legal_representative, '') <> '' AND coalesce(c.company_size, '') <> ''
        AND coalesce(c.main_products, '') <> '' AND c.annual_output_value IS NOT NULL
        AND coalesce(c.credibility, '') <> '' AND coalesce(c.profit_status, '') <> ''
        AND coalesce(c.address, '') <> '' AND coalesce(c.postcode, '') <> '' AND coalesce(c.phone, '') <> ''
        AND coalesce(c.email, '') <> '' AND c.account_manager_id IS NOT NULL
        AND EXISTS (SELECT 1 FROM customer_contacts cc WHERE cc.customer_id = c.id AND cc.removed_at IS NULL)
        AND EXISTS (SELECT 1 FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'head' AND k.removed_at IS NULL)
        AND EXISTS (SELECT 1 FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'handler' AND k.removed_at IS NULL)
        AND EXISTS (SELECT 1 FROM credit_agreements a WHERE a.customer_id = c.id) AS complete,
    array_remove(ARRAY[
        CASE WHEN coalesce(c.nature, '') = '' OR coalesce(c.industry, '') = '' OR coalesce(c.product_category, '') = ''
                  OR coalesce(c.legal_representative, '') = '' OR coalesce(c.company_size, '') = ''
                  OR coalesce(c.main_products, '') = '' OR c.annual_output_value IS NULL
                  OR coalesce(c.credibility, '') = '' OR coalesce(c.profit_status, '') = ''
             THEN 'basics' END,
        CASE WHEN coalesce(c.address, '') = '' OR coalesce(c.postcode, '') = '' OR coalesce(c.phone, '') = ''
                  OR coalesce(c.email, '') = ''
                  OR (SELECT true FROM customer_contacts cc WHERE cc.customer_id = c.id AND cc.removed_at IS NULL LIMIT 1) IS NULL
             THEN 'contact' END,
        CASE WHEN (SELECT true FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'head' AND k.removed_at IS NULL LIMIT 1) IS NULL
                  OR (SELECT true FROM key_persons k WHERE k.customer_id = c.id AND k.role = 'handler' AND k.removed_at IS NULL LIMIT 1) IS NULL
             THEN 'key_persons' END,
        CASE WHEN c.account_manager_id IS NULL THEN 'service' END,
        CASE WHEN (SELECT true FROM credit_agreements a WHERE a.customer_id = c.id) IS NULL THEN 'credit' END
    ], NULL)::text[] AS missing
FROM customers c;

-- +goose Down
CREATE OR REPLACE VIEW archive_completeness AS
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
