-- Refunds: staff give a credit note's available amount back to the payer (transfer, cheque,
-- cash) instead of letting it be deducted from the next invoice. Numbered V-… gapless per
-- régie, year and kind through `counters` (kind 'refund'); each refund is also a ledger entry
-- (kind 'refund', + the amount, related to the credit note), so the payer's balance and the
-- credit note's availability both derive from the ledger.
CREATE TABLE refunds (
    id             uuid PRIMARY KEY,
    tenant         text NOT NULL,
    regie_id       uuid NOT NULL REFERENCES regies (id),
    household_id   uuid NOT NULL,
    payer_id       uuid NOT NULL,
    credit_note_id uuid NOT NULL REFERENCES credit_notes (id),
    number         text NOT NULL,
    year           integer NOT NULL,
    seq            integer NOT NULL,
    amount_cents   integer NOT NULL CHECK (amount_cents > 0),
    method         text NOT NULL CHECK (method IN ('transfer', 'cheque', 'cash')),
    reference      text NOT NULL DEFAULT '',
    created_by     uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (regie_id, year, seq)
);

CREATE INDEX refunds_household ON refunds (tenant, household_id, created_at);
CREATE INDEX refunds_credit_note ON refunds (credit_note_id);
