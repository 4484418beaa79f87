-- Every household an account is linked to (family.HouseholdLinked): a guardian of two
-- households switches between them. accounts.household_id stays the current one, the one
-- its tokens carry (set on the first link, then changed by the account's switch).
CREATE TABLE account_households (
    tenant       text NOT NULL,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    household_id uuid NOT NULL,
    linked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, account_id, household_id)
);
CREATE INDEX account_households_household ON account_households (tenant, household_id);

-- The links made so far: each account's one household.
INSERT INTO account_households (tenant, account_id, household_id, linked_at)
SELECT tenant, id, household_id, updated_at FROM accounts WHERE household_id IS NOT NULL;
