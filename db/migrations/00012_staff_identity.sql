-- +goose Up
-- SPEC §7 "Staff and identity": a member of staff has a language for what kam
-- tells them, a version for If-Match, and each token records when it was
-- last used (stamped at most once a minute, so reads stay reads).
ALTER TABLE staff
    ADD COLUMN locale  text    NOT NULL DEFAULT 'zh-CN' CONSTRAINT staff_locale_check CHECK (locale IN ('zh-CN', 'en')),
    ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE api_tokens ADD COLUMN last_used_at timestamptz;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN last_used_at;
ALTER TABLE staff DROP COLUMN version, DROP COLUMN locale;
