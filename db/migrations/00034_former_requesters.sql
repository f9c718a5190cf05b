-- +goose Up
-- Art. 12, SPEC §3: the requester never decides their own request, nor does
-- their deputy. A handover makes the new account manager the requester of a
-- pending request (Art. 11); whoever asked before stays barred from deciding
-- it, even after a change of role, so every earlier requester is kept here.
ALTER TABLE discount_requests ADD COLUMN former_requesters uuid[] NOT NULL DEFAULT '{}';

-- The requests handed over before this column: their handed_over events
-- name who asked before ("requester <uuid> handed over to ...").
UPDATE discount_requests r SET former_requesters = h.former
FROM (SELECT e.request_id, array_agg(DISTINCT m[1]::uuid) AS former
      FROM discount_events e, regexp_match(e.detail, '^requester ([0-9a-f-]{36}) handed over') AS m
      WHERE e.kind = 'handed_over' AND m IS NOT NULL
      GROUP BY e.request_id) h
WHERE h.request_id = r.id;

-- The deputy's test takes everyone who has asked (the requester and the
-- earlier ones): a delegator who asked never decides through a deputy. A
-- function of its own: decides_as_deputy, which takes the requester alone,
-- stays for the previous build's processes while a release rolls out.
CREATE FUNCTION decides_as_deputy_for(deputy uuid, decider text, askers uuid[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM delegations d JOIN staff f ON f.id = d.from_staff_id
        WHERE d.to_staff_id = deputy AND d.ended_at IS NULL AND d.starts_at <= now() AND d.ends_at > now()
          AND f.active AND f.role = decider AND NOT d.from_staff_id = ANY(askers))
$$;

-- +goose Down
DROP FUNCTION decides_as_deputy_for(uuid, text, uuid[]);
ALTER TABLE discount_requests DROP COLUMN former_requesters;
