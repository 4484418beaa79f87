-- Reminders of unpaid invoices and their recovery by the treasury (domain/reminders.py).

-- A régie's reminder schedule, set by staff: level N at due date + offsets_days[N] days
-- (none: no reminders), no reminder under minimum_cents, recovery allowed
-- recovery_after_days after the last reminder. A régie without a row sends none.
CREATE TABLE reminder_schedules (
    regie_id            uuid PRIMARY KEY REFERENCES regies (id),
    tenant              text NOT NULL,
    offsets_days        integer[] NOT NULL DEFAULT '{}'
                        CHECK (cardinality(offsets_days) <= 5),
    minimum_cents       integer NOT NULL DEFAULT 0 CHECK (minimum_cents >= 0),
    recovery_after_days integer NOT NULL DEFAULT 0
                        CHECK (recovery_after_days BETWEEN 0 AND 365),
    updated_by          uuid NOT NULL,
    updated_at          timestamptz NOT NULL
);

-- Each reminder sent: an invoice gets each level once, whoever runs the reminders and
-- however often (the primary key; a rerun, a crash or two processes never remind twice).
CREATE TABLE invoice_reminders (
    invoice_id       uuid NOT NULL REFERENCES invoices (id),
    level            smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    tenant           text NOT NULL,
    regie_id         uuid NOT NULL,
    household_id     uuid NOT NULL,
    payer_id         uuid NOT NULL,
    reminded_on      date NOT NULL,  -- Europe/Paris
    amount_due_cents integer NOT NULL CHECK (amount_due_cents > 0),
    last             boolean NOT NULL,  -- the schedule's last level when sent
    at               timestamptz NOT NULL,
    PRIMARY KEY (invoice_id, level)
);
CREATE INDEX invoice_reminders_household ON invoice_reminders (tenant, household_id);

-- Collection dockets ("bordereaux de titres", "états des restes à recouvrer"): the unpaid
-- invoices of a régie the finance office sends to the treasury, numbered per régie and
-- year without gaps (the régie's schedule row is locked while one is made).
CREATE TABLE recovery_dockets (
    id            uuid PRIMARY KEY,
    tenant        text NOT NULL,
    regie_id      uuid NOT NULL REFERENCES regies (id),
    number        text NOT NULL,
    year          integer NOT NULL,
    seq           integer NOT NULL,
    created_on    date NOT NULL,
    invoice_count integer NOT NULL CHECK (invoice_count > 0),
    total_cents   integer NOT NULL CHECK (total_cents > 0),
    regie         jsonb NOT NULL,  -- copy: name, address, email, code
    created_by    uuid NOT NULL,
    created_at    timestamptz NOT NULL,
    UNIQUE (regie_id, year, seq)
);
CREATE INDEX recovery_dockets_tenant ON recovery_dockets (tenant, regie_id, created_at);

-- An invoice goes to recovery once (the primary key), with what it owed and who owed it
-- on that day; from then on it gets no reminder and is not paid online.
CREATE TABLE recovery_items (
    invoice_id          uuid PRIMARY KEY REFERENCES invoices (id),
    docket_id           uuid NOT NULL REFERENCES recovery_dockets (id),
    position            integer NOT NULL,
    tenant              text NOT NULL,
    household_id        uuid NOT NULL,
    payer_id            uuid NOT NULL,
    number              text NOT NULL,
    issue_date          date NOT NULL,
    due_date            date NOT NULL,
    total_cents         integer NOT NULL,
    amount_due_cents    integer NOT NULL CHECK (amount_due_cents > 0),
    debtor              jsonb NOT NULL,  -- name, address, email on the docket's day
    last_reminder_level smallint,
    last_reminded_on    date,
    UNIQUE (docket_id, position)
);
CREATE INDEX recovery_items_household ON recovery_items (tenant, household_id);

-- Overdue invoices per régie and due date (the sweeper's and staff's lists), and the
-- credit note lines of an invoice's lines (what is credited on it).
CREATE INDEX invoices_overdue ON invoices (regie_id, due_date) WHERE status = 'issued';
CREATE INDEX IF NOT EXISTS credit_note_lines_invoice_line ON credit_note_lines (invoice_line_id);
