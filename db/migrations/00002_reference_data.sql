-- +goose Up
-- Art. 3, 15: three grades with different service. Operators tune them with
-- PUT /v1/tiers/{code}; these are only the starting values.
INSERT INTO tiers (code, name, rank, visit_cadence, ticket_response_within, ticket_resolve_within, greeting_occasions) VALUES
    ('S', 'Strategic', 1, '0 9 * * 1',    '1h', '8h',  '{birthday,anniversary,holiday}'),
    ('A', 'Key',       2, '0 9 1,15 * *', '2h', '24h', '{birthday,holiday}'),
    ('B', 'Standard',  3, '0 9 1 * *',    '4h', '72h', '{holiday}')
ON CONFLICT (code) DO NOTHING;

-- Art. 5.5, 12: per tier and line of business, what the KA Department may
-- approve alone (max_standard_rate) and what nobody may approve (hard_cap_rate).
INSERT INTO discount_policies (tier, product_category, max_standard_rate, hard_cap_rate, methods) VALUES
    ('S', 'equipment',   15, 30, '{percentage,fixed_price,rebate}'),
    ('S', 'consumables', 12, 25, '{percentage,fixed_price,rebate}'),
    ('S', 'services',    10, 20, '{percentage,rebate}'),
    ('A', 'equipment',   10, 20, '{percentage,rebate}'),
    ('A', 'consumables',  8, 16, '{percentage,rebate}'),
    ('A', 'services',     6, 12, '{percentage}'),
    ('B', 'equipment',    5, 12, '{percentage}'),
    ('B', 'consumables',  4, 10, '{percentage}'),
    ('B', 'services',     3,  8, '{percentage}')
ON CONFLICT (tier, product_category) DO NOTHING;

-- +goose Down
DELETE FROM discount_policies;
DELETE FROM tiers;
