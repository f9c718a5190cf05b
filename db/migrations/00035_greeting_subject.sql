-- +goose Up
-- What a greeting task's title is worded from (SPEC §7 "Language": the
-- words are the reader's, the names are the record's): the key person's
-- name, the founding day or the holiday's name as they stand now, so a
-- corrected name shows; the subject stored when the task was made once that
-- is gone. One definition for every read that shows a greeting.
CREATE FUNCTION greeting_subject(occasion text, key_person uuid, holiday uuid, founded date, stored text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(CASE occasion
        WHEN 'birthday' THEN (SELECT k.name FROM key_persons k WHERE k.id = key_person)
        WHEN 'anniversary' THEN to_char(founded, 'YYYY-MM-DD')
        WHEN 'holiday' THEN (SELECT h.name FROM holidays h WHERE h.id = holiday)
    END, stored)
$$;

-- +goose Down
DROP FUNCTION greeting_subject(text, uuid, uuid, date, text);
