-- Every report takes the caller's scope: manager_id limits it to the
-- accounts of one account manager (NULL: every account).

-- name: PutCompanyRevenue :one
INSERT INTO company_revenue (month, amount, updated_by) VALUES ($1, $2, $3)
ON CONFLICT (month) DO UPDATE SET amount = EXCLUDED.amount, updated_by = EXCLUDED.updated_by, updated_at = now()
RETURNING *;

-- name: OverviewCounts :one
-- A key account on day d: opened by d (opened_on: the creation date, or the
-- earlier day an import named) and not churned on d (a win-back after d does
-- not count).
WITH scoped AS (
    SELECT c.* FROM customers c
    WHERE sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id)
), is_ka AS (
    SELECT s.id,
        s.opened_on <= sqlc.arg(from_date)::date - 1 AND NOT EXISTS (
            SELECT 1 FROM churns h WHERE h.customer_id = s.id AND h.effective_on <= sqlc.arg(from_date)::date - 1
              AND (h.reactivated_at IS NULL OR h.reactivated_at::date > sqlc.arg(from_date)::date - 1)) AS at_start,
        s.opened_on <= sqlc.arg(to_date)::date AND NOT EXISTS (
            SELECT 1 FROM churns h WHERE h.customer_id = s.id AND h.effective_on <= sqlc.arg(to_date)::date
              AND (h.reactivated_at IS NULL OR h.reactivated_at::date > sqlc.arg(to_date)::date)) AS at_end,
        s.opened_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date AS added
    FROM scoped s
)
SELECT
    count(*) FILTER (WHERE at_start)::int AS at_start,
    count(*) FILTER (WHERE at_end)::int AS at_end,
    count(*) FILTER (WHERE added)::int AS added,
    (SELECT count(*) FROM churns h JOIN scoped s ON s.id = h.customer_id
      WHERE h.effective_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS churned,
    (SELECT coalesce(sum(x.amount), 0) FROM sales x JOIN scoped s ON s.id = x.customer_id
      WHERE x.sold_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::numeric AS ka_revenue,
    (SELECT coalesce(sum(r.amount), 0) FROM company_revenue r
      WHERE r.month BETWEEN date_trunc('month', sqlc.arg(from_date)::date)::date AND sqlc.arg(to_date)::date)::numeric AS company_revenue,
    (SELECT count(*) FROM company_revenue r
      WHERE r.month BETWEEN date_trunc('month', sqlc.arg(from_date)::date)::date AND sqlc.arg(to_date)::date)::int AS company_months,
    (SELECT coalesce(avg(v.score), 0) FROM satisfaction v JOIN scoped s ON s.id = v.customer_id
      WHERE v.surveyed_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::numeric(6,2) AS avg_satisfaction,
    (SELECT count(*) FROM satisfaction v JOIN scoped s ON s.id = v.customer_id
      WHERE v.surveyed_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS surveys
FROM is_ka;

-- name: OverviewTiers :many
SELECT c.tier, count(*)::int AS accounts FROM customers c
WHERE c.status = 'active' AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
GROUP BY c.tier ORDER BY c.tier;

-- name: CategoryMonths :many
-- Product-use structure by month, every month of the period listed, empty or
-- not. Categories are bounded: the top_n by the period's revenue (ties by
-- name) each get a slot; the rest share slot top_n + 1 ("other"), whose
-- categories says how many it sums. Sums are unbounded
-- numeric: a narrowing cast would overflow on large totals.
WITH months AS (
    SELECT m::date AS month FROM generate_series(date_trunc('month', sqlc.arg(from_date)::date), sqlc.arg(to_date)::date, interval '1 month') m
), agg AS (
    SELECT x.product_category, date_trunc('month', x.sold_on)::date AS month, sum(x.amount) AS amount, sum(x.quantity) AS quantity
    FROM sales x JOIN customers c ON c.id = x.customer_id
    WHERE x.sold_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date
      AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
      AND (sqlc.narg(customer_id)::uuid IS NULL OR x.customer_id = sqlc.narg(customer_id))
    GROUP BY x.product_category, date_trunc('month', x.sold_on)
), ranked AS (
    SELECT a.product_category, least(row_number() OVER (ORDER BY sum(a.amount) DESC, a.product_category), sqlc.arg(top_n)::bigint + 1) AS slot
    FROM agg a GROUP BY a.product_category
), slots AS (
    SELECT r.slot, CASE WHEN r.slot <= sqlc.arg(top_n)::bigint THEN min(r.product_category) END AS category, count(*) AS categories
    FROM ranked r GROUP BY r.slot
), slotted AS (
    SELECT r.slot, a.month, sum(a.amount) AS amount, sum(a.quantity) AS quantity
    FROM agg a JOIN ranked r ON r.product_category = a.product_category
    GROUP BY r.slot, a.month
)
SELECT months.month, slots.slot::int AS slot, coalesce(slots.category, '')::text AS category, slots.categories::int AS categories,
    coalesce(s.amount, 0)::numeric AS amount,
    coalesce(s.quantity, 0)::numeric AS quantity
FROM months CROSS JOIN slots
LEFT JOIN slotted s ON s.slot = slots.slot AND s.month = months.month
ORDER BY months.month, slots.slot;

-- name: CustomerRegions :many
-- Where an account's products went, bounded like the categories: the top_n
-- regions by amount, then one row (slot top_n + 1) summing the rest.
WITH r AS (
    SELECT x.region, sum(x.amount) AS amount, sum(x.quantity) AS quantity FROM sales x
    WHERE x.customer_id = sqlc.arg(customer_id) AND x.sold_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date
    GROUP BY x.region
), ranked AS (
    SELECT r.*, least(row_number() OVER (ORDER BY r.amount DESC, r.region), sqlc.arg(top_n)::bigint + 1) AS slot FROM r
)
SELECT slot::int AS slot, min(region)::text AS region,
    sum(amount)::numeric AS amount, sum(quantity)::numeric AS quantity, count(*)::int AS regions
FROM ranked GROUP BY slot ORDER BY slot;

-- name: PaymentsBetween :one
SELECT coalesce(sum(amount), 0)::numeric AS total FROM credit_payments
WHERE customer_id = sqlc.arg(customer_id) AND received_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date;

-- name: CustomerServiceFacts :one
SELECT
    (SELECT count(*) FROM tickets t WHERE t.customer_id = sqlc.arg(customer_id) AND t.status IN ('open','acknowledged'))::int AS open_tickets,
    (SELECT count(*) FROM visits v WHERE v.customer_id = sqlc.arg(customer_id) AND v.status = 'done'
       AND coalesce(v.visited_on, v.completed_at::date) BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS visits_done,
    (SELECT count(*) FROM visits v WHERE v.customer_id = sqlc.arg(customer_id) AND v.status = 'missed'
       AND v.due_at::date BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS visits_missed,
    -- A cancelled task is no greeting (SPEC §7).
    (SELECT count(*) FROM greetings g WHERE g.customer_id = sqlc.arg(customer_id) AND g.status <> 'cancelled'
       AND g.occasion_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS greetings;

-- name: ChurnReport :many
-- Art. 8.4: lost accounts by reason, destination and competitor; revenue
-- lost is what the account bought in the year before it left.
SELECT h.reason, h.destination, h.competitor, count(*)::int AS accounts,
    coalesce(sum((SELECT sum(x.amount) FROM sales x WHERE x.customer_id = h.customer_id
        AND x.sold_on > h.effective_on - 365 AND x.sold_on <= h.effective_on)), 0)::numeric AS revenue_lost
FROM churns h JOIN customers c ON c.id = h.customer_id
WHERE h.effective_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date
  AND (sqlc.narg(manager_id)::uuid IS NULL OR c.account_manager_id = sqlc.narg(manager_id))
GROUP BY h.reason, h.destination, h.competitor
ORDER BY revenue_lost DESC, h.reason, h.destination, h.competitor;

-- name: StaffReport :many
-- Art. 5.2, 22: service quality in each account manager's assessment. Each
-- fact counts for the manager who held its account on its day
-- (account_manager_spans); "accounts" is what each holds today.
SELECT s.id, s.name,
    (SELECT count(*) FROM customers c WHERE c.account_manager_id = s.id AND c.status = 'active')::int AS accounts,
    (SELECT coalesce(sum(x.amount), 0) FROM sales x JOIN account_manager_spans h ON h.customer_id = x.customer_id
      WHERE h.manager_id = s.id AND x.sold_on >= h.from_day AND x.sold_on < h.to_day
        AND x.sold_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::numeric AS revenue,
    (SELECT coalesce(sum(p.amount), 0) FROM credit_payments p JOIN account_manager_spans h ON h.customer_id = p.customer_id
      WHERE h.manager_id = s.id AND p.received_on >= h.from_day AND p.received_on < h.to_day
        AND p.received_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::numeric AS collected,
    (SELECT coalesce(sum(st.amount_due - st.reversed), 0) FROM statements st JOIN account_manager_spans h ON h.customer_id = st.customer_id
      WHERE h.manager_id = s.id AND st.due_at::date >= h.from_day AND st.due_at::date < h.to_day
        AND st.due_at::date BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::numeric AS billed,
    (SELECT coalesce(sum(st.amount_due - st.reversed - st.paid), 0) FROM statements st JOIN account_manager_spans h ON h.customer_id = st.customer_id
      WHERE h.manager_id = s.id AND st.due_at::date >= h.from_day AND st.due_at::date < h.to_day AND st.status = 'overdue'
        AND st.due_at::date BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::numeric AS overdue,
    (SELECT count(*) FROM visits v JOIN account_manager_spans h ON h.customer_id = v.customer_id
      WHERE h.manager_id = s.id AND v.due_at::date >= h.from_day AND v.due_at::date < h.to_day AND v.status = 'done'
        AND v.due_at IS NOT NULL AND v.due_at::date BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS visits_on_time,
    (SELECT count(*) FROM visits v JOIN account_manager_spans h ON h.customer_id = v.customer_id
      WHERE h.manager_id = s.id AND v.due_at::date >= h.from_day AND v.due_at::date < h.to_day AND v.status = 'missed'
        AND v.due_at::date BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS visits_missed,
    (SELECT count(*) FROM tickets t JOIN account_manager_spans h ON h.customer_id = t.customer_id
      WHERE h.manager_id = s.id AND t.created_at::date >= h.from_day AND t.created_at::date < h.to_day
        AND t.created_at::date BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS tickets,
    (SELECT count(*) FROM tickets t JOIN account_manager_spans h ON h.customer_id = t.customer_id
      WHERE h.manager_id = s.id AND t.created_at::date >= h.from_day AND t.created_at::date < h.to_day
        AND NOT t.response_breached AND NOT t.resolution_breached
        AND t.created_at::date BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS tickets_met,
    (SELECT coalesce(avg(v.score), 0) FROM satisfaction v JOIN account_manager_spans h ON h.customer_id = v.customer_id
      WHERE h.manager_id = s.id AND v.surveyed_on >= h.from_day AND v.surveyed_on < h.to_day
        AND v.surveyed_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::numeric(6,2) AS avg_satisfaction,
    (SELECT count(*) FROM satisfaction v JOIN account_manager_spans h ON h.customer_id = v.customer_id
      WHERE h.manager_id = s.id AND v.surveyed_on >= h.from_day AND v.surveyed_on < h.to_day
        AND v.surveyed_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS surveys,
    (SELECT count(*) FROM inspection_findings f JOIN inspections i ON i.id = f.inspection_id JOIN account_manager_spans h ON h.customer_id = f.customer_id
      WHERE h.manager_id = s.id AND i.created_at::date >= h.from_day AND i.created_at::date < h.to_day
        AND i.created_at::date BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::int AS findings,
    (SELECT coalesce(sum(k.amount), 0) FROM ka_costs k JOIN account_manager_spans h ON h.customer_id = k.customer_id
      WHERE h.manager_id = s.id AND k.incurred_on >= h.from_day AND k.incurred_on < h.to_day
        AND k.incurred_on BETWEEN sqlc.arg(from_date)::date AND sqlc.arg(to_date)::date)::numeric AS cost,
    -- A year's budget is the plan of whoever holds the account at the end of
    -- that year, or at the end of the period when it ends earlier.
    (SELECT coalesce(sum(b.amount), 0) FROM ka_budgets b JOIN account_manager_spans h ON h.customer_id = b.customer_id
      WHERE h.manager_id = s.id
        AND least(make_date(b.year, 12, 31), sqlc.arg(to_date)::date) >= h.from_day
        AND least(make_date(b.year, 12, 31), sqlc.arg(to_date)::date) < h.to_day
        AND b.year BETWEEN extract(year FROM sqlc.arg(from_date)::date)::int AND extract(year FROM sqlc.arg(to_date)::date)::int)::numeric AS budget
FROM staff s
WHERE s.role = 'account_manager' AND (sqlc.narg(manager_id)::uuid IS NULL OR s.id = sqlc.narg(manager_id))
ORDER BY s.name, s.id;
