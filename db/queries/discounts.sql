-- name: GetDiscountPolicy :one
SELECT * FROM discount_policies WHERE tier = $1 AND product_category = $2;

-- name: PutDiscountPolicy :one
INSERT INTO discount_policies (tier, product_category, max_standard_rate, hard_cap_rate, methods)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tier, product_category) DO UPDATE SET
    max_standard_rate = EXCLUDED.max_standard_rate, hard_cap_rate = EXCLUDED.hard_cap_rate,
    methods = EXCLUDED.methods, updated_at = now()
RETURNING *;

-- name: LockDiscountPolicy :one
SELECT * FROM discount_policies WHERE tier = $1 AND product_category = $2 FOR UPDATE;

-- name: InsertPolicyHistory :exec
INSERT INTO discount_policy_history (tier, product_category, staff_id, field, old_value, new_value) VALUES ($1, $2, $3, $4, $5, $6);

-- name: ListPolicyHistory :many
SELECT h.*, s.name AS staff_name FROM discount_policy_history h LEFT JOIN staff s ON s.id = h.staff_id
WHERE h.tier = sqlc.arg(tier) AND h.product_category = sqlc.arg(product_category)
  AND (sqlc.narg(after)::bigint IS NULL OR h.id > sqlc.narg(after))
ORDER BY h.id LIMIT sqlc.arg(lim);

-- name: CreateDiscountRequest :one
INSERT INTO discount_requests (id, customer_id, requester_id, product_category, rate, method, valid_from, valid_to,
    reason, route, policy_max_standard_rate, policy_hard_cap_rate, stage, deadline)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'ka_department', $13)
RETURNING *;

-- name: GetDiscountRequest :one
-- viewer_id limits the row to its requester while the account is still
-- theirs (NULL: roles that see every request): an account manager sees only
-- the accounts assigned to them (SPEC §2), their own requests included.
SELECT * FROM discount_requests
WHERE discount_requests.id = sqlc.arg(id) AND (sqlc.narg(viewer_id)::uuid IS NULL
    OR (requester_id = sqlc.narg(viewer_id)
        AND EXISTS (SELECT 1 FROM customers c WHERE c.id = discount_requests.customer_id AND c.account_manager_id = sqlc.narg(viewer_id))));

-- name: ListDiscountRequests :many
-- awaiting_role, when given, keeps the pending requests whose current stage
-- that role decides (Art. 12, discount_decider) and awaiting_staff did not ask
-- for, now or before a handover.
SELECT * FROM discount_requests
WHERE (sqlc.narg(viewer_id)::uuid IS NULL
       OR (requester_id = sqlc.narg(viewer_id)
           AND EXISTS (SELECT 1 FROM customers c WHERE c.id = discount_requests.customer_id AND c.account_manager_id = sqlc.narg(viewer_id))))
  AND (sqlc.narg(awaiting_role)::text IS NULL
       OR (state = 'pending' AND NOT sqlc.narg(awaiting_staff)::uuid = ANY(former_requesters || requester_id)
           -- Level by level: who decided stage 1, or was decided for, never
           -- decides stage 2 (the run refuses it).
           AND NOT (stage = 'general_manager' AND EXISTS (
                SELECT 1 FROM discount_decisions dd WHERE dd.request_id = discount_requests.id AND dd.stage = 'ka_department'
                   AND sqlc.narg(awaiting_staff)::uuid IN (dd.decided_by, dd.on_behalf_of)))
           AND (discount_decider(stage, escalated) = sqlc.narg(awaiting_role)
                OR decides_as_deputy_for(sqlc.narg(awaiting_staff)::uuid, discount_decider(stage, escalated), former_requesters || requester_id))))
  AND (sqlc.narg(customer_id)::uuid IS NULL OR customer_id = sqlc.narg(customer_id))
  AND (sqlc.narg(state)::text IS NULL OR state = sqlc.narg(state))
  AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: SaveDiscountState :many
-- The workflow writes its state here so that reads never need Temporal.
-- $8 is when the run changed it (its own clock), which its answer names too.
-- It answers the version the save left, the account, and the state and
-- escalation the save replaced (no row: a newer state is there already).
WITH old AS (SELECT r.id, r.state, r.escalated FROM discount_requests r WHERE r.id = $1 FOR UPDATE)
UPDATE discount_requests d SET state = $2, stage = $3, escalated = $4, deadline = $5, reminders = $6, state_seq = $7,
    updated_at = $8, closed_at = CASE WHEN $2 = 'pending' THEN NULL ELSE coalesce(d.closed_at, $8) END
FROM old
WHERE d.id = old.id AND d.state_seq < $7
RETURNING d.version, d.customer_id, old.state AS old_state, old.escalated AS old_escalated;

-- name: DiscountRequestVersion :one
SELECT version FROM discount_requests WHERE id = $1;

-- name: InsertDiscountDecision :execrows
-- on_behalf_of: the delegator a deputy decided for (SPEC §7), or NULL;
-- decided_at: when the run took the decision (its clock).
INSERT INTO discount_decisions (request_id, stage, decision, decided_by, comment, on_behalf_of, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (request_id, stage) DO NOTHING;

-- name: ListDiscountDecisions :many
SELECT * FROM discount_decisions WHERE request_id = ANY(sqlc.arg(request_ids)::uuid[]) ORDER BY decided_at, stage;

-- name: InsertDiscountEvent :exec
INSERT INTO discount_events (request_id, event_key, kind, detail) VALUES ($1, $2, $3, $4)
ON CONFLICT (request_id, event_key) DO NOTHING;

-- name: ListDiscountEvents :many
SELECT * FROM discount_events WHERE request_id = $1 ORDER BY at;

-- name: InsertGrant :exec
INSERT INTO discount_grants (id, request_id, customer_id, product_category, rate, method, valid_from, valid_to, approved_by)
SELECT sqlc.arg(grant_id), r.id, r.customer_id, r.product_category, r.rate, r.method, r.valid_from, r.valid_to, sqlc.arg(approved_by)
FROM discount_requests r WHERE r.id = sqlc.arg(request_id)
ON CONFLICT (request_id) DO NOTHING;

-- name: GetGrantByRequest :one
SELECT * FROM discount_grants WHERE request_id = $1;

-- name: GetGrant :one
-- A grant with what a revocation needs of its request; manager_id limits it
-- to the accounts of an account manager (NULL: every account).
SELECT g.*, r.route, r.escalated, r.requester_id FROM discount_grants g
JOIN discount_requests r ON r.id = g.request_id
JOIN customers c ON c.id = g.customer_id
WHERE g.id = sqlc.arg(id) AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id));

-- name: RevokeGrant :one
-- The grant ends now; its validity ends with revoked_on. A grant already
-- ended or revoked is left alone (no row).
UPDATE discount_grants SET revoked_at = now(), revoked_on = sqlc.arg(revoked_on)::date, revoked_by = sqlc.arg(revoked_by),
    revoke_reason = sqlc.arg(reason), ended_at = now()
WHERE request_id = sqlc.arg(request_id) AND revoked_at IS NULL AND ended_at IS NULL
RETURNING *;

-- name: EndGrant :many
-- The accounts whose grant this ended now: none when it had ended already
-- (a retry, or a grant revoked before its valid_to).
UPDATE discount_grants SET ended_at = now() WHERE request_id = $1 AND ended_at IS NULL
RETURNING customer_id;

-- name: GrantsAsOf :many
-- Art. 7.8: the discount standard in force on a date, one per product
-- category; where grants overlap, the one granted last wins from its start.
-- A revoked grant is no longer in force from the day of its revocation.
SELECT DISTINCT ON (product_category) * FROM discount_grants
WHERE customer_id = $1 AND valid_from <= sqlc.arg(as_of)::date AND valid_to >= sqlc.arg(as_of)::date
  AND (revoked_on IS NULL OR revoked_on > sqlc.arg(as_of)::date)
ORDER BY product_category, granted_at DESC, id DESC;

-- name: GrantsAsOfPage :many
-- GrantsAsOf paged by product category (one grant each): skipping whole
-- categories before the cursor leaves each category's pick unchanged.
SELECT DISTINCT ON (product_category) * FROM discount_grants
WHERE customer_id = sqlc.arg(customer_id) AND valid_from <= sqlc.arg(as_of)::date AND valid_to >= sqlc.arg(as_of)::date
  AND (revoked_on IS NULL OR revoked_on > sqlc.arg(as_of)::date)
  AND (sqlc.narg(after_category)::text IS NULL OR product_category > sqlc.narg(after_category))
ORDER BY product_category, granted_at DESC, id DESC
LIMIT sqlc.arg(lim);

-- name: InsertFiling :exec
-- kind: 'grant' (a standard discount, Art. 12) or 'revocation'; once each.
INSERT INTO filings (id, request_id, grant_id, customer_id, kind)
SELECT sqlc.arg(filing_id), g.request_id, g.id, g.customer_id, sqlc.arg(kind) FROM discount_grants g WHERE g.request_id = sqlc.arg(request_id)
ON CONFLICT (request_id, kind) DO NOTHING;

-- name: GetFiling :one
SELECT * FROM filings WHERE id = $1;

-- name: GetFilingByRequest :one
SELECT * FROM filings WHERE request_id = $1 AND kind = $2;

-- name: ListFilings :many
SELECT f.*, r.rate, r.method, r.product_category, r.requester_id FROM filings f JOIN discount_requests r ON r.id = f.request_id
WHERE (sqlc.narg(unacknowledged)::boolean IS NULL OR NOT sqlc.narg(unacknowledged) OR f.acknowledged_at IS NULL)
  AND (sqlc.narg(before)::timestamptz IS NULL OR (f.filed_at, f.id) < (sqlc.narg(before), sqlc.narg(before_id)::uuid))
ORDER BY f.filed_at DESC, f.id DESC
LIMIT sqlc.arg(lim);

-- name: AcknowledgeFiling :one
UPDATE filings SET acknowledged_at = coalesce(acknowledged_at, now()), acknowledged_by = coalesce(acknowledged_by, $2)
WHERE id = $1 RETURNING *;

-- name: PendingDiscountRequests :many
SELECT id FROM discount_requests WHERE state = 'pending' AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
ORDER BY id LIMIT sqlc.arg(lim);
