-- +goose Up
-- kam caches token lookups (store.authCache) and must drop them the moment a
-- token or its holder changes: a revoked token, a deactivated person or a new
-- role is refused at once, in every process. Every such change notifies
-- channel kam_auth when it commits; a process whose listener is down does
-- not cache. Stamping last_used_at notifies nobody.
-- +goose StatementBegin
CREATE FUNCTION kam_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kam_auth', TG_TABLE_NAME);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER api_tokens_auth_changed AFTER UPDATE OF staff_id, token_hash, expires_at, revoked_at OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION kam_auth_changed();
CREATE TRIGGER staff_auth_changed AFTER UPDATE OR DELETE OR TRUNCATE ON staff
    FOR EACH STATEMENT EXECUTE FUNCTION kam_auth_changed();

-- +goose Down
DROP TRIGGER staff_auth_changed ON staff;
DROP TRIGGER api_tokens_auth_changed ON api_tokens;
DROP FUNCTION kam_auth_changed();
