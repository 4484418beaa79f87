-- SEPA direct debit (domain/mandates.py, domain/direct_debit.py). Bank details are never
-- stored in clear: IBAN and BIC are sealed (AES-GCM, BANK_DETAILS_KEYS; `key_id` the key that
-- sealed them, the row's id and tenant bound as associated data); only the masked IBAN
-- (FR76 **** **** **** **** **** 189) is stored to be shown.

-- Batches are numbered through `counters` (kind 'direct_debit_batch'): the fixed list of kinds
-- goes (a no-op when 0007 already replaced it by a pattern).
ALTER TABLE counters DROP CONSTRAINT IF EXISTS counters_kind_check;

-- A régie's SEPA creditor settings, set by staff: its creditor identifier (ICS), the name
-- and the account debits are paid into, and the pre-notification delay.
CREATE TABLE sepa_creditors (
    regie_id             uuid PRIMARY KEY REFERENCES regies (id),
    tenant               text NOT NULL,
    creditor_id          text NOT NULL,
    creditor_name        text NOT NULL,
    iban_masked          text NOT NULL,
    key_id               text NOT NULL,
    sealed               bytea NOT NULL,  -- {"iban", "bic"}
    prenotification_days integer NOT NULL DEFAULT 14 CHECK (prenotification_days BETWEEN 2 AND 60),
    updated_by           uuid NOT NULL,
    updated_at           timestamptz NOT NULL
);

-- Mandate references (RUM) are numbered per tenant and year: M-<régie code>-<year>-NNNNNN.
CREATE TABLE mandate_counters (
    tenant text NOT NULL,
    year   integer NOT NULL,
    last   integer NOT NULL,
    PRIMARY KEY (tenant, year)
);

CREATE TABLE mandates (
    id            uuid PRIMARY KEY,
    tenant        text NOT NULL,
    regie_id      uuid NOT NULL REFERENCES regies (id),
    household_id  uuid NOT NULL,
    payer_id      uuid NOT NULL,  -- the household, or a named payer of it
    rum           text NOT NULL,
    holder        text NOT NULL,
    iban_masked   text NOT NULL,
    key_id        text NOT NULL,
    sealed        bytea NOT NULL,  -- {"iban", "bic"}
    status        text NOT NULL
                  CHECK (status IN ('pending_signature', 'active', 'suspended', 'revoked')),
    account_id    uuid,  -- the guardian who registered and signs it online (NULL: staff)
    created_by    uuid NOT NULL,
    signed_on     date,
    activated_at  timestamptz,
    -- Invoices issued after this are collected with it: its activation, or that of the
    -- active mandate it replaced (a new account of the payer takes over its invoices).
    collects_from timestamptz,
    recorded_by   text CHECK (recorded_by IN ('family', 'staff')),
    rejections    integer NOT NULL DEFAULT 0 CHECK (rejections >= 0),
    suspended_at  timestamptz,
    revoked_at    timestamptz,
    revoked_by    text CHECK (revoked_by IN ('family', 'staff')),
    replaced_by   uuid REFERENCES mandates (id),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    UNIQUE (tenant, rum),
    -- Signed mandates (active, suspended) have an activation; one revoked may never have had.
    CHECK (status <> 'pending_signature' OR activated_at IS NULL),
    CHECK (status NOT IN ('active', 'suspended') OR (activated_at IS NOT NULL
                                                      AND collects_from IS NOT NULL
                                                      AND signed_on IS NOT NULL)),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
-- One active mandate per payer and régie: a new one revokes the old in the same transaction.
CREATE UNIQUE INDEX mandates_active ON mandates (tenant, regie_id, payer_id)
    WHERE status = 'active';
CREATE INDEX mandates_household ON mandates (tenant, household_id, created_at);
CREATE INDEX mandates_regie ON mandates (tenant, regie_id, status);

-- Online signature links: only the token's SHA-256 is kept; single use, expiring.
CREATE TABLE mandate_signatures (
    digest     text PRIMARY KEY,
    tenant     text NOT NULL,
    mandate_id uuid NOT NULL REFERENCES mandates (id),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX mandate_signatures_mandate ON mandate_signatures (mandate_id);

-- Collections run by staff for a régie and a date, numbered P-<CODE>-<year>-NNNNNN. The
-- pain.008 file holds IBANs: it is sealed like the mandates (associated data: the batch).
CREATE TABLE direct_debit_batches (
    id              uuid PRIMARY KEY,
    tenant          text NOT NULL,
    regie_id        uuid NOT NULL REFERENCES regies (id),
    number          text NOT NULL,
    year            integer NOT NULL,
    seq             integer NOT NULL,
    collection_date date NOT NULL,
    item_count      integer NOT NULL CHECK (item_count > 0),
    total_cents     integer NOT NULL CHECK (total_cents > 0),
    message_id      text NOT NULL,  -- the file's MsgId (a pain.002 rejecting it names it)
    key_id          text NOT NULL,
    sealed_file     bytea NOT NULL,
    created_by      uuid NOT NULL,
    created_at      timestamptz NOT NULL,
    UNIQUE (regie_id, year, seq)
);
CREATE INDEX direct_debit_batches_regie ON direct_debit_batches (tenant, regie_id, collection_date);
CREATE UNIQUE INDEX direct_debit_batches_message ON direct_debit_batches (tenant, message_id);

-- One debit per invoice, ever: an invoice is in one batch at most (a rejected one is paid
-- otherwise). Each item is a payment (method direct_debit) reversed if the bank rejects it.
CREATE TABLE direct_debit_items (
    id            uuid PRIMARY KEY,
    tenant        text NOT NULL,
    batch_id      uuid NOT NULL REFERENCES direct_debit_batches (id),
    position      integer NOT NULL,
    mandate_id    uuid NOT NULL REFERENCES mandates (id),
    invoice_id    uuid NOT NULL REFERENCES invoices (id),
    household_id  uuid NOT NULL,
    payer_id      uuid NOT NULL,
    end_to_end_id text NOT NULL,
    sequence_type text NOT NULL CHECK (sequence_type IN ('FRST', 'RCUR')),
    amount_cents  integer NOT NULL CHECK (amount_cents > 0),
    payment_id    uuid NOT NULL,
    status        text NOT NULL DEFAULT 'collected' CHECK (status IN ('collected', 'rejected')),
    UNIQUE (invoice_id),
    UNIQUE (batch_id, position),
    UNIQUE (tenant, end_to_end_id)
);
CREATE INDEX direct_debit_items_mandate ON direct_debit_items (mandate_id, position);

-- A rejection is applied once per item, however often it is recorded or imported.
CREATE TABLE direct_debit_rejections (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    item_id      uuid NOT NULL UNIQUE REFERENCES direct_debit_items (id),
    reason_code  text NOT NULL,
    reason_label text NOT NULL,
    source       text NOT NULL CHECK (source IN ('staff', 'pain002', 'csv')),
    recorded_by  uuid NOT NULL,
    recorded_at  timestamptz NOT NULL
);

-- Every staff read of full bank details (a mandate's, or a batch file's): who, when, why.
-- The household sees it, as with family's health access log.
CREATE TABLE bank_details_access_log (
    id           bigserial PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL,
    mandate_id   uuid NOT NULL REFERENCES mandates (id),
    batch_id     uuid REFERENCES direct_debit_batches (id),
    account_id   uuid NOT NULL,
    roles        text[] NOT NULL,
    purpose      text NOT NULL CHECK (purpose IN ('mandate', 'pain008')),
    accessed_at  timestamptz NOT NULL
);
CREATE INDEX bank_details_access_log_household
    ON bank_details_access_log (tenant, household_id, accessed_at);
