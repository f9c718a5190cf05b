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
SELECT * FROM access_log
WHERE (sqlc.narg(staff_id)::uuid IS NULL OR staff_id = sqlc.narg(staff_id))
  AND (sqlc.narg(customer_id)::uuid IS NULL OR customer_id = sqlc.narg(customer_id))
  AND (sqlc.narg(since)::timestamptz IS NULL OR at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR at < sqlc.narg(until))
  AND (sqlc.narg(action)::text IS NULL OR action = sqlc.narg(action))
  AND (sqlc.narg(before)::bigint IS NULL OR seq < sqlc.narg(before))
ORDER BY seq DESC
LIMIT sqlc.arg(lim);

-- name: UnsealedAccess :many
SELECT * FROM access_log WHERE chain_pos IS NULL ORDER BY seq LIMIT sqlc.arg(lim);

-- name: ChainHead :one
SELECT chain_pos, hash FROM access_log WHERE chain_pos IS NOT NULL ORDER BY chain_pos DESC LIMIT 1;

-- name: SealAccessRows :execrows
-- A sealer's whole batch in one statement: row i gets chain_pos
-- chain_pos[i], prev_hash prev_hashes[i] and hash hashes[i].
UPDATE access_log l SET chain_pos = r.chain_pos, prev_hash = r.prev_hash, hash = r.hash
FROM (SELECT unnest(sqlc.arg(seqs)::bigint[]) AS seq, unnest(sqlc.arg(chain_positions)::bigint[]) AS chain_pos,
             unnest(sqlc.arg(prev_hashes)::bytea[]) AS prev_hash, unnest(sqlc.arg(hashes)::bytea[]) AS hash) r
WHERE l.seq = r.seq AND l.chain_pos IS NULL;

-- name: ChainPage :many
SELECT * FROM access_log WHERE chain_pos > sqlc.arg(after)::bigint ORDER BY chain_pos LIMIT sqlc.arg(lim);

-- name: CountAccess :one
SELECT count(*) AS total, count(chain_pos) AS sealed FROM access_log;

-- name: LockSealer :exec
-- One sealer at a time across replicas; released at commit.
SELECT pg_advisory_xact_lock(727001);

-- name: UnkeyedUntil :one
-- The last chain position sealed before the chain was keyed (migration 00011).
SELECT coalesce(max(until_pos), 0)::bigint AS until_pos FROM access_log_unkeyed;

-- name: OffChainAccess :one
-- A sealed row whose position is outside the chain (≤ 0), which the chain
-- walk would never reach.
SELECT seq, chain_pos FROM access_log WHERE chain_pos <= 0 ORDER BY seq LIMIT 1;

-- name: RegisterGuard :one
-- Whether the connected role could alter or bypass the register: a superuser,
-- a member of the owning role, or one granted DELETE, TRUNCATE or TRIGGER.
SELECT current_user::text AS role_name,
       (current_setting('is_superuser') = 'on'
        OR pg_has_role(current_user, c.relowner, 'USAGE')
        OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE')
        OR has_table_privilege(c.oid, 'TRIGGER'))::boolean AS can_tamper
FROM pg_catalog.pg_class c
WHERE c.oid = 'access_log'::regclass;
