-- +goose Up
-- Who held each account on which days (Art. 22 assesses account managers by
-- the accounts they held, not by today's assignments). A span covers the days
-- [from_day, to_day); the first holder's span reaches back to the beginning,
-- so facts dated before the account was opened (an import's history) go to
-- its first manager. When an account changes hands twice in one day, the
-- day belongs to whoever held it at the day's end. Days are the database
-- session's dates, as every other date in the reports.
CREATE VIEW account_manager_spans AS
WITH changes AS (
    SELECT h.customer_id,
           nullif(h.new_value, '')::uuid AS manager_id,
           h.at::date AS from_day,
           lead(h.at::date) OVER w AS to_day,
           row_number() OVER w AS n
    FROM customer_history h
    WHERE h.field = 'account_manager_id'
    WINDOW w AS (PARTITION BY h.customer_id ORDER BY h.at, h.id)
)
SELECT customer_id, manager_id,
       CASE WHEN n = 1 THEN '-infinity'::date ELSE from_day END AS from_day,
       coalesce(to_day, 'infinity'::date) AS to_day
FROM changes
UNION ALL
-- An account whose assignments left no history: today's manager throughout.
SELECT c.id, c.account_manager_id, '-infinity'::date, 'infinity'::date
FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM customer_history h WHERE h.customer_id = c.id AND h.field = 'account_manager_id');

CREATE INDEX customer_history_field_idx ON customer_history (field, customer_id, at, id);

-- +goose Down
DROP INDEX customer_history_field_idx;
DROP VIEW account_manager_spans;
