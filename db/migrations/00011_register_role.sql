-- +goose Up
-- Art. 9: the access register must be tamper-evident against the
-- application's own database role. Migrations run as the owner; the serving
-- processes connect as kam_app, which may read and append to the register and
-- seal new rows once, but does not own it: it cannot disable its triggers,
-- truncate it, delete from it, or write a row already sealed.

-- Roles are cluster-wide and many databases (tests, replicas) migrate at once:
-- create kam_app only when missing, and take a concurrent creation as done.
-- An owner without CREATEROLE can create the role beforehand.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kam_app') THEN
        CREATE ROLE kam_app LOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
-- +goose StatementEnd

-- Rows sealed before the chain was keyed keep their plain SHA-256 digest;
-- every row after this position is sealed with HMAC-SHA256 (KAM_REGISTER_KEY).
CREATE TABLE access_log_unkeyed (
    until_pos bigint NOT NULL CHECK (until_pos >= 0)
);
INSERT INTO access_log_unkeyed (until_pos) SELECT coalesce(max(chain_pos), 0) FROM access_log;

-- A position ≤ 0 is outside the chain. NOT VALID: existing rows are verify's
-- business, not the migration's.
ALTER TABLE access_log ADD CONSTRAINT access_log_chain_pos_positive CHECK (chain_pos > 0) NOT VALID;

GRANT USAGE ON SCHEMA public TO kam_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO kam_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO kam_app;
-- Tables and sequences of later migrations (run by the same owner) too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kam_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO kam_app;

-- The register: read, append the content columns (never a position or a
-- hash), and the one-time sealing of those three columns, which the
-- append-only trigger allows only while a row is unsealed.
REVOKE ALL ON access_log FROM kam_app;
GRANT SELECT ON access_log TO kam_app;
GRANT INSERT (staff_id, staff_role, customer_id, action, sections, request_id, purpose, route) ON access_log TO kam_app;
GRANT UPDATE (chain_pos, prev_hash, hash) ON access_log TO kam_app;
REVOKE ALL ON access_log_unkeyed FROM kam_app;
GRANT SELECT ON access_log_unkeyed TO kam_app;
-- The schema's version is the owner's.
REVOKE ALL ON goose_db_version FROM kam_app;
GRANT SELECT ON goose_db_version TO kam_app;

-- +goose Down
-- The role stays: other databases of the cluster may use it.
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM kam_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM kam_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM kam_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM kam_app;
REVOKE ALL (staff_id, staff_role, customer_id, action, sections, request_id, purpose, route, chain_pos, prev_hash, hash) ON access_log FROM kam_app;
REVOKE USAGE ON SCHEMA public FROM kam_app;
ALTER TABLE access_log DROP CONSTRAINT access_log_chain_pos_positive;
DROP TABLE access_log_unkeyed;
