-- Named payers of a household besides the household itself (whose payer id is the
-- household's id): a guardian paying their own share (separated parents), with their own
-- name, address and email, and the family account that sees and pays their documents.
CREATE TABLE payers (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL,
    name         text NOT NULL,
    address      text,
    email        text,
    account_id   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payers_household ON payers (tenant, household_id);
CREATE UNIQUE INDEX payers_account ON payers (tenant, account_id) WHERE account_id IS NOT NULL;

-- Accounts linked to households (family.HouseholdLinked): a payer's account must be one.
CREATE TABLE household_accounts (
    tenant       text NOT NULL,
    account_id   uuid NOT NULL,
    household_id uuid NOT NULL,
    linked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, account_id)
);

-- Who pays a child's booked days, from a date (domain/split.py).
CREATE TABLE billing_rules (
    id             uuid PRIMARY KEY,
    tenant         text NOT NULL,
    household_id   uuid NOT NULL,
    child_id       uuid NOT NULL,
    effective_from date NOT NULL,
    kind           text NOT NULL
                   CHECK (kind IN ('single', 'alternate_weeks', 'weekdays', 'percentage')),
    payer_a        uuid NOT NULL,
    payer_b        uuid,
    reference_week date,
    weekdays       smallint[],
    percent_a      numeric(5, 2) CHECK (percent_a > 0 AND percent_a < 100),
    created_by     uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, child_id, effective_from)
);
CREATE INDEX billing_rules_household ON billing_rules (tenant, household_id);

-- A day shared by percentage is charged in two parts, one per payer: still at most once.
ALTER TABLE credited_days DROP CONSTRAINT credited_days_booking_id_fkey;
ALTER TABLE credited_days DROP CONSTRAINT credited_days_pkey;
ALTER TABLE charges DROP CONSTRAINT charges_pkey;
ALTER TABLE charges ADD COLUMN part smallint NOT NULL DEFAULT 1 CHECK (part IN (1, 2));
ALTER TABLE charges ADD PRIMARY KEY (booking_id, part);
ALTER TABLE credited_days ADD COLUMN part smallint NOT NULL DEFAULT 1;
ALTER TABLE credited_days ADD PRIMARY KEY (booking_id, part);
ALTER TABLE credited_days ADD FOREIGN KEY (booking_id, part) REFERENCES charges (booking_id, part);

-- A basket's days may go to several payers: a draft per payer.
DROP INDEX invoices_basket_draft;
CREATE UNIQUE INDEX invoices_basket_draft ON invoices (tenant, basket_id, regie_id, payer_id)
    WHERE status = 'draft' AND basket_id IS NOT NULL;
CREATE INDEX invoices_payer ON invoices (tenant, payer_id, issue_date);
CREATE INDEX credit_notes_payer ON credit_notes (tenant, payer_id, issue_date);
