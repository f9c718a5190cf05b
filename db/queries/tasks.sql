-- name: MyTasks :many
-- What waits on one member of staff (SPEC §7 "Approvals and work"), soonest
-- due first, in one query. Each kind is one branch, switched on or off by
-- the caller's scope (kam.TaskScope), reading its own index in due order and
-- cut at the page size; the union is then ordered and cut again. The keyset
-- (after_due, after_kind, after_id) is always given (the first page starts
-- at the year 1), so that every branch can start its index scan there.
-- "mine" is the accounts assigned to staff_id today.
SELECT t.kind, t.due_at, t.id, t.customer_id, c.name AS customer_name, t.subject, t.state, t.rate, t.missing, t.outstanding
FROM (
    -- Art. 20: planned visits of the caller's accounts.
    (SELECT 'visit_due'::text AS kind, v.due_at, v.id, v.customer_id, NULL::text AS subject, NULL::text AS state,
            NULL::numeric AS rate, NULL::text[] AS missing, NULL::numeric AS outstanding
     FROM visits v JOIN customers mc ON mc.id = v.customer_id
     WHERE sqlc.arg(visits)::boolean AND mc.account_manager_id = sqlc.arg(staff_id)::uuid AND v.status = 'planned'
       AND v.due_at >= sqlc.arg(after_due)::timestamptz
       AND (v.due_at, 'visit_due', v.id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY v.due_at, v.id LIMIT sqlc.arg(lim))
    UNION ALL
    -- Art. 11, 12: pending stages the caller's role decides, never their own
    -- request (nor one they asked for before a handover).
    (SELECT 'discount_decision', coalesce(r.deadline, r.created_at), r.id, r.customer_id, r.product_category, r.route,
            r.rate, NULL, NULL
     FROM discount_requests r
     WHERE r.state = 'pending'
       -- Checked once, not per request: one who decides no stage and stands
       -- in for no one (an account manager) has nothing here to scan for.
       AND (sqlc.arg(decide_as)::text <> '' OR EXISTS (
            SELECT 1 FROM delegations d WHERE d.to_staff_id = sqlc.arg(staff_id)::uuid
               AND d.ended_at IS NULL AND d.starts_at <= now() AND d.ends_at > now()))
       AND (discount_decider(r.stage, r.escalated) = sqlc.arg(decide_as)::text
            OR decides_as_deputy_for(sqlc.arg(staff_id)::uuid, discount_decider(r.stage, r.escalated), r.former_requesters || r.requester_id))
       AND NOT sqlc.arg(staff_id)::uuid = ANY(r.former_requesters || r.requester_id)
       -- Level by level: who decided stage 1, or was decided for, never
       -- decides stage 2 (the run refuses it).
       AND NOT (r.stage = 'general_manager' AND EXISTS (
            SELECT 1 FROM discount_decisions dd WHERE dd.request_id = r.id AND dd.stage = 'ka_department'
               AND sqlc.arg(staff_id)::uuid IN (dd.decided_by, dd.on_behalf_of)))
       AND coalesce(r.deadline, r.created_at) >= sqlc.arg(after_due)::timestamptz
       AND (coalesce(r.deadline, r.created_at), 'discount_decision', r.id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY coalesce(r.deadline, r.created_at), r.id LIMIT sqlc.arg(lim))
    UNION ALL
    -- Art. 12: standard discounts filed with the GM and not yet acknowledged.
    (SELECT 'filing_acknowledgement', f.filed_at, f.id, f.customer_id, r.product_category, r.route, r.rate, NULL, NULL
     FROM filings f JOIN discount_requests r ON r.id = f.request_id
     WHERE sqlc.arg(filings)::boolean AND f.acknowledged_at IS NULL
       AND f.filed_at >= sqlc.arg(after_due)::timestamptz
       AND (f.filed_at, 'filing_acknowledgement', f.id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY f.filed_at, f.id LIMIT sqlc.arg(lim))
    UNION ALL
    -- Art. 16, 17: the hotline queue (service agents): every ticket not yet
    -- resolved, due at respond_by until acknowledged, then at resolve_by.
    (SELECT 'ticket', CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, t.id, t.customer_id, t.subject, t.status,
            NULL, NULL, NULL
     FROM tickets t
     WHERE sqlc.arg(tickets_all)::boolean AND t.status IN ('open', 'acknowledged')
       AND CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END >= sqlc.arg(after_due)::timestamptz
       AND (CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, 'ticket', t.id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, t.id LIMIT sqlc.arg(lim))
    UNION ALL
    -- The KA manager's: tickets escalated to them by a breach.
    (SELECT 'ticket', CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, t.id, t.customer_id, t.subject, t.status,
            NULL, NULL, NULL
     FROM tickets t
     WHERE sqlc.arg(tickets_escalated)::boolean AND t.status IN ('open', 'acknowledged') AND t.escalated
       AND CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END >= sqlc.arg(after_due)::timestamptz
       AND (CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, 'ticket', t.id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, t.id LIMIT sqlc.arg(lim))
    UNION ALL
    -- An account manager's: tickets of their accounts.
    (SELECT 'ticket', CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, t.id, t.customer_id, t.subject, t.status,
            NULL, NULL, NULL
     FROM tickets t JOIN customers mc ON mc.id = t.customer_id
     WHERE sqlc.arg(tickets_mine)::boolean AND mc.account_manager_id = sqlc.arg(staff_id)::uuid AND t.status IN ('open', 'acknowledged')
       AND CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END >= sqlc.arg(after_due)::timestamptz
       AND (CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, 'ticket', t.id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY CASE WHEN t.status = 'open' THEN t.respond_by ELSE t.resolve_by END, t.id LIMIT sqlc.arg(lim))
    UNION ALL
    -- Art. 19: open greeting tasks of the caller's accounts, due at the start
    -- of the occasion's day in the company's time zone.
    -- Subject and state are what its title is worded from (ListGreetings).
    (SELECT 'greeting', g.occasion_on::timestamp AT TIME ZONE sqlc.arg(tz)::text, g.id, g.customer_id,
            greeting_subject(g.occasion, g.key_person_id, g.holiday_id, mc.founded_on, g.title)::text, g.occasion,
            NULL, NULL, NULL
     FROM greetings g JOIN customers mc ON mc.id = g.customer_id
     WHERE sqlc.arg(greetings)::boolean AND mc.account_manager_id = sqlc.arg(staff_id)::uuid AND g.status = 'open'
       AND g.occasion_on::timestamp AT TIME ZONE sqlc.arg(tz)::text >= sqlc.arg(after_due)::timestamptz
       AND (g.occasion_on::timestamp AT TIME ZONE sqlc.arg(tz)::text, 'greeting', g.id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY g.occasion_on, g.id LIMIT sqlc.arg(lim))
    UNION ALL
    -- Art. 7: incomplete archives of every active account (data clerks), due
    -- archive_grace after the account was opened: read off archive_gaps in
    -- due order, missing then probed for the page's rows only. A caller who
    -- may not see credit (hide_credit) is neither shown that gap nor given an
    -- archive whose only gap it is (Art. 9).
    (SELECT 'archive_incomplete', g.created_at + sqlc.arg(archive_grace_us)::bigint * interval '1 microsecond', g.customer_id, g.customer_id,
            NULL, NULL, NULL, CASE WHEN sqlc.arg(hide_credit)::boolean THEN array_remove(a.missing, 'credit') ELSE a.missing END, NULL
     FROM archive_gaps g JOIN archive_completeness a ON a.customer_id = g.customer_id
     WHERE sqlc.arg(archives_all)::boolean
       AND NOT (sqlc.arg(hide_credit)::boolean AND a.missing <@ ARRAY['credit'])
       AND g.created_at >= sqlc.arg(after_due)::timestamptz - sqlc.arg(archive_grace_us)::bigint * interval '1 microsecond'
       AND (g.created_at + sqlc.arg(archive_grace_us)::bigint * interval '1 microsecond', 'archive_incomplete', g.customer_id)
           > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY g.created_at, g.customer_id LIMIT sqlc.arg(lim))
    UNION ALL
    -- ... and of the caller's active accounts (account managers): a hundred
    -- or so, each probed (missing) rather than every archive hashed (complete).
    (SELECT 'archive_incomplete', a.created_at + sqlc.arg(archive_grace_us)::bigint * interval '1 microsecond', a.customer_id, a.customer_id,
            NULL, NULL, NULL, CASE WHEN sqlc.arg(hide_credit)::boolean THEN array_remove(a.missing, 'credit') ELSE a.missing END, NULL
     FROM archive_completeness a
     WHERE sqlc.arg(archives_mine)::boolean AND a.account_manager_id = sqlc.arg(staff_id)::uuid AND a.status = 'active'
       AND cardinality(a.missing) > 0 AND NOT (sqlc.arg(hide_credit)::boolean AND a.missing <@ ARRAY['credit'])
       AND a.created_at >= sqlc.arg(after_due)::timestamptz - sqlc.arg(archive_grace_us)::bigint * interval '1 microsecond'
       AND (a.created_at + sqlc.arg(archive_grace_us)::bigint * interval '1 microsecond', 'archive_incomplete', a.customer_id)
           > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY a.created_at, a.customer_id LIMIT sqlc.arg(lim))
    UNION ALL
    -- Art. 13: statements unpaid at their due date, of every account (finance) ...
    (SELECT 'statement_overdue', s.due_at, s.id, s.customer_id, NULL, NULL, NULL, NULL, s.amount_due - s.paid
     FROM statements s
     WHERE sqlc.arg(statements_all)::boolean AND s.status = 'overdue'
       AND s.due_at >= sqlc.arg(after_due)::timestamptz
       AND (s.due_at, 'statement_overdue', s.id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY s.due_at, s.id LIMIT sqlc.arg(lim))
    UNION ALL
    -- ... or of the caller's accounts.
    (SELECT 'statement_overdue', s.due_at, s.id, s.customer_id, NULL, NULL, NULL, NULL, s.amount_due - s.paid
     FROM statements s JOIN customers mc ON mc.id = s.customer_id
     WHERE sqlc.arg(statements_mine)::boolean AND mc.account_manager_id = sqlc.arg(staff_id)::uuid AND s.status = 'overdue'
       AND s.due_at >= sqlc.arg(after_due)::timestamptz
       AND (s.due_at, 'statement_overdue', s.id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_kind)::text, sqlc.arg(after_id)::uuid)
     ORDER BY s.due_at, s.id LIMIT sqlc.arg(lim))
) t
JOIN customers c ON c.id = t.customer_id
ORDER BY t.due_at, t.kind, t.id
LIMIT sqlc.arg(lim);

-- name: PlanTasksOnce :exec
-- For the rest of the transaction, prepared statements run on their generic
-- plan. MyTasks's branches are switched by parameters, which a generic plan
-- turns into one-time filters at run time; with Postgres's default choice
-- it was planned afresh on every call (about 4 ms on 10,000 accounts, more
-- than running it took), since the generic plan's estimate counts every
-- branch.
SELECT set_config('plan_cache_mode', 'force_generic_plan', true);
