-- +goose Up
-- Art. 7.2: the archive is kept up to date. Contacts and key persons are
-- changed and removed, not only added. A removal is soft (removed_at): the
-- archive's history, visits that met the person, event invitations and
-- greeting tasks keep pointing at the row, and GET ?as_of= can tell who was
-- on the archive on a past day. Lists and counts leave removed rows out.
ALTER TABLE customer_contacts
    ADD COLUMN version    integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at timestamptz,
    ADD COLUMN removed_at timestamptz;
UPDATE customer_contacts SET updated_at = created_at;
ALTER TABLE customer_contacts
    ALTER COLUMN updated_at SET NOT NULL,
    ALTER COLUMN updated_at SET DEFAULT now();

ALTER TABLE key_persons
    ADD COLUMN version    integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at timestamptz,
    ADD COLUMN removed_at timestamptz;
UPDATE key_persons SET updated_at = created_at;
ALTER TABLE key_persons
    ALTER COLUMN updated_at SET NOT NULL,
    ALTER COLUMN updated_at SET DEFAULT now();

-- Art. 19: a removed key person is greeted no more; an open task for them
-- (or for a birthday that was corrected) is cancelled, not deleted.
ALTER TABLE greetings DROP CONSTRAINT greetings_status_check;
ALTER TABLE greetings ADD CONSTRAINT greetings_status_check CHECK (status IN ('open','done','cancelled'));

-- +goose Down
UPDATE greetings SET status = 'open' WHERE status = 'cancelled';
ALTER TABLE greetings DROP CONSTRAINT greetings_status_check;
ALTER TABLE greetings ADD CONSTRAINT greetings_status_check CHECK (status IN ('open','done'));
ALTER TABLE key_persons DROP COLUMN removed_at, DROP COLUMN updated_at, DROP COLUMN version;
ALTER TABLE customer_contacts DROP COLUMN removed_at, DROP COLUMN updated_at, DROP COLUMN version;
