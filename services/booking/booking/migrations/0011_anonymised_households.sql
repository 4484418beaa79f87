-- Households the family service anonymised (family.HouseholdAnonymised): their children's
-- names and personal details are forgotten, and a family event about them that arrives
-- afterwards (a retry, a redelivery) is not applied.
CREATE TABLE anonymised_households (
    tenant        text NOT NULL,
    household_id  uuid NOT NULL,
    anonymised_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, household_id)
);
