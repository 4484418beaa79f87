-- Households the family service anonymised (deletion request): a HouseholdLinked to one of
-- them arriving late (redelivery, out-of-order) must not link an account to it again.
CREATE TABLE anonymised_households (
    tenant              text NOT NULL,
    household_id        uuid NOT NULL,
    deletion_request_id uuid,
    anonymised_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, household_id)
);
CREATE INDEX accounts_household ON accounts (tenant, household_id) WHERE household_id IS NOT NULL;
