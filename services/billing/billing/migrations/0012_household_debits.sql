-- A family reads its household's direct debits (GET …/households/{id}/direct-debits).
CREATE INDEX direct_debit_items_household ON direct_debit_items (tenant, household_id);
