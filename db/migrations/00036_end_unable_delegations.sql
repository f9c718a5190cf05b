-- +goose Up
-- SPEC §7: a deputy decides, and sees, only while able to decide approvals.
-- Since this release a change of role or a deactivation ends the person's
-- delegations (Store.UpdateStaff); those left in force by earlier changes
-- end here.
UPDATE delegations d SET ended_at = now()
FROM staff s
WHERE d.ended_at IS NULL AND d.ends_at > now()
  AND s.id IN (d.from_staff_id, d.to_staff_id)
  AND (NOT s.active OR s.role NOT IN ('ka_manager', 'general_manager'));

-- +goose Down
-- Nothing to undo: an ended delegation is not begun again.
SELECT 1;
