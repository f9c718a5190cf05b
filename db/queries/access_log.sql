-- name: AppendAccess :exec
-- One row per account touched; a single nil UUID stands for requests that
-- name no account (a denied list, say) and is stored as NULL.
INSERT INTO access_log (staff_id, staff_role, customer_id, action, sections, request_id, purpose, route)
SELECT sqlc.narg(staff_id)::uuid, sqlc.narg(staff_role)::text,
       NULLIF(c, '00000000-0000-0000-0000-000000000000'::uuid), sqlc.arg(action)::text,
       sqlc.arg(sections)::text[], sqlc.arg(request_id)::text, sqlc.arg(purpose)::text, sqlc.arg(route)::text
FROM unnest(sqlc.arg(customer_ids)::uuid[]) AS c;

-- name: AppendAccessRows :exec
-- Several requests' rows in one statement and one commit (the reads' group
-- commit, AccessBatcher): rows is a JSON array of objects with the columns
-- below; customer_id and staff_id may be null. Rows get their seq in order.
INSERT INTO access_log (staff_id, staff_role, customer_id, action, sections, request_id, purpose, route)
SELECT r.staff_id, r.staff_role, r.customer_id, r.action, r.sections, r.request_id, r.purpose, r.route
FROM ROWS FROM (jsonb_to_recordset(sqlc.arg(rows)::jsonb)
       AS (staff_id uuid, staff_role text, customer_id uuid, action text, sections text[], request_id text, purpose text, route text))
     WITH ORDINALITY AS r
ORDER BY r.ordinality;

-- name: ListAccessLog :many
-- A row is shown with its seal, if sealed yet.
SELECT sqlc.embed(l), s.chain_pos, s.prev_hash, s.hash
FROM access_log l LEFT JOIN access_log_seals s ON s.seq = l.seq
WHERE (sqlc.narg(staff_id)::uuid IS NULL OR l.staff_id = sqlc.narg(staff_id))
  AND (sqlc.narg(customer_id)::uuid IS NULL OR l.customer_id = sqlc.narg(customer_id))
  AND (sqlc.narg(since)::timestamptz IS NULL OR l.at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR l.at < sqlc.narg(until))
  AND (sqlc.narg(action)::text IS NULL OR l.action = sqlc.narg(action))
  AND (sqlc.narg(before)::bigint IS NULL OR l.seq < sqlc.narg(before))
ORDER BY l.seq DESC
LIMIT sqlc.arg(lim);

-- name: RegisterHorizon :one
-- The last seq handed out to a register row (0: none yet). Read before
-- RegisterWriters: a row at or below it was given its seq by a transaction
-- that already held its lock on access_log.
SELECT coalesce(pg_sequence_last_value('access_log_seq_seq'::regclass), 0)::bigint AS seq;

-- name: RegisterWriters :many
-- The other transactions that may still be writing register rows: those
-- holding the lock an INSERT takes on access_log before it draws a seq.
SELECT DISTINCT virtualtransaction::text AS vxid FROM pg_catalog.pg_locks
WHERE locktype = 'relation' AND database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE datname = current_database())
  AND relation = 'access_log'::regclass AND mode = 'RowExclusiveLock' AND granted AND pid <> pg_backend_pid();

-- name: WritersRunning :one
-- How many of the transactions vxids are still running (each holds the lock
-- on its own virtual transaction id until it ends).
SELECT count(*) AS running FROM pg_catalog.pg_locks
WHERE locktype = 'virtualxid' AND virtualxid = ANY(sqlc.arg(vxids)::text[]);

-- name: UnsealedBeforeSeals :many
-- Rows left unsealed when the seals got their table (migration 00033), in
-- seq order: sealed before any other.
SELECT l.* FROM access_log_unsealed_before_seals u JOIN access_log l ON l.seq = u.seq
WHERE NOT EXISTS (SELECT 1 FROM access_log_seals s WHERE s.seq = l.seq)
ORDER BY l.seq LIMIT sqlc.arg(lim);

-- name: UnsealedAccess :many
-- The rows to seal next, in seq order: those after the last sealed seq up
-- to horizon (every writer of a seq up to it has ended, so no row can appear
-- below it any more). A range of the primary key.
SELECT l.* FROM access_log l
WHERE l.seq > (SELECT coalesce(max(s.seq), 0) FROM access_log_seals s) AND l.seq <= sqlc.arg(horizon)::bigint
ORDER BY l.seq LIMIT sqlc.arg(lim);

-- name: CountUnsealed :one
-- The rows waiting for a seal: after the last sealed seq, and those left
-- from before the seals' table. A row below the last sealed seq without a
-- seal is not waiting: it is a gap the chain walk reports.
SELECT ((SELECT count(*) FROM access_log l WHERE l.seq > (SELECT coalesce(max(s.seq), 0) FROM access_log_seals s))
      + (SELECT count(*) FROM access_log_unsealed_before_seals u
         WHERE EXISTS (SELECT 1 FROM access_log l WHERE l.seq = u.seq)
           AND NOT EXISTS (SELECT 1 FROM access_log_seals s WHERE s.seq = u.seq)))::bigint AS unsealed;

-- name: ChainHead :one
SELECT chain_pos, hash FROM access_log_seals ORDER BY chain_pos DESC LIMIT 1;

-- name: SealAccessRows :execrows
-- A sealer's whole batch in one statement: row seqs[i] gets chain_pos
-- chain_positions[i], prev_hash prev_hashes[i] and hash hashes[i].
INSERT INTO access_log_seals (chain_pos, seq, prev_hash, hash)
SELECT unnest(sqlc.arg(chain_positions)::bigint[]), unnest(sqlc.arg(seqs)::bigint[]),
       unnest(sqlc.arg(prev_hashes)::bytea[]), unnest(sqlc.arg(hashes)::bytea[]);

-- name: ChainPage :many
-- The chain from position after+1, each seal with its row; a seal whose row
-- is gone is left out, so the walk finds its position missing.
SELECT sqlc.embed(l), s.chain_pos, s.prev_hash, s.hash
FROM access_log_seals s JOIN access_log l ON l.seq = s.seq
WHERE s.chain_pos > sqlc.arg(after)::bigint ORDER BY s.chain_pos LIMIT sqlc.arg(lim);

-- name: LockSealer :exec
-- One sealer at a time across replicas; released at commit.
SELECT pg_advisory_xact_lock(727001);

-- name: UnkeyedUntil :one
-- The last chain position sealed before the chain was keyed (migration 00011).
SELECT coalesce(max(until_pos), 0)::bigint AS until_pos FROM access_log_unkeyed;

-- name: OffChainAccess :one
-- A sealed row whose position is outside the chain (≤ 0), which the chain
-- walk would never reach.
SELECT seq, chain_pos FROM access_log_seals WHERE chain_pos <= 0 ORDER BY seq LIMIT 1;

-- name: RegisterGuard :one
-- Whether the connected role could alter or bypass the register or its
-- seals: a superuser, a member of an owning role, or one granted DELETE,
-- TRUNCATE, TRIGGER or UPDATE.
SELECT current_user::text AS role_name,
       (current_setting('is_superuser') = 'on'
        OR bool_or(pg_has_role(current_user, c.relowner, 'USAGE')
            OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE')
            OR has_table_privilege(c.oid, 'TRIGGER') OR has_any_column_privilege(c.oid, 'UPDATE')))::boolean AS can_tamper
FROM pg_catalog.pg_class c
WHERE c.oid IN ('access_log'::regclass, 'access_log_seals'::regclass);

-- name: AccountOfRecord :one
-- The account a ticket, discount request, grant, filing or greeting task
-- belongs to, whoever may see it: what a refused attempt on the record is
-- registered against (SPEC §5 "which account"). Ids are UUIDs, unique
-- across these tables.
SELECT customer_id FROM tickets WHERE tickets.id = sqlc.arg(id)
UNION ALL SELECT customer_id FROM discount_requests WHERE discount_requests.id = sqlc.arg(id)
UNION ALL SELECT customer_id FROM discount_grants WHERE discount_grants.id = sqlc.arg(id)
UNION ALL SELECT customer_id FROM filings WHERE filings.id = sqlc.arg(id)
UNION ALL SELECT customer_id FROM greetings WHERE greetings.id = sqlc.arg(id)
LIMIT 1;
