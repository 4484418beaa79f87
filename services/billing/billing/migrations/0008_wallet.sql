-- How an activity is paid (billing.ActivityPaymentSet, kept by booking): `invoice` (invoiced,
-- paid later), `at_booking` (the basket's places held `hold_minutes` while the family pays by
-- card) or `wallet` (paid from the household's prepaid wallet when the basket is validated).
-- Both ways of paying upfront are prepaid activities.
ALTER TABLE activities ADD COLUMN payment text NOT NULL DEFAULT 'invoice'
    CHECK (payment IN ('invoice', 'at_booking', 'wallet'));
ALTER TABLE activities ADD COLUMN hold_minutes integer NOT NULL DEFAULT 30
    CHECK (hold_minutes BETWEEN 1 AND 1440);
ALTER TABLE activities ADD CONSTRAINT activities_paid_upfront_is_prepaid
    CHECK (payment = 'invoice' OR billing_mode = 'prepaid');

-- The régie that holds the tenant's wallets ("tirelire" [003]): at most one per tenant.
ALTER TABLE regies ADD COLUMN holds_wallets boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX regies_wallet_holder ON regies (tenant) WHERE holds_wallets;

-- One wallet per household, activated by its family. The balance never goes below zero:
-- this CHECK, and debits written as conditional updates (store/wallet.py).
CREATE TABLE wallets (
    household_id  uuid PRIMARY KEY,
    tenant        text NOT NULL,
    regie_id      uuid NOT NULL REFERENCES regies (id),
    balance_cents integer NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
    activated_by  uuid,  -- the family account (NULL: staff)
    activated_at  timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX wallets_tenant ON wallets (tenant, activated_at);

-- Every movement of a wallet, append-only, with the balance after it: credits (a card
-- top-up, a staff credit, a refund of cancelled days) are positive, debits negative.
CREATE TABLE wallet_movements (
    id             uuid PRIMARY KEY,
    seq            bigserial NOT NULL UNIQUE,  -- the order the balance moved in
    tenant         text NOT NULL,
    household_id   uuid NOT NULL REFERENCES wallets (household_id),
    kind           text NOT NULL CHECK (kind IN ('top_up', 'staff', 'refund', 'debit')),
    amount_cents   integer NOT NULL CHECK (amount_cents <> 0),
    balance_cents  integer NOT NULL CHECK (balance_cents >= 0),
    label          text NOT NULL,  -- as the family reads it
    reason         text,  -- a staff credit's reason
    transaction_id uuid UNIQUE,  -- a top-up's card transaction: credited once
    refund_id      uuid UNIQUE REFERENCES refunds (id),  -- a refund's document
    basket_id      uuid,
    booking_ids    uuid[] NOT NULL DEFAULT '{}',
    invoice_ids    uuid[] NOT NULL DEFAULT '{}',  -- a debit: the invoices it paid
    recorded_by    uuid,
    at             timestamptz NOT NULL,
    CHECK ((kind = 'debit') = (amount_cents < 0)),
    CHECK ((kind = 'top_up') = (transaction_id IS NOT NULL)),
    CHECK ((kind = 'refund') = (refund_id IS NOT NULL))
);
CREATE INDEX wallet_movements_household ON wallet_movements (tenant, household_id, seq DESC);

CREATE FUNCTION wallet_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'wallet movements are append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER wallet_movements_append_only BEFORE UPDATE OR DELETE ON wallet_movements
    FOR EACH ROW EXECUTE FUNCTION wallet_movements_append_only();

-- The saga's answers: one per booking.ReservationValidated paid from the wallet (a basket's
-- days of one child and activity). A replay of the event finds its answer here and gets
-- it again, never a second debit.
CREATE TABLE wallet_answers (
    basket_id     uuid NOT NULL,
    activity_id   uuid NOT NULL,
    child_id      uuid NOT NULL,
    tenant        text NOT NULL,
    household_id  uuid NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('debited', 'refused')),
    reason        text CHECK (reason IN ('insufficient_balance', 'wallet_inactive')),
    booking_ids   uuid[] NOT NULL,
    amount_cents  integer NOT NULL CHECK (amount_cents >= 0),
    balance_cents integer NOT NULL,  -- the wallet's, after the answer
    invoice_id    uuid,
    movement_id   uuid UNIQUE REFERENCES wallet_movements (id),
    answered_at   timestamptz NOT NULL,
    PRIMARY KEY (basket_id, activity_id, child_id),
    CHECK ((outcome = 'refused') = (reason IS NOT NULL)),
    CHECK (outcome = 'debited' OR movement_id IS NULL)
);
CREATE INDEX wallet_answers_household ON wallet_answers (tenant, household_id, answered_at);

-- Cancelled days paid from a wallet go back to it: a refund of their credit note, method
-- `wallet`, made by billing itself (no staff member: created_by NULL).
ALTER TABLE refunds DROP CONSTRAINT refunds_method_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_method_check
    CHECK (method IN ('transfer', 'cheque', 'cash', 'wallet'));
ALTER TABLE refunds ALTER COLUMN created_by DROP NOT NULL;
