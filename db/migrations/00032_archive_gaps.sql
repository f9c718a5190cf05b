-- +goose Up
-- Art. 7: the active accounts whose archive lacks a section, kept as the
-- archive changes, so a data clerk's task list reads its page straight off
-- an index however few of the company's archives are incomplete. Reading
-- the view for every account instead cost 40-80 ms when 1 in 1,000 was
-- (db/store BenchmarkMyTasks, 10,000 accounts). archive_completeness stays
-- the rule; a row here is only its answer remembered.
CREATE TABLE archive_gaps (
    customer_id uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL
);
CREATE INDEX archive_gaps_due_idx ON archive_gaps (created_at, customer_id);

-- +goose StatementBegin
CREATE FUNCTION archive_gap_refresh(account uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- One refresh of an account at a time, until its transaction ends: a
    -- second (a head and a handler added at once) waits for the first to
    -- commit, and its statements below then see what the first wrote.
    PERFORM pg_advisory_xact_lock(727002, hashtext(account::text));
    DELETE FROM archive_gaps WHERE customer_id = account;
    INSERT INTO archive_gaps (customer_id, created_at)
    SELECT a.customer_id, a.created_at FROM archive_completeness a
    WHERE a.customer_id = account AND a.status = 'active' AND NOT a.complete;
END
$$;

CREATE FUNCTION archive_gap_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        PERFORM archive_gap_refresh(NEW.id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM archive_gap_refresh(OLD.customer_id);
    ELSE
        PERFORM archive_gap_refresh(NEW.customer_id);
        IF TG_OP = 'UPDATE' AND OLD.customer_id IS DISTINCT FROM NEW.customer_id THEN
            PERFORM archive_gap_refresh(OLD.customer_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Only the columns the rule reads: a settlement's writes to its agreement,
-- say, or a contact's new phone number, leave the gaps alone.
CREATE TRIGGER customers_archive_gap AFTER INSERT OR UPDATE OF nature, industry, product_category, legal_representative,
        company_size, main_products, annual_output_value, credibility, profit_status, address, postcode, phone, email,
        account_manager_id, status, created_at ON customers
    FOR EACH ROW EXECUTE FUNCTION archive_gap_changed();
CREATE TRIGGER customer_contacts_archive_gap AFTER INSERT OR UPDATE OF customer_id, removed_at OR DELETE ON customer_contacts
    FOR EACH ROW EXECUTE FUNCTION archive_gap_changed();
CREATE TRIGGER key_persons_archive_gap AFTER INSERT OR UPDATE OF customer_id, role, removed_at OR DELETE ON key_persons
    FOR EACH ROW EXECUTE FUNCTION archive_gap_changed();
CREATE TRIGGER credit_agreements_archive_gap AFTER INSERT OR UPDATE OF customer_id OR DELETE ON credit_agreements
    FOR EACH ROW EXECUTE FUNCTION archive_gap_changed();

INSERT INTO archive_gaps (customer_id, created_at)
SELECT customer_id, created_at FROM archive_completeness WHERE status = 'active' AND NOT complete;

-- +goose Down
DROP TRIGGER credit_agreements_archive_gap ON credit_agreements;
DROP TRIGGER key_persons_archive_gap ON key_persons;
DROP TRIGGER customer_contacts_archive_gap ON customer_contacts;
DROP TRIGGER customers_archive_gap ON customers;
DROP FUNCTION archive_gap_changed();
DROP FUNCTION archive_gap_refresh(uuid);
DROP TABLE archive_gaps;
