-- The régie pays a wallet's balance back to its household (staff: by transfer, cheque or
-- cash), e.g. once the town no longer offers the wallet (per-town features): the money was
-- the family's. A payout is a debit of the whole balance, with how it was paid in `reason`.
ALTER TABLE wallet_movements DROP CONSTRAINT wallet_movements_kind_check;
ALTER TABLE wallet_movements ADD CONSTRAINT wallet_movements_kind_check
    CHECK (kind IN ('top_up', 'staff', 'refund', 'debit', 'payout'));
ALTER TABLE wallet_movements DROP CONSTRAINT wallet_movements_check;
ALTER TABLE wallet_movements ADD CONSTRAINT wallet_movements_check
    CHECK ((kind IN ('debit', 'payout')) = (amount_cents < 0));
ALTER TABLE wallet_movements ADD CONSTRAINT wallet_movements_payout_by_staff
    CHECK (kind <> 'payout' OR recorded_by IS NOT NULL);
