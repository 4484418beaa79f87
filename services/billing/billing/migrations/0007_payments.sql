-- Payments: money received for a payer (card, counter, direct debit, wallet), numbered
-- R-<CODE>-<year>-NNNNNN gapless per régie and year through `counters` (kind 'payment').
-- The ledger holds what they settle (domain/ledger.py): a `payment` entry per invoice paid
-- (document_id the invoice, related_id the payment) and one for what exceeded them
-- (document_id the payment: the payer's credit); `payment_allocations` keeps how it was
-- spread, as the receipt prints it.
CREATE TABLE payments (
    id               uuid PRIMARY KEY,
    tenant           text NOT NULL,
    regie_id         uuid NOT NULL REFERENCES regies (id),
    household_id     uuid NOT NULL,
    payer_id         uuid NOT NULL,
    number           text NOT NULL,
    year             integer NOT NULL,
    seq              integer NOT NULL,
    method           text NOT NULL CHECK (method IN ('card', 'cash', 'cheque', 'cesu', 'ancv',
                                                     'transfer', 'direct_debit', 'wallet')),
    amount_cents     integer NOT NULL CHECK (amount_cents > 0),
    credit_cents     integer NOT NULL CHECK (credit_cents >= 0),  -- what exceeded the invoices
    received_on      date NOT NULL,
    reference        jsonb NOT NULL DEFAULT '{}',  -- cheque number and bank, transfer reference…
    status           text NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'reversed')),
    reversal_reason  text,
    reversed_at      timestamptz,
    recorded_by      uuid,  -- staff at the counter; NULL: online, direct debit, wallet
    payer            jsonb NOT NULL,  -- copies as printed on the receipt
    regie            jsonb NOT NULL,
    remittance_id    uuid,
    created_at       timestamptz NOT NULL,
    UNIQUE (regie_id, year, seq),
    CHECK ((status = 'reversed') = (reversed_at IS NOT NULL))
);
CREATE INDEX payments_household ON payments (tenant, household_id, received_on);
CREATE INDEX payments_regie ON payments (tenant, regie_id, received_on);
CREATE INDEX payments_unremitted ON payments (tenant, regie_id, method)
    WHERE remittance_id IS NULL AND status = 'recorded';

CREATE TABLE payment_allocations (
    payment_id   uuid NOT NULL REFERENCES payments (id),
    position     integer NOT NULL,
    invoice_id   uuid NOT NULL REFERENCES invoices (id),
    amount_cents integer NOT NULL CHECK (amount_cents > 0),
    PRIMARY KEY (payment_id, position)
);
CREATE INDEX payment_allocations_invoice ON payment_allocations (invoice_id);

-- Remittance slips ("bordereaux de remise"): a régie's cheques (or cash, CESU, ANCV…)
-- gathered to be handed to the public treasury, numbered B-<CODE>-<year>-NNNNNN.
CREATE TABLE remittances (
    id            uuid PRIMARY KEY,
    tenant        text NOT NULL,
    regie_id      uuid NOT NULL REFERENCES regies (id),
    method        text NOT NULL,
    number        text NOT NULL,
    year          integer NOT NULL,
    seq           integer NOT NULL,
    total_cents   integer NOT NULL CHECK (total_cents > 0),
    payment_count integer NOT NULL CHECK (payment_count > 0),
    regie         jsonb NOT NULL,
    created_by    uuid NOT NULL,
    created_at    timestamptz NOT NULL,
    UNIQUE (regie_id, year, seq)
);
CREATE INDEX remittances_regie ON remittances (tenant, regie_id, created_at);
ALTER TABLE payments ADD FOREIGN KEY (remittance_id) REFERENCES remittances (id);

-- Document kinds numbered by `counters`: any lower-case name (the domain's
-- numbering.PREFIXES lists them), so that each area adds its own without redefining the list.
ALTER TABLE counters DROP CONSTRAINT IF EXISTS counters_kind_check;
ALTER TABLE counters ADD CONSTRAINT counters_kind_named CHECK (kind ~ '^[a-z_]+$');

-- How a régie takes card payments online: an eopayment backend and its options (PayFIP's
-- customer number, mode…). Options named like secrets are never returned by the API.
CREATE TABLE card_backends (
    regie_id   uuid PRIMARY KEY REFERENCES regies (id),
    tenant     text NOT NULL,
    backend    text NOT NULL CHECK (backend IN ('dummy', 'tipi', 'payfip_ws')),
    options    jsonb NOT NULL DEFAULT '{}',
    enabled    boolean NOT NULL DEFAULT true,
    updated_by uuid NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Online card payments: one row per attempt, from the request to the bank's answer. A paid
-- transaction is applied once (`payment_id`); a late "paid" after expiry is still applied.
CREATE TABLE card_transactions (
    id                  uuid PRIMARY KEY,
    tenant              text NOT NULL,
    regie_id            uuid NOT NULL REFERENCES regies (id),
    household_id        uuid NOT NULL,
    payer_id            uuid NOT NULL,
    account_id          uuid,  -- the family account that started it (NULL: staff)
    purpose             text NOT NULL CHECK (purpose IN ('invoices', 'wallet_top_up')),
    invoice_ids         uuid[] NOT NULL DEFAULT '{}',
    amount_cents        integer NOT NULL CHECK (amount_cents > 0),
    email               text,
    backend             text NOT NULL,
    reference           text NOT NULL,  -- ours, sent to the bank (PayFIP's refdet)
    bank_transaction_id text,  -- the backend's (PayFIP's idop, the dummy's id)
    payment_url         text,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'paid', 'refused', 'cancelled', 'expired')),
    bank_status         text,
    bank_data           jsonb,
    payment_id          uuid REFERENCES payments (id),
    wallet_movement_id  uuid,
    created_by          uuid,
    created_at          timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL,
    settled_at          timestamptz,
    UNIQUE (reference),
    CHECK (status <> 'paid' OR payment_id IS NOT NULL OR purpose = 'wallet_top_up'),
    CHECK ((status = 'pending') = (settled_at IS NULL))
);
CREATE UNIQUE INDEX card_transactions_bank ON card_transactions (backend, bank_transaction_id)
    WHERE bank_transaction_id IS NOT NULL;
CREATE INDEX card_transactions_household ON card_transactions (tenant, household_id, created_at);
CREATE INDEX card_transactions_pending ON card_transactions (created_at) WHERE status = 'pending';
