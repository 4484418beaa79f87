-- An account may be linked to several households (a guardian of two households, e.g. after
-- a separation): one row per account and household, and the account may be a payer in each
-- (one payer per account within a household).
ALTER TABLE household_accounts DROP CONSTRAINT household_accounts_pkey;
ALTER TABLE household_accounts ADD PRIMARY KEY (tenant, account_id, household_id);

DROP INDEX payers_account;
CREATE UNIQUE INDEX payers_account ON payers (tenant, household_id, account_id)
    WHERE account_id IS NOT NULL;
