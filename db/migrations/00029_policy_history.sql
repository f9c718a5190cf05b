-- +goose Up
-- Who changed a discount policy, what and when (SPEC §7; Art. 5.5: the KA
-- Department sets the discount policy, and its changes are answerable).
CREATE TABLE discount_policy_history (
    id               bigserial PRIMARY KEY,
    tier             text NOT NULL REFERENCES tiers(code),
    product_category text NOT NULL,
    staff_id         uuid REFERENCES staff(id),
    at               timestamptz NOT NULL DEFAULT now(),
    field            text NOT NULL,
    old_value        text,
    new_value        text
);
CREATE INDEX discount_policy_history_policy_idx ON discount_policy_history (tier, product_category, id);

-- +goose Down
DROP TABLE discount_policy_history;
