-- What each payment paid per invoice line (domain/payment_lines.py): French public
-- accounting imputes receipts per product, so each allocation of a payment to an invoice
-- (payment_allocations) is spread over the invoice's lines, in their order, each up to what
-- it still owes. Append-only as the ledger: a reversal appends the opposite amounts (kind
-- 'reversal'), on the same lines. Payments recorded before this table have no rows here (the
-- accounting export shows them per invoice, as before).
CREATE TABLE payment_lines (
    seq             bigserial PRIMARY KEY,
    payment_id      uuid NOT NULL REFERENCES payments (id),
    position        integer NOT NULL,  -- the allocation's (payment_allocations.position)
    invoice_id      uuid NOT NULL REFERENCES invoices (id),
    invoice_line_id uuid NOT NULL REFERENCES invoice_lines (id),
    kind            text NOT NULL CHECK (kind IN ('payment', 'reversal')),
    amount_cents    integer NOT NULL CHECK ((kind = 'payment') = (amount_cents > 0)),
    at              timestamptz NOT NULL,
    FOREIGN KEY (payment_id, position) REFERENCES payment_allocations (payment_id, position)
);
CREATE INDEX payment_lines_payment ON payment_lines (payment_id, position);
CREATE INDEX payment_lines_invoice ON payment_lines (invoice_id);
CREATE INDEX payment_lines_line ON payment_lines (invoice_line_id);

CREATE FUNCTION payment_lines_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payment lines are append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER payment_lines_append_only BEFORE UPDATE OR DELETE ON payment_lines
    FOR EACH ROW EXECUTE FUNCTION payment_lines_append_only();
