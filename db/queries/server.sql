-- name: WALPosition :one
-- The cluster's WAL position in bytes: every database's writes, for a
-- benchmark's WAL per operation.
SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS position;
