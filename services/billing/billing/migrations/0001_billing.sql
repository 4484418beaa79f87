-- Régies (collection offices) of a tenant: they issue and number the documents.
CREATE TABLE regies (
    id                 uuid PRIMARY KEY,
    tenant             text NOT NULL,
    code               text NOT NULL,  -- in document numbers: F-<code>-2026-000001
    name               text NOT NULL,
    address            text NOT NULL,
    email              text NOT NULL,
    legal_mentions     text NOT NULL DEFAULT '',
    payment_delay_days integer NOT NULL DEFAULT 15 CHECK (payment_delay_days BETWEEN 0 AND 365),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, code)
);

-- How each of booking's activities is billed (set by staff here, not in booking).
CREATE TABLE activities (
    activity_id       uuid PRIMARY KEY,
    tenant            text NOT NULL,
    regie_id          uuid NOT NULL REFERENCES regies (id),
    name              text NOT NULL,
    billing_mode      text NOT NULL CHECK (billing_mode IN ('prepaid', 'postpaid')),
    postpaid_source   text NOT NULL DEFAULT 'bookings'
                      CHECK (postpaid_source IN ('bookings', 'attendance')),
    unit              text NOT NULL CHECK (unit IN ('day', 'half_day', 'meal', 'hour')),
    units_per_booking numeric(8, 2) NOT NULL DEFAULT 1 CHECK (units_per_booking > 0),
    bill_present          boolean NOT NULL DEFAULT true,
    bill_absent           boolean NOT NULL DEFAULT true,
    bill_absent_justified boolean NOT NULL DEFAULT false,
    bill_unexpected       boolean NOT NULL DEFAULT true,
    updated_by        uuid NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_tenant ON activities (tenant, regie_id);

-- Price grids per activity and validity period (periods of an activity never overlap).
CREATE TABLE price_grids (
    id                 uuid PRIMARY KEY,
    tenant             text NOT NULL,
    activity_id        uuid NOT NULL REFERENCES activities (activity_id) ON DELETE CASCADE,
    label              text NOT NULL DEFAULT '',
    valid_from         date NOT NULL,
    valid_to           date CHECK (valid_to IS NULL OR valid_to >= valid_from),
    brackets           jsonb,  -- [{"qf_min", "qf_max", "amounts": [cents by child rank]}]
    effort             jsonb,  -- {"rate": percent of QF, "min_cents", "max_cents"}
    late_surcharge     jsonb,  -- {"kind": "percent" | "amount", "value"}
    non_resident_cents integer CHECK (non_resident_cents >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((brackets IS NULL) <> (effort IS NULL))
);
CREATE INDEX price_grids_activity ON price_grids (activity_id, valid_from);

-- Read models of family's events, and what staff set for billing per household.
CREATE TABLE households (
    household_id   uuid PRIMARY KEY,
    tenant         text NOT NULL,
    guardian_names text[] NOT NULL DEFAULT '{}',
    anonymised     boolean NOT NULL DEFAULT false,
    resident       boolean NOT NULL DEFAULT true,
    payer_name     text,
    payer_address  text,
    payer_email    text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX households_tenant ON households (tenant);

CREATE TABLE children (
    child_id     uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL,
    first_name   text NOT NULL,
    last_name    text NOT NULL,
    birth_date   date NOT NULL,
    version_at   timestamptz NOT NULL
);
CREATE INDEX children_household ON children (household_id);

CREATE TABLE quotients (
    quotient_id  uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL,
    value        integer NOT NULL CHECK (value >= 0),
    valid_from   date NOT NULL,
    valid_until  date,
    source       text NOT NULL,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX quotients_household ON quotients (household_id, valid_from);

-- Booked days as booking announced them (validated, promoted, cancelled, attendance).
CREATE TABLE bookings (
    booking_id     uuid PRIMARY KEY,
    tenant         text NOT NULL,
    household_id   uuid NOT NULL,
    child_id       uuid NOT NULL,
    child_name     text NOT NULL,
    activity_id    uuid NOT NULL,
    activity_name  text NOT NULL,
    day            date NOT NULL,
    late           boolean NOT NULL DEFAULT false,
    basket_id      uuid,
    status         text NOT NULL CHECK (status IN ('booked', 'cancelled', 'unexpected')),
    charged_cancel boolean NOT NULL DEFAULT false,
    attendance     text CHECK (attendance IN ('present', 'absent', 'absent_justified')),
    attendance_at  timestamptz,
    justified      boolean NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bookings_period ON bookings (tenant, activity_id, day);

-- Documents. A draft has no number; finalising gives it one (and never changes it after).
CREATE TABLE campaigns (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    regie_id     uuid NOT NULL REFERENCES regies (id),
    period_from  date NOT NULL,
    period_to    date NOT NULL CHECK (period_to >= period_from),
    issue_date   date,
    due_date     date,
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'finalised', 'cancelled')),
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    drafted_at   timestamptz NOT NULL DEFAULT now(),
    finalised_by uuid,
    finalised_at timestamptz
);
CREATE INDEX campaigns_tenant ON campaigns (tenant, regie_id, period_from);

CREATE TABLE campaign_issues (
    id          bigserial PRIMARY KEY,
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    severity    text NOT NULL CHECK (severity IN ('error', 'warning')),
    code        text NOT NULL,
    detail      text NOT NULL,
    household_id uuid,
    child_id    uuid,
    child_name  text,
    activity_id uuid,
    booking_id  uuid,
    day         date
);
CREATE INDEX campaign_issues_campaign ON campaign_issues (campaign_id);

CREATE TABLE invoices (
    id            uuid PRIMARY KEY,
    tenant        text NOT NULL,
    regie_id      uuid NOT NULL REFERENCES regies (id),
    household_id  uuid NOT NULL,
    payer_id      uuid NOT NULL,  -- the household, until payers split (separated parents)
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'issued')),
    origin        text NOT NULL CHECK (origin IN ('basket', 'campaign')),
    basket_id     uuid,
    campaign_id   uuid REFERENCES campaigns (id),
    finalise_after timestamptz,  -- a prepaid basket's invoice: when its grace ends
    number        text,
    year          integer,
    seq           integer,
    issue_date    date,
    due_date      date,
    total_cents   integer NOT NULL DEFAULT 0,
    credit_cents  integer NOT NULL DEFAULT 0,  -- credit notes deducted at finalisation
    payer         jsonb,  -- copy at finalisation: name, address, email
    regie         jsonb,  -- copy at finalisation: name, address, email, legal mentions
    created_at    timestamptz NOT NULL DEFAULT now(),
    issued_at     timestamptz,
    CHECK ((status = 'issued') = (number IS NOT NULL))
);
CREATE UNIQUE INDEX invoices_number ON invoices (regie_id, year, seq) WHERE number IS NOT NULL;
CREATE UNIQUE INDEX invoices_basket_draft ON invoices (tenant, basket_id, regie_id)
    WHERE status = 'draft' AND basket_id IS NOT NULL;
CREATE INDEX invoices_household ON invoices (tenant, household_id, issue_date);
CREATE INDEX invoices_campaign ON invoices (campaign_id);
CREATE INDEX invoices_due ON invoices (finalise_after) WHERE status = 'draft' AND origin = 'basket';

-- Priced days: a booked day is charged at most once, ever (a redelivered event, a campaign
-- run twice, a prepaid day inside a campaign's period: no second charge). Who, what and
-- when are the booking's (the bookings read model); a charge holds its price. Its invoice
-- line is the one of its invoice with the same child, activity, unit, price and bracket.
CREATE TABLE charges (
    booking_id uuid PRIMARY KEY,
    tenant     text NOT NULL,
    invoice_id uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    unit       text NOT NULL,
    unit_cents integer NOT NULL,
    quantity   numeric(10, 2) NOT NULL,
    bracket    text NOT NULL,
    qf         integer,
    rank       integer NOT NULL,
    grid_id    uuid
);
CREATE INDEX charges_invoice ON charges (invoice_id);

CREATE TABLE invoice_lines (
    id             uuid PRIMARY KEY,
    invoice_id     uuid NOT NULL REFERENCES invoices (id),
    position       integer NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('charge', 'credit')),
    label          text NOT NULL,
    detail         text NOT NULL,  -- the bracket used, or the credit note deducted
    child_id       uuid,
    activity_id    uuid,
    unit           text,
    unit_cents     integer NOT NULL,
    quantity       numeric(10, 2) NOT NULL,
    amount_cents   integer NOT NULL,
    period_from    date,
    period_to      date,
    credit_note_id uuid,
    UNIQUE (invoice_id, position)
);

CREATE TABLE credit_notes (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    regie_id     uuid NOT NULL REFERENCES regies (id),
    household_id uuid NOT NULL,
    payer_id     uuid NOT NULL,
    number       text NOT NULL,
    year         integer NOT NULL,
    seq          integer NOT NULL,
    issue_date   date NOT NULL,
    reason       text NOT NULL,
    total_cents  integer NOT NULL CHECK (total_cents > 0),
    payer        jsonb NOT NULL,
    regie        jsonb NOT NULL,
    issued_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (regie_id, year, seq)
);
CREATE INDEX credit_notes_household ON credit_notes (tenant, household_id, issue_date);

CREATE TABLE credit_note_lines (
    id              uuid PRIMARY KEY,
    credit_note_id  uuid NOT NULL REFERENCES credit_notes (id),
    position        integer NOT NULL,
    invoice_line_id uuid NOT NULL REFERENCES invoice_lines (id),
    label           text NOT NULL,
    detail          text NOT NULL,
    child_id        uuid,
    activity_id     uuid,
    unit            text,
    unit_cents      integer NOT NULL,
    quantity        numeric(10, 2) NOT NULL,
    amount_cents    integer NOT NULL,
    period_from     date NOT NULL,
    period_to       date NOT NULL,
    UNIQUE (credit_note_id, position)
);

-- A charged day is credited at most once.
CREATE TABLE credited_days (
    booking_id          uuid PRIMARY KEY REFERENCES charges (booking_id),
    credit_note_line_id uuid NOT NULL REFERENCES credit_note_lines (id),
    quantity            numeric(10, 2) NOT NULL
);

-- Gapless numbering: one row per régie, year and kind, locked by the finalising transaction.
CREATE TABLE counters (
    regie_id uuid NOT NULL REFERENCES regies (id),
    year     integer NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('invoice', 'credit_note', 'payment', 'refund')),
    last     integer NOT NULL,
    PRIMARY KEY (regie_id, year, kind)
);

-- The append-only ledger: balances and what remains due derive from it (domain/ledger.py).
CREATE TABLE ledger (
    seq          bigserial PRIMARY KEY,
    tenant       text NOT NULL,
    regie_id     uuid NOT NULL REFERENCES regies (id),
    payer_id     uuid NOT NULL,
    household_id uuid NOT NULL,
    kind         text NOT NULL
                 CHECK (kind IN ('invoice', 'credit_note', 'allocation', 'payment', 'refund')),
    document_id  uuid NOT NULL,
    related_id   uuid,
    amount_cents integer NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_payer ON ledger (tenant, payer_id, seq);
CREATE INDEX ledger_document ON ledger (document_id);
CREATE INDEX ledger_related ON ledger (related_id) WHERE related_id IS NOT NULL;

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- An issued document never changes (corrections are credit notes).
CREATE FUNCTION issued_invoice_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'issued' THEN
        RAISE EXCEPTION 'invoice % is issued: it never changes', OLD.number;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER issued_invoice_frozen BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION issued_invoice_frozen();
