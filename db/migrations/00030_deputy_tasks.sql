-- +goose Up
-- A deputy's work (SPEC §7 "Approvals and work"): while a delegation is in
-- force, what its delegator decides waits on the deputy too, except a
-- request the delegator made themselves. The same test the decision's
-- validator makes, for the task list and ?awaiting=me.
CREATE FUNCTION decides_as_deputy(deputy uuid, decider text, requester uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM delegations d JOIN staff f ON f.id = d.from_staff_id
        WHERE d.to_staff_id = deputy AND d.ended_at IS NULL AND d.starts_at <= now() AND d.ends_at > now()
          AND f.active AND f.role = decider AND d.from_staff_id <> requester)
$$;

-- +goose Down
DROP FUNCTION decides_as_deputy(uuid, text, uuid);
